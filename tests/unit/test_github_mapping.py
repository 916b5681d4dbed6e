"""GitHub JSON -> task model, and the `since` window arithmetic; no HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackersync.connectors.github.client import parse_links
from trackersync.connectors.github.connector import (
    GitHubConfig,
    Window,
    advance,
    filter_params,
)
from trackersync.connectors.github.mapping import (
    comment_issue_number,
    comment_text,
    footer,
    is_pull_request,
    issue_to_task,
    split_comment,
    split_footer,
    state_edit,
    status_of,
    to_comment,
    to_milestone,
)
from trackersync.errors import ConfigError, MalformedData
from trackersync.sync.model import Origin, Ref, Status, StatusCategory

STAMP = "2026-11-25T18:08:40Z"


def make_issue(**overrides: Any) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "url": "https://api.github.com/repos/acme/web/issues/12",
        "html_url": "https://github.com/acme/web/issues/12",
        "id": 9012,
        "node_id": "I_kwDO9012",
        "number": 12,
        "title": "Crash on save",
        "body": "It **crashes**.",
        "user": {"login": "octocat", "id": 1},
        "labels": [{"name": "bug", "color": "d73a4a"}],
        "state": "open",
        "state_reason": None,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": 0,
        "created_at": "2026-11-20T10:00:00Z",
        "updated_at": STAMP,
        "closed_at": None,
    }
    issue.update(overrides)
    return issue


def person(login: str) -> dict[str, Any]:
    return {"login": login, "id": 7}


def label(name: str) -> dict[str, Any]:
    return {"name": name, "color": "ededed"}


STATUS_CASES = [
    pytest.param({}, StatusCategory.TODO, id="open-unassigned-is-todo"),
    pytest.param({"assignees": [person("ada")]}, StatusCategory.IN_PROGRESS, id="open-assigned"),
    pytest.param(
        {"assignees": None, "assignee": person("ada")},
        StatusCategory.IN_PROGRESS,
        id="open-legacy-assignee-field",
    ),
    pytest.param({"labels": [label("In Progress")]}, StatusCategory.IN_PROGRESS, id="label-spaced"),
    pytest.param({"labels": [label("in-progress")]}, StatusCategory.IN_PROGRESS, id="label-dashed"),
    pytest.param({"labels": [label("IN_PROGRESS")]}, StatusCategory.IN_PROGRESS, id="label-upper"),
    pytest.param({"labels": [label("progress")]}, StatusCategory.TODO, id="label-not-quite"),
    pytest.param({"state": "closed", "state_reason": "completed"}, StatusCategory.DONE, id="done"),
    pytest.param(
        {"state": "closed", "state_reason": None}, StatusCategory.DONE, id="closed-no-reason"
    ),
    pytest.param(
        {"state": "closed", "state_reason": "not_planned"},
        StatusCategory.CANCELED,
        id="not-planned",
    ),
    pytest.param(
        {"state": "closed", "state_reason": "duplicate"}, StatusCategory.CANCELED, id="duplicate"
    ),
    pytest.param(
        {"state": "closed", "state_reason": "completed", "assignees": [person("ada")]},
        StatusCategory.DONE,
        id="closed-wins-over-assignee",
    ),
    pytest.param(
        {"state": "open", "state_reason": "reopened"}, StatusCategory.TODO, id="reopened-is-todo"
    ),
]


@pytest.mark.parametrize(("overrides", "category"), STATUS_CASES)
def test_status_category(overrides: dict[str, Any], category: StatusCategory) -> None:
    status = status_of(make_issue(**overrides))
    assert status.category is category
    assert status.name == make_issue(**overrides)["state"]


def test_issue_to_task_maps_every_field() -> None:
    milestone = {"title": "v2.0", "number": 3}
    item = make_issue(
        assignees=[person("ada"), person("bob")],
        labels=[label("bug"), label("ui")],
        milestone=milestone,
        type={"id": 1, "name": "Bug"},
    )

    task = issue_to_task("gh", "acme/web", item)

    assert task.ref == Ref("gh", "acme/web", "12")
    assert str(task.ref) == "gh:acme/web#12"
    assert task.url == "https://github.com/acme/web/issues/12"
    assert (task.title, task.body) == ("Crash on save", "It **crashes**.")
    assert task.assignees == ("ada", "bob")
    assert task.labels == ("bug", "ui")
    assert task.milestone == "v2.0"
    assert task.type == "Bug"
    assert task.updated_at == datetime(2026, 11, 25, 18, 8, 40, tzinfo=UTC)
    assert task.created_at.tzinfo is not None
    assert task.raw == {
        "number": 12,
        "id": 9012,
        "node_id": "I_kwDO9012",
        "state": "open",
        "state_reason": None,
        "html_url": "https://github.com/acme/web/issues/12",
        "author": "octocat",
    }


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"body": None}, "", id="null-body-is-empty"),
        pytest.param({"labels": []}, (), id="no-labels"),
        pytest.param({"milestone": None}, None, id="no-milestone"),
    ],
)
def test_issue_to_task_empty_values(overrides: dict[str, Any], expected: Any) -> None:
    task = issue_to_task("gh", "acme/web", make_issue(**overrides))
    field = next(iter(overrides))
    assert getattr(task, field) == expected


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param({"number": None, "html_url": None}, id="null-url"),
        pytest.param({"updated_at": "yesterday"}, id="bad-timestamp"),
        pytest.param({"labels": [{"colour": "x"}]}, id="label-without-name"),
        pytest.param({"updated_at": "2026-11-25T18:08:40"}, id="naive-timestamp"),
    ],
)
def test_malformed_issue_raises_malformed_data(broken: dict[str, Any]) -> None:
    with pytest.raises(MalformedData, match="issue"):
        issue_to_task("gh", "acme/web", make_issue(**broken))


def test_missing_key_is_malformed_data() -> None:
    item = make_issue()
    del item["title"]
    with pytest.raises(MalformedData):
        issue_to_task("gh", "acme/web", item)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param(make_issue(), False, id="issue"),
        pytest.param(
            make_issue(pull_request={"url": "x", "html_url": "https://h/pull/1"}),
            True,
            id="pull-request",
        ),
        pytest.param(
            make_issue(pull_request={"url": None, "html_url": None, "diff_url": None}),
            False,
            id="null-html-url-is-an-issue",
        ),
    ],
)
def test_pull_requests_are_recognised_by_their_page(item: dict[str, Any], expected: bool) -> None:
    assert is_pull_request(item) is expected


def test_comment_mapping() -> None:
    item = {
        "id": 55,
        "issue_url": "https://ghe.example/api/v3/repos/acme/web/issues/12",
        "user": person("ada"),
        "body": "Looks good @bob",
        "created_at": "2026-11-25T18:00:00Z",
        "updated_at": STAMP,
    }

    comment = to_comment(item)

    assert (comment.id, comment.author, comment.body) == ("55", "ada", "Looks good @bob")
    assert comment.updated_at > comment.created_at
    assert comment_issue_number(item) == "12"


def test_comment_with_deleted_user_has_no_author() -> None:
    item = {"id": 1, "user": None, "body": None, "created_at": STAMP, "updated_at": STAMP}
    comment = to_comment(item)
    assert (comment.author, comment.body) == (None, "")


def test_comment_issue_url_must_end_in_a_number() -> None:
    with pytest.raises(MalformedData):
        comment_issue_number({"id": 1, "issue_url": "https://x/repos/a/b/issues/"})


@pytest.mark.parametrize(
    ("due_on", "due"),
    [
        pytest.param("2026-12-15T08:00:00Z", date(2026, 12, 15), id="timestamp"),
        pytest.param(None, None, id="no-due-date"),
    ],
)
def test_milestone_mapping(due_on: str | None, due: date | None) -> None:
    item = {
        "number": 3,
        "id": 77,
        "title": "v2.0",
        "description": None,
        "state": "open",
        "due_on": due_on,
        "open_issues": 4,
        "closed_issues": 6,
        "html_url": "https://github.com/acme/web/milestone/3",
    }

    milestone = to_milestone("gh", "acme/web", item)

    assert milestone.scope == Ref("gh", "acme/web")
    assert (milestone.id, milestone.name, milestone.description) == ("3", "v2.0", "")
    assert milestone.due == due
    assert milestone.raw["open_issues"] == 4


# ---------------------------------------------------------------- since window

DATE = datetime(2026, 11, 25, 18, 10, 0, tzinfo=UTC)


def item(key: int, stamp: str) -> dict[str, Any]:
    return {"number": key, "updated_at": stamp}


ADVANCE_CASES = [
    pytest.param(
        Window(),
        [item(1, "2026-11-25T18:00:00Z"), item(2, "2026-11-25T18:05:00Z")],
        DATE,
        Window("2026-11-25T18:05:01Z"),
        id="past-second-moves-one-on",
    ),
    pytest.param(
        Window(),
        [item(1, "2026-11-25T18:09:59Z"), item(2, "2026-11-25T18:09:59Z")],
        DATE,
        Window(
            "2026-11-25T18:09:59Z",
            None,
            frozenset({(1, "2026-11-25T18:09:59Z"), (2, "2026-11-25T18:09:59Z")}),
        ),
        id="second-too-close-to-date-stays-inclusive",
    ),
    pytest.param(
        Window(),
        [item(1, "2026-11-25T18:10:00Z")],
        DATE,
        Window("2026-11-25T18:10:00Z", None, frozenset({(1, "2026-11-25T18:10:00Z")})),
        id="current-second-stays-inclusive",
    ),
    pytest.param(
        Window("2026-11-25T18:10:00Z", "etag", frozenset({(1, "2026-11-25T18:10:00Z")})),
        [item(2, "2026-11-25T18:10:00Z")],
        None,
        Window(
            "2026-11-25T18:10:00Z",
            None,
            frozenset({(1, "2026-11-25T18:10:00Z"), (2, "2026-11-25T18:10:00Z")}),
        ),
        id="same-boundary-accumulates-seen",
    ),
    pytest.param(
        Window("2026-11-25T18:00:00Z", "etag", frozenset({(1, "2026-11-25T18:00:00Z")})),
        [],
        DATE,
        Window("2026-11-25T18:00:00Z", None, frozenset({(1, "2026-11-25T18:00:00Z")})),
        id="empty-batch-keeps-since",
    ),
]


@pytest.mark.parametrize(("window", "batch", "date_header", "expected"), ADVANCE_CASES)
def test_advance(
    window: Window, batch: list[dict[str, Any]], date_header: datetime | None, expected: Window
) -> None:
    assert advance(window, batch, "number", date_header) == expected


def test_window_round_trips_through_json_form() -> None:
    window = Window("2026-11-25T18:10:00Z", 'W/"abc"', frozenset({(3, "2026-11-25T18:10:00Z")}))
    assert Window.load(window.dump()) == window
    assert Window.load({}) == Window()


def test_parse_links() -> None:
    header = (
        '<https://ghe.example/api/v3/repos/a/b/issues?state=all&page=2>; rel="next", '
        '<https://ghe.example/api/v3/repos/a/b/issues?state=all&page=5>; rel="last"'
    )
    assert parse_links(header) == {
        "next": "https://ghe.example/api/v3/repos/a/b/issues?state=all&page=2",
        "last": "https://ghe.example/api/v3/repos/a/b/issues?state=all&page=5",
    }
    assert parse_links("") == {}


@pytest.mark.parametrize(
    "repos",
    [
        pytest.param(["acme"], id="no-slash"),
        pytest.param(["acme/web/x"], id="two-slashes"),
        pytest.param(["acme/ web"], id="space"),
        pytest.param([], id="empty"),
    ],
)
def test_config_rejects_bad_repo_names(repos: list[str]) -> None:
    with pytest.raises(ValueError, match="owner/name|repository"):
        GitHubConfig(type="github", token_env="GITHUB_TOKEN", repos=repos)


def test_config_defaults() -> None:
    config = GitHubConfig(type="github", token_env="GITHUB_TOKEN", repos=["acme/web"])
    assert config.url == "https://api.github.com"
    assert config.write_interval.total_seconds() == 1
    assert config.timeout.total_seconds() == 30
    assert (
        GitHubConfig(
            type="github", token_env="T", repos=["a/b"], write_interval="0", timeout="5s"
        ).timeout.total_seconds()
        == 5
    )


# ---------------------------------------------------------------- markers

ORIGIN = Origin(ref="jira:WEB#WEB-7", url="https://acme.atlassian.net/browse/WEB-7", system="Jira")
COMMENT_ORIGIN = ORIGIN.model_copy(update={"comment_id": "10001", "author": "Pat"})


def test_footer_has_the_documented_shape() -> None:
    assert footer(ORIGIN) == (
        "\n\n---\n<sub>Mirrored from [Jira WEB-7](https://acme.atlassian.net/browse/WEB-7)"
        " by trackersync</sub>\n<!-- trackersync:twin_of=jira:WEB#WEB-7 -->"
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("", id="empty"),
        pytest.param("plain", id="plain"),
        pytest.param("ends in a newline\n", id="trailing-newline"),
        pytest.param("mine\n\n---\n\nstill mine", id="users-own-rule"),
        pytest.param("a\n---\nb", id="setext-like"),
        pytest.param("x" + footer(ORIGIN).replace("WEB-7", "WEB-1"), id="footer-quoted-twice"),
    ],
)
def test_footer_strips_exactly(body: str) -> None:
    split = split_footer(body + footer(ORIGIN))
    assert (split.text, split.twin_of) == (body, "jira:WEB#WEB-7")
    assert split.footer == footer(ORIGIN)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_footer_round_trips_any_body(body: str) -> None:
    assert split_footer(body + footer(ORIGIN)).text == body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("no footer\n\n---\n<sub>by hand</sub>", None, id="lookalike"),
        pytest.param("<!-- trackersync:twin_of=jira:WEB#WEB-1 -->", None, id="marker-alone"),
        pytest.param(
            footer(ORIGIN).replace("\n", "\r\n"), "jira:WEB#WEB-7", id="crlf-after-web-edit"
        ),
        pytest.param(footer(ORIGIN).lstrip("\n"), "jira:WEB#WEB-7", id="leading-blank-trimmed"),
    ],
)
def test_footer_recognition(text: str, expected: str | None) -> None:
    assert split_footer(text).twin_of == expected


def test_text_written_below_the_footer_is_kept() -> None:
    split = split_footer("top" + footer(ORIGIN) + "\n\nbelow")
    assert (split.text, split.twin_of) == ("top\n\nbelow", "jira:WEB#WEB-7")


def test_issue_to_task_reads_the_marker_into_twin_of() -> None:
    task = issue_to_task("gh", "acme/web", make_issue(body="Text" + footer(ORIGIN)))
    assert task.body == "Text"
    assert task.twin_of == "jira:WEB#WEB-7"
    assert task.raw["footer"] == footer(ORIGIN)
    assert issue_to_task("gh", "acme/web", make_issue()).twin_of is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("", id="empty"),
        pytest.param("one line", id="line"),
        pytest.param("**Bold** on [x](y):\n\nlooks like a header", id="header-lookalike"),
        pytest.param("```\ncode\n```\n", id="code-and-newline"),
    ],
)
def test_comment_marker_round_trips(body: str) -> None:
    text = comment_text(body, COMMENT_ORIGIN)
    assert text.startswith("**Pat** on [Jira WEB-7](https://acme.atlassian.net/browse/WEB-7):\n\n")
    assert text.endswith("\n<!-- trackersync:comment=jira:WEB#WEB-7/10001 -->")
    assert split_comment(text) == (body, "jira:WEB#WEB-7/10001")


def test_a_users_comment_has_no_marker() -> None:
    text = "**Pat** on [Jira WEB-7](u):\n\nwritten by hand"
    assert split_comment(text) == (text, None)


def test_mirrored_comment_maps_to_mirror_of() -> None:
    item = {
        "id": 5,
        "user": person("trackersync-bot"),
        "body": comment_text("hi", COMMENT_ORIGIN),
        "created_at": STAMP,
        "updated_at": STAMP,
    }
    comment = to_comment(item)
    assert (comment.body, comment.mirror_of) == ("hi", "jira:WEB#WEB-7/10001")


def test_author_and_origin_are_escaped_in_the_header() -> None:
    odd = Origin(
        ref="jira:WEB#WEB-7",
        url="https://x/a b(c)",
        system="Jira",
        comment_id="1",
        author="@org/team *[x]*",
    )
    header = comment_text("b", odd).split("\n", 1)[0]
    # A zero-width space after the `@`: GitHub ignores the backslash when finding mentions.
    expected = "**\\@\u200borg/team \\*\\[x\\]\\*** on [Jira WEB-7](https://x/a%20b%28c%29):"
    assert header == expected
    assert split_comment(comment_text("b", odd)) == ("b", "jira:WEB#WEB-7/1")


# ---------------------------------------------------------------- state edits

OPEN, OPEN_STARTED = (
    Status(name="open", category="todo"),
    Status(name="open", category="in_progress"),
)
DONE, CANCELED = Status(name="closed", category="done"), Status(name="closed", category="canceled")
CLOSE_DONE = {"state": "closed", "state_reason": "completed"}
CLOSE_CANCELED = {"state": "closed", "state_reason": "not_planned"}
REOPEN = {"state": "open", "state_reason": "reopened"}


@pytest.mark.parametrize(
    ("current", "target", "edit", "reopen_first"),
    [
        pytest.param(OPEN, "todo", {}, False, id="open-todo"),
        pytest.param(OPEN, "in_progress", {}, False, id="open-started-is-one-state"),
        pytest.param(OPEN_STARTED, "todo", {}, False, id="started-todo"),
        pytest.param(OPEN, "done", CLOSE_DONE, False, id="close-done"),
        pytest.param(OPEN_STARTED, "canceled", CLOSE_CANCELED, False, id="close-canceled"),
        pytest.param(DONE, "done", {}, False, id="already-done"),
        pytest.param(CANCELED, "canceled", {}, False, id="already-canceled"),
        pytest.param(DONE, "canceled", CLOSE_CANCELED, True, id="done-to-canceled"),
        pytest.param(CANCELED, "done", CLOSE_DONE, True, id="canceled-to-done"),
        pytest.param(DONE, "todo", REOPEN, False, id="reopen"),
        pytest.param(CANCELED, "in_progress", REOPEN, False, id="reopen-started"),
    ],
)
def test_state_edit(current: Status, target: str, edit: dict[str, str], reopen_first: bool) -> None:
    assert state_edit(current, StatusCategory(target)) == (edit, reopen_first)


# ---------------------------------------------------------------- link filters


@pytest.mark.parametrize(
    ("query", "labels"),
    [
        pytest.param({"labels": ["jira", "public"]}, "jira,public", id="dict-list"),
        pytest.param({"labels": "jira"}, "jira", id="dict-one"),
        pytest.param("jira, public ,", "jira,public", id="comma-text"),
    ],
)
def test_filter_params(query: Any, labels: str) -> None:
    assert filter_params("gh", query) == {"labels": labels}


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"milestone": "v1"}, id="unknown-key"),
        pytest.param({"labels": []}, id="no-labels"),
        pytest.param(" , ", id="blank-text"),
    ],
)
def test_filter_params_refuses_what_it_cannot_do(query: Any) -> None:
    with pytest.raises(ConfigError):
        filter_params("gh", query)


@pytest.mark.parametrize(
    ("labels", "blocked"),
    [([label("Blocked")], True), ([label("bug")], False), ([], False)],
    ids=["blocked-label", "other-label", "none"],
)
def test_a_blocked_label_is_the_blocked_field(labels: list[dict[str, Any]], blocked: bool) -> None:
    task = issue_to_task("gh", "acme/web", make_issue(labels=labels, milestone={"title": "v2.0"}))
    assert task.blocked is blocked
    assert task.fix_versions == ("v2.0",)
