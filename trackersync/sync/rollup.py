"""Milestone rollups: one status per release across every tool, computed from the store.

Pure: the caller passes the items, the twins, the history and today's date. How each
number is computed is documented in docs/rollups.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from trackersync.sync.model import Milestone, Ref, StatusCategory, Task, category_counts

OPEN = (StatusCategory.TODO, StatusCategory.IN_PROGRESS)
THROUGHPUT_WINDOW = 14
MIN_HISTORY_DAYS = 3
AT_RISK_SLACK = timedelta(days=7)
EMPTY = "no items selected"

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
        names = task.raw.get("fixVersions") or ([task.milestone] if task.milestone else [])
        return wanted in names
    if key == "epic":
        return task.parent is not None and Ref.parse(task.parent).key == wanted
    if key == "label":
        return wanted in task.labels
    raise ValueError(f"unknown member selector {key!r}")  # the config loader refuses these


@dataclass(frozen=True)
class DayPoint:
    """One day of the burn-up: scope (total less canceled) and done."""

    day: date
    total: int
    done: int

    def as_json(self) -> dict[str, Any]:
        """For the status document and the state store."""
        return {"day": self.day.isoformat(), "total": self.total, "done": self.done}


@dataclass(frozen=True)
class RollupInput:
    """Everything one rollup needs."""

    name: str
    members: list[Member]
    tasks: list[Task]
    twins: Mapping[str, str]
    today: date
    due: date | None = None
    milestones: list[Milestone] = field(default_factory=list)
    history: list[DayPoint] = field(default_factory=list)
    baseline: frozenset[str] | None = None
    stale_after: timedelta = timedelta(days=14)


def select(members: list[Member], tasks: Iterable[Task], twins: Mapping[str, str]) -> list[Task]:
    """The members' items, an item and its twin counted once (the one updated last)."""
    partner = {**twins, **{t: s for s, t in twins.items()}}
    chosen: dict[str, Task] = {}
    for task in tasks:
        if not any(member.selects(task) for member in members):
            continue
        ref = str(task.ref)
        identity = min(ref, partner.get(ref, ref))
        current = chosen.get(identity)
        if current is None or task.updated_at > current.updated_at:
            chosen[identity] = task
    return sorted(chosen.values(), key=lambda t: str(t.ref))


def compute(data: RollupInput) -> dict[str, Any]:
    """The rollup of one milestone as the JSON the status document and publishing use."""
    items = select(data.members, data.tasks, data.twins)
    counts = category_counts(items)
    scope = counts["tasks"] - counts["canceled"]
    today_point = DayPoint(data.today, scope, counts["done"])
    history = _merge_history(data.history, today_point)
    due = data.due or _latest_due(data)
    open_items = [t for t in items if t.status.category in OPEN]
    lists = {
        "overdue": [t for t in open_items if t.due is not None and t.due < data.today],
        "unassigned": [t for t in open_items if not t.assignees],
        "blocked": [t for t in open_items if is_blocked(t)],
        "stale": [t for t in open_items if data.today - t.updated_at.date() > data.stale_after],
    }
    forecast = forecast_finish(history, data.today)
    current = frozenset(str(t.ref) for t in items)
    baseline = data.baseline if data.baseline is not None else current
    return {
        "name": data.name,
        "due": due.isoformat() if due else None,
        "counts": counts,
        "percent_done": round(100 * counts["done"] / scope, 1) if scope else 0.0,
        **{name: [_item(t) for t in found] for name, found in lists.items()},
        "items": sorted(current),
        "scope": {"added": sorted(current - baseline), "removed": sorted(baseline - current)},
        "history": [point.as_json() for point in history],
        "forecast": forecast,
        "health": health(scope - counts["done"], due, forecast, lists, data.today),
    }


