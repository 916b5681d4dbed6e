"""The status document of a deployment, from its state store alone (no network)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trackersync.config.loading import Settings
from trackersync.cycle.rollups import compute_rollups
from trackersync.sync.documents import ConflictRecord, LinkStatus, StatusDocument
from trackersync.sync.state import StateStore
from trackersync.sync.state.links import work_item_identities
from trackersync.sync.status import status_from_states


def status_document(settings: Settings, now: datetime) -> StatusDocument:
    """Totals, scopes, links with their last sync, milestones with their rollups."""
    store = StateStore(settings.state)
    last = last_syncs(store)
    links = [
        LinkStatus(
            name=link.name,
            source=link.source,
            target=link.target,
            last_sync=last.get(link.name, {}).get("at"),
            errors=last.get(link.name, {}).get("errors", []),
        )
        for link in settings.links
    ]
    # Counting needs only the indexed columns; whole items are read (by `compute_rollups`)
    # only when milestones are configured.
    states = store.item_states()
    identities = work_item_identities(store)
    pulls = store.pulls()
    document = status_from_states(states, pulls, settings.scopes(), links, now, identities)
    rollups = compute_rollups(settings, store, now.date())
    milestones = [rollup for _, rollup in rollups]
    return document.model_copy(
        update={"milestones": milestones, "conflicts": recent_conflicts(store)}
    )


def recent_conflicts(store: StateStore, limit: int = 20) -> list[ConflictRecord]:
    """The conflicts the latest recorded runs resolved, newest first, both values each."""
    found: list[ConflictRecord] = []
    for run in store.runs(limit=50):
        for summary in run["summary"].get("links", {}).values():
            for record in summary.get("conflict_records", []):
                found.append(ConflictRecord(at=run["finished_at"], **record))
    return found[:limit]


def last_syncs(store: StateStore) -> dict[str, dict[str, Any]]:
    """Each link's most recent sync: when it finished and the errors it reported."""
    found: dict[str, dict[str, Any]] = {}
    for run in store.runs(limit=50):
        for name, summary in run["summary"].get("links", {}).items():
            found.setdefault(name, {"at": run["finished_at"], "errors": summary.get("errors", [])})
    return found
