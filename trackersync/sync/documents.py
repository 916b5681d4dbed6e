"""The typed documents trackersync publishes: a milestone's rollup and the status document.

Their JSON form (`model_dump(mode="json")`) is the stable interface other tools read,
documented in the README under "`status --format json`". Bump `STATUS_VERSION` on any
change that is not a pure addition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trackersync.sync.action_changes import shorten

STATUS_VERSION: Literal[2] = 2
Verdict = Literal["on track", "at risk", "off track"]


@dataclass(frozen=True)
class DayPoint:
    """One day of the burn-up: scope (work items less canceled) and done."""

    day: dt.date
    total: int
    done: int

    def as_json(self) -> dict[str, Any]:
        """For the state store."""
        return {"day": self.day.isoformat(), "total": self.total, "done": self.done}


class _Document(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Counts(_Document):
    """How many work items (or, per scope, items) there are, and per status category."""

    tasks: int = 0
    todo: int = 0
    in_progress: int = 0
    done: int = 0
    canceled: int = 0

    @property
    def scope(self) -> int:
        """What there is to do: everything less what was canceled."""
        return self.tasks - self.canceled


class Item(_Document):
    """One work item in a list: named by its origin, shown as its latest copy."""

    ref: str
    title: str = ""
    url: str | None = None
    status: str = ""
    due: dt.date | None = None
    # Every copy's ref, across all links (the work item's own ref among them).
    copies: list[str] = Field(default_factory=list)


class ScopeChange(_Document):
    """Work items in the milestone now that were not at its first rollup, and the reverse."""

    added: list[Item] = Field(default_factory=list)
    removed: list[Item] = Field(default_factory=list)


class Forecast(_Document):
    """When the milestone would finish at the recent pace, and what that rests on."""

    date: dt.date | None = None
    per_day: float | None = None
    # The days of history the rate is taken over (None without a rate).
    window_days: int | None = None
    # In words: "1.7 done/day over the last 14 days → 12 Dec".
    basis: str = ""
    note: str = ""


class Health(_Document):
    """The verdict against the due date, its reasons, and one sentence for people."""

    verdict: Verdict
    reasons: list[str] = Field(default_factory=list)
    sentence: str = ""


class Rollup(_Document):
    """One milestone across every tool; counts are work items (twins counted once)."""

    name: str
    due: dt.date | None = None
    counts: Counts
    percent_done: float
    overdue: list[Item] = Field(default_factory=list)
    unassigned: list[Item] = Field(default_factory=list)
    blocked: list[Item] = Field(default_factory=list)
    stale: list[Item] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list)
    scope: ScopeChange = Field(default_factory=ScopeChange)
    history: list[DayPoint] = Field(default_factory=list)
    forecast: Forecast
    health: Health


class ScopeStatus(Counts):
    """One configured scope: its own items (a twin counts in each scope it lives in)."""

    ref: str
    last_pull: str | None = None


class LinkStatus(_Document):
    """One link and its last sync."""

    name: str
    source: str
    target: str
    last_sync: str | None = None
    errors: list[str] = Field(default_factory=list)


class ConflictRecord(_Document):
    """A field both sides changed: both values and which one the link's rule kept."""

    link: str
    at: str | None = None
    field: str
    source_ref: str
    target_ref: str
    source_value: Any = None
    target_value: Any = None
    winner: Literal["source", "target"]
    rule: str
    # The systems of the link's source and target ("Jira", "GitHub"), for people.
    systems: list[str] = Field(default_factory=lambda: ["source", "target"])

    @property
    def kept(self) -> Any:
        """The value both sides hold now."""
        return self.source_value if self.winner == "source" else self.target_value

    @property
    def lost(self) -> Any:
        """The value that was overwritten (never silently gone: it is listed here)."""
        return self.target_value if self.winner == "source" else self.source_value

    def sentence(self, limit: int = 80) -> str:
        """`title of jira:WEB#WEB-1 ↔ gh:acme/web#1: Jira 'A', GitHub 'B'; GitHub's kept
        (newest)`, values shortened to `limit` characters."""
        source, target = self.systems[0], self.systems[-1]
        kept = source if self.winner == "source" else target
        return (
            f"{self.field} of {self.source_ref} ↔ {self.target_ref}: "
            f"{source} {shorten(self.source_value, limit)!r}, "
            f"{target} {shorten(self.target_value, limit)!r}; {kept}'s kept ({self.rule})"
        )


class StatusDocument(_Document):
    """`status --format json`, version 2: `totals` counts work items, `scopes` items."""

    version: Literal[2] = STATUS_VERSION
    generated_at: str
    totals: Counts
    scopes: list[ScopeStatus] = Field(default_factory=list)
    links: list[LinkStatus] = Field(default_factory=list)
    milestones: list[Rollup] = Field(default_factory=list)
    # The most recent conflicts of the recorded runs, newest first.
    conflicts: list[ConflictRecord] = Field(default_factory=list)
