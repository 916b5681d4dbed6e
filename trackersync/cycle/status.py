"""The status document of a deployment, from its state store alone (no network)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trackersync.config.loading import Settings
from trackersync.cycle.rollups import compute_rollups
from trackersync.sync.state import StateStore
from trackersync.sync.status import build_status


def status_document(settings: Settings, now: datetime) -> dict[str, Any]:
    """Totals, scopes, links with their last sync, milestones with their rollups."""
    store = StateStore(settings.state)
    last = last_syncs(store)
    links = [
        {
            "name": link.name,
            "source": link.source,
            "target": link.target,
            "last_sync": last.get(link.name, {}).get("at"),
            "errors": last.get(link.name, {}).get("errors", []),
        }
        for link in settings.links
    ]
    tasks = store.tasks()
    document = build_status(tasks, store.pulls(), settings.scopes(), links, now)
    rollups = compute_rollups(settings, store, now.date(), tasks)
    document["milestones"] = [rollup for _, rollup in rollups]
    return document


def last_syncs(store: StateStore) -> dict[str, dict[str, Any]]:
    """Each link's most recent sync: when it finished and the errors it reported."""
    found: dict[str, dict[str, Any]] = {}
    for run in store.runs(limit=50):
        for name, summary in run["summary"].get("links", {}).items():
            found.setdefault(name, {"at": run["finished_at"], "errors": summary.get("errors", [])})
    return found
