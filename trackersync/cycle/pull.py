"""Pulling every scope into the state store.

A scope that fails keeps its old cursor; one failing scope never stops the others, and a
connector that refuses the credentials or cannot be reached is not asked again this run.

Replicas sharing a store pull each scope once per cycle: the pulls and saves run under
the scopes' locks (`locks.pull_locks`), and a replica that finds a scope's lock taken, or
the scope pulled since its own cycle began, uses what is stored instead of reading it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trackersync.connectors.base import Connector
from trackersync.errors import AuthRefused, ItemFailed, TrackersyncError, Unreachable
from trackersync.sync.model import Milestone, PullResult, Task, iso
from trackersync.sync.state import StateStore
from trackersync.sync.state.locks import pull_locks
from trackersync.sync.state.store import with_pull

log = logging.getLogger(__name__)


@dataclass
class ScopeOutcome:
    """What pulling one scope did."""

    scope: str
    changed: int = 0
    comments: int = 0
    requests: int = 0
    error: TrackersyncError | None = None
    # Why this process did not read the scope itself (the store holds a recent pull).
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the scope was pulled and stored (here, or by another process)."""
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
        # A dry run must plan from exactly what a real run reads back after saving.
        result = self.unsaved.get(scope)
        stored = store.tasks(scope)
        return stored if result is None else with_pull(stored, result)

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
    failed: Mapping[str, TrackersyncError] | None = None,
    verify: Callable[[list[str]], Mapping[str, TrackersyncError]] | None = None,
) -> PullReport:
    """Pull every scope of every connector into the store (or, unsaved, into the report).

    The scopes in `failed` are not pulled and report that error. `verify` is called with
    the scopes this process is about to pull, under their locks and before any is read
    (say, to check their identities): the scopes it answers are not pulled and report the
    error it gives; it may raise to refuse the whole pull."""
    report = PullReport()
    refs = [f"{name}:{scope}" for name, c in connectors.items() for scope in c.scopes]
    with _claimed(store, refs, iso(now()), save) as elsewhere:
        mine = [ref for ref in refs if ref not in elsewhere]
        skipped = {**(failed or {}), **(verify(mine) if verify is not None else {})}
        for name, connector in connectors.items():
            refused: TrackersyncError | None = None
            for scope in connector.scopes:
                ref = f"{name}:{scope}"
                if on_scope is not None:
                    on_scope(ref)
                if ref in elsewhere:
                    outcome = ScopeOutcome(ref, skipped=elsewhere[ref])
                elif refused is not None or ref in skipped:
                    outcome = ScopeOutcome(ref, error=refused or skipped[ref])
                else:
                    outcome = _pull_one(connector, scope, ref, store, now, None if save else report)
                if isinstance(outcome.error, AuthRefused | Unreachable):
                    refused = outcome.error
                report.outcomes.append(outcome)
    return report


@contextmanager
def _claimed(
    store: StateStore, refs: list[str], since: str, save: bool
) -> Iterator[dict[str, str]]:
    """Hold the pull locks of `refs` while the block runs; yields the scopes this process
    leaves to another, each with why. A dry run writes nothing, so it needs no lock."""
    if not save:
        yield {}
        return
    with pull_locks(store, refs, since) as claim:
        pulled = store.pulls()
        # Fresh: saved since this cycle began, or by the pulls this process waited for.
        fresh = min(since, claim.waited_for or since)
        elsewhere = {
            ref: "another process is pulling this scope; using the stored state"
            if ref not in claim.held
            else "pulled by another process during this cycle"
            for ref in refs
            if ref not in claim.held or pulled.get(ref, "") > fresh
        }
        for ref, why in elsewhere.items():
            log.info("not pulling %s: %s", ref, why)
        yield elsewhere


def _stored_items(store: StateStore, ref: str, keys: Sequence[str]) -> dict[str, Task]:
    """The stored tasks (with their comments) of the items `keys` of scope `ref`."""
    return {task.ref.key: task for task in store.tasks(ref, only=[f"{ref}#{k}" for k in keys])}


def _pull_one(
    connector: Connector,
    scope: str,
    ref: str,
    store: StateStore,
    now: Callable[[], datetime],
    unsaved: PullReport | None,
) -> ScopeOutcome:
    try:
        # Items read again at the version the store holds (our own writes of the last
        # cycle, above all) need not be mapped again.
        connector.use_stored(scope, lambda keys: store.updated_at(ref, keys))
        connector.use_stored_items(scope, lambda keys: _stored_items(store, ref, keys))
        result = connector.pull(scope, store.cursor(ref))
    except TrackersyncError as exc:
        # Info, not warning: the run report prints the failure once on stderr.
        log.info("pull failed: %s", exc)
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
