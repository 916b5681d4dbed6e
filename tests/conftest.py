"""Fixtures every test shares: a clean environment and the state store on both databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from spec_referee import SESSION_COST, Referee

from trackersync.sandbox.core import observing

POSTGRES_URL = os.environ.get(
    "TRACKERSYNC_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SECRET_VARIABLES = (
    "GITHUB_TOKEN",
    "JIRA_EMAIL",
    "JIRA_TOKEN",
    "DEMO_GITHUB_TOKEN",
    "DEMO_JIRA_EMAIL",
    "DEMO_JIRA_TOKEN",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRACKERSYNC_") or name in SECRET_VARIABLES:
            monkeypatch.delenv(name)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say what the API-description referee cost, so its share of the suite is visible."""
    if SESSION_COST.exchanges:
        terminalreporter.write_line(
            f"spec referee: {SESSION_COST.exchanges} sandbox exchanges judged, "
            f"{SESSION_COST.seconds:.1f} s CPU"
        )


@pytest.fixture(autouse=True)
def api_referee(request: pytest.FixtureRequest) -> Iterator[Referee]:
    """Every sandbox exchange of every test is checked against the official descriptions.

    A test that breaks the API on purpose (to see the sandbox's error answer) carries
    `@pytest.mark.spec_exempt("why")`; its exchanges are still checked, not failed on.
    """
    referee = Referee()
    with observing(referee):
        yield referee
    found = list(referee.report())
    if found and request.node.get_closest_marker("spec_exempt") is None:
        pytest.fail(
            f"{len(found)} request(s) or answer(s) the API descriptions do not allow:\n"
            + "\n".join(found),
            pytrace=False,
        )


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A state URL on the real PostgreSQL server, in a schema of its own, dropped after."""
    schema = f"ts_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty state store URL: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh state URL on the real PostgreSQL server."""
    with postgres_schema() as url:
        yield url
