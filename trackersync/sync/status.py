"""The unified status document, built from what the state store holds (no network).

Its JSON form is a stable interface for other tools (documented in the README, typed in
documents.py). `totals` counts work items (an item and its copies across links once);
each scope counts its own items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from trackersync.sync.documents import (
    STATUS_VERSION,
    Counts,
    LinkStatus,
    ScopeStatus,
    StatusDocument,
)
from trackersync.sync.model import CATEGORIES, Task, iso
from trackersync.sync.work_items import Identities

__all__ = ["CATEGORIES", "STATUS_VERSION", "ItemState", "build_status", "status_from_states"]


def build_status(
    tasks: list[Task],
    pulls: dict[str, str],
    scopes: list[str],
    links: list[LinkStatus],
    now: datetime,
    identities: Identities | None = None,
) -> StatusDocument:
    """The status document: work-item totals, one entry per configured scope, links; the
    caller adds the milestones' rollups."""
    states = [ItemState.of(task) for task in tasks]
    return status_from_states(states, pulls, scopes, links, now, identities)


@dataclass(frozen=True, slots=True)
class ItemState:
    """What the status document counts of one item: the state store's indexed columns
    (`StateStore.item_states`), so that `status` builds no `Task` for it."""

    ref: str
    scope: str
    category: str
    updated_at: datetime

    @classmethod
    def of(cls, task: Task) -> ItemState:
        """A task's state."""
        ref = str(task.ref)
        return cls(ref, str(task.ref.scope_ref), task.status.category.value, task.updated_at)


def status_from_states(
    states: Iterable[ItemState],
    pulls: dict[str, str],
    scopes: list[str],
    links: list[LinkStatus],
    now: datetime,
    identities: Identities | None = None,
) -> StatusDocument:
    """`build_status` from the items' states: a work item's category is its copy changed
    last's (as `work_items.WorkItem.category`: latest `updated_at`, then greatest ref)."""
    by_scope: dict[str, list[ItemState]] = {scope: [] for scope in scopes}
    for state in states:
        by_scope.setdefault(state.scope, []).append(state)
    identities = identities or Identities()
    latest: dict[str, ItemState] = {}
    for scope in scopes:
        for state in by_scope[scope]:
            key = identities.of(state.ref)
            found = latest.get(key)
            if found is None or (state.updated_at, state.ref) > (found.updated_at, found.ref):
                latest[key] = state
    return StatusDocument(
        generated_at=iso(now),
        totals=Counts(**_counts(latest.values())),
        scopes=[
            ScopeStatus(ref=scope, last_pull=pulls.get(scope), **_counts(by_scope[scope]))
            for scope in scopes
        ],
        links=links,
    )


def _counts(states: Iterable[ItemState]) -> dict[str, int]:
    """`tasks` plus one count per status category (every category present)."""
    found = Counter(state.category for state in states)
    return {"tasks": sum(found.values()), **{name: found[name] for name in CATEGORIES}}
