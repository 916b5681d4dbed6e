"""The unified status document, built from what the state store holds (no network).

Its JSON form is a stable interface for other tools (documented in the README, typed in
documents.py). `totals` counts work items (an item and its copies across links once);
each scope counts its own items.
"""

from __future__ import annotations

from datetime import datetime

from trackersync.sync.documents import (
    STATUS_VERSION,
    Counts,
    LinkStatus,
    ScopeStatus,
    StatusDocument,
)
from trackersync.sync.model import CATEGORIES, Task, category_counts, iso
from trackersync.sync.work_items import Identities, group
from trackersync.sync.work_items import category_counts as work_item_counts

__all__ = ["CATEGORIES", "STATUS_VERSION", "build_status"]


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
    by_scope: dict[str, list[Task]] = {scope: [] for scope in scopes}
    for task in tasks:
        by_scope.setdefault(str(task.ref.scope_ref), []).append(task)
    every = [task for scope in scopes for task in by_scope[scope]]
    items = group(every, identities or Identities())
    return StatusDocument(
        generated_at=iso(now),
        totals=Counts(**work_item_counts(items)),
        scopes=[
            ScopeStatus(ref=scope, last_pull=pulls.get(scope), **category_counts(by_scope[scope]))
            for scope in scopes
        ],
        links=links,
    )
