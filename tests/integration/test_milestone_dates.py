"""A milestone trackersync creates on one side carries the due date of the one it mirrors:
GitHub `due_on` ↔ Jira fixVersion `releaseDate` (issue 9 §3.4), through the real PyGithub
and jira clients against the sandboxes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from github import Auth, Github
from world import ENV, PROJECT, REPO, World

from trackersync.config.loading import load
from trackersync.sync.actions import Create


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def jira_version(world: World, name: str) -> dict:
    return next(v for v in world.jira.versions(PROJECT) if v["name"] == name)


def github_due(world: World, title: str) -> date | None:
    """The milestone's due date as a PyGithub user reads it."""
    url = str(load(world.config).connectors["gh"].url).rstrip("/")
    client = Github(base_url=url, auth=Auth.Token(ENV["T_GITHUB_TOKEN"]), retry=None)
    try:
        found = [m for m in client.get_repo(REPO).get_milestones(state="all") if m.title == title]
        assert len(found) == 1, [m.title for m in found]
        return found[0].due_on.date() if found[0].due_on else None
    finally:
        client.close()


def test_a_jira_release_date_becomes_the_due_on_of_the_milestone_created(world: World) -> None:
    world.jira.create_version(PROJECT, "2.0", release_date=date(2026, 12, 15))
    world.jira.create_version(PROJECT, "2.1", release_date=date(2027, 1, 31))
    world.jira.create_issue(PROJECT, "Mapped", fix_versions=("2.0",))
    world.jira.create_issue(PROJECT, "Unmapped", fix_versions=("2.1",))
    assert world.sync().failures == []
    # "2.0" maps to GitHub's "v2.0" (the config's milestone); "2.1" keeps its name.
    assert github_due(world, "v2.0") == date(2026, 12, 15)
    assert github_due(world, "2.1") == date(2027, 1, 31)
    assert world.sync().writes == 0


def test_a_github_due_on_becomes_the_release_date_of_the_version_created(world: World) -> None:
    world.github.create_milestone(REPO, "v2.0", due_on=date(2026, 12, 15))
    world.github.create_milestone(REPO, "v3", due_on=date(2027, 3, 1))
    world.github.create_milestone(REPO, "someday")
    for title, milestone in (("a", "v2.0"), ("b", "v3"), ("c", "someday")):
        world.github.create_issue(REPO, title, milestone=milestone)
    assert world.sync().failures == []
    assert jira_version(world, "2.0")["releaseDate"] == "2026-12-15"
    assert jira_version(world, "v3")["releaseDate"] == "2027-03-01"
    assert "releaseDate" not in jira_version(world, "someday")
    assert world.sync().writes == 0


def test_a_milestone_set_on_an_existing_twin_creates_the_version_with_its_date(
    world: World,
) -> None:
    key = world.jira.create_issue(PROJECT, "Twin")["key"]
    assert world.sync().failures == []
    number = int(world.pairs()[key])
    world.github.create_milestone(REPO, "v4", due_on=date(2027, 4, 30))
    world.github.edit_issue(REPO, number, milestone="v4")
    assert world.sync().failures == []
    assert [v["name"] for v in world.jira.issue(key)["fields"]["fixVersions"]] == ["v4"]
    assert jira_version(world, "v4")["releaseDate"] == "2027-04-30"


def test_an_existing_milestone_keeps_its_own_date(world: World) -> None:
    world.jira.create_version(PROJECT, "2.0", release_date=date(2026, 12, 15))
    world.github.create_milestone(REPO, "v2.0", due_on=date(2026, 12, 20))
    world.jira.create_issue(PROJECT, "Mapped", fix_versions=("2.0",))
    assert world.sync().failures == []
    assert github_due(world, "v2.0") == date(2026, 12, 20)


def test_dry_run_names_the_date_a_created_milestone_gets(world: World) -> None:
    world.jira.create_version(PROJECT, "2.0", release_date=date(2026, 12, 15))
    world.jira.create_issue(PROJECT, "Mapped", fix_versions=("2.0",))
    (outcome,) = world.sync(dry_run=True).outcomes
    (create,) = [a for a in outcome.plan.actions if isinstance(a, Create)]
    assert (create.fields.milestone, create.fields.milestone_due) == ("v2.0", date(2026, 12, 15))
