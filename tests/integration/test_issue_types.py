"""The link's `types` map: GitHub labels choose the Jira issue type of created twins, and
a Jira item's type comes to GitHub as the label it maps from."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import PROJECT, REPO, World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path, link_extra="    types: {bug: Bug, enhancement: Story, chore: Chore}\n")
    yield w
    w.close()


def test_labels_choose_the_jira_type_and_types_come_back_as_labels(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.github.create_issue(REPO, "Crash on save", labels=["Bug"])
    world.github.create_issue(REPO, "Dark mode", labels=["enhancement"])
    world.github.create_issue(REPO, "Tidy up", labels=["chore"])
    world.github.create_issue(REPO, "Plain")
    world.jira.create_issue(PROJECT, "Broken login", issuetype="Bug")
    with caplog.at_level(logging.WARNING):
        run = world.sync()
    assert run.failures == []
    types = {i["fields"]["summary"]: i["fields"]["issuetype"]["name"] for i in world.jira_issues()}
    assert types == {
        "Crash on save": "Bug",
        "Dark mode": "Story",
        "Tidy up": "Task",  # the project has no "Chore": Task, with a warning naming it
        "Plain": "Task",
        "Broken login": "Bug",
    }
    assert "'Chore'" in caplog.text
    # GitHub labels ignore case: the repository's existing "Bug" label is the one used.
    labels = {
        i["title"]: [x["name"].casefold() for x in i["labels"]] for i in world.github_issues()
    }
    assert labels["Broken login"] == ["bug"]
    assert world.sync().writes == 0
