"""Due dates of milestones that exist on both sides of a link (issue 9 §3.4).

A GitHub milestone's `due_on` and the Jira version it maps to (`releaseDate`) are one
date: when one side's changes, the other follows; a date cleared clears the other. The
dates the pair last agreed on (`MilestoneDates`) tell which side moved. This step stands
apart from the per-item `plan`: it reads only the milestones the pull already stored, so
a quiet cycle costs no request, and it never touches item pairs.

A pair seen for the first time is only remembered, whatever its dates: an existing
milestone keeps its own date (as when the pair was made by a create), and only later
changes travel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from trackersync.errors import TrackersyncError
from trackersync.sync.actions import Action, AgreeDues, MilestoneDue, SideName
from trackersync.sync.apply import STOPPING, ApplyReport
from trackersync.sync.link import LinkSpec, corrected, other
from trackersync.sync.model import Milestone
from trackersync.sync.plan import Conflict
from trackersync.sync.state.milestone_dates import Dues, MilestoneDates, PairKey

FIELD = "milestone_due"


@dataclass
class DatePlan:
    """The milestone-date actions of one link and the conflicts they settled."""

    actions: list[Action] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


class DueWriter(Protocol):
    """What writing a due date needs of a connector."""

    def update_milestone_due(self, milestone: Milestone, due: date | None) -> Milestone: ...  # noqa: D102


def plan_dates(
    milestones: Iterable[Milestone], agreed: Mapping[PairKey, Dues], link: LinkSpec
) -> DatePlan:
    """The writes that bring each milestone pair's due dates in step (no I/O)."""
    result = DatePlan()
    if "milestone" not in link.fields:  # a link that does not sync milestones
        return result
    for pair, (source, target) in sorted(_pairs(milestones, link).items()):
        base = agreed.get(pair)
        current = (source.due, target.due)
        if base is None or source.due == target.due:
            if base != current:
                reason = f"milestone {pair[0]} ↔ {pair[1]}: due dates in step"
                result.actions.append(
                    AgreeDues(link=link.name, reason=reason, pair=pair, dues=current)
                )
            continue
        moved = {"source": source.due != base[0], "target": target.due != base[1]}
        winner = _winner(moved, source, target, link)
        if winner is None:
            continue
        if moved["source"] and moved["target"]:
            rule = link.conflict if link.two_way else "source"
            refs = (f"{source.scope}:{source.name}", f"{target.scope}:{target.name}")
            result.conflicts.append(
                Conflict(*refs, FIELD, _iso(source.due), _iso(target.due), winner, rule)
            )
        written = target if winner == "source" else source
        due = source.due if winner == "source" else target.due
        result.actions.append(_write(link, pair, winner, written, due))
    return result


def _pairs(
    milestones: Iterable[Milestone], link: LinkSpec
) -> dict[PairKey, tuple[Milestone, Milestone]]:
    """Source and target milestones that mirror each other: by the link's milestones map,
    else by the same name (as items carry them)."""
    by_scope: dict[str, dict[str, Milestone]] = {}
    for milestone in milestones:
        by_scope.setdefault(str(milestone.scope), {})[milestone.name] = milestone
    sources = by_scope.get(str(link.source.scope), {})
    targets = by_scope.get(str(link.target.scope), {})
    pairs = {}
    for name, source in sources.items():
        target = targets.get(link.milestones.get(name, name))
        if target is not None:
            pairs[(name, target.name)] = (source, target)
    return pairs


def _winner(
    moved: Mapping[str, bool], source: Milestone, target: Milestone, link: LinkSpec
) -> SideName | None:
    if moved["source"] and moved["target"]:
        return _by_rule(source, target, link)
    if moved["source"]:
        return "source"
    return "target" if moved["target"] and link.two_way else None


def _by_rule(source: Milestone, target: Milestone, link: LinkSpec) -> SideName:
    """The engine's conflict rule. "newest" compares the milestones' own modification
    times (clock-corrected) where both sides have one (GitHub's `updated_at`); a Jira
    version has none, so the source wins there: the same pair always settles the same way."""
    if not link.two_way or link.conflict == "source":
        return "source"
    if link.conflict == "target":
        return "target"
    stamps = _updated(source), _updated(target)
    if stamps[0] is None or stamps[1] is None:
        return "source"
    newer = corrected(stamps[1], link.target) > corrected(stamps[0], link.source)
    return "target" if newer else "source"


def _updated(milestone: Milestone) -> datetime | None:
    text = milestone.raw.get("updated_at")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _write(
    link: LinkSpec, pair: PairKey, winner: SideName, written: Milestone, due: date | None
) -> MilestoneDue:
    was = written.due
    reason = f"milestone {written.scope}:{written.name}: due date {_iso(was)} → {_iso(due)}"
    return MilestoneDue(
        link=link.name, reason=reason, side=other(winner), pair=pair, milestone=written, due=due
    )


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def apply_dates(
    actions: Iterable[Action],
    writers: Mapping[SideName, DueWriter],
    agreed: MilestoneDates,
    report: ApplyReport,
    save: Callable[[Milestone], None],
) -> None:
    """Perform the date actions into `report`; a failed write stays unagreed (retried
    next cycle), a refused system stops the rest as `apply` does."""
    for action in actions:
        if report.stopped is not None:
            return
        try:
            _apply_one(action, writers, agreed, save)
        except STOPPING as exc:
            report.stopped = exc
            report.failed.append((action, str(exc)))
        except TrackersyncError as exc:
            report.failed.append((action, str(exc)))
        else:
            report.applied.append(action)


def _apply_one(
    action: Action,
    writers: Mapping[SideName, DueWriter],
    agreed: MilestoneDates,
    save: Callable[[Milestone], None],
) -> None:
    if isinstance(action, AgreeDues):
        agreed.record(action.pair, action.dues)
        return
    if not isinstance(action, MilestoneDue):
        raise TypeError(f"unknown action {type(action).__name__}")
    written = writers[action.side].update_milestone_due(action.milestone, action.due)
    # Stored as written, so that the next cycle, which may not read milestones again
    # (a 304), compares against it and not against the date before the write.
    save(written)
    dues = (written.due, action.due) if action.side == "source" else (action.due, written.due)
    agreed.record(action.pair, dues)
