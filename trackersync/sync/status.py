"""The unified status document, built from the state store alone (no network).

Its JSON form is a stable interface for other tools: see docs/status-json.md. Bump
`STATUS_VERSION` on any change that is not a pure addition.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from trackersync.sync.model import StatusCategory, Task, iso
from trackersync.sync.state import StateStore

STATUS_VERSION = 1
CATEGORIES = [category.value for category in StatusCategory]


def counts(tasks: list[Task]) -> dict[str, int]:
    """`tasks` plus one count per status category (every category present)."""
    by_category = Counter(task.status.category.value for task in tasks)
    return {"tasks": len(tasks), **{name: by_category.get(name, 0) for name in CATEGORIES}}


def build_status(
    store: StateStore, scopes: list[str], links: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """The status document: totals, one entry per configured scope, links, milestones."""
    pulls = store.pulls()
    by_scope: dict[str, list[Task]] = {scope: [] for scope in scopes}
    for task in store.tasks():
        by_scope.setdefault(str(task.ref.scope_ref), []).append(task)
    every = [task for scope in scopes for task in by_scope[scope]]
    return {
        "version": STATUS_VERSION,
        "generated_at": iso(now),
        "totals": counts(every),
        "scopes": [
            {"ref": scope, "last_pull": pulls.get(scope), **counts(by_scope[scope])}
            for scope in scopes
        ],
        "links": links,
        "milestones": [],
    }
