"""Pulling every scope into the state store.

A scope that fails keeps its old cursor; one failing scope never stops the others, and a
connector that refuses the credentials or cannot be reached is not asked again this run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trackersync.connectors.base import Connector
from trackersync.errors import AuthRefused, ItemFailed, TrackersyncError, Unreachable
from trackersync.sync.model import Milestone, PullResult, Ref, Task
from trackersync.sync.state import StateStore

log = logging.getLogger(__name__)


@dataclass
class ScopeOutcome:
    """What pulling one scope did."""

    scope: str
    changed: int = 0
    comments: int = 0
    requests: int = 0
    error: TrackersyncError | None = None

    @property
    def ok(self) -> bool:
        """Whether the scope was pulled and stored."""
        return self.error is None


@dataclass
class PullReport:
    """Every scope's outcome, in config order."""

    outcomes: list[ScopeOutcome] = field(default_factory=list)
    unsaved: dict[str, PullResult] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 all pulled; 3 a system refused or was unreachable; else 1."""
        codes = [o.error.exit_code for o in self.outcomes if o.error is not None]
        return max(codes, default=0)

    def tasks(self, store: StateStore, scope: str) -> list[Task]:
        """A scope's items: the store's, overlaid with what an unsaved pull found."""
        result = self.unsaved.get(scope)
        stored = store.tasks(scope)
        if result is None:
            return stored
        items = {str(task.ref): task for task in stored}
        items.update({str(task.ref): task for task in result.tasks})
        scope_ref = Ref.parse(scope)
        for key, comments in result.comments.items():
            task = items.get(str(scope_ref.item(key)))
            if task is not None:
                merged = {c.id: c for c in task.comments} | {c.id: c for c in comments}
                items[str(task.ref)] = task.model_copy(update={"comments": tuple(merged.values())})
        return [items[ref] for ref in sorted(items)]

    def milestones(self, store: StateStore) -> list[Milestone]:
        """The store's milestones, with those an unsaved pull re-read in their scope's place."""
        fresh = {
            scope: r.milestones for scope, r in self.unsaved.items() if r.milestones is not None
        }
        kept = [m for m in store.milestones() if str(m.scope) not in fresh]
        return kept + [m for found in fresh.values() for m in found]

    def summary(self) -> dict[str, object]:
        """A JSON-able record for the runs table."""
        return {
            o.scope: {"changed": o.changed, "requests": o.requests, "error": _text(o.error)}
            for o in self.outcomes
        }


def _text(error: TrackersyncError | None) -> str | None:
    return str(error) if error is not None else None


def pull_all(
    connectors: dict[str, Connector],
    store: StateStore,
    *,
    on_scope: Callable[[str], None] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    save: bool = True,
) -> PullReport:
    """Pull every scope of every connector into the store (or, unsaved, into the report)."""
    report = PullReport()
    for name, connector in connectors.items():
        refused: TrackersyncError | None = None
        for scope in connector.scopes:
            ref = f"{name}:{scope}"
            if on_scope is not None:
                on_scope(ref)
            if refused is not None:
                outcome = ScopeOutcome(ref, error=refused)
            else:
                outcome = _pull_one(connector, scope, ref, store, now, None if save else report)
            if isinstance(outcome.error, AuthRefused | Unreachable):
                refused = outcome.error
            report.outcomes.append(outcome)
    return report


def _pull_one(
    connector: Connector,
    scope: str,
    ref: str,
    store: StateStore,
    now: Callable[[], datetime],
    unsaved: PullReport | None,
) -> ScopeOutcome:
    try:
        result = connector.pull(scope, store.cursor(ref))
    except TrackersyncError as exc:
        log.warning("pull failed: %s", exc)
        return ScopeOutcome(ref, error=exc)
    except Exception as exc:  # one broken scope must not abort the run
        log.exception("pull of %s failed unexpectedly", ref)
        return ScopeOutcome(ref, error=ItemFailed(ref, f"internal error: {exc!r}"))
    result = result.model_copy(update={"scope": ref})
    if unsaved is None:
        store.save_pull(result, pulled_at=now())
    else:
        unsaved.unsaved[ref] = result
    comments = sum(len(items) for items in result.comments.values())
    log.info("pulled %s: %d changed, %d requests", ref, len(result.tasks), result.requests)
    return ScopeOutcome(ref, changed=len(result.tasks), comments=comments, requests=result.requests)
