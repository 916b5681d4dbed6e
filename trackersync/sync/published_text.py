"""What a rollup says where people read it: a GitHub milestone, a status issue, a Jira
version. Written to be forwarded as it is: the verdict in a sentence, the items that need
someone by title and link, the scope change by name.

Titles are user input: in Markdown they are escaped so that they neither format nor
mention anyone, and only http(s) URLs become links.
"""

from __future__ import annotations

import re

from trackersync.sync.documents import Item, Rollup
from trackersync.sync.model import Ref
from trackersync.sync.rollup import day_text

MAX_LISTED = 10  # per list: a block with fifty stale items is read by nobody
# (list name, heading) in the order a PM acts on them: blocked and overdue first.
RISK_LISTS = (
    ("blocked", "Blocked"),
    ("overdue", "Overdue"),
    ("stale", "Not updated lately"),
    ("unassigned", "Nobody assigned"),
)
# `#` stays: inside a line it only links an issue number, which is what a reader wants.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>@|~!])")


def summary_line(rollup: Rollup) -> str:
    """`27.3% done (6 of 22), at risk; forecast 18 Dec; due 15 Dec`."""
    # The rollup's own day (its last history point) decides whether a year is shown.
    today = rollup.history[-1].day if rollup.history else None
    finish = day_text(rollup.forecast.date, today) if rollup.forecast.date else "none yet"
    due = day_text(rollup.due, today) if rollup.due else "not set"
    counts = rollup.counts
    return (
        f"{rollup.percent_done:g}% done ({counts.done} of {counts.scope}), "
        f"{rollup.health.verdict}; forecast {finish}; due {due}"
    )


def plain(rollup: Rollup, status_url: str | None = None) -> str:
    """One line for a Jira version: the summary, the reason, the status issue's link."""
    line = f"trackersync {rollup.name}: {summary_line(rollup)}. {rollup.health.sentence}"
    return f"{line} Full status: {status_url}" if status_url else line


def markdown(rollup: Rollup, status_url: str | None = None) -> str:
    """The Markdown block of a GitHub milestone or a status issue."""
    counts = rollup.counts
    lines = [
        f"**{escape(rollup.name)}** · {summary_line(rollup)}",
        "",
        escape(rollup.health.sentence),
        "",
        "| todo | in progress | done | canceled |",
        "|---|---|---|---|",
        f"| {counts.todo} | {counts.in_progress} | {counts.done} | {counts.canceled} |",
        "",
        f"Forecast: {escape(rollup.forecast.basis or rollup.forecast.note or 'none yet')}.",
    ]
    for name, heading in RISK_LISTS:
        lines += _listed(heading, getattr(rollup, name))
    lines += ["", _scope_line(rollup)]
    for word, items in (("added", rollup.scope.added), ("removed", rollup.scope.removed)):
        lines += [f"- {word}: {link(item)}" for item in items[:MAX_LISTED]]
        lines += _more(len(items))
    if status_url:
        lines += ["", f"Full status: {_link_text('status issue', status_url)}"]
    return "\n".join(lines)


def _listed(heading: str, items: list[Item]) -> list[str]:
    if not items:
        return []
    entries = [f"- {link(item)}{_details(item)}" for item in items[:MAX_LISTED]]
    return ["", f"**{heading} ({len(items)})**", "", *entries, *_more(len(items))]


def _more(count: int) -> list[str]:
    return [f"- and {count - MAX_LISTED} more"] if count > MAX_LISTED else []


def _scope_line(rollup: Rollup) -> str:
    added, removed = len(rollup.scope.added), len(rollup.scope.removed)
    if not added and not removed:
        return "Scope since the first rollup: unchanged."
    return f"Scope since the first rollup: +{added} / −{removed}."


def link(item: Item) -> str:
    """`[Title](url) (WEB-7)`: the title linked when the URL is a plain http(s) one."""
    if not item.title:  # it left every scope: only its ref is known
        return escape(item.ref)
    title, name = escape(item.title), escape(short_ref(item.ref))
    if item.url and _is_web_url(item.url):
        return f"[{title}]({_target(item.url)}) ({name})"
    return f"{title} ({name})"


def _details(item: Item) -> str:
    parts = [escape(item.status)] if item.status else []
    if item.due:
        parts.append(f"due {item.due.isoformat()}")
    return f" · {', '.join(parts)}" if parts else ""


def _link_text(text: str, url: str) -> str:
    return f"[{escape(text)}]({_target(url)})" if _is_web_url(url) else escape(url)


def short_ref(ref: str) -> str:
    """`WEB-7` for a Jira ref, `acme/web#12` for a GitHub one."""
    try:
        parsed = Ref.parse(ref)
    except ValueError:
        return ref
    return parsed.key if "-" in parsed.key else f"{parsed.scope}#{parsed.key}"


def escape(text: str) -> str:
    """Plain text that Markdown shows as it is, mentioning and formatting nothing."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _is_web_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and not any(c.isspace() for c in url)


def _target(url: str) -> str:
    # Parentheses would end a Markdown link target early.
    return url.replace("(", "%28").replace(")", "%29")
