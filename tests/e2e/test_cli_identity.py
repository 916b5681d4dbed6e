"""A state store reused against other systems is refused; `--rebind` accepts a deliberate
move; a stored twin whose key now holds another item is left alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from world import PROJECT, REPO, World

from trackersync.connectors.github.mapping import footer
from trackersync.sync.model import Origin


def run(world: World, *args: str) -> tuple[int, str, str]:
    proc = world.cli(*args)
    stdout, stderr = proc.communicate(timeout=300)
    return proc.returncode, stdout, stderr


def writes(world: World, marks: tuple[int, int]) -> list[str]:
    records = [*world.github.log.since(marks[0]), *world.jira.log.since(marks[1])]
    return [f"{r.method} {r.path}" for r in records if r.write]


def marks(world: World) -> tuple[int, int]:
    return world.github.log.mark(), world.jira.log.mark()


@pytest.fixture
def built(tmp_path: Path) -> Iterator[World]:
    """A pair of systems synced once into a SQLite store: WEB-1 → #1, WEB-2 → #2."""
    (tmp_path / "a").mkdir()
    world = World(tmp_path / "a")
    world.jira.create_issue(PROJECT, "Ours one")
    world.jira.create_issue(PROJECT, "Ours two")
    code, _, stderr = run(world, "sync")
    assert code == 0, stderr
    assert world.pairs() == {"WEB-1": "1", "WEB-2": "2"}
    yield world
    world.close()


@pytest.fixture
def other(tmp_path: Path, built: World) -> Iterator[World]:
    """A second, freshly seeded pair of systems, configured with the first one's store."""
    (tmp_path / "b").mkdir()
    world = World(tmp_path / "b", state_url=built.state_url)
    world.jira.server_title = "Staging Jira"
    world.jira.create_issue(PROJECT, "Theirs one")
    world.github.create_issue(REPO, "Theirs on GitHub")
    yield world
    world.close()


def database(world: World) -> bytes:
    return Path(world.state_url.removeprefix("sqlite:///")).read_bytes()


def github_url(world: World) -> str:
    return world.config.read_text().split("url: ")[1].split()[0]


def test_a_store_used_against_other_systems_is_refused_and_nothing_is_written(
    built: World, other: World
) -> None:
    before, at = database(other), marks(other)
    # One world pair for every command: starting sandboxes and a first sync is the slow part.
    for command in ["pull", "sync", "rollup", "run --once", "check", "sync --dry-run"]:
        code, _, stderr = run(other, *command.split())
        assert code == 2, (command, stderr)
        [line] = stderr.strip().splitlines()
        assert f"was built against gh:acme/web on {github_url(built)} (repo id " in line
        assert f"not {github_url(other)} (repo id " in line
        assert "(also jira:WEB)" in line
        assert "--rebind" in line
        assert writes(other, at) == [], command
        assert database(other) == before, command


def test_rebind_accepts_the_move_and_records_the_new_systems(built: World, other: World) -> None:
    assert run(other, "pull")[0] == 2
    code, _, stderr = run(other, "pull", "--rebind")
    assert code == 0, stderr
    code, _, stderr = run(other, "pull")
    assert code == 0, stderr
    # ... and the first systems are now the others.
    code, _, stderr = run(built, "pull")
    assert code == 2
    assert f"was built against gh:acme/web on {github_url(other)} (repo id " in stderr


def test_a_reseeded_repository_at_the_same_address_is_refused(built: World) -> None:
    built.github.delete_repo(REPO)
    built.github.add_repo(REPO)
    at = marks(built)
    code, _, stderr = run(built, "sync")
    assert code == 2, stderr
    assert "repo id" in stderr
    assert writes(built, at) == []


def test_check_passes_on_the_systems_the_store_was_built_against(built: World) -> None:
    code, stdout, stderr = run(built, "check")
    assert code == 0, stderr
    assert "is valid" in stdout


def test_after_a_rebind_a_twin_key_holding_another_item_is_not_written(
    built: World, other: World
) -> None:
    # At the stored twins' keys of the other GitHub: #1 is trackersync's twin of another
    # Jira issue; #2 names WEB-2 but was opened by someone else (a copied footer).
    other.github.create_issue(REPO, "Theirs two", user="mona")
    other.jira.create_issue(PROJECT, "Theirs two on Jira")
    seven = Origin(ref="jira:WEB#WEB-7", url="https://jira.example/browse/WEB-7", system="Jira")
    two = Origin(ref="jira:WEB#WEB-2", url="https://jira.example/browse/WEB-2", system="Jira")
    other.github.edit_issue(REPO, 1, body="Theirs." + footer(seven))
    other.github.edit_issue(REPO, 2, body="Copied." + footer(two))
    at = marks(other)
    code, _, stderr = run(other, "sync", "--rebind")
    assert code == 0, stderr
    assert writes(other, at) == []
    assert "jira:WEB#WEB-1 and gh:acme/web#1 are paired but not synced" in stderr
    assert "is trackersync's twin of jira:WEB#WEB-7" in stderr
    assert "jira:WEB#WEB-2 and gh:acme/web#2 are paired but not synced" in stderr
    assert "was not created by trackersync's account" in stderr
    assert other.github.issue(REPO, 1)["title"] == "Theirs on GitHub"
    assert other.jira.issue(f"{PROJECT}-1")["fields"]["summary"] == "Theirs one"
