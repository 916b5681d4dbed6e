"""Binding the state store to the systems it was built against, before a cycle writes.

Every scope's identity is read first (from the connector, at most one request each); a
scope whose recorded identity differs refuses the whole run (exit 2) before anything is
pulled into the store or written to a tracker. A scope whose identity cannot be read is
not pulled this cycle, so nothing unverified is written.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trackersync.connectors.base import CheckReport, Connector
from trackersync.cycle.pull import PullReport
from trackersync.errors import AuthRefused, ConfigError, ItemFailed, TrackersyncError, Unreachable
from trackersync.sync.state import StateStore
from trackersync.sync.state import identity as identities
from trackersync.sync.state.identity import Identity

log = logging.getLogger(__name__)


@dataclass
class Binding:
    """The identities read this run, the recorded ones, and the scopes left unread."""

    current: dict[str, Identity] = field(default_factory=dict)
    stored: dict[str, Identity] = field(default_factory=dict)
    unread: dict[str, TrackersyncError] = field(default_factory=dict)
    rebind: bool = False

    def remember(self, store: StateStore, pulled: PullReport) -> None:
        """Record the identities of the scopes pulled this run that are new (or all that
        were pulled, after `--rebind`); before any tracker is written."""
        ok = {outcome.scope for outcome in pulled.outcomes if outcome.ok}
        current = {scope: found for scope, found in self.current.items() if scope in ok}
        changes = identities.to_record(self.stored, current, rebind=self.rebind)
        identities.record(store, changes, datetime.now(UTC))
        self.stored.update(changes)


def read(connectors: dict[str, Connector], only: Collection[str] | None = None) -> Binding:
    """Every scope's identity (or those in `only`); a connector that refused or could not
    be reached is not asked again, as in a pull."""
    binding = Binding()
    for name, connector in connectors.items():
        refused: TrackersyncError | None = None
        for scope in connector.scopes:
            ref = f"{name}:{scope}"
            if only is not None and ref not in only:
                continue
            if refused is not None:
                binding.unread[ref] = refused
                continue
            try:
                found = connector.identity(scope)
            except TrackersyncError as exc:
                # Info, not warning: the run report prints the failure once on stderr.
                log.info("reading the identity of %s failed: %s", ref, exc)
                binding.unread[ref] = exc
                refused = exc if isinstance(exc, AuthRefused | Unreachable) else None
                continue
            except Exception as exc:  # one broken scope must not abort the run
                log.exception("reading the identity of %s failed unexpectedly", ref)
                binding.unread[ref] = ItemFailed(ref, f"internal error: {exc!r}")
                continue
            if found:
                binding.current[ref] = identities.clean(found)
    return binding


def bind(
    connectors: dict[str, Connector],
    store: StateStore,
    *,
    rebind: bool,
    only: Collection[str] | None = None,
) -> Binding:
    """The identities of this run (of the scopes in `only`: those this replica pulls),
    checked against the store's (unless `rebind`).

    Raises `ConfigError` (exit 2) naming the store, both systems and the fix when a scope
    is configured against another system than the one the store was built against.
    """
    binding = read(connectors, only)
    binding.rebind = rebind
    binding.stored = identities.recorded(store)
    line = None if rebind else refusal(store, binding.current, binding.stored)
    if line is not None:
        raise ConfigError(line)
    return binding


def checked(name: str, connector: Connector, report: CheckReport) -> dict[str, Identity]:
    """For `check`: the identities of the scopes its report found visible. Costs nothing
    more (the connectors keep what their check fetched); call before closing them."""
    found: dict[str, Identity] = {}
    for scope in report.scopes:
        try:
            current = connector.identity(scope.scope) if scope.visible else None
        except TrackersyncError as exc:
            log.warning("reading the identity of %s:%s failed: %s", name, scope.scope, exc)
            continue
        if current:
            found[f"{name}:{scope.scope}"] = identities.clean(current)
    return found


def refusal(
    store: StateStore, current: dict[str, Identity], stored: dict[str, Identity] | None = None
) -> str | None:
    """The line refusing a run against `current`, None when the store agrees (or is new).
    `stored` is what the store recorded, when the caller read it already."""
    recorded = identities.recorded(store) if stored is None else stored
    found = identities.mismatches(recorded, current)
    if not found:
        return None
    return identities.refusal(store.url.render_as_string(hide_password=True), found)
