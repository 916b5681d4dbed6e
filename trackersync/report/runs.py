"""What a cycle did, for people: tables for stdout and one-line messages for stderr."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from trackersync.cycle import LinkOutcome, PullReport, RollupOutcome
from trackersync.sync.action_changes import field_changes, item_title, shorten
from trackersync.sync.actions import Action, Create, MilestoneDue, MirrorComment, Update
from trackersync.sync.documents import ConflictRecord
from trackersync.sync.publish import PublishIssue


def describe(action: Action) -> tuple[str, str]:
    """(what, item) of an action."""
    if isinstance(action, Create):
        return "create", f"in {action.scope} from {action.origin.ref}"
    if isinstance(action, Update):
        return "update", str(action.item.ref)
    if isinstance(action, MirrorComment):
        what = "edit comment" if action.existing else "comment"
        return what, f"{action.item.ref} from {action.copy_.origin.marker_id}"
    if isinstance(action, MilestoneDue):
        return "set due date", f"{action.milestone.scope}:{action.milestone.name}"
    item = getattr(action, "source_ref", getattr(action, "mirror_ref", ""))
    return f"record ({type(action).__name__.lower()})", item


def action_row(link: str, action: Action) -> dict[str, Any]:
    """One action as JSON: what, on which item (and its title), each field old → new."""
    what, item = describe(action)
    return {
        "link": link,
        "action": what,
        "item": item,
        "title": item_title(action),
        "fields": [change.as_json() for change in field_changes(action)],
        "reason": action.reason,
    }


def plan_json(outcomes: list[LinkOutcome]) -> dict[str, Any]:
    """A dry run's plan as JSON."""
    rows = [action_row(o.name, a) for o in outcomes for a in o.plan.actions]
    return {"dry_run": True, "actions": rows}


def plan_table(outcomes: list[LinkOutcome]) -> Table:
    """A dry run's plan as a table: one row per action, one line per field it changes."""
    table = Table(
        "link",
        "action",
        "item",
        "title",
        "fields (old → new)",
        "reason",
        title="sync --dry-run: nothing was written",
    )
    for o in outcomes:
        for action in o.plan.actions:
            changes = "\n".join(change.as_text() for change in field_changes(action))
            title = shorten(item_title(action), 40)
            # People's text is shown as written, never read as Rich markup (`[WIP]`).
            cells = (*describe(action), title, changes, action.reason)
            table.add_row(o.name, *(Text(cell) for cell in cells))
    return table


def pull_table(report: PullReport) -> Table:
    """One row per scope pulled."""
    table = Table("scope", "changed", "comments", "requests", "result")
    for o in report.outcomes:
        result = (o.skipped or "ok") if o.ok else f"[red]failed[/red]: {o.error}"
        table.add_row(o.scope, str(o.changed), str(o.comments), str(o.requests), result)
    return table


def sync_table(outcomes: list[LinkOutcome]) -> Table:
    """One row per link synced."""
    table = Table("link", "planned", "writes", "conflicts", "failed", "result")
    for o in outcomes:
        summary = o.summary()
        result = o.skipped or ("ok" if o.exit_code == 0 else "failed")
        counts = (
            summary["planned"],
            summary["writes"],
            len(summary["conflicts"]),
            len(summary["errors"]),
        )
        table.add_row(o.name, *(str(n) for n in counts), result)
    return table


def comment_lines(outcomes: list[LinkOutcome]) -> list[str]:
    """Per link synced, the comments mirrored each way: `web: comments mirrored: ...`."""
    return [
        f"{o.name}: comments mirrored: "
        + ", ".join(f"{frm} → {to} {n}" for frm, to, n in o.comments_mirrored())
        for o in outcomes
        if o.report is not None
    ]


def rollup_table(outcomes: list[RollupOutcome], *, dry_run: bool) -> Table:
    """One row per milestone rolled up."""
    table = Table(
        "milestone",
        "done",
        "health",
        "forecast",
        "due",
        "would publish" if dry_run else "published",
    )
    for o in outcomes:
        r = o.rollup
        written = len(o.publishes) if dry_run else o.published
        forecast = r.forecast.date.isoformat() if r.forecast.date else "-"
        due = r.due.isoformat() if r.due else "-"
        table.add_row(o.name, f"{r.percent_done}%", r.health.verdict, forecast, due, str(written))
    return table


def would_publish(outcomes: list[RollupOutcome]) -> list[tuple[str, str]]:
    """(where, text) of every description a dry-run rollup would write."""
    found = []
    for o in outcomes:
        for action in o.publishes:
            if isinstance(action, PublishIssue):
                found.append((f"status issue {action.item.ref}", action.body))
            else:
                where = f"{action.milestone.scope} milestone {action.milestone.name!r}"
                found.append((where, action.description))
    return found


def messages(
    pulled: PullReport | None = None,
    synced: list[LinkOutcome] | None = None,
    rolled: list[RollupOutcome] | None = None,
) -> list[str]:
    """Every failure, conflict and warning of a cycle, one line each."""
    lines = [str(o.error) for o in (pulled.outcomes if pulled else []) if o.error is not None]
    for o in synced or []:
        summary = o.summary()
        lines += [conflict_line(record) for record in summary["conflict_records"]]
        lines += [f"{o.name}: {line}" for line in summary["errors"]]
        lines += [f"{o.name}: warning: {w}" for w in sorted(set(o.plan.warnings))]
    for r in rolled or []:
        lines += [f"{r.name}: {error}" for error in r.errors]
    return lines


def conflict_line(record: dict[str, Any]) -> str:
    """`web: conflict on title of jira:WEB#WEB-1 ↔ gh:acme/web#1: Jira 'A', GitHub 'B';
    GitHub's kept (newest)`: both values, so the losing one is not silently gone."""
    return f"{record['link']}: conflict on {ConflictRecord(**record).sentence()}"


# What a cycle's exit code is recorded as; `health` reads it back.
OUTCOMES = {0: "ok", 1: "failed"}
# Cycles that ran to their end: "failed" means some items failed (exit 1), not the cycle.
COMPLETED = frozenset(OUTCOMES.values())
CYCLE_COMMAND = "run"


def outcome(code: int) -> str:
    """The run record's outcome for an exit code: ok, failed (items failed) or error."""
    return OUTCOMES.get(code, "error")


def last_completed_cycle(records: list[dict[str, Any]], since: datetime) -> dict[str, Any] | None:
    """The newest `run` cycle that completed (exit 0 or 1) at or after `since`, if any."""
    for record in records:
        finished = datetime.fromisoformat(str(record["finished_at"]).replace("Z", "+00:00"))
        if (
            record["command"] == CYCLE_COMMAND
            and record["outcome"] in COMPLETED
            and finished >= since
        ):
            return record
    return None
