"""The status as a mail that survives Gmail and Outlook: `status --format email`.

A MIME message (multipart/alternative): a plain-text part, and an HTML part built the way
mail clients render it: tables for layout, every style inline on its element (Gmail drops
`<style>` blocks in many views, Outlook renders with Word), no SVG, no script, no images.
The burn-up is a table of bars, one row per day, which every client draws.

Every string from a tracker is escaped, and only http(s) URLs become links.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape

from trackersync.report.html import safe_url
from trackersync.sync.documents import DayPoint, Item, Rollup, StatusDocument
from trackersync.sync.published_text import short_ref, summary_line

MAX_LISTED = 10
BURNUP_ROWS = 14  # the last two weeks of days: a mail is read on a phone
RISK_LISTS = (("blocked", "Blocked"), ("overdue", "Overdue"), ("stale", "Not updated lately"))
COLORS = {"on track": "#116329", "at risk": "#7d4e00", "off track": "#a40e26"}
BACKGROUNDS = {"on track": "#dafbe1", "at risk": "#fff8c5", "off track": "#ffebe9"}
FONT = "font-family:Arial,Helvetica,sans-serif;"
CELL = f"{FONT}font-size:14px;line-height:20px;color:#1f2328;"
MUTED = f"{FONT}font-size:13px;line-height:18px;color:#59636e;"


def message(document: StatusDocument) -> EmailMessage:
    """The status mail: subject from the milestones' health, text and HTML alternatives."""
    mail = EmailMessage()
    mail["Subject"] = subject(document)
    mail["Date"] = format_datetime(datetime.fromisoformat(document.generated_at))
    # Opened from a file, Outlook and Thunderbird show it as a draft ready to send.
    mail["X-Unsent"] = "1"
    # Quoted-printable keeps every line 7-bit and short, whatever relays the file passes.
    mail.set_content(plain_text(document), cte="quoted-printable")
    mail.add_alternative(html_body(document), subtype="html", cte="quoted-printable")
    return mail


def subject(document: StatusDocument) -> str:
    """`Status: Release 2.0 at risk (54.5% done)`, every milestone, or the work items."""
    if not document.milestones:
        return f"Status: {document.totals.tasks} work items, {document.totals.done} done"
    parts = [f"{m.name} {m.health.verdict} ({m.percent_done:g}% done)" for m in document.milestones]
    return "Status: " + "; ".join(parts)


# --- the plain-text part ---------------------------------------------------------------


def plain_text(document: StatusDocument) -> str:
    """What a text-only client shows: the same facts, with links written out."""
    lines = [f"trackersync status, generated {_readable(document.generated_at)}", ""]
    for rollup in document.milestones:
        lines += _plain_milestone(rollup)
    totals = document.totals
    lines += [
        f"Work items in all scopes: {totals.tasks} ({totals.todo} to do, "
        f"{totals.in_progress} in progress, {totals.done} done, {totals.canceled} canceled).",
        "An item and its copies in other trackers count once.",
    ]
    if document.conflicts:
        lines += ["", "Recent conflicts (both values, the one kept):"]
        lines += [f"- {c.at or '-'} {c.link}: {c.sentence()}" for c in document.conflicts]
    return "\n".join(lines) + "\n"


def _plain_milestone(rollup: Rollup) -> list[str]:
    lines = [rollup.name, "=" * len(rollup.name), summary_line(rollup), rollup.health.sentence]
    lines.append(f"Forecast: {rollup.forecast.basis or rollup.forecast.note or 'none yet'}.")
    for name, heading in RISK_LISTS:
        items: list[Item] = getattr(rollup, name)
        if items:
            lines += ["", f"{heading} ({len(items)}):"]
            lines += [f"- {_plain_item(item)}" for item in items[:MAX_LISTED]]
            lines += [f"- and {len(items) - MAX_LISTED} more"] if len(items) > MAX_LISTED else []
    lines += ["", _scope_sentence(rollup)]
    for word, items in (("added", rollup.scope.added), ("removed", rollup.scope.removed)):
        lines += [f"- {word}: {_plain_item(item)}" for item in items[:MAX_LISTED]]
    return [*lines, "", ""]


