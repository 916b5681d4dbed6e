"""The contract every connector passes against its sandbox (docs/connectors.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from trackersync.connectors.base import MARKER_AUTHORS, Connector
from trackersync.connectors.github.connector import GitHubConfig, GitHubConnector
from trackersync.connectors.jira.connector import JiraConfig, JiraConnector
from trackersync.connectors.retry import RetryPolicy
from trackersync.cycle import pull_all
from trackersync.sandbox.core import SandboxApp, SandboxServer
from trackersync.sandbox.github import GitHubSandbox
from trackersync.sandbox.jira import JiraSandbox
from trackersync.sync.model import Origin, StatusCategory, Task, TaskFields
from trackersync.sync.state import StateStore

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
    # A person comments on item `key` / edits comment `id` of item `key`; returns the id.
    comment: Callable[[str, str], str]
    edit_comment: Callable[[str, str, str], None]

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
        comment=lambda key, body: str(app.add_comment("acme/web", int(key), body)["id"]),
        edit_comment=lambda _key, cid, body: app.edit_comment("acme/web", int(cid), body) and None,
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
        comment=lambda key, body: str(app.add_comment(key, body)["id"]),
        edit_comment=lambda key, cid, body: app.edit_comment(key, cid, body) and None,
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
    marker = {"twin_of": task.twin_of, "by_trackersync": task.by_trackersync}
    return {name: getattr(task, name) for name in SYNCED} | marker


def test_a_created_twin_pulls_back_exactly_as_returned(harness: Harness) -> None:
    origin = Origin(ref=harness.other_origin, url="https://example.com/origin", system="Other")
    fields = TaskFields(
        title="Mirrored", body="Some **bold** text", status=StatusCategory.TODO, labels=("x",)
    )
    created = harness.connector.create_item(harness.scope, fields, origin)
    [pulled] = harness.pull_all().tasks
    assert synced(pulled) == synced(created)
    assert (pulled.twin_of, pulled.by_trackersync) == (harness.other_origin, True)
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
    # `PullResult.comments` is the one path comments travel by (docs/connectors.md).
    [pulled] = [c for c in second.comments[task.ref.key] if c.id == written.id]
    assert (pulled.body, pulled.mirror_of) == (written.body, f"{harness.other_origin}/77")
    assert (pulled.by_trackersync, written.by_trackersync) == (True, True)


def test_a_new_comment_on_an_unchanged_item_is_in_the_next_pull_comments(
    harness: Harness,
) -> None:
    key = harness.create("quiet item")
    first = harness.pull_all()
    comment_id = harness.comment(key, "A person's comment")
    second = harness.pull_all(first.cursor)
    assert [(c.id, c.body) for c in second.comments[key]] == [(comment_id, "A person's comment")]
    assert harness.pull_all(second.cursor).comments == {}


def test_a_comment_edit_is_in_the_next_pull_comments(harness: Harness) -> None:
    key = harness.create("item")
    comment_id = harness.comment(key, "before")
    first = harness.pull_all()
    harness.edit_comment(key, comment_id, "after")
    second = harness.pull_all(first.cursor)
    [edited] = [c for c in second.comments[key] if c.id == comment_id]
    assert edited.body == "after"
    assert edited.updated_at > edited.created_at


def test_pulled_comments_are_stored_with_their_item(harness: Harness, tmp_path) -> None:
    key = harness.create("item")
    comment_id = harness.comment(key, "kept")
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    assert pull_all({harness.connector.name: harness.connector}, store).exit_code == 0
    [task] = store.tasks()
    assert [(c.id, c.body) for c in task.comments] == [(comment_id, "kept")]


def test_a_cursor_from_before_marker_authors_reads_the_scope_again(harness: Harness) -> None:
    keys = [harness.create(f"item {n}") for n in range(3)]
    cursor = dict(harness.pull_all().cursor)
    assert harness.pull_all(cursor).tasks == []
    # Stored items of that release carry no authorship: every one is read once more.
    del cursor[MARKER_AUTHORS]
    again = harness.pull_all(cursor)
    assert sorted(t.ref.key for t in again.tasks) == sorted(keys)
    assert harness.pull_all(again.cursor).tasks == []
