"""A state store bound to one set of systems: another server, a reseeded project, forged or
secret-carrying values. Each case is one row: what the store was built against, what is
configured now, and whether the run is refused; secrets are never stored or printed."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

import pytest
import sqlalchemy as sa

from trackersync.connectors.base import CheckReport, Connector, ConnectorConfig
from trackersync.cycle.identity import bind
from trackersync.cycle.pull import PullReport, ScopeOutcome
from trackersync.errors import ConfigError
from trackersync.sync.model import PullResult
from trackersync.sync.state import StateStore
from trackersync.sync.state import identity as identities


class FakeConfig(ConnectorConfig):
    type: Literal["fake"] = "fake"
    url: str = "https://tracker.example"
    token_env: str = "UNUSED"

    def scope_names(self) -> list[str]:
        return ["WEB"]


class FakeConnector(Connector):
    """Reports whatever identity the case gives it; makes no requests."""

    type: ClassVar[str] = "fake"
    Config: ClassVar[type[ConnectorConfig]] = FakeConfig

    def __init__(self, found: dict[str, Any] | None) -> None:
        super().__init__("jira", FakeConfig(), {})
        self.found = found

    def identity(self, scope: str) -> dict[str, str] | None:
        return self.found

    def check(self) -> CheckReport:
        raise NotImplementedError

    def pull(self, scope: str, cursor: Any) -> PullResult:
        raise NotImplementedError


A = {"url": "https://a.example", "server": "Jira", "project_id": "10000"}
SECRETS = ("s3cret", "0ther", "hunter2")

# (id, built against, configured now, refused?)
CASES = [
    pytest.param(A, A, False, id="same-systems"),
    pytest.param(A, {**A, "url": "https://b.example"}, True, id="another-server-same-key"),
    pytest.param(A, {**A, "project_id": "10001"}, True, id="reseeded-project-same-url"),
    pytest.param(A, {**A, "server": "Staging Jira"}, True, id="another-instance-title"),
    pytest.param(A, {**A, "url": "HTTPS://A.Example/"}, False, id="host-case-and-slash"),
    pytest.param(
        {**A, "url": "https://bot:s3cret@a.example"},
        {**A, "url": "https://bot:0ther@b.example?password=hunter2"},
        True,
        id="credentials-in-urls",
    ),
    pytest.param(
        {**A, "url": "https://bot:s3cret@a.example"}, A, False, id="credentials-are-not-identity"
    ),
    pytest.param(
        A,
        {**A, "server": "Jira\ntrackersync: state store agrees \x1b[2J"},
        True,
        id="forged-second-line-and-escapes",
    ),
    pytest.param(A, {**A, "server": "J" * 5000}, True, id="enormous-title"),
    pytest.param({"url": A["url"]}, A, False, id="server-reports-more-keys-now"),
    pytest.param(A, {"url": A["url"]}, False, id="server-reports-fewer-keys-now"),
    pytest.param(A, None, False, id="connector-without-identity"),
    pytest.param(None, A, False, id="first-use"),
]


def pulled() -> PullReport:
    return PullReport(outcomes=[ScopeOutcome("jira:WEB")])


def rows(store: StateStore) -> list[Any]:
    with store.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(identities.tables.identities))]


@pytest.mark.parametrize(("built", "now", "refused"), CASES)
def test_a_store_runs_only_against_the_systems_it_was_built_against(
    state_url: str, built: dict | None, now: dict | None, refused: bool
) -> None:
    store = StateStore(state_url)
    bind({"jira": FakeConnector(built)}, store, rebind=False).remember(store, pulled())
    stored_before = rows(store) if store.exists() else []
    if refused:
        with pytest.raises(ConfigError) as caught:
            bind({"jira": FakeConnector(now)}, store, rebind=False)
        message = str(caught.value)
        assert message.startswith(f"state store {store.url.drivername}")
        assert "\n" not in message
        assert "\x1b" not in message
        assert len(message) < 1000
        assert message.endswith("pass --rebind after a deliberate move")
    else:
        bind({"jira": FakeConnector(now)}, store, rebind=False).remember(store, pulled())
        message = ""
    if refused:
        assert rows(store) == stored_before  # nothing written
    # A deliberate move is accepted and recorded as it is now.
    bind({"jira": FakeConnector(now)}, store, rebind=True).remember(store, pulled())
    # (A connector that reports nothing leaves the earlier record alone.)
    kept = now or built
    assert identities.recorded(store).get("jira:WEB") == (identities.clean(kept) if kept else None)
    everything = f"{message} {rows(store) if store.exists() else ''}"
    assert not [secret for secret in SECRETS if secret in everything]


def test_the_recorded_time_is_utc_text(state_url: str) -> None:
    store = StateStore(state_url)
    bind({"jira": FakeConnector(A)}, store, rebind=False).remember(store, pulled())
    [(scope, data, recorded_at)] = rows(store)
    assert (scope, data) == ("jira:WEB", A)
    assert datetime.fromisoformat(recorded_at.replace("Z", "+00:00")).tzinfo is not None
