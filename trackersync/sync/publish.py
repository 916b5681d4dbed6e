"""Publishing a rollup into each member milestone: the text between markers, and when to
write it. Pure: `plan_publish` decides from the rollups and the milestones as pulled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from trackersync.sync.model import Milestone, Task

TextKind = Literal["markdown", "plain", "issue"]
MARKERS: dict[TextKind, tuple[str, str]] = {
    "markdown": ("<!-- trackersync:rollup -->", "<!-- /trackersync:rollup -->"),
    "plain": ("[trackersync]", "[/trackersync]"),
    # An issue body goes through wiki <-> Markdown conversion: plain sentences survive it.
    "issue": (
        "trackersync rollup (kept up to date automatically; edit outside this block)",
        "end of trackersync rollup",
    ),
}


@dataclass(frozen=True)
class Publish:
    """Write `description` into one member milestone (a GitHub milestone, a Jira version)."""

    rollup: str
    milestone: Milestone
    description: str
    reason: str


def render(rollup: dict[str, Any], kind: TextKind) -> str:
    """The rollup as published: a Markdown block, or one plain line for short fields."""
    counts = rollup["counts"]
    health = rollup["health"]
    scope = counts["tasks"] - counts["canceled"]
    line = (
        f"{rollup['percent_done']}% done ({counts['done']} of {scope}), {health['verdict']}; "
        f"forecast {rollup['forecast']['date'] or 'not enough history'}; "
        f"due {rollup['due'] or 'not set'}"
    )
    if kind == "plain":
        return f"trackersync {rollup['name']}: {line}"
    columns = {
        "todo": counts["todo"],
        "in progress": counts["in_progress"],
        "done": counts["done"],
        "canceled": counts["canceled"],
        **{name: len(rollup[name]) for name in ("overdue", "blocked", "unassigned", "stale")},
    }
    added, removed = len(rollup["scope"]["added"]), len(rollup["scope"]["removed"])
    return "\n".join(
        [
            f"**{rollup['name']}** · {line}",
            "",
            "| " + " | ".join(columns) + " |",
            "|" + "---|" * len(columns),
            "| " + " | ".join(str(value) for value in columns.values()) + " |",
            "",
            f"Health: {health['verdict']} ({'; '.join(health['reasons'])}).",
            f"Scope since the first rollup: +{added} / -{removed}.",
        ]
    )


def splice(existing: str, block: str, kind: TextKind) -> str:
    """`existing` with the text between our markers replaced (appended if absent)."""
    start, end = MARKERS[kind]
    gap = "\n\n" if kind == "issue" else "\n"
    wrapped = f"{start}{gap}{block}{gap}{end}"
    head, found, rest = existing.partition(start)
    if found:
        _, closed, tail = rest.partition(end)
        if closed:
            return f"{head}{wrapped}{tail}"
    separator = "\n\n" if existing.strip() else ""
    return f"{existing.rstrip()}{separator}{wrapped}"


def plan_publish(
    rollup: dict[str, Any],
    targets: list[tuple[Milestone, TextKind, int]],
) -> list[Publish]:
    """One `Publish` per member milestone whose text would change (none on a repeat)."""
    actions = []
    for milestone, kind, limit in targets:
        block = render(rollup, kind)
        description = splice(milestone.description, block, kind)
        if len(description.encode()) > limit:
            block = render(rollup, "plain") if kind == "markdown" else block[: max(0, limit // 2)]
            description = splice(milestone.description, block, kind)
        if description != milestone.description:
            reason = f"rollup of {rollup['name']} changed"
            actions.append(Publish(rollup["name"], milestone, description, reason))
    return actions


@dataclass(frozen=True)
class PublishIssue:
    """Write the full rollup into a status issue's body (Jira versions only fit a line)."""

    rollup: str
    item: Task
    body: str
    block: str
    reason: str


def plan_issue_publish(
    rollup: dict[str, Any], issues: list[tuple[Task, str | None]]
) -> list[PublishIssue]:
    """One `PublishIssue` per status issue whose block changed since it was last written
    (the issue's text went through a conversion, so the last block written is compared,
    not the text read back), or whose markers a person removed."""
    block = render(rollup, "markdown")
    start, end = MARKERS["issue"]
    actions = []
    for item, last in issues:
        if last == block and start in item.body and end in item.body:
            continue
        body = splice(item.body, block, "issue")
        actions.append(
            PublishIssue(rollup["name"], item, body, block, f"rollup of {rollup['name']} changed")
        )
    return actions