def _plain_item(item: Item) -> str:
    url = safe_url(item.url)
    name = f"{item.title} ({short_ref(item.ref)})" if item.title else item.ref
    return name + (f" <{url}>" if url else "")


def _scope_sentence(rollup: Rollup) -> str:
    added, removed = len(rollup.scope.added), len(rollup.scope.removed)
    if not added and not removed:
        return "Scope since the first rollup: unchanged."
    return f"Scope since the first rollup: +{added} / −{removed}."


# --- the HTML part ---------------------------------------------------------------------


def html_body(document: StatusDocument) -> str:
    """The HTML alternative: one centred table column, at most 600 px wide."""
    cards = "".join(_milestone(rollup) for rollup in document.milestones)
    if not cards:
        cards = _row(f'<p style="{CELL}margin:0;">No milestones configured.</p>')
    totals = document.totals
    footer = (
        f"Work items in all scopes: <b>{totals.tasks}</b> ({totals.todo} to do, "
        f"{totals.in_progress} in progress, {totals.done} done, {totals.canceled} canceled). "
        "An item and its copies in other trackers count once. "
        f"Generated {escape(_readable(document.generated_at))} by trackersync."
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(subject(document))}</title></head>"
        '<body style="margin:0;padding:0;background:#f6f8fa;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background:#f6f8fa;"><tr><td align="center" style="padding:12px 8px;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="max-width:600px;width:100%;">'
        + _row(f'<h1 style="{FONT}font-size:22px;line-height:28px;margin:0;color:#1f2328;">'
               "trackersync status</h1>")
        + cards
        + _conflicts(document)
        + _row(f'<p style="{MUTED}margin:0;">{footer}</p>')
        + "</table></td></tr></table></body></html>\n"
    )  # fmt: skip


def _conflicts(document: StatusDocument) -> str:
    """Recent conflicts, both values each: the overwritten one is never silently gone."""
    if not document.conflicts:
        return ""
    items = "".join(
        f'<li style="{CELL}">{escape(c.link)}: {escape(c.sentence())}</li>'
        for c in document.conflicts
    )
    heading = f'<h2 style="{FONT}font-size:17px;margin:0 0 6px;">Recent conflicts</h2>'
    return _row(f'{heading}<ul style="margin:0;padding-left:20px;">{items}</ul>')


def _readable(moment: str) -> str:
    """`2026-11-20 18:00 UTC` from the document's ISO timestamp."""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _row(inner: str, style: str = "padding:8px 0;") -> str:
    return f'<tr><td style="{style}">{inner}</td></tr>'


def _milestone(rollup: Rollup) -> str:
    verdict = rollup.health.verdict
    badge = (
        f'<span style="{FONT}font-size:13px;font-weight:bold;color:{COLORS[verdict]};'
        f"background:{BACKGROUNDS[verdict]};border:1px solid {COLORS[verdict]};"
        f'padding:2px 8px;white-space:nowrap;">{escape(verdict)}</span>'
    )
    parts = [
        f'<h2 style="{FONT}font-size:18px;line-height:24px;margin:0 0 4px;color:#1f2328;">'
        f"{escape(rollup.name)} {badge}</h2>",
        f'<p style="{CELL}margin:0 0 6px;">{escape(rollup.health.sentence)}</p>',
        f'<p style="{CELL}margin:0 0 6px;"><b>{rollup.percent_done:g}% done</b> '
        f"({rollup.counts.done} of {rollup.counts.scope} work items) · due "
        f"{escape(rollup.due.isoformat() if rollup.due else 'not set')}</p>",
        f'<p style="{MUTED}margin:0 0 10px;">Forecast: '
        f"{escape(rollup.forecast.basis or rollup.forecast.note or 'none yet')}</p>",
        burnup_table(rollup.history),
        *(_risk_list(heading, getattr(rollup, name)) for name, heading in RISK_LISTS),
        _scope_change(rollup),
    ]
    card = "".join(part for part in parts if part)
    return _row(
        card,
        "padding:14px;background:#ffffff;border:1px solid #d1d9e0;",
    ) + _row("", "padding:0;height:12px;line-height:12px;font-size:0;")


