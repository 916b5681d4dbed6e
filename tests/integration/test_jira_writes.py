"""The Jira connector's writes against the sandbox: every write returns what the next pull
shows (write, pull, compare), and costs what the sandbox log says it may."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jira_fixtures import as_pulled, make_sandbox, serve
from jira_fixtures import connector as make_connector

from trackersync.connectors.jira.connector import JiraConnector
from trackersync.connectors.jira.mapping import split_back_link
from trackersync.errors import AuthRefused, ItemFailed, WriteUnanswered
from trackersync.sandbox.core import RequestRecord
from trackersync.sandbox.jira import JiraSandbox
from trackersync.sync.model import Origin, StatusCategory, Task, TaskFields

API = "/rest/api/2"
ADA = "5b10a2844c20165700ede21a"


def origin(number: int = 12, **extra: Any) -> Origin:
    return Origin(
        ref=f"gh:acme/web#{number}",
        url=f"https://github.com/acme/web/issues/{number}",
        system="GitHub",
        **extra,
    )


@pytest.fixture
def sandbox() -> JiraSandbox:
    app = make_sandbox()
    app.add_user(ADA, "Ada Lovelace", name="ada")
    app.create_version("WEB", "2.0")
    return app


@pytest.fixture
def jira(sandbox: JiraSandbox) -> Iterator[JiraConnector]:
    with serve(sandbox) as origin_url:
        conn = make_connector(origin_url)
        conn.pull("WEB", {})  # serverInfo and the version list: later writes look up nothing
        yield conn
        conn.close()


def pulled(jira: JiraConnector, key: str) -> Task:
    """The item as a fresh pull (no cursor) shows it."""
    return next(t for t in jira.pull("WEB", {}).tasks if t.ref.key == key)


def calls(records: list[RequestRecord]) -> list[tuple[str, str]]:
    return [(r.method, r.path.removeprefix(API)) for r in records]


# ---------------------------------------------------------------- create


def test_create_carries_every_field_and_pull_shows_exactly_what_it_returned(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    fields = TaskFields(
        title="[WEB] Crash on save: **not** a heading",
        body="It *crashes* in `save()`.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        labels=("bug", "needs-triage"),
        assignees=(ADA, "someone-else"),
        milestone="2.0",
    )
    mark = sandbox.log.mark()

    created = jira.create_item("WEB", fields, origin())

    key = created.ref.key
    assert calls(sandbox.log.since(mark)) == [("POST", "/issue"), ("GET", f"/issue/{key}")]
    assert created == pulled(jira, key)
    assert created.title == fields.title
    assert (created.twin_of, created.by_trackersync) == ("gh:acme/web#12", True)
    assert (created.labels, created.assignees, created.milestone) == (
        ("bug", "needs-triage"),
        (ADA,),
        "2.0",
    )
    assert created.status.category is StatusCategory.TODO
    own, link = split_back_link(sandbox.issue(key)["fields"]["description"])
    assert own == "It _crashes_ in {{save()}}.\n\n* one\n* two\n\n||a||b||\n|1|2|"
    assert "[GitHub acme/web#12|https://github.com/acme/web/issues/12]" in link
    assert not sandbox.issues_by_key[key].remote_links


def test_with_back_link_remote_link_the_create_adds_a_remote_link(sandbox: JiraSandbox) -> None:
    with serve(sandbox) as origin_url:
        conn = make_connector(origin_url, back_link="remote_link")
        try:
            conn.pull("WEB", {})
            mark = sandbox.log.mark()
            created = conn.create_item("WEB", TaskFields(title="t", body="b"), origin())
        finally:
            conn.close()
    key = created.ref.key
    assert calls(sandbox.log.since(mark)) == [
        ("POST", "/issue"),
        ("POST", f"/issue/{key}/remotelink"),
        ("GET", f"/issue/{key}"),
    ]
    assert sandbox.issue(key)["fields"]["description"] == "b"
    (link,) = sandbox.issues_by_key[key].remote_links
    assert link["globalId"] == "trackersync:gh:acme/web#12"
    assert link["object"]["url"] == "https://github.com/acme/web/issues/12"
    assert link["object"]["title"] == "GitHub acme/web#12"


def test_body_round_trips_as_stored(jira: JiraConnector) -> None:
    body = "# Heading\n\nSome _em_ and **strong**, a [link](http://x.y/z).\n\n1. one\n1. two"
    created = jira.create_item("WEB", TaskFields(title="t", body=body), origin())
    assert created.body == body
    assert pulled(jira, created.ref.key).body == body


@pytest.mark.parametrize(
    ("status", "name", "resolution"),
    [
        pytest.param(StatusCategory.IN_PROGRESS, "In Progress", None, id="in-progress"),
        pytest.param(StatusCategory.DONE, "Done", "Done", id="done"),
        pytest.param(StatusCategory.CANCELED, "Done", "Won't Do", id="canceled"),
    ],
)
def test_create_in_a_status_transitions_once(
    sandbox: JiraSandbox,
    jira: JiraConnector,
    status: StatusCategory,
    name: str,
    resolution: str | None,
) -> None:
    first = jira.create_item("WEB", TaskFields(title="first", status=status), origin(1))
    mark = sandbox.log.mark()

    second = jira.create_item("WEB", TaskFields(title="second", status=status), origin(2))

    key = second.ref.key
    # Initial status and transitions were learned by the first create of the run.
    assert calls(sandbox.log.since(mark)) == [
        ("POST", "/issue"),
        ("POST", f"/issue/{key}/transitions"),
    ]
    for task in (first, second):
        assert (task.status.name, task.status.category) == (name, status)
        assert task.raw["resolution"] == resolution
        as_pulled(jira, task)


def test_first_create_learns_the_workflow(sandbox: JiraSandbox, jira: JiraConnector) -> None:
    mark = sandbox.log.mark()
    created = jira.create_item("WEB", TaskFields(title="t", status=StatusCategory.DONE), origin())
    key = created.ref.key
    assert calls(sandbox.log.since(mark)) == [
        ("POST", "/issue"),
        ("GET", f"/issue/{key}"),
        ("GET", f"/issue/{key}/transitions"),
        ("POST", f"/issue/{key}/transitions"),
    ]
    as_pulled(jira, created)


def test_a_missing_version_is_created_once(sandbox: JiraSandbox, jira: JiraConnector) -> None:
    mark = sandbox.log.mark()
    one = jira.create_item("WEB", TaskFields(title="a", milestone="3.0"), origin(1))
    two = jira.create_item("WEB", TaskFields(title="b", milestone="3.0"), origin(2))
    assert sandbox.log.count("POST", f"{API}/version") == 1
    assert sandbox.log.count("GET", f"{API}/project/WEB/versions") == 1  # the pull's only
    # the version is created by `projectId` (the spec referee refuses the deprecated
    # `project` key), so the project is read once per run for its id
    assert [r.path for r in sandbox.log.since(mark)].count(f"{API}/project/WEB") == 1
    # project, version, then per issue its create; only the first create of the run is
    # read back (it learns what new issues start with)
    assert len(sandbox.log.since(mark)) == 5
    assert one.milestone == two.milestone == "3.0"
    assert [v["name"] for v in sandbox.versions("WEB")] == ["2.0", "3.0"]


# ---------------------------------------------------------------- update


def test_update_is_one_put_and_nothing_when_nothing_differs(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    item = jira.create_item("WEB", TaskFields(title="t", body="b", labels=("x",)), origin())
    key = item.ref.key
    same = TaskFields(title="t", body="b", labels=("x",), assignees=(), milestone=None)
    mark = sandbox.log.mark()

    assert jira.update_item(item, same) is item
    assert sandbox.log.since(mark) == []

    changes = TaskFields(title="New", body="**bold**", labels=("y", "x"), assignees=(ADA,))
    updated = jira.update_item(item, changes)

    assert calls(sandbox.log.since(mark)) == [("PUT", f"/issue/{key}")]
    as_pulled(jira, updated)
    assert (updated.title, updated.body, updated.assignees) == ("New", "**bold**", (ADA,))
    assert sorted(updated.labels) == ["x", "y"]
    assert updated.updated_at > item.updated_at


def test_update_clears_milestone_and_assignee(sandbox: JiraSandbox, jira: JiraConnector) -> None:
    item = jira.create_item(
        "WEB", TaskFields(title="t", milestone="2.0", assignees=(ADA,)), origin()
    )
    cleared = jira.update_item(item, TaskFields(milestone=None, assignees=()))
    assert (cleared.milestone, cleared.assignees) == (None, ())
    as_pulled(jira, cleared)
    untouched = jira.update_item(cleared, TaskFields(title="renamed"))
    assert (untouched.title, untouched.milestone) == ("renamed", None)
    as_pulled(jira, untouched)


@pytest.mark.parametrize(
    ("steps", "name", "resolution"),
    [
        pytest.param([StatusCategory.DONE], "Done", "Done", id="todo-done"),
        pytest.param([StatusCategory.IN_PROGRESS], "In Progress", None, id="todo-progress"),
        pytest.param(
            [StatusCategory.DONE, StatusCategory.CANCELED], "Done", "Won't Do", id="done-canceled"
        ),
        pytest.param(
            [StatusCategory.CANCELED, StatusCategory.DONE], "Done", "Done", id="canceled-done"
        ),
        pytest.param([StatusCategory.DONE, StatusCategory.TODO], "To Do", None, id="done-reopened"),
    ],
)
def test_status_moves_by_discovered_transitions(
    jira: JiraConnector, steps: list[StatusCategory], name: str, resolution: str | None
) -> None:
    item = jira.create_item("WEB", TaskFields(title="t"), origin())
    for step in steps:
        item = jira.update_item(item, TaskFields(status=step))
    assert item.status.category is steps[-1]
    assert (item.status.name, item.raw["resolution"]) == (name, resolution)
    as_pulled(jira, item)


def test_status_already_in_the_category_makes_no_request(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    sandbox.create_issue("WEB", "reviewing", status="In Review")
    item = pulled(jira, "WEB-1")
    mark = sandbox.log.mark()
    assert jira.update_item(item, TaskFields(status=StatusCategory.IN_PROGRESS)) is item
    assert sandbox.log.since(mark) == []


def test_status_and_fields_cost_one_put_and_one_transition(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    item = jira.create_item("WEB", TaskFields(title="t"), origin())
    jira.update_item(item, TaskFields(status=StatusCategory.IN_PROGRESS))  # learns To Do's
    other = jira.create_item("WEB", TaskFields(title="u"), origin(2))
    mark = sandbox.log.mark()
    jira.update_item(other, TaskFields(title="v", status=StatusCategory.IN_PROGRESS))
    key = other.ref.key
    assert calls(sandbox.log.since(mark)) == [
        ("PUT", f"/issue/{key}"),
        ("POST", f"/issue/{key}/transitions"),
    ]


# ---------------------------------------------------------------- comments


def test_mirrored_comment_names_author_and_origin_and_pulls_back_clean(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    item = jira.create_item("WEB", TaskFields(title="t"), origin())
    source = origin(comment_id="555", author="Pat [~admin] *Smith*")
    mark = sandbox.log.mark()

    comment = jira.create_comment(item, "Looks *good* to me, [~boss]", source)

    assert calls(sandbox.log.since(mark)) == [("POST", f"/issue/{item.ref.key}/comment")]
    (pulled_comment,) = pulled(jira, item.ref.key).comments
    assert comment == pulled_comment
    assert comment.mirror_of == "gh:acme/web#12/555"
    assert comment.body == "Looks _good_ to me, \\[\\~boss\\]"
    stored = sandbox.issues_by_key[item.ref.key].comments[0].body
    first_line = stored.splitlines()[0]
    assert first_line == (
        "*Pat \\[\\~admin\\] \\*Smith\\** on "
        "[GitHub acme/web#12|https://github.com/acme/web/issues/12]:"
    )
    assert "[~" not in stored.replace("\\[\\~", "")
    assert stored.endswith("{color:#97a0af}trackersync:comment=gh:acme/web#12/555{color}")


def test_update_comment_rewrites_once(sandbox: JiraSandbox, jira: JiraConnector) -> None:
    item = jira.create_item("WEB", TaskFields(title="t"), origin())
    source = origin(comment_id="9", author="Pat")
    comment = jira.create_comment(item, "first", source)
    mark = sandbox.log.mark()

    assert jira.update_comment(item, comment, "first", source) is comment
    edited = jira.update_comment(item, comment, "second **take**", source)

    assert calls(sandbox.log.since(mark)) == [
        ("PUT", f"/issue/{item.ref.key}/comment/{comment.id}")
    ]
    assert (edited.id, edited.body, edited.mirror_of) == (
        comment.id,
        "second **take**",
        source.marker_id,
    )
    assert [edited] == list(pulled(jira, item.ref.key).comments)


def test_users_own_comments_have_no_marker(sandbox: JiraSandbox, jira: JiraConnector) -> None:
    sandbox.create_issue("WEB", "t")
    sandbox.add_comment("WEB-1", "*Ada* on [x|http://y]:\n\nmine")
    (comment,) = pulled(jira, "WEB-1").comments
    assert comment.mirror_of is None
    assert comment.body.startswith("**Ada** on [x](http://y):")


# ---------------------------------------------------------------- crash recovery, filters


def test_find_twin_reads_the_marker_from_one_search(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    sandbox.create_issue("WEB", "a user's own issue")
    created = jira.create_item("WEB", TaskFields(title="mirrored"), origin(12))
    mark = sandbox.log.mark()

    found = jira.find_twin("WEB", "gh:acme/web#12")
    missing = jira.find_twin("WEB", "gh:acme/web#99")

    assert found == created
    assert missing is None
    # A twin missing from search may only not be indexed yet: the keys after the newest
    # one search shows are read directly until three in a row do not exist.
    probes = [("GET", f"/issue/WEB-{n}") for n in (3, 4, 5)]
    assert calls(sandbox.log.since(mark)) == [("POST", "/search/jql")] * 2 + probes
    assert sandbox.queries[-1] == ('project = "WEB" AND created >= "-60m" ORDER BY created DESC')


def test_pull_reads_markers_inline(sandbox: JiraSandbox, jira: JiraConnector) -> None:
    created = jira.create_item("WEB", TaskFields(title="mirrored"), origin(3))
    mark = sandbox.log.mark()
    result = jira.pull("WEB", {})
    assert [t.twin_of for t in result.tasks] == ["gh:acme/web#3"]
    assert result.tasks == [created]
    assert len(sandbox.log.since(mark)) == 2  # one search page, the versions


@pytest.mark.parametrize("deployment", ["Cloud", "Server"])
def test_filter_keys_pages_a_key_only_search(deployment: str) -> None:
    sandbox = make_sandbox(deployment)
    for index in range(150):
        sandbox.create_issue("WEB", f"i{index}", labels=["public"] if index % 2 else [])
    with serve(sandbox) as url:
        conn = make_connector(url, server=deployment == "Server")
        keys = conn.filter_keys("WEB", "labels = public")
    assert keys == {f"WEB-{n + 1}" for n in range(150) if n % 2}
    assert sandbox.queries[-1] == 'project = "WEB" AND (labels = public)'


# ---------------------------------------------------------------- failures


def test_a_refused_item_is_item_failed(jira: JiraConnector) -> None:
    with pytest.raises(ItemFailed) as caught:
        jira.create_item("WEB", TaskFields(title="two\nlines"), origin())
    assert caught.value.ref == "gh:acme/web#12"
    assert "newline" in caught.value.reason


def test_a_write_is_not_repeated_on_a_server_error(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    sandbox.faults.error_rate = 1.0
    mark = sandbox.log.mark()
    # Only this item fails (the link goes on); the engine looks for it by marker.
    with pytest.raises(WriteUnanswered, match="not repeated"):
        jira.create_item("WEB", TaskFields(title="t"), origin())
    assert calls(sandbox.log.since(mark)) == [("POST", "/issue")]


def test_wrong_credentials_on_write_are_auth_refused(sandbox: JiraSandbox) -> None:
    with serve(sandbox) as url:
        conn = make_connector(url, api="cloud", env={"JIRA_EMAIL": "x", "JIRA_TOKEN": "bad"})
        with pytest.raises(AuthRefused):
            conn.create_item("WEB", TaskFields(title="t"), origin())


def test_server_assigns_by_user_name() -> None:
    sandbox = make_sandbox("Server")
    sandbox.add_user(ADA, "Ada Lovelace", name="ada")
    with serve(sandbox) as url:
        conn = make_connector(url, server=True)
        # As in a sync, a pull comes first: it finds this site's Flagged field, which the
        # created task's digests (`fingerprint`) name like the pull's.
        conn.pull("WEB", {})
        created = conn.create_item("WEB", TaskFields(title="t", assignees=("ada",)), origin())
        assert created.assignees == ("ada",)
        assert created == pulled(conn, created.ref.key)


def test_capabilities() -> None:
    assert (JiraConnector.display_name, JiraConnector.labels_allow_spaces) == ("Jira", False)
    assert JiraConnector.distinct_open_statuses
    assert not JiraConnector.at_mentions
    assert not JiraConnector.renders_html
    assert JiraConnector.text_limit == 30_000
