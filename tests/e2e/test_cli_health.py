"""`health` is the container's HEALTHCHECK: alive means `run` cycles keep completing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_runner import run_cli

from trackersync.report.runs import outcome
from trackersync.sync.state import StateStore

CONFIG = """\
state: sqlite:///state.db
connectors:
  gh:
    type: github
    token_env: GITHUB_TOKEN
    repos: [acme/web]
"""
NOW = datetime.now(UTC)
RECENT, OLD = NOW - timedelta(minutes=5), NOW - timedelta(hours=3)


@pytest.mark.parametrize(
    ("records", "healthy"),
    [
        pytest.param([("run", 0, RECENT)], True, id="run-ok"),
        # One item that always fails makes every cycle exit 1: still alive.
        pytest.param([("run", 1, RECENT)], True, id="run-with-a-failing-item"),
        pytest.param([("run", 1, OLD), ("run", 1, RECENT)], True, id="failing-every-cycle"),
        pytest.param([("run", 0, OLD)], False, id="cycles-stopped"),
        pytest.param([("run", 3, RECENT)], False, id="run-did-not-complete"),
        pytest.param([("run", 0, OLD), ("pull", 0, RECENT)], False, id="manual-pull"),
        pytest.param([("sync", 0, RECENT), ("rollup", 0, RECENT)], False, id="manual-commands"),
        pytest.param([], False, id="never-ran"),
    ],
)
def test_health_counts_completed_run_cycles_only(
    tmp_path: Path, records: list[tuple[str, int, datetime]], healthy: bool
) -> None:
    (tmp_path / "trackersync.yaml").write_text(CONFIG)
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    for command, code, finished in records:
        store.record_run(command, finished - timedelta(seconds=30), finished, outcome(code), {})
    result = run_cli("health", "--max-age", "1h", cwd=tmp_path)
    assert result.code == (0 if healthy else 1), result.stderr
    assert "Traceback" not in result.stderr
    if healthy:
        assert "healthy: last run cycle completed at" in result.stdout
    else:
        assert "unhealthy: no run cycle completed since" in result.stderr
