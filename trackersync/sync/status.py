"""The unified status document, built from what the state store holds (no network).

Its JSON form is a stable interface for other tools (documented in the README). Bump
`STATUS_VERSION` on any change that is not a pure addition.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trackersync.sync.model import CATEGORIES, Task, category_counts, iso

__all__ = ["CATEGORIES", "STATUS_VERSION", "build_status"]

STATUS_VERSION = 1


def build_status(
    tasks: list[Task],
    pulls: dict[str, str],
    scopes: list[str],
    links: list[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """The status document: totals, one entry per configured scope, links; the caller
    adds the milestones' rollups."""
    by_scope: dict[str, list[Task]] = {scope: [] for scope in scopes}
    for task in tasks:
        by_scope.setdefault(str(task.ref.scope_ref), []).append(task)
    every = [task for scope in scopes for task in by_scope[scope]]
    return {
        "version": STATUS_VERSION,
        "generated_at": iso(now),
        "totals": category_counts(every),
        "scopes": [
            {"ref": scope, "last_pull": pulls.get(scope), **category_counts(by_scope[scope])}
            for scope in scopes
        ],
        "links": links,
        "milestones": [],
    }
