"""What a Jira write leaves on an issue, built without reading it back (no HTTP): the
built task equals the one a pull of the written issue maps, and whatever Jira decides on
its own is left to a read (None)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from trackersync.connectors.jira import mapping, written
from trackersync.connectors.jira.workflow import Transition
from trackersync.sync.model import StatusCategory, Task

URL = "https://acme.atlassian.net"
FLAGGED = "customfield_10021"
MOMENT = datetime(2026, 11, 29, 20, 0, 1, 250_000, tzinfo=UTC)
ADA = {"accountId": "5b10a2844c20165700ede21a", "displayName": "Ada Lovelace"}
VERSIONS = {"10100": "2.0", "10101": "3.0"}


def issue(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "summary": "Fix login",
        "description": "It *fails*.",
        "status": {"name": "To Do", "statusCategory": {"key": "new"}},
        "resolution": None,
        "assignee": None,
        "creator": ADA,
        "reporter": ADA,
        "labels": ["backend"],
        "fixVersions": [],
        "duedate": None,
        "issuetype": {"name": "Task"},
        "parent": None,
        "created": "2026-11-25T19:08:40.123+0100",
        "updated": "2026-11-25T19:09:00.456+0100",
        "comment": {"comments": [], "total": 0},
        "issuelinks": [],
        "attachment": [],
        FLAGGED: None,
    }
    properties = {mapping.PROPERTY: {"twin_of": "gh:acme/web#12"}}
    return {"id": "10001", "key": "WEB-7", "fields": base | fields, "properties": properties}


def task(raw: dict[str, Any]) -> Task:
    me = mapping.identity(ADA)
    return mapping.task_from_issue(
        raw, connector="jira", project="WEB", base_url=URL, flagged_field=FLAGGED, me=lambda: me
    )


def edited(item: Task, sent: dict[str, Any], after: written.StatusJson | None = None) -> Any:
    return written.edited(
        item,
        sent,
        after=after,
        moment=MOMENT,
        version_names=VERSIONS,
        base_url=URL,
        flagged_field=FLAGGED,
    )


def stamp() -> str:
    return MOMENT.isoformat(timespec="milliseconds")


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param({"summary": "Renamed"}, id="summary"),
        pytest.param({"description": "*New* body"}, id="description"),
        pytest.param({"description": None}, id="description-cleared"),
        pytest.param(
            {"summary": "x" * 254 + "…", "description": "Full title: " + "x" * 300 + "\n\nb"},
            id="title-cut",
        ),
        pytest.param({"labels": ["blocked", "ui"]}, id="labels-blocked"),
        pytest.param({"assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5"}}, id="assignee"),
        pytest.param({"assignee": None}, id="unassigned"),
        pytest.param({"fixVersions": [{"id": "10101"}]}, id="fix-version"),
        pytest.param({"fixVersions": []}, id="no-fix-version"),
        pytest.param({FLAGGED: [{"value": "Impediment"}]}, id="flagged"),
    ],
)
def test_an_edit_builds_what_a_pull_of_the_edited_issue_shows(sent: dict[str, Any]) -> None:
    before = issue(fixVersions=[{"id": "10100", "name": "2.0"}])
    shown = {**sent}
    if "fixVersions" in sent:
        shown["fixVersions"] = [
            {"id": v["id"], "name": VERSIONS[v["id"]]} for v in sent["fixVersions"]
        ]
    after = {**before, "fields": {**before["fields"], **shown, "updated": stamp()}}
    built = edited(task(before), sent)
    expected = task(after)
    if "assignee" in sent:  # a new assignee's display name is not known (mentions only)
        built = built.model_copy(update={"raw": expected.raw})
    assert built == expected


@pytest.mark.parametrize(
    ("transition", "fields", "status", "resolution", "category"),
    [
        pytest.param(
            Transition("21", "Start", "In Progress", "indeterminate"),
            {},
            "In Progress",
            None,
            StatusCategory.IN_PROGRESS,
            id="in-progress",
        ),
        pytest.param(
            Transition("41", "Done", "Done", "done", ("Done", "Won't Do"), has_screen=True),
            {"resolution": {"name": "Won't Do"}},
            "Done",
            "Won't Do",
            StatusCategory.CANCELED,
            id="canceled-on-screen",
        ),
        pytest.param(
            Transition("41", "Done", "Done", "done", ("Done",), has_screen=True),
            {"resolution": {"name": "Done"}},
            "Done",
            "Done",
            StatusCategory.DONE,
            id="done-on-screen",
        ),
    ],
)
def test_a_transition_builds_its_target_status(
    transition: Transition,
    fields: dict[str, Any],
    status: str,
    resolution: str | None,
    category: StatusCategory,
) -> None:
    after = written.status_after([(transition, fields)])
    assert after is not None
    moved = edited(task(issue()), {}, after)
    assert (moved.status.name, moved.status.category, moved.raw["resolution"]) == (
        status,
        category,
        resolution,
    )
    assert moved.updated_at == MOMENT


def test_a_resolution_a_post_function_picks_is_read_back() -> None:
    no_screen = Transition("51", "Close", "Closed", "done")
    assert written.status_after([(no_screen, {})]) is None


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param({"duedate": "2026-12-01"}, id="unknown-field"),
        pytest.param({"fixVersions": [{"id": "10100"}, {"name": "3.0"}]}, id="several-versions"),
        pytest.param({"fixVersions": [{"id": "999"}]}, id="unknown-version"),
        pytest.param(
            {"assignee": None, "description": "cc [~accountid:5b10a2844c20165700ede21a]"},
            id="mention-and-assignee",
        ),
    ],
)
def test_what_jira_decides_is_read_back(sent: dict[str, Any]) -> None:
    assert edited(task(issue()), sent) is None


def test_a_create_builds_what_a_pull_shows_once_the_project_is_learned() -> None:
    template: dict[str, Any] = {}
    first = issue(labels=[], description=None)
    written.learn(template, first["fields"], assigned=False)
    sent = {
        "project": {"key": "WEB"},
        "issuetype": {"name": "Task"},
        "summary": "New one",
        "description": "Some *text*",
        "labels": ["ui"],
        "fixVersions": [{"id": "10100"}],
    }
    answer = {"id": "10002", "key": "WEB-8", "self": "x"}
    raw = written.created_issue(answer, sent, "gh:acme/web#13", template, VERSIONS, MOMENT, FLAGGED)
    assert raw is not None
    built = task(raw)
    expected = issue(
        summary="New one",
        description="Some *text*",
        labels=["ui"],
        fixVersions=[{"id": "10100", "name": "2.0"}],
        created=stamp(),
        updated=stamp(),
    ) | {
        "id": "10002",
        "key": "WEB-8",
        "properties": {mapping.PROPERTY: {"twin_of": "gh:acme/web#13"}},
    }
    assert built == task(expected)
    assert (built.twin_of, built.by_trackersync) == ("gh:acme/web#13", True)


def test_a_create_without_assignee_waits_for_the_default_assignee() -> None:
    template: dict[str, Any] = {}
    written.learn(template, issue()["fields"], assigned=True)
    sent = {"project": {"key": "WEB"}, "issuetype": {"name": "Task"}, "summary": "s"}
    answer = {"id": "1", "key": "WEB-9"}
    assert written.created_issue(answer, sent, "gh:acme/web#1", template, {}, MOMENT) is None
    assigned = sent | {"assignee": {"accountId": "x"}}
    assert written.created_issue(answer, assigned, "gh:acme/web#1", template, {}, MOMENT)
    unknown = sent | {"assignee": None, "priority": {"name": "High"}}
    assert written.created_issue(answer, unknown, "gh:acme/web#1", template, {}, MOMENT) is None


def test_the_back_link_in_a_description_is_not_part_of_the_body() -> None:
    link = ("GitHub acme/web#12", "https://github.com/acme/web/issues/12")
    for own in ("It *fails*.", ""):
        wiki = mapping.back_link_wiki(own, link)
        assert mapping.split_back_link(wiki) == (own, wiki[len(own) :])
        assert task(issue(description=wiki)).body == task(issue(description=own or None)).body
    assert mapping.split_back_link("Mirrored by trackersync from [x|y]") == (
        "Mirrored by trackersync from [x|y]",
        "",
    )


def test_an_edit_keeps_the_back_link_and_builds_the_body_without_it() -> None:
    link = mapping.back_link_wiki("", ("GitHub acme/web#12", "https://x/12"))
    before = issue(description=f"Old\n\n{link}")
    sent = {"description": f"New *text*\n\n{link}"}
    after = {**before, "fields": {**before["fields"], **sent, "updated": stamp()}}
    built = edited(task(before), sent)
    assert built == task(after)
    assert built.body == "New **text**"
