"""Milestone rollups: one status per release across every tool, computed from the store.

Pure: the caller passes the items, the twins, the history and today's date. Every count
is of work items (an item and its copies across all links count once, see work_items.py).
How each number is computed is documented in docs/rollups.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from trackersync.sync.documents import (
    Counts,
    DayPoint,
    Forecast,
    Health,
    Item,
    Rollup,
    ScopeChange,
    Verdict,
)
from trackersync.sync.model import Milestone, Ref, StatusCategory, Task
from trackersync.sync.work_items import Identities, WorkItem, category_counts, group, natural

__all__ = ["DayPoint", "Member", "RollupInput", "compute", "forecast_finish", "select"]

OPEN = (StatusCategory.TODO, StatusCategory.IN_PROGRESS)
THROUGHPUT_WINDOW = 14
MIN_HISTORY_DAYS = 3
AT_RISK_SLACK = timedelta(days=7)
EMPTY = "no items selected"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The selector keys a member may use, per what they compare.
MILESTONE_KEYS = ("milestone", "fixVersion")


@dataclass(frozen=True)
class Member:
    """A milestone member: a scope and what selects its items."""

    scope: str
    selector: Mapping[str, str]
    # The item keys a `jql` selector matched (the connector evaluates the query).
    keys: frozenset[str] = frozenset()

    def selects(self, task: Task) -> bool:
        """Whether `task` belongs to this member."""
        if str(task.ref.scope_ref) != self.scope:
            return False
        return all(
            task.ref.key in self.keys if key == "jql" else _matches(task, key, wanted)
            for key, wanted in self.selector.items()
        )


def _matches(task: Task, key: str, wanted: str) -> bool:
    if key in MILESTONE_KEYS:
        # Every fixVersion counts: an item in [1.9, 2.0] belongs to both releases.
        names = task.fix_versions or ((task.milestone,) if task.milestone else ())
        return wanted in names
    if key == "epic":
        return task.parent is not None and Ref.parse(task.parent).key == wanted
    if key == "label":
        return wanted in task.labels
    raise ValueError(f"unknown member selector {key!r}")  # the config loader refuses these


@dataclass(frozen=True)
class RollupInput:
    """Everything one rollup needs."""

    name: str
    members: list[Member]
    tasks: list[Task]
    # Work-item identities across all links (a mapping: pairs of unknown mirror side).
    twins: Identities | Mapping[str, str]
    today: date
    due: date | None = None
    milestones: list[Milestone] = field(default_factory=list)
    history: list[DayPoint] = field(default_factory=list)
    baseline: frozenset[str] | None = None
    stale_after: timedelta = timedelta(days=14)


def select(members: list[Member], tasks: Iterable[Task], identities: Identities) -> list[WorkItem]:
    """The work items any copy of which a member selects (each work item once)."""
    return [
        item
        for item in group(tasks, identities)
        if any(member.selects(task) for task in item.copies for member in members)
    ]


def compute(data: RollupInput) -> Rollup:
    """The rollup of one milestone: what the status document and publishing show."""
    identities = as_identities(data.twins)
    everything = {item.identity: item for item in group(data.tasks, identities)}
    items = select(data.members, data.tasks, identities)
    counts = Counts(**category_counts(items))
    history = _merge_history(data.history, DayPoint(data.today, counts.scope, counts.done))
    due = data.due or _latest_due(data)
    open_items = [item for item in items if item.category in OPEN]
    stale = data.stale_after
    lists = {
        "overdue": [i for i in open_items if i.due is not None and i.due < data.today],
        "unassigned": [i for i in open_items if not i.assigned],
        "blocked": [i for i in open_items if i.blocked],
        "stale": [i for i in open_items if data.today - i.updated_at.date() > stale],
    }
    forecast = forecast_finish(history, data.today)
    current = {item.identity for item in items}
    # Baselines written before work-item identity hold copies' refs: name them by identity.
    first = current if data.baseline is None else {identities.of(r) for r in data.baseline}
    return Rollup(
        name=data.name,
        due=due,
        counts=counts,
        percent_done=round(100 * counts.done / counts.scope, 1) if counts.scope else 0.0,
        **{name: [entry(item) for item in found] for name, found in lists.items()},
        items=sorted(current),
        scope=ScopeChange(
            added=[entry(everything[ref]) for ref in sorted(current - first, key=natural)],
            removed=[_known(ref, everything) for ref in sorted(first - current, key=natural)],
        ),
        history=history,
        forecast=forecast,
        health=health(counts.scope - counts.done, due, forecast, lists, data.today),
    )


def as_identities(twins: Identities | Mapping[str, str]) -> Identities:
    """`twins` as work-item identities (a plain mapping: pairs of unknown mirror side)."""
    return twins if isinstance(twins, Identities) else Identities.from_twins(twins)


def entry(item: WorkItem) -> Item:
    """A work item as listed: its origin's ref and link, its latest copy's title and status."""
    return Item(
        ref=item.identity,
        title=item.latest.title,
        url=item.origin.url,
        status=item.latest.status.name,
        due=item.due,
        copies=sorted(str(t.ref) for t in item.copies),
    )


def _known(ref: str, everything: Mapping[str, WorkItem]) -> Item:
    # An item that left the milestone is usually still in the store (moved elsewhere).
    return entry(everything[ref]) if ref in everything else Item(ref=ref, copies=[ref])


def _latest_due(data: RollupInput) -> date | None:
    names = {value for m in data.members for k, value in m.selector.items() if k in MILESTONE_KEYS}
    dues = [m.due for m in data.milestones if m.name in names and m.due is not None]
    return max(dues, default=None)


def _merge_history(history: list[DayPoint], today: DayPoint) -> list[DayPoint]:
    kept = [point for point in history if point.day < today.day]
    return sorted([*kept, today], key=lambda p: p.day)


def done_on(history: list[DayPoint], day: date) -> float:
    """The done count on `day`, read linearly between the runs around it (gaps included)."""
    before = [p for p in history if p.day <= day]
    after = [p for p in history if p.day >= day]
    if not before:
        return float(history[0].done)
    if not after:
        return float(history[-1].done)
    low, high = before[-1], after[0]
    if low.day == high.day:
        return float(low.done)
    fraction = (day - low.day).days / (high.day - low.day).days
    return low.done + fraction * (high.done - low.done)


def forecast_finish(history: list[DayPoint], today: date) -> Forecast:
    """Finish date from the done-per-day rate over the last `THROUGHPUT_WINDOW` days.

    Days without a run are read between the runs around them, so a gap in the history
    shortens nothing: the window is the last 14 days, or all the history when shorter.
    """
    latest = history[-1]
    remaining = latest.total - latest.done
    if latest.total == 0:
        return Forecast(note=EMPTY)
    if remaining <= 0:
        return Forecast(date=today, basis="every item is done", note="complete")
    start = max(history[0].day, today - timedelta(days=THROUGHPUT_WINDOW))
    span = (latest.day - start).days
    if span < MIN_HISTORY_DAYS:
        note = f"too little history: {span} day(s), at least {MIN_HISTORY_DAYS} needed"
        return Forecast(window_days=span, note=note)
    per_day = (latest.done - done_on(history, start)) / span
    if per_day <= 0:
        basis = f"nothing was done over the last {span} days"
        return Forecast(per_day=0.0, window_days=span, basis=basis, note="nothing finished")
    finish = today + timedelta(days=math.ceil(remaining / per_day))
    basis = f"{rate_text(per_day)} done/day over the last {span} days → {day_text(finish, today)}"
    return Forecast(date=finish, per_day=round(per_day, 2), window_days=span, basis=basis)


def rate_text(per_day: float) -> str:
    """1.7, 12, 0.25: as many digits as a reader needs."""
    return f"{per_day:.1f}".rstrip("0").rstrip(".") if per_day >= 1 else f"{per_day:.2g}"


def day_text(day: date, today: date | None) -> str:
    """`12 Dec`, with the year when it is not this year's."""
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return text if today is None or day.year == today.year else f"{text} {day.year}"


