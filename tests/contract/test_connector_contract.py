"""The contract every connector passes against its sandbox (docs/connectors.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from trackersync.connectors.base import Connector
from trackersync.connectors.github.connector import GitHubConfig, GitHubConnector
from trackersync.connectors.jira.connector import JiraConfig, JiraConnector
from trackersync.connectors.retry import RetryPolicy
from trackersync.sandbox.core import SandboxApp, SandboxServer
from trackersync.sandbox.github import GitHubSandbox
from trackersync.sandbox.jira import JiraSandbox
from trackersync.sync.model import Origin, StatusCategory, Task, TaskFields

NO_SLEEP = RetryPolicy(sleep=lambda _seconds: None)
SYNCED = ("title", "body", "status", "labels", "assignees", "milestone")


@dataclass
class Harness:
    app: SandboxApp
    connector: Connector
    scope: str
    create: Callable[[str], str]
    edit: Callable[[str, str], None]
    other_origin: str

    def pull_all(self, cursor: dict | None = None):
        return self.connector.pull(self.scope, cursor or {})


def github_harness(server: SandboxServer, app: GitHubSandbox) -> Harness:
    config = GitHubConfig(
        type="github",
        url=f"{server.origin}/api/v3",
        token_env="T",
        repos=["acme/web"],
        write_interval="0s",
    )
    connector = GitHubConnector("gh", config, {"T": "t"}, retry_policy=NO_SLEEP)
    return Harness(
        app,
        connector,
        "acme/web",
        create=lambda title: str(app.create_issue("acme/web", title, "body")["number"]),
        edit=lambda key, title: app.edit_issue("acme/web", int(key), title=title) and None,
        other_origin="jira:WEB#WEB-1",
    )


def jira_harness(server: SandboxServer, app: JiraSandbox) -> Harness:
    config = JiraConfig(
        type="jira", url=server.origin, email_env="E", token_env="T", projects=["WEB"]
    )
    connector = JiraConnector(
        "jira", config, {"E": "pm@example.com", "T": "t"}, retry_policy=NO_SLEEP
    )
    return Harness(
        app,
        connector,
        "WEB",
        create=lambda title: app.create_issue("WEB", title, "body")["key"],
        edit=lambda key, title: app.edit_issue(key, summary=title) and None,
        other_origin="gh:acme/web#1",
    )


@pytest.fixture(params=["github", "jira"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "github":
        app: SandboxApp = GitHubSandbox(token="t")
        app.add_repo("acme/web")
        build = github_harness
    else:
        app = JiraSandbox(email="pm@example.com", token="t")
        app.add_project("WEB", "Web")
        build = jira_harness
    with SandboxServer(app) as server:
        h = build(server, app)
        yield h
        h.connector.close()


def test_refs_name_the_connector_scope_and_key(harness: Harness) -> None:
    key = harness.create("one")
    [task] = harness.pull_all().tasks
    assert (task.ref.connector, task.ref.scope, task.ref.key) == (
        harness.connector.name,
        harness.scope,
        key,
    )


def test_a_second_pull_sees_no_changes(harness: Harness) -> None:
    for n in range(5):
        harness.create(f"item {n}")
    first = harness.pull_all()
    assert len(first.tasks) == 5
    assert harness.pull_all(first.cursor).tasks == []


def test_an_edit_shows_up_exactly_once(harness: Harness) -> None:
    keys = [harness.create(f"item {n}") for n in range(3)]
    cursor = harness.pull_all().cursor
    harness.edit(keys[1], "edited")
    second = harness.pull_all(cursor)
    assert [(t.ref.key, t.title) for t in second.tasks] == [(keys[1], "edited")]
    assert harness.pull_all(second.cursor).tasks == []


def test_the_cursor_only_moves_forward(harness: Harness) -> None:
    key = harness.create("item")
    old = harness.pull_all().cursor
    harness.edit(key, "edited")
    new = harness.pull_all(old).cursor
    assert new != old
    assert harness.pull_all(new).tasks == []
    # The old cursor still sees the edit: the new one is strictly later.
    assert [t.title for t in harness.pull_all(old).tasks] == ["edited"]


def synced(task: Task) -> dict:
    return {name: getattr(task, name) for name in SYNCED} | {"twin_of": task.raw.get("twin_of")}


def test_a_created_twin_pulls_back_exactly_as_returned(harness: Harness) -> None:
    origin = Origin(ref=harness.other_origin, url="https://example.com/origin", system="Other")
    fields = TaskFields(
        title="Mirrored", body="Some **bold** text", status=StatusCategory.TODO, labels=("x",)
    )
    created = harness.connector.create_item(harness.scope, fields, origin)
    [pulled] = harness.pull_all().tasks
    assert synced(pulled) == synced(created)
    assert pulled.raw["twin_of"] == harness.other_origin
    assert pulled.title == "Mirrored"


def test_an_update_pulls_back_exactly_as_returned(harness: Harness) -> None:
    harness.create("before")
    first = harness.pull_all()
    [task] = first.tasks
    changes = TaskFields(title="after", status=StatusCategory.DONE, labels=("done-label",))
    written = harness.connector.update_item(task, changes)
    [pulled] = harness.pull_all(first.cursor).tasks
    assert synced(pulled) == synced(written)
    assert (pulled.title, pulled.status.category) == ("after", StatusCategory.DONE)


def test_an_update_with_nothing_new_makes_no_request(harness: Harness) -> None:
    harness.create("same")
    [task] = harness.pull_all().tasks
    mark = harness.app.log.mark()
    harness.connector.update_item(task, TaskFields(title="same"))
    assert harness.app.log.since(mark) == []


def test_a_mirrored_comment_pulls_back_with_its_marker(harness: Harness) -> None:
    harness.create("commented")
    first = harness.pull_all()
    [task] = first.tasks
    origin = Origin(
        ref=harness.other_origin,
        url="https://example.com/o",
        system="Other",
        comment_id="77",
        author="Pat",
    )
    written = harness.connector.create_comment(task, "Looks *good*", origin)
    second = harness.pull_all(first.cursor)
    comments = [c for cs in second.comments.values() for c in cs] + [
        c for t in second.tasks for c in t.comments
    ]
    [pulled] = [c for c in comments if c.id == written.id]
    assert (pulled.body, pulled.mirror_of) == (written.body, f"{harness.other_origin}/77")
