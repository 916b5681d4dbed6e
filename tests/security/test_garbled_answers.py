"""An answer cut off mid-JSON or not JSON at all (a proxy's error page) is retried like a
5xx; when it persists, the run ends with one line and exit 3, never a traceback. One row
per kind of garbage."""

from __future__ import annotations

from pathlib import Path

import pytest
from world import PROJECT, REPO, World

GARBAGE = [
    pytest.param('{"total": 3, "issues": [{"key": "WEB-', id="truncated-json"),
    pytest.param("<html><body><h1>502 Bad Gateway</h1></body></html>", id="html-page"),
    pytest.param("upstream connect error or disconnect/reset before headers", id="plain-text"),
]
SYSTEMS = ["github", "jira"]


@pytest.fixture
def world(tmp_path: Path):
    w = World(tmp_path)
    w.github.create_issue(REPO, "GitHub 1")
    w.jira.create_issue(PROJECT, "Jira 1")
    yield w
    w.close()


def pull(world: World) -> tuple[int, str]:
    proc = world.cli("pull")
    _, stderr = proc.communicate(timeout=300)
    return proc.returncode, stderr


@pytest.mark.parametrize("system", SYSTEMS)
def test_one_garbled_answer_is_retried(world: World, system: str) -> None:
    sandbox = getattr(world, system)
    sandbox.faults.garbled_next = 1
    code, stderr = pull(world)
    assert code == 0, stderr
    assert sandbox.faults.garbled_next == 0  # it was served, and the request repeated
    assert len(world.store.tasks()) == 2


@pytest.mark.parametrize("body", GARBAGE)
@pytest.mark.parametrize("system", SYSTEMS)
def test_garbage_that_persists_is_one_line_and_exit_3(
    world: World, system: str, body: str
) -> None:
    sandbox = getattr(world, system)
    sandbox.faults.garbled_next, sandbox.faults.garbled_body = 1_000, body
    code, stderr = pull(world)
    assert code == 3, stderr
    [line] = stderr.strip().splitlines()
    assert f"{system}: unexpected API data:" in line
    assert "did not answer JSON" in line
    assert "internal error" not in line
    assert 1_000 - sandbox.faults.garbled_next == 4  # the retry layer's attempts