def plural(count: int, noun: str) -> str:
    """`1 blocked item`, `2 blocked items`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def health(
    remaining: int,
    due: date | None,
    forecast: Forecast,
    lists: Mapping[str, list[WorkItem]],
    today: date,
) -> Health:
    """On track / at risk / off track against `due`, its reasons and one plain sentence."""
    if forecast.note == EMPTY:
        return _verdict("at risk", [EMPTY + ": check the members' selectors"])
    if remaining <= 0:
        return _verdict("on track", ["every item is done"])
    risks = [plural(len(lists[n]), f"{n} item") for n in ("blocked", "overdue") if lists[n]]
    verdict, dated = _against_due(remaining, due, forecast, today)
    if risks and verdict == "on track":
        verdict = "at risk"
    return _verdict(verdict, [*risks, *dated] if verdict != "on track" else [*dated, *risks])


def _against_due(
    remaining: int, due: date | None, forecast: Forecast, today: date
) -> tuple[Verdict, list[str]]:
    if due is None:
        return "on track", ["no due date: only progress is tracked"]
    due_text = day_text(due, today)
    if today > due:
        return "off track", [f"past the due date {due_text} with {plural(remaining, 'item')} open"]
    if forecast.date is None:
        return "at risk", [f"no forecast yet ({forecast.note})"]
    finish = day_text(forecast.date, today)
    if forecast.date > due + AT_RISK_SLACK:
        return "off track", [f"forecast {finish} is more than a week after the due date {due_text}"]
    if forecast.date > due:
        return "at risk", [f"forecast {finish} is after the due date {due_text}"]
    return "on track", [f"forecast {finish} is on or before the due date {due_text}"]


def _verdict(verdict: Verdict, reasons: list[str]) -> Health:
    sentence = f"{verdict[0].upper()}{verdict[1:]}: {'; '.join(reasons)}."
    return Health(verdict=verdict, reasons=reasons, sentence=sentence)
