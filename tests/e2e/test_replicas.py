"""Three `run --once` replicas started together on one state store (PostgreSQL, then
SQLite), then again after edits: none crashes, nothing is duplicated, and together they
read no more than 1.2x what one replica alone reads on a fresh copy of the same world."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import pytest
from conftest import postgres_schema
from world import PROJECT, REPO, World

REPLICAS = 3


def seed(world: World) -> None:
    world.github.create_milestone(REPO, "v2.0")
    world.jira.create_version(PROJECT, "2.0")
    for n in range(4):
        world.github.create_issue(REPO, f"GitHub {n}", f"body {n}", milestone="v2.0")
        world.jira.create_issue(PROJECT, f"Jira {n}", f"body {n}", fix_versions=("2.0",))
    world.jira.add_comment(f"{PROJECT}-1", "a comment to mirror")


def edit(world: World) -> None:
    world.github.edit_issue(REPO, 1, title="GitHub 0, renamed")
    world.jira.transition(f"{PROJECT}-2", "Done")
    world.jira.add_comment(f"{PROJECT}-3", "a later comment")
    world.github.create_issue(REPO, "GitHub new", milestone="v2.0")


def reads(world: World, marks: tuple[int, int]) -> int:
    records = [*world.github.log.since(marks[0]), *world.jira.log.since(marks[1])]
    return sum(not r.write for r in records)


def run_together(world: World, replicas: int) -> int:
    """`replicas` processes of `run --once` started at once; returns the reads they made."""
    marks = world.github.log.mark(), world.jira.log.mark()
    processes = [world.cli("run", "--once") for _ in range(replicas)]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert "Traceback" not in stderr, stderr
        assert process.returncode == 0, stderr
    return reads(world, marks)


def assert_no_duplicates(world: World) -> None:
    github = Counter(i["title"] for i in world.github_issues())
    jira = Counter(i["fields"]["summary"] for i in world.jira_issues())
    assert set(github.values()) == set(jira.values()) == {1}, (github, jira)


@contextmanager
def sqlite_urls(folder: Path) -> Iterator[Callable[[str], str]]:
    yield lambda name: f"sqlite:///{folder / name}.db"


@contextmanager
def postgres_urls(_: Path) -> Iterator[Callable[[str], str]]:
    with ExitStack() as stack:
        yield lambda _name: stack.enter_context(postgres_schema())


@pytest.mark.parametrize("urls", [postgres_urls, sqlite_urls], ids=["postgresql", "sqlite"])
def test_three_replicas_neither_crash_nor_duplicate_nor_read_thrice(
    tmp_path: Path, urls: Callable[[Path], AbstractContextManager[Callable[[str], str]]]
) -> None:
    with urls(tmp_path) as url, ExitStack() as stack:
        worlds = []
        for name in ("alone", "together"):
            (tmp_path / name).mkdir()
            world = World(tmp_path / name, state_url=url(name))
            stack.callback(world.close)
            seed(world)
            worlds.append(world)
        alone, together = worlds
        # Requests take as long as a real API's, so replicas whose start is seconds apart
        # still meet while the first one pulls (a replica starting after that pull ended
        # runs a cycle of its own: that is not what is measured here).
        together.github.faults.latency = together.jira.faults.latency = 0.3

        first = run_together(alone, 1), run_together(together, REPLICAS)
        assert_no_duplicates(together)
        assert first[1] <= 1.2 * first[0], first

        edit(alone)
        edit(together)
        second = run_together(alone, 1), run_together(together, REPLICAS)
        assert_no_duplicates(together)
        assert second[1] <= 1.2 * second[0], second
        assert len(together.github_issues()) == len(together.jira_issues()) == 9
        assert len(together.pairs()) == 9
