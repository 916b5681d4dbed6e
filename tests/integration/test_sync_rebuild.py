"""A lost state store is rebuilt from markers without a single write, comments included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from world import PROJECT, REPO, USERS, World

PERSON = next(iter(USERS))  # a Jira user who is not trackersync's API account


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def comment_counts(world: World) -> tuple[int, int]:
    github = sum(i["comments"] for i in world.github_issues())
    jira = sum(len(i["fields"]["comment"]["comments"]) for i in world.jira_issues())
    return github, jira


def test_rebuild_from_markers_writes_nothing_then_edits_flow(world: World) -> None:
    key = world.jira.create_issue(PROJECT, "From Jira", "Jira *text*", labels=("backend",))["key"]
    # `monalisa` has no entry in the link's users: her twin in Jira has no assignee.
    number = world.github.create_issue(
        REPO, "From GitHub", "GitHub **text**", assignees=("monalisa",)
    )["number"]
    world.jira.add_comment(key, "a Jira comment", author=PERSON)
    world.github.add_comment(REPO, number, "a GitHub comment", user="hubot")
    assert world.sync().failures == []
    assert world.sync().writes == 0
    counts = comment_counts(world)
    assert counts == (2, 2)  # each side: its own comment plus the other's mirror

    (world.folder / "state.db").unlink()
    rebuilt = world.sync()
    assert (rebuilt.writes, rebuilt.failures) == (0, [])
    assert comment_counts(world) == counts
    assert [a["login"] for a in world.github.issue(REPO, number)["assignees"]] == ["monalisa"]
    assert world.sync().writes == 0

    pairs = world.pairs()
    world.jira.edit_issue(key, summary="Renamed in Jira")
    world.github.edit_issue(REPO, number, title="Renamed on GitHub")
    assert world.sync().failures == []
    assert world.github.issue(REPO, int(pairs[key]))["title"] == "Renamed in Jira"
    twin_key = next(k for k, n in pairs.items() if int(n) == number)
    assert world.jira.issue(twin_key)["fields"]["summary"] == "Renamed on GitHub"
