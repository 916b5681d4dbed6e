"""`pull`, `check` and `status` as a user runs them, against both sandboxes."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import PROJECT, REPO, World


@pytest.fixture
def world(tmp_path: Path, state_url: str) -> Iterator[World]:
    w = World(tmp_path, state_url=state_url)
    for n in range(120):
        w.github.create_issue(REPO, f"GitHub {n}", labels=("bug",) if n % 2 else ())
    w.github.edit_issue(REPO, 1, state="closed", state_reason="completed")
    w.github.create_issue(REPO, "a pull request", pull_request=True)
    for n in range(80):
        w.jira.create_issue(PROJECT, f"Jira {n}")
    w.jira.transition(f"{PROJECT}-1", "In Progress")
    yield w
    w.close()


def run(world: World, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = world.cli(*args, env=env)
    stdout, stderr = proc.communicate(timeout=300)
    return proc.returncode, stdout, stderr


def test_pull_then_status_counts_every_item_on_both_stores(world: World) -> None:
    code, _, stderr = run(world, "pull")
    assert code == 0, stderr
    code, stdout, _ = run(world, "status", "--format", "json")
    document = json.loads(stdout)
    assert document["version"] == 2
    assert document["totals"] == {
        "tasks": 200,
        "todo": 198,
        "in_progress": 1,
        "done": 1,
        "canceled": 0,
    }
    scopes = {s["ref"]: s["tasks"] for s in document["scopes"]}
    assert scopes == {"gh:acme/web": 120, "jira:WEB": 80}
    assert all(s["last_pull"] for s in document["scopes"])


def test_second_pull_is_cheap(world: World) -> None:
    assert run(world, "pull")[0] == 0
    marks = world.github.log.mark(), world.jira.log.mark()
    assert run(world, "pull")[0] == 0
    github = world.github.log.since(marks[0])
    # The three listings answer 304 (no rate budget); the one 200 is the repository read
    # that checks the state store's identity, once per repository and run.
    repo = [r for r in github if r.path.endswith(f"/repos/{REPO}")]
    listings = [r for r in github if r not in repo]
    assert len(listings) <= 3
    assert {r.status for r in listings} == {304}
    assert [r.status for r in repo] == [200]
    # serverInfo, the search, the versions, and the project read that checks the identity.
    assert len(world.jira.log.since(marks[1])) <= 4


def test_check_lists_scopes_and_budget(world: World) -> None:
    code, stdout, stderr = run(world, "check")
    assert code == 0, stderr
    assert "acme/web" in stdout
    assert "WEB" in stdout
    assert "is valid" in stdout


@pytest.mark.parametrize("command", ["pull", "check"])
def test_wrong_token_exits_3_naming_the_variable_and_writes_nothing(
    world: World, command: str, tmp_path
) -> None:
    code, _, stderr = run(world, command, env={"T_GITHUB_TOKEN": "wrong"})
    assert code == 3
    assert "T_GITHUB_TOKEN" in stderr
    assert "wrong" not in stderr
    assert "Traceback" not in stderr


def test_wrong_token_on_first_pull_leaves_no_state(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        code, _, stderr = run(
            world, "pull", env={"T_GITHUB_TOKEN": "wrong", "T_JIRA_TOKEN": "wrong"}
        )
        assert code == 3, stderr
        assert not (tmp_path / "state.db").exists()
    finally:
        world.close()


def test_unreachable_url_exits_3(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        text = world.config.read_text()
        start = text.index("url: http://127.0.0.1:")
        end = text.index("/api/v3")
        world.config.write_text(text[:start] + f"url: http://127.0.0.1:{port}" + text[end:])
        code, _, stderr = run(world, "check")
        assert code == 3
        assert "cannot reach" in stderr
        assert "Traceback" not in stderr
    finally:
        world.close()
