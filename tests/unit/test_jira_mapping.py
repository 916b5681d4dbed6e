"""Jira issue and version JSON → the common task model (no HTTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from trackersync.connectors.jira import mapping, workflow
from trackersync.errors import MalformedData
from trackersync.sync.model import Ref, StatusCategory


def status(name: str, key: str) -> dict[str, Any]:
    return {"name": name, "id": "1", "statusCategory": {"key": key, "name": name}}


def make_issue(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "summary": "Fix login",
        "description": None,
        "status": status("To Do", "new"),
        "resolution": None,
        "assignee": None,
        "labels": [],
        "fixVersions": [],
        "duedate": None,
        "issuetype": {"name": "Task"},
        "parent": None,
        "created": "2026-11-25T19:08:40.123+0100",
        "updated": "2026-11-25T19:09:00.456+0100",
        "comment": {"comments": [], "total": 0, "maxResults": 0, "startAt": 0},
        "issuelinks": [],
    }
    base.update(fields)
    return {"id": "10001", "key": "WEB-7", "self": "x", "fields": base}


def to_task(raw: dict[str, Any], flagged_field: str | None = None) -> Any:
    return mapping.task_from_issue(
        raw,
        connector="jira",
        project="WEB",
        base_url="https://acme.atlassian.net/",
        flagged_field=flagged_field,
    )


@pytest.mark.parametrize(
    ("fields", "name", "category"),
    [
        pytest.param({"status": status("To Do", "new")}, "To Do", "todo", id="new-todo"),
        pytest.param(
            {"status": status("In Review", "indeterminate")},
            "In Review",
            "in_progress",
            id="indeterminate-in-progress",
        ),
        pytest.param(
            {"status": status("Done", "done"), "resolution": {"name": "Done"}},
            "Done",
            "done",
            id="done-resolved",
        ),
        pytest.param({"status": status("Closed", "done")}, "Closed", "done", id="done-no-res"),
        *[
            pytest.param(
                {"status": status("Done", "done"), "resolution": {"name": resolution}},
                "Done",
                "canceled",
                id=f"done-{resolution.lower().replace(' ', '-')}",
            )
            for resolution in ("Won't Do", "Won't Fix", "Duplicate", "Cannot Reproduce", "Declined")
        ],
        pytest.param(
            {"status": status("Geschlossen", "done"), "resolution": {"name": "Fertig"}},
            "Geschlossen",
            "done",
            id="localised-names-use-category-key",
        ),
    ],
)
def test_status(fields: dict[str, Any], name: str, category: str) -> None:
    task = to_task(make_issue(**fields))
    assert (task.status.name, task.status.category) == (name, StatusCategory(category))


@pytest.mark.parametrize(
    ("fields", "attribute", "expected"),
    [
        pytest.param({}, "title", "Fix login", id="title"),
        pytest.param({"description": "h1. Hello\n* one"}, "body", "# Hello\n- one", id="wiki-body"),
        pytest.param({}, "body", "", id="no-description"),
        pytest.param(
            {"assignee": {"accountId": "abc", "displayName": "Ann"}},
            "assignees",
            ("abc",),
            id="assignee-cloud",
        ),
        pytest.param(
            {"assignee": {"name": "ann", "displayName": "Ann"}},
            "assignees",
            ("ann",),
            id="assignee-server",
        ),
        pytest.param({"labels": ["ui", "public"]}, "labels", ("ui", "public"), id="labels"),
        pytest.param(
            {"fixVersions": [{"name": "2.0"}, {"name": "2.1"}]}, "milestone", "2.0", id="version"
        ),
        pytest.param({}, "milestone", None, id="no-version"),
        pytest.param({"duedate": "2026-12-15"}, "due", date(2026, 12, 15), id="due"),
        pytest.param({"issuetype": {"name": "Bug"}}, "type", "Bug", id="type"),
        pytest.param({"parent": {"key": "WEB-1"}}, "parent", "jira:WEB#WEB-1", id="parent"),
        pytest.param({"parent": {"key": "OPS-4"}}, "parent", "jira:OPS#OPS-4", id="parent-other"),
        pytest.param(
            {}, "created_at", datetime(2026, 11, 25, 18, 8, 40, 123000, tzinfo=UTC), id="created"
        ),
        pytest.param({}, "url", "https://acme.atlassian.net/browse/WEB-7", id="url"),
        pytest.param({}, "ref", Ref("jira", "WEB", "WEB-7"), id="ref"),
    ],
)
def test_fields(fields: dict[str, Any], attribute: str, expected: Any) -> None:
    assert getattr(to_task(make_issue(**fields)), attribute) == expected


def test_raw_is_small_and_keeps_the_wiki_text() -> None:
    links = [
        {"type": {"name": "Blocks"}, "inwardIssue": {"key": "WEB-3"}},
        {"type": {"name": "Relates"}, "outwardIssue": {"key": "API-9"}},
    ]
    raw = make_issue(
        description="*bold*",
        issuelinks=links,
        status=status("Done", "done"),
        resolution={"name": "Won't Do"},
        customfield_10021=[{"value": "Impediment"}],
    )
    task = to_task(raw, flagged_field="customfield_10021")
    assert task.raw == {
        "id": "10001",
        "key": "WEB-7",
        "statusCategory": "done",
        "resolution": "Won't Do",
        "issuelinks": [
            {"type": "Blocks", "direction": "inward", "key": "WEB-3"},
            {"type": "Relates", "direction": "outward", "key": "API-9"},
        ],
        "flagged": True,
        "description_wiki": "*bold*",
    }


def test_comments_are_markdown_with_the_author_name() -> None:
    comment = {
        "id": "100",
        "author": {"accountId": "abc", "displayName": "Ann"},
        "body": "see {{main}}",
        "created": "2026-11-25T19:10:00.000+0100",
        "updated": "2026-11-25T19:11:00.000+0100",
    }
    task = to_task(make_issue(comment={"comments": [comment], "total": 1}))
    (only,) = task.comments
    assert (only.id, only.author, only.body) == ("100", "Ann", "see `main`")
    assert only.updated_at == datetime(2026, 11, 25, 18, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "2026-11-25T19:08:40.123+0100",
            datetime(2026, 11, 25, 18, 8, 40, 123000, tzinfo=UTC),
            id="jira-millis",
        ),
        pytest.param(
            "2026-11-25T19:08:40+0100", datetime(2026, 11, 25, 18, 8, 40, tzinfo=UTC), id="seconds"
        ),
        pytest.param(
            "2026-11-25T18:08:40.000Z", datetime(2026, 11, 25, 18, 8, 40, tzinfo=UTC), id="zulu"
        ),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert mapping.parse_time(text) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({"key": "WEB-1"}, id="no-fields"),
        pytest.param(
            make_issue(status={"statusCategory": {"key": "new"}}), id="status-without-name"
        ),
        pytest.param(make_issue(updated="yesterday"), id="bad-timestamp"),
        pytest.param(make_issue(updated="2026-11-25T19:08:40"), id="naive-timestamp"),
    ],
)
def test_malformed_issues_raise(raw: dict[str, Any]) -> None:
    with pytest.raises(MalformedData):
        to_task(raw)


@pytest.mark.parametrize(
    ("raw", "state", "due"),
    [
        pytest.param(
            {"id": "1", "name": "2.0", "released": False, "releaseDate": "2026-12-15"},
            "open",
            date(2026, 12, 15),
            id="open-with-date",
        ),
        pytest.param({"id": "2", "name": "1.0", "released": True}, "closed", None, id="released"),
    ],
)
def test_versions(raw: dict[str, Any], state: str, due: date | None) -> None:
    milestone = mapping.milestone_from_version(raw, connector="jira", project="WEB")
    assert (milestone.name, milestone.state, milestone.due) == (raw["name"], state, due)
    assert milestone.scope == Ref("jira", "WEB")


# ---------------------------------------------------------------- markers


def test_the_marker_property_becomes_twin_of() -> None:
    raw = make_issue()
    raw["properties"] = {"trackersync": {"twin_of": "gh:acme/web#12"}}
    assert to_task(raw).twin_of == "gh:acme/web#12"
    raw["properties"] = {"trackersync": {"other": 1}}
    assert to_task(raw).twin_of is None


def test_a_mirrored_comment_loses_header_and_marker() -> None:
    wiki = mapping.comment_wiki(
        "Looks **good**", "Pat [~x]", ("GitHub acme/web#12", "https://gh/x|y"), "gh:r#12/5"
    )
    assert wiki == (
        "*Pat \\[\\~x\\]* on [GitHub acme/web#12|https://gh/x%7Cy]:\n\n"
        "Looks *good*\n\n{color:#97a0af}trackersync:comment=gh:r#12/5{color}"
    )
    body, marker = mapping.split_comment(wiki)
    assert (body, marker) == ("Looks *good*", "gh:r#12/5")


@pytest.mark.parametrize(
    ("wiki", "body", "marker"),
    [
        pytest.param("*A* on [x|y]:\n\nhi", "*A* on [x|y]:\n\nhi", None, id="no-marker-kept"),
        pytest.param(
            "*A* on [x|y]:\n\n{color:#97a0af}trackersync:comment=j:W#W-1/2{color}",
            "",
            "j:W#W-1/2",
            id="empty-body",
        ),
        pytest.param(
            "text {color:#97a0af}trackersync:comment=a{color} more", None, None, id="not-at-end"
        ),
    ],
)
def test_split_comment(wiki: str, body: str | None, marker: str | None) -> None:
    assert mapping.split_comment(wiki) == (wiki if body is None else body, marker)


# ---------------------------------------------------------------- transitions


def transition(tid: str, to: str, key: str, resolutions: list[str] | None = None) -> dict:
    item: dict[str, Any] = {"id": tid, "name": f"to {to}", "to": status(to, key)}
    if resolutions is not None:
        item["fields"] = {"resolution": {"allowedValues": [{"name": r} for r in resolutions]}}
    return item


CUSTOM_WORKFLOW = {
    "transitions": [
        transition("2", "Doing", "indeterminate"),
        transition("5", "Closed", "done", ["Fixed", "Won't Fix", "Duplicate"]),
        transition("7", "Backlog", "new"),
    ]
}


@pytest.mark.parametrize(
    ("wanted", "tid", "fields"),
    [
        pytest.param(StatusCategory.TODO, "7", {}, id="todo"),
        pytest.param(StatusCategory.IN_PROGRESS, "2", {}, id="in-progress"),
        pytest.param(StatusCategory.DONE, "5", {"resolution": {"name": "Fixed"}}, id="done"),
        pytest.param(
            StatusCategory.CANCELED, "5", {"resolution": {"name": "Won't Fix"}}, id="canceled"
        ),
    ],
)
def test_transitions_are_chosen_by_category(
    wanted: StatusCategory, tid: str, fields: dict[str, Any]
) -> None:
    options = workflow.parse_transitions(CUSTOM_WORKFLOW)
    chosen, sent = workflow.choose(options, wanted) or (None, None)
    assert (chosen.id if chosen else None, sent) == (tid, fields)


def test_a_cancel_named_status_needs_no_resolution() -> None:
    data = {
        "transitions": [
            transition("3", "Done", "done"),
            transition("4", "Cancelled", "done"),
        ]
    }
    options = workflow.parse_transitions(data)
    assert workflow.choose(options, StatusCategory.CANCELED) == (options[1], {})
    assert workflow.choose(options, StatusCategory.DONE) == (options[0], {})
    assert workflow.choose(options, StatusCategory.TODO) is None
    # Both lead to done and nothing leads back: no route to an open status is known.
    assert workflow.route({"Open": options}, "Open", StatusCategory.TODO).steps == ()