def burnup_table(history: Sequence[DayPoint]) -> str:
    """The burn-up as bars in table cells: per day, done (green) and the rest (grey)."""
    days = list(history)[-BURNUP_ROWS:]
    if not days:
        return f'<p style="{MUTED}margin:0;">No burn-up history yet.</p>'
    largest = max(max(p.total, p.done) for p in days) or 1
    rows = "".join(_burnup_row(point, largest) for point in days)
    head = (
        f'<tr><th align="left" style="{MUTED}padding:2px 6px 2px 0;">Day</th>'
        f'<th align="left" style="{MUTED}padding:2px 0;">'
        '<span style="color:#1f883d;">■</span> done &nbsp; '
        '<span style="color:#afb8c1;">■</span> still open</th>'
        f'<th align="right" style="{MUTED}padding:2px 0 2px 6px;">Done</th></tr>'
    )
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="margin:0 0 10px;" aria-label="Burn-up">{head}{rows}</table>'
    )


def _burnup_row(point: DayPoint, largest: int) -> str:
    done = round(100 * point.done / largest)
    rest = max(round(100 * point.total / largest) - done, 0)
    blank = max(100 - done - rest, 0)
    cells = "".join(
        f'<td width="{width}%" bgcolor="{color}" style="background:{color};height:12px;'
        f'font-size:0;line-height:0;">&nbsp;</td>'
        for width, color in ((done, "#1f883d"), (rest, "#afb8c1"), (blank, "#ffffff"))
        if width > 0
    )
    bar = (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        f"<tr>{cells}</tr></table>"
    )
    return (
        f'<tr><td style="{MUTED}padding:2px 6px 2px 0;white-space:nowrap;">'
        f"{_short(point.day)}</td>"
        f'<td width="100%" style="padding:2px 0;">{bar}</td>'
        f'<td align="right" style="{MUTED}padding:2px 0 2px 6px;white-space:nowrap;">'
        f"{point.done}/{point.total}</td></tr>"
    )


def _short(day: date) -> str:
    return day.strftime("%d %b").lstrip("0")


def _risk_list(heading: str, items: Sequence[Item]) -> str:
    if not items:
        return ""
    entries = "".join(
        f'<li style="{CELL}margin:0 0 2px;">{_item(item)}</li>' for item in items[:MAX_LISTED]
    )
    if len(items) > MAX_LISTED:
        entries += f'<li style="{CELL}">and {len(items) - MAX_LISTED} more</li>'
    return (
        f'<p style="{CELL}font-weight:bold;margin:8px 0 2px;">{escape(heading)} '
        f"({len(items)})</p>"
        f'<ul style="margin:0;padding:0 0 0 20px;">{entries}</ul>'
    )


def _scope_change(rollup: Rollup) -> str:
    sentence = f'<p style="{CELL}margin:8px 0 2px;">{escape(_scope_sentence(rollup))}</p>'
    entries = "".join(
        f'<li style="{CELL}margin:0 0 2px;">{word}: {_item(item)}</li>'
        for word, items in (("added", rollup.scope.added), ("removed", rollup.scope.removed))
        for item in items[:MAX_LISTED]
    )
    return sentence + (
        f'<ul style="margin:0;padding:0 0 0 20px;">{entries}</ul>' if entries else ""
    )


def _item(item: Item) -> str:
    title = escape(item.title or item.ref)
    url = safe_url(item.url)
    if url is not None:
        title = f'<a href="{escape(url)}" style="color:#0550ae;">{title}</a>'
    # An item that left every scope has only its ref left to show.
    details = [short_ref(item.ref)] if item.title else []
    if item.status:
        details.append(item.status)
    if item.due:
        details.append(f"due {item.due.isoformat()}")
    return title + (
        f' <span style="{MUTED}">({escape(", ".join(details))})</span>' if details else ""
    )