def is_blocked(task: Task) -> bool:
    """A "blocked" label, a Jira "is blocked by" link, or the Jira flag."""
    if any(label.lower() == "blocked" for label in task.labels) or task.raw.get("flagged"):
        return True
    links = task.raw.get("issuelinks") or []
    return any(link.get("type") == "Blocks" and link.get("direction") == "inward" for link in links)


def _item(task: Task) -> dict[str, Any]:
    return {
        "ref": str(task.ref),
        "title": task.title,
        "url": task.url,
        "status": task.status.name,
        "due": task.due.isoformat() if task.due else None,
    }


def _latest_due(data: RollupInput) -> date | None:
    names = {value for m in data.members for k, value in m.selector.items() if k in MILESTONE_KEYS}
    dues = [m.due for m in data.milestones if m.name in names and m.due is not None]
    return max(dues, default=None)


def _merge_history(history: list[DayPoint], today: DayPoint) -> list[DayPoint]:
    kept = [point for point in history if point.day < today.day]
    return sorted([*kept, today], key=lambda p: p.day)


def forecast_finish(history: list[DayPoint], today: date) -> dict[str, Any]:
    """Finish date from the done-per-day rate over the last `THROUGHPUT_WINDOW` days."""
    basis = f"items done per day over the last {THROUGHPUT_WINDOW} days of history"
    latest = history[-1]
    remaining = latest.total - latest.done
    if latest.total == 0:
        return {"date": None, "per_day": None, "basis": basis, "note": EMPTY}
    if remaining <= 0:
        return {"date": today.isoformat(), "per_day": None, "basis": basis, "note": "complete"}
    window = [p for p in history if (today - p.day).days <= THROUGHPUT_WINDOW]
    span = (window[-1].day - window[0].day).days
    if span < MIN_HISTORY_DAYS:
        note = f"too little history: {span} day(s), at least {MIN_HISTORY_DAYS} needed"
        return {"date": None, "per_day": None, "basis": basis, "note": note}
    per_day = (window[-1].done - window[0].done) / span
    if per_day <= 0:
        return {
            "date": None,
            "per_day": 0.0,
            "basis": basis,
            "note": "nothing finished in the window",
        }
    finish = today + timedelta(days=math.ceil(remaining / per_day))
    return {"date": finish.isoformat(), "per_day": round(per_day, 2), "basis": basis, "note": ""}


def health(
    remaining: int,
    due: date | None,
    forecast: Mapping[str, Any],
    lists: Mapping[str, list[Task]],
    today: date,
) -> dict[str, Any]:
    """On track / at risk / off track against `due`, with the reasons."""
    if forecast.get("note") == EMPTY:
        return {"verdict": "at risk", "reasons": [EMPTY + ": check the members' selectors"]}
    if remaining <= 0:
        return {"verdict": "on track", "reasons": ["every item is done"]}
    reasons: list[str] = []
    verdict = "on track"
    if due is None:
        reasons.append("no due date: only progress is tracked")
    elif today > due:
        return {
            "verdict": "off track",
            "reasons": [f"past due ({due.isoformat()}) with {remaining} open"],
        }
    elif forecast.get("date") is None:
        verdict = "at risk"
        reasons.append(f"no forecast ({forecast.get('note')})")
    else:
        finish = date.fromisoformat(forecast["date"])
        if finish > due + AT_RISK_SLACK:
            verdict = "off track"
            reasons.append(
                f"forecast {finish.isoformat()} is more than a week after due {due.isoformat()}"
            )
        elif finish > due:
            verdict = "at risk"
            reasons.append(f"forecast {finish.isoformat()} is after due {due.isoformat()}")
        else:
            reasons.append(f"forecast {finish.isoformat()} is before due {due.isoformat()}")
    for name in ("blocked", "overdue"):
        if lists[name]:
            verdict = "at risk" if verdict == "on track" else verdict
            reasons.append(f"{len(lists[name])} {name} item(s)")
    return {"verdict": verdict, "reasons": reasons}
