"""What a cycle did, for people: tables for stdout and one-line messages for stderr."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from trackersync.cycle import LinkOutcome, PullReport, RollupOutcome
from trackersync.sync.actions import Action, Create, MirrorComment, Update
from trackersync.sync.publish import PublishIssue


def describe(action: Action) -> tuple[str, str, str]:
    """(what, item, fields) of an action."""
    if isinstance(action, Create):
        fields = ", ".join(sorted(action.fields.model_fields_set))
        return "create", f"in {action.scope} from {action.origin.ref}", fields
    if isinstance(action, Update):
        return "update", str(action.item.ref), ", ".join(sorted(action.changes.model_fields_set))
    if isinstance(action, MirrorComment):
        what = "edit comment" if action.existing else "comment"
        return what, str(action.item.ref), f"from {action.copy_.origin.marker_id}"
    item = getattr(action, "source_ref", getattr(action, "mirror_ref", ""))
    return f"record ({type(action).__name__.lower()})", item, ""


def plan_json(outcomes: list[LinkOutcome]) -> dict[str, Any]:
    """A dry run's plan as JSON."""
    rows = [
        {
            "link": o.name,
            **dict(zip(("action", "item", "fields"), describe(a), strict=True)),
            "reason": a.reason,
        }
        for o in outcomes
        for a in o.plan.actions
    ]
    return {"dry_run": True, "actions": rows}


def plan_table(outcomes: list[LinkOutcome]) -> Table:
    """A dry run's plan as a table."""
    table = Table(
        "link", "action", "item", "fields", "reason", title="sync --dry-run: nothing was written"
    )
    for o in outcomes:
        for action in o.plan.actions:
            table.add_row(o.name, *describe(action), action.reason)
    return table


def pull_table(report: PullReport) -> Table:
    """One row per scope pulled."""
    table = Table("scope", "changed", "comments", "requests", "result")
    for o in report.outcomes:
        result = "ok" if o.ok else f"[red]failed[/red]: {o.error}"
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
        forecast, due = r["forecast"]["date"] or "-", r["due"] or "-"
        table.add_row(
            o.name, f"{r['percent_done']}%", r["health"]["verdict"], forecast, due, str(written)
        )
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
        lines += [f"{o.name}: {line}" for line in [*summary["conflicts"], *summary["errors"]]]
        lines += [f"{o.name}: warning: {w}" for w in sorted(set(o.plan.warnings))]
    for r in rolled or []:
        lines += [f"{r.name}: {error}" for error in r.errors]
    return lines
