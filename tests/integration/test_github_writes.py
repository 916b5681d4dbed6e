"""The GitHub connector's writes against the sandbox: every write returns what the next
pull shows (write, pull, compare), and costs what the sandbox log says it may."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from trackersync.connectors.github.connector import GitHubConfig, GitHubConnector
from trackersync.connectors.retry import RetryPolicy
from trackersync.errors import (
    AuthRefused,
    ConfigError,
    ItemFailed,
    WriteUnanswered,
)
from trackersync.sandbox.core import RequestRecord, SandboxServer
from trackersync.sandbox.github import GitHubSandbox
from trackersync.sync.model import Comment, Origin, StatusCategory, Task, TaskFields

TOKEN = "sandbox-token"
REPO = "acme/web"
ISSUES = f"/api/v3/repos/{REPO}/issues"
MILESTONES = f"/api/v3/repos/{REPO}/milestones"
NO_SLEEP = RetryPolicy(sleep=lambda _seconds: None)


def origin(key: str = "WEB-7", **extra: Any) -> Origin:
    return Origin(
        ref=f"jira:WEB#{key}",
        url=f"https://acme.atlassian.net/browse/{key}",
        system="Jira",
        **extra,
    )


@pytest.fixture
def sandbox() -> GitHubSandbox:
    app = GitHubSandbox(token=TOKEN)
    app.add_repo(REPO)
    return app


@pytest.fixture
def server(sandbox: GitHubSandbox) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox) as running:
        yield running


def make_connector(
    server: SandboxServer, *, token: str = TOKEN, policy: RetryPolicy = NO_SLEEP
) -> GitHubConnector:
    config = GitHubConfig(
        type="github",
        url=f"{server.origin}/api/v3",
        token_env="GH_TOKEN",
        repos=[REPO],
        write_interval="0s",
        timeout="5s",
    )
    return GitHubConnector("gh", config, {"GH_TOKEN": token}, retry_policy=policy)


@pytest.fixture
def connector(server: SandboxServer) -> Iterator[GitHubConnector]:
    conn = make_connector(server)
    yield conn
    conn.close()


def pulled(connector: GitHubConnector, ref: Any) -> Task:
    """The item as a fresh pull (no cursor) shows it."""
    return next(t for t in connector.pull(REPO, {}).tasks if t.ref == ref)


def pulled_comments(connector: GitHubConnector, key: str) -> list[Comment]:
    return connector.pull(REPO, {}).comments.get(key, [])


def calls(records: list[RequestRecord]) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in records]


# ---------------------------------------------------------------- create


def test_create_carries_every_field_and_pull_shows_exactly_what_it_returned(
    sandbox, connector
) -> None:
    sandbox.create_milestone(REPO, "v2.0")
    connector.pull(REPO, {})  # lists milestones: the create needs no look-up
    fields = TaskFields(
        title="[WEB] Crash on save: **not** a heading",
        body="It crashes.\n\n---\n\nMy own rule above survives.",
        status=StatusCategory.IN_PROGRESS,
        labels=("bug", "needs triage"),
        assignees=("ada",),
        milestone="v2.0",
    )
    mark = sandbox.log.mark()

    created = connector.create_item(REPO, fields, origin())

    assert calls(sandbox.log.since(mark)) == [("POST", ISSUES)]
    assert created == pulled(connector, created.ref)
    assert created.title == fields.title
    assert created.body == fields.body
    assert (created.twin_of, created.by_trackersync) == ("jira:WEB#WEB-7", True)
    assert (created.labels, created.assignees, created.milestone) == (
        ("bug", "needs triage"),
        ("ada",),
        "v2.0",
    )
    assert created.status.category is StatusCategory.IN_PROGRESS
    stored = sandbox.issue(REPO, int(created.ref.key))["body"]
    assert stored.startswith(fields.body + "\n\n---\n")
    assert "[Jira WEB-7](https://acme.atlassian.net/browse/WEB-7)" in stored
    assert stored.endswith("<!-- trackersync:twin_of=jira:WEB#WEB-7 -->")


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        pytest.param(StatusCategory.DONE, "completed", id="done"),
        pytest.param(StatusCategory.CANCELED, "not_planned", id="canceled"),
    ],
)
def test_create_an_already_closed_twin_takes_a_second_patch(
    sandbox, connector, status: StatusCategory, reason: str
) -> None:
    mark = sandbox.log.mark()

    created = connector.create_item(REPO, TaskFields(title="Old", status=status), origin())

    assert calls(sandbox.log.since(mark)) == [("POST", ISSUES), ("PATCH", f"{ISSUES}/1")]
    assert (created.status.name, created.raw["state_reason"]) == ("closed", reason)
    assert created.status.category is status
    assert created == pulled(connector, created.ref)


def test_a_body_at_text_limit_still_fits_with_its_footer(connector) -> None:
    body = "y" * GitHubConnector.text_limit
    long_url = Origin(ref="jira:WEB#WEB-77777", url="https://" + "a" * 200, system="Jira")
    created = connector.create_item(REPO, TaskFields(title="t", body=body), long_url)
    comment = connector.create_comment(
        created,
        body,
        long_url.model_copy(
            update={"comment_id": "1" * 12, "author": "A Very Long Display Name " * 3}
        ),
    )
    assert (created.body, comment.body) == (body, body)


def test_empty_body_round_trips_as_empty(connector) -> None:
    created = connector.create_item(REPO, TaskFields(title="t", body=""), origin())
    assert created.body == ""
    assert pulled(connector, created.ref).body == ""


def test_missing_milestone_is_created_once_per_run(sandbox, connector) -> None:
    mark = sandbox.log.mark()

    for n in range(5):
        fields = TaskFields(title=f"t{n}", milestone="Release 3")
        assert connector.create_item(REPO, fields, origin(f"WEB-{n}")).milestone == "Release 3"

    assert calls(sandbox.log.since(mark)) == [
        ("GET", MILESTONES),
        ("POST", MILESTONES),
        *[("POST", ISSUES)] * 5,
    ]
    assert [m["title"] for m in sandbox.milestones(REPO)] == ["Release 3"]


def test_creates_cost_one_request_each(sandbox, connector) -> None:
    mark = sandbox.log.mark()
    for n in range(20):
        fields = TaskFields(title=f"t{n}", body=f"b{n}", labels=("x",), status="todo")
        connector.create_item(REPO, fields, origin(f"WEB-{n}"))
    assert len(sandbox.log.since(mark)) == 20


# ---------------------------------------------------------------- update


@pytest.fixture
def twin(sandbox, connector) -> Task:
    sandbox.create_milestone(REPO, "v1")
    fields = TaskFields(title="Title", body="Body", labels=("bug",), milestone="v1")
    return connector.create_item(REPO, fields, origin())


def test_update_writes_every_changed_field_in_one_patch(sandbox, connector, twin) -> None:
    changes = TaskFields(
        title="Renamed",
        body="New body\n\nwith two paragraphs",
        status=StatusCategory.DONE,
        labels=("bug", "ui"),
        assignees=("ada", "bob"),
        milestone="v2",
    )
    connector.pull(REPO, {})  # milestones listed by the pull
    mark = sandbox.log.mark()

    written = connector.update_item(twin, changes)

    assert calls(sandbox.log.since(mark)) == [("POST", MILESTONES), ("PATCH", f"{ISSUES}/1")]
    assert written == pulled(connector, twin.ref)
    assert (written.title, written.body, written.milestone) == (
        "Renamed",
        "New body\n\nwith two paragraphs",
        "v2",
    )
    assert (written.labels, written.assignees) == (("bug", "ui"), ("ada", "bob"))
    assert (written.status.category, written.raw["state_reason"]) == ("done", "completed")
    assert written.twin_of == "jira:WEB#WEB-7"  # the footer survives a body edit


def test_update_skips_equal_fields_and_makes_no_request_when_nothing_differs(
    sandbox, connector, twin
) -> None:
    same = TaskFields(
        title="Title",
        body="Body",
        labels=("BUG",),  # GitHub label names are case-insensitive
        assignees=(),
        milestone="v1",
        status=StatusCategory.IN_PROGRESS,  # open is one state on GitHub
    )
    mark = sandbox.log.mark()

    assert connector.update_item(twin, same) is twin
    assert connector.update_item(twin, TaskFields()) is twin
    assert sandbox.log.since(mark) == []


def test_update_sends_only_the_fields_that_differ(sandbox, connector, twin) -> None:
    connector.update_item(twin, TaskFields(title="Title", body="Changed", labels=("bug",)))
    # The sandbox keeps every issue's fields: only the body moved, the rest is untouched.
    stored = sandbox.issue(REPO, 1)
    assert stored["title"] == "Title"
    assert stored["body"].startswith("Changed\n\n---\n")
    assert [label["name"] for label in stored["labels"]] == ["bug"]


def test_milestone_none_clears_it(connector, twin) -> None:
    written = connector.update_item(twin, TaskFields(milestone=None))
    assert written.milestone is None
    assert pulled(connector, twin.ref).milestone is None


@pytest.mark.parametrize(
    ("first", "then", "state", "reason", "requests"),
    [
        pytest.param("done", "canceled", "closed", "not_planned", 2, id="done-to-canceled"),
        pytest.param("canceled", "done", "closed", "completed", 2, id="canceled-to-done"),
        pytest.param("done", "todo", "open", "reopened", 1, id="reopen"),
        pytest.param("canceled", "in_progress", "open", "reopened", 1, id="reopen-to-started"),
        pytest.param("done", "done", "closed", "completed", 0, id="already-done"),
    ],
)
def test_status_moves_by_state_and_reason(  # noqa: PLR0913
    sandbox, connector, twin, first: str, then: str, state: str, reason: str, requests: int
) -> None:
    closed = connector.update_item(twin, TaskFields(status=first))
    mark = sandbox.log.mark()

    written = connector.update_item(closed, TaskFields(status=then))

    assert len(sandbox.log.since(mark)) == requests
    assert (written.status.name, written.raw["state_reason"]) == (state, reason)
    assert written == pulled(connector, twin.ref)


def test_a_user_edit_of_the_twin_keeps_its_marker(sandbox, connector, twin) -> None:
    stored = sandbox.issue(REPO, 1)["body"]
    sandbox.edit_issue(REPO, 1, body=stored.replace("Body", "Body edited on GitHub"))
    assert pulled(connector, twin.ref).body == "Body edited on GitHub"

    sandbox.edit_issue(REPO, 1, body=stored + "\n\nA note added below the footer")
    task = pulled(connector, twin.ref)
    assert task.body == "Body\n\nA note added below the footer"
    assert task.twin_of == "jira:WEB#WEB-7"


# ---------------------------------------------------------------- comments


def test_mirrored_comment_names_author_and_origin_and_round_trips(sandbox, connector, twin) -> None:
    source = origin(comment_id="10001", author="Pat")
    body = "Looks good.\n\n```\ncode\n```"
    mark = sandbox.log.mark()

    comment = connector.create_comment(twin, body, source)

    assert calls(sandbox.log.since(mark)) == [("POST", f"{ISSUES}/1/comments")]
    assert comment.mirror_of == "jira:WEB#WEB-7/10001"
    assert comment.body == body
    assert pulled_comments(connector, "1") == [comment]
    raw_text = connector.client.get(f"/repos/{REPO}/issues/comments/{comment.id}").data["body"]
    assert raw_text.startswith(
        "**Pat** on [Jira WEB-7](https://acme.atlassian.net/browse/WEB-7):\n\n"
    )
    assert raw_text.endswith("\n<!-- trackersync:comment=jira:WEB#WEB-7/10001 -->")


def test_update_comment_rewrites_once_and_skips_when_equal(sandbox, connector, twin) -> None:
    source = origin(comment_id="10001", author="Pat")
    comment = connector.create_comment(twin, "draft", source)
    mark = sandbox.log.mark()

    edited = connector.update_comment(twin, comment, "final", source)
    again = connector.update_comment(twin, edited, "final", source)

    assert calls(sandbox.log.since(mark)) == [("PATCH", f"{ISSUES}/comments/{comment.id}")]
    assert again is edited
    assert (edited.body, edited.mirror_of) == ("final", "jira:WEB#WEB-7/10001")
    assert pulled_comments(connector, "1") == [edited]


def test_a_users_comment_is_not_a_mirror(sandbox, connector, twin) -> None:
    sandbox.add_comment(REPO, 1, "**Someone** on [x](y):\n\nhand-written", user="ada")
    [comment] = pulled_comments(connector, "1")
    assert comment.mirror_of is None
    assert comment.body == "**Someone** on [x](y):\n\nhand-written"


def test_comment_author_cannot_ping_or_inject(sandbox, connector, twin) -> None:
    source = origin(comment_id="1", author="@team <b>*x*</b>")
    comment = connector.create_comment(twin, "hi", source)
    raw_text = connector.client.get(f"/repos/{REPO}/issues/comments/{comment.id}").data["body"]
    header = raw_text.split("\n", 1)[0]
    # GitHub ignores the backslash when it finds mentions; the zero-width space counts.
    assert "\\@\u200bteam" in header
    assert "<b>" not in header
    assert comment.body == "hi"


# ---------------------------------------------------------------- find_twin, filter_keys


def test_find_twin_looks_at_one_page_of_recent_issues(sandbox, connector) -> None:
    for n in range(3):
        sandbox.create_issue(REPO, f"user issue {n}")
    made = connector.create_item(REPO, TaskFields(title="twin"), origin("WEB-9"))
    sandbox.create_issue(REPO, "a pull request", pull_request=True)
    mark = sandbox.log.mark()

    found = connector.find_twin(REPO, "jira:WEB#WEB-9")
    missing = connector.find_twin(REPO, "jira:WEB#WEB-10")

    assert found == made
    assert missing is None
    records = sandbox.log.since(mark)
    assert len(records) == 2
    assert "sort=created" in records[0].query
    assert "direction=desc" in records[0].query


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"labels": ["jira", "public"]}, id="dict"),
        pytest.param("jira, public", id="comma-list"),
    ],
)
def test_filter_keys_requires_every_label(sandbox, connector, query) -> None:
    sandbox.create_issue(REPO, "both", labels=["jira", "public"])
    sandbox.create_issue(REPO, "one", labels=["jira"])
    sandbox.create_issue(REPO, "both, closed", labels=["Public", "jira"], state="closed")
    sandbox.create_issue(REPO, "a pull request", labels=["jira", "public"], pull_request=True)
    sandbox.create_issue(REPO, "none")

    assert connector.filter_keys(REPO, query) == {"1", "3"}


def test_filter_with_unknown_keys_is_a_config_error(connector) -> None:
    with pytest.raises(ConfigError, match="milestone"):
        connector.filter_keys(REPO, {"labels": ["x"], "milestone": "v1"})


# ---------------------------------------------------------------- limits and failures


def test_a_create_burst_backs_off_on_the_secondary_limit(sandbox, server) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        sandbox.clock.advance(timedelta(seconds=seconds))  # time passes on the server only

    sandbox.faults.secondary_limit = 3
    conn = make_connector(server, policy=RetryPolicy(sleep=sleep))
    for n in range(7):
        conn.create_item(REPO, TaskFields(title=f"t{n}"), origin(f"WEB-{n}"))
    conn.close()

    assert [issue["title"] for issue in sandbox.issues(REPO)] == [f"t{n}" for n in range(7)]
    assert sandbox.log.count("POST", ISSUES, status=403) == 2
    assert waits == [60.0, 60.0]


def test_a_failed_create_is_not_repeated(sandbox, connector) -> None:
    sandbox.faults.error_rate = 1.0
    # Only this item fails (the link goes on); the engine looks for it by marker.
    with pytest.raises(WriteUnanswered, match="not repeated"):
        connector.create_item(REPO, TaskFields(title="t"), origin())
    assert sandbox.log.count("POST", ISSUES) == 1


def test_a_missing_issue_is_an_item_failure_naming_it(sandbox, connector, twin) -> None:
    gone = twin.model_copy(update={"ref": twin.ref.item("99")})
    with pytest.raises(ItemFailed) as caught:
        connector.update_item(gone, TaskFields(title="x"))
    assert caught.value.ref == "gh:acme/web#99"


def test_a_rejected_create_is_an_item_failure_naming_the_origin(sandbox, connector) -> None:
    with pytest.raises(ItemFailed) as caught:
        connector.create_item(REPO, TaskFields(title="t", labels=("",)), origin())
    assert caught.value.ref == "jira:WEB#WEB-7"


def test_wrong_token_on_write_is_auth_refused(server) -> None:
    conn = make_connector(server, token="wrong")
    with pytest.raises(AuthRefused, match="GH_TOKEN"):
        conn.create_item(REPO, TaskFields(title="t"), origin())
    conn.close()


def test_writes_are_paced_by_write_interval_and_reads_are_not(server) -> None:
    config = GitHubConfig(type="github", url=f"{server.origin}/api/v3", token_env="T", repos=[REPO])
    conn = GitHubConnector("gh", config, {"T": TOKEN})
    kwargs = conn.client.github.requester.kwargs
    conn.close()
    assert (kwargs["seconds_between_writes"], kwargs["seconds_between_requests"]) == (1.0, 0)
    assert kwargs["retry"] is None  # call_with_retry is the one retry layer


def test_capabilities_the_engine_reads() -> None:
    assert GitHubConnector.display_name == "GitHub"
    assert GitHubConnector.labels_allow_spaces is True
    assert GitHubConnector.distinct_open_statuses is False
    assert (GitHubConnector.at_mentions, GitHubConnector.renders_html) == (True, True)
    assert GitHubConnector.text_limit == 65_000
