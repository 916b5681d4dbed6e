"""Set-valued fields end to end: concurrent label edits and several Jira fixVersions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from world import PROJECT, REPO, World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def github_labels(world: World, number: int) -> set[str]:
    return {label["name"] for label in world.github.issue(REPO, number)["labels"]}


def test_label_changes_on_both_sides_all_survive(world: World) -> None:
    key = world.jira.create_issue(PROJECT, "Labelled", labels=("backend", "old"))["key"]
    assert world.sync().failures == []
    number = int(world.pairs()[key])
    world.jira.edit_issue(key, labels=["backend", "old", "urgent"])
    world.github.edit_issue(REPO, number, labels=["backend", "frontend"])  # and drops `old`
    run = world.sync()
    assert run.failures == []
    assert set(world.jira.issue(key)["fields"]["labels"]) == {"backend", "urgent", "frontend"}
    assert github_labels(world, number) == {"backend", "urgent", "frontend"}
    assert world.sync().writes == 0


def test_versions_the_milestone_does_not_map_stay_in_jira(world: World) -> None:
    for name in ("1.5", "2.0"):
        world.jira.create_version(PROJECT, name)
    key = world.jira.create_issue(PROJECT, "Two releases", fix_versions=("1.5", "2.0"))["key"]
    assert world.sync().failures == []
    number = int(world.pairs()[key])
    # "2.0" is the version the config's milestone maps to GitHub's "v2.0"; "1.5" is not.
    assert world.github.issue(REPO, number)["milestone"]["title"] == "v2.0"
    world.github.create_milestone(REPO, "v3.0")
    world.github.edit_issue(REPO, number, milestone="v3.0")
    assert world.sync().failures == []
    versions = [v["name"] for v in world.jira.issue(key)["fields"]["fixVersions"]]
    assert sorted(versions) == ["1.5", "v3.0"]
    assert world.sync().writes == 0
