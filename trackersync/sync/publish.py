"""Publishing a rollup into each member milestone: the text between markers, and when to
write it. Pure: `plan_publish` decides from the rollups and the milestones as pulled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trackersync.sync import published_text
from trackersync.sync.documents import Rollup
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


def render(rollup: Rollup, kind: TextKind, status_url: str | None = None) -> str:
    """The rollup as published: a Markdown block, or one plain line for short fields
    (see published_text.py); `status_url` links the status issue, when there is one."""
    if kind == "plain":
        return published_text.plain(rollup, status_url)
    return published_text.markdown(rollup, status_url)


def splice(existing: str, block: str, kind: TextKind) -> str:
    """`existing` with our block replaced (appended if there is no whole block).

    Only a whole block is ours to replace: the last start marker before the last end
    marker, and what lies between them. A person who deletes a marker and writes on keeps
    every word: the broken block is left as it is and a fresh one is appended.
    """
    start, end = MARKERS[kind]
    gap = "\n\n" if kind == "issue" else "\n"
    wrapped = f"{start}{gap}{block}{gap}{end}"
    closing = existing.rfind(end)
    opening = existing.rfind(start, 0, closing) if closing >= 0 else -1
    if opening >= 0:
        return f"{existing[:opening]}{wrapped}{existing[closing + len(end) :]}"
    separator = "\n\n" if existing.strip() else ""
    return f"{existing.rstrip()}{separator}{wrapped}"


def plan_publish(
    rollup: Rollup,
    targets: list[tuple[Milestone, TextKind, int]],
    status_url: str | None = None,
) -> list[Publish]:
    """One `Publish` per member milestone whose text would change (none on a repeat)."""
    actions = []
    for milestone, kind, limit in targets:
        block = render(rollup, kind, status_url)
        description = splice(milestone.description, block, kind)
        if len(description.encode()) > limit:
            block = (
                render(rollup, "plain", status_url)
                if kind == "markdown"
                else block[: max(0, limit // 2)]
            )
            description = splice(milestone.description, block, kind)
        if description != milestone.description:
            reason = f"rollup of {rollup.name} changed"
            actions.append(Publish(rollup.name, milestone, description, reason))
    return actions


@dataclass(frozen=True)
class PublishIssue:
    """Write the full rollup into a status issue's body (Jira versions only fit a line)."""

    rollup: str
    item: Task
    body: str
    block: str
    reason: str


def plan_issue_publish(rollup: Rollup, issues: list[tuple[Task, str | None]]) -> list[PublishIssue]:
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
            PublishIssue(rollup.name, item, body, block, f"rollup of {rollup.name} changed")
        )
    return actions
