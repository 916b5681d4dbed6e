"""The mirrored fixVersion changes by Jira's `update` verbs (add / remove), never by
writing the whole list: a version someone adds in Jira between our read and our write
survives (issue 10 §4), and the sandbox refuses verbs Jira refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from jira_fixtures import EMAIL, TOKEN, connector, make_sandbox, serve
from world import PROJECT, REPO, World

from trackersync.connectors.jira.connector import JiraConnector
from trackersync.sandbox.jira import JiraSandbox
from trackersync.sync.model import Task, TaskFields

API = "/rest/api/2"


@pytest.fixture
def sandbox() -> JiraSandbox:
    app = make_sandbox()
    for name in ("1.0", "2.0", "team-x", "hotfix"):
        app.create_version("WEB", name)
    # The mirrored version first (the one the link syncs), then the Jira team's own.
    app.create_issue("WEB", "several versions", fix_versions=["1.0", "team-x"])
    return app


@pytest.fixture
def origin(sandbox: JiraSandbox) -> Iterator[str]:
    with serve(sandbox) as url:
        yield url


def pulled(jira: JiraConnector) -> Task:
    (item,) = jira.pull("WEB", {}).tasks
    return item


def versions(sandbox: JiraSandbox) -> list[str]:
    return [v["name"] for v in sandbox.issue("WEB-1")["fields"]["fixVersions"]]


def test_a_version_added_after_our_read_survives_a_milestone_change(
    sandbox: JiraSandbox, origin: str
) -> None:
    jira = connector(origin)
    item = pulled(jira)
    assert (item.milestone, item.fix_versions) == ("1.0", ("1.0", "team-x"))
    # Someone adds a version in Jira after our pull, before our write.
    sandbox.edit_issue("WEB-1", fix_versions=["1.0", "team-x", "hotfix"])
    changed = jira.update_item(item, TaskFields(milestone="2.0"))
    assert versions(sandbox) == ["team-x", "hotfix", "2.0"]
    # What the write returns is the issue as it now is (read back: it has "hotfix").
    assert set(changed.fix_versions) == {"team-x", "hotfix", "2.0"}


def test_clearing_the_milestone_removes_only_the_mirrored_version(
    sandbox: JiraSandbox, origin: str
) -> None:
    jira = connector(origin)
    item = pulled(jira)
    sandbox.edit_issue("WEB-1", fix_versions=["1.0", "team-x", "hotfix"])
    jira.update_item(item, TaskFields(milestone=None))
    assert versions(sandbox) == ["team-x", "hotfix"]


def test_a_new_milestone_is_added_beside_the_teams_versions(
    sandbox: JiraSandbox, origin: str
) -> None:
    sandbox.edit_issue("WEB-1", fix_versions=["team-x"])
    jira = connector(origin)
    item = pulled(jira).model_copy(update={"milestone": None})  # the link syncs none yet
    sandbox.edit_issue("WEB-1", fix_versions=["team-x", "hotfix"])
    jira.update_item(item, TaskFields(milestone="3.0"))  # a version created on the way
    assert versions(sandbox) == ["team-x", "hotfix", "3.0"]


def put(origin: str, body: dict) -> requests.Response:
    return requests.put(f"{origin}{API}/issue/WEB-1", json=body, auth=(EMAIL, TOKEN), timeout=10)


def test_the_sandbox_applies_add_and_remove_verbs(sandbox: JiraSandbox, origin: str) -> None:
    ids = {v["name"]: v["id"] for v in sandbox.versions("WEB")}
    ops = [{"add": {"id": ids["2.0"]}}, {"remove": {"name": "1.0"}}, {"add": {"name": "team-x"}}]
    answer = put(origin, {"update": {"fixVersions": ops}})
    assert answer.status_code == 204
    # Adding a version the issue has already changes nothing (no duplicate).
    assert versions(sandbox) == ["team-x", "2.0"]


@pytest.mark.spec_exempt("the request breaks the description on purpose: what Jira answers")
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"update": {"fixVersions": [{"append": {"name": "2.0"}}]}}, id="unknown"),
        pytest.param({"update": {"fixVersions": [{"edit": {"name": "2.0"}}]}}, id="edit"),
        pytest.param({"update": {"summary": [{"add": "x"}]}}, id="add-to-summary"),
        pytest.param(
            {"fields": {"fixVersions": []}, "update": {"fixVersions": [{"add": {"name": "2.0"}}]}},
            id="fields-and-update",
        ),
    ],
)
def test_the_sandbox_refuses_what_jira_refuses(
    sandbox: JiraSandbox, origin: str, body: dict
) -> None:
    before = sandbox.issue("WEB-1")["fields"]["updated"]
    answer = put(origin, body)
    assert answer.status_code == 400
    assert answer.json()["errors"]
    assert versions(sandbox) == ["1.0", "team-x"]
    assert sandbox.issue("WEB-1")["fields"]["updated"] == before


# ---------------------------------------------------------------- through the engine


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def fix_versions(world: World, key: str) -> list[str]:
    return [v["name"] for v in world.jira.issue(key)["fields"]["fixVersions"]]


def test_the_teams_versions_survive_every_milestone_change(world: World) -> None:
    # Milestones the config does not map: the synced version is the one the pair agreed
    # on, wherever Jira lists it, never the team's own.
    for name in ("m1", "m2", "m3"):
        world.github.create_milestone(REPO, name)
    number = world.github.create_issue(REPO, "Mirrored", milestone="m1")["number"]
    assert world.sync().failures == []
    key = next(k for k, n in world.pairs().items() if n == str(number))
    world.jira.create_version(PROJECT, "team-a")
    world.jira.edit_issue(key, fix_versions=["team-a", "m1"])  # listed first
    assert world.sync().writes == 0  # not read as a milestone change
    assert world.github.issue(REPO, number)["milestone"]["title"] == "m1"
    for milestone in ("m2", "m3"):
        world.github.edit_issue(REPO, number, milestone=milestone)
        assert world.sync().failures == []
        assert sorted(fix_versions(world, key)) == sorted(["team-a", milestone])
        assert world.github.issue(REPO, number)["milestone"]["title"] == milestone
        assert world.sync().writes == 0
