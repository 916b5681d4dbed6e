"""`run` goes on after a cycle raises (recorded, one line logged); only a config error, a
lost identity or SIGTERM end it. The cycle itself is replaced: the loop is under test."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from trackersync import cli
from trackersync.config.example import EXAMPLE_CONFIG
from trackersync.errors import ConfigError
from trackersync.sync.state import StateStore

UNIQUE = sa.exc.IntegrityError(
    "INSERT INTO ts_tasks ...", {}, Exception('duplicate key value violates "ts_tasks_pkey"')
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "trackersync.yaml"
    path.write_text(EXAMPLE_CONFIG.replace("sqlite:///", f"sqlite:///{tmp_path}/", 1))
    return path


def run_loop(
    config: Path, monkeypatch: pytest.MonkeyPatch, cycles: list[Callable[[], int]]
) -> tuple[int, int]:
    """`run --every 1m` whose cycles are `cycles`, with no pause between them; SIGTERM
    arrives during the last. Returns (exit code, cycles run)."""
    handlers: dict[int, Any] = {}
    monkeypatch.setattr(cli.signal, "signal", lambda signum, h: handlers.__setitem__(signum, h))
    monkeypatch.setattr(cli, "_every", lambda every, once: 0.0)
    ran: list[int] = []

    def cycle(*_: Any, **kwargs: Any) -> int:
        ran.append(1)
        if len(ran) == len(cycles):
            handlers[signal.SIGTERM](signal.SIGTERM, None)  # `docker stop` mid-cycle
        return cycles[len(ran) - 1]()

    monkeypatch.setattr(cli, "_cycle", cycle)
    with pytest.raises(SystemExit) as exited:
        cli.main(["--config", str(config), "run", "--every", "1m"])
    return int(exited.value.code or 0), len(ran)


def raises(error: Exception) -> Callable[[], int]:
    def cycle() -> int:
        raise error

    return cycle


def test_a_cycle_that_raises_is_recorded_and_the_loop_goes_on(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, ran = run_loop(config, monkeypatch, [raises(UNIQUE), lambda: 0])
    assert (code, ran) == (0, 2)
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    [line] = [ln for ln in stderr.splitlines() if "cycle failed" in ln]
    assert "IntegrityError" in line
    [record] = StateStore(f"sqlite:///{config.parent}/trackersync.db").runs()
    assert (record["command"], record["outcome"]) == ("run", "error")
    assert "ts_tasks_pkey" in record["summary"]["error"]


def test_a_config_error_inside_a_cycle_ends_run(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lost = ConfigError("the state store belongs to other systems; pass --rebind")
    code, ran = run_loop(config, monkeypatch, [raises(lost), lambda: 0])
    assert (code, ran) == (2, 1)
    assert "belongs to other systems" in capsys.readouterr().err
