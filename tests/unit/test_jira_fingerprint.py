"""Which re-read Jira issues a pull takes from the store unmapped (no HTTP): exactly those
whose every part the mapping reads is as stored, whatever their times; any difference, a
person's edit or only Jira showing something its own way, means mapping them again."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from test_jira_written import ADA, FLAGGED, URL, edited, issue, task

from trackersync.connectors.jira import fingerprint, mapping
from trackersync.sync.model import Comment, Task

BOB = {"accountId": "bob-1", "displayName": "Bob"}


def comment(cid: str, updated: str, body: str = "Looks good") -> dict[str, Any]:
    return {
        "id": cid,
        "author": BOB,
        "body": body,
        "created": "2026-11-25T19:10:00.000+0100",
        "updated": updated,
    }


def stored(raw: dict[str, Any]) -> Task:
    """The task as the connector stores it: mapped, with the digests of its JSON and its
    comments (the store keeps those on their own and loads them with the task)."""
    mapped = task(raw)
    seen = fingerprint.parts(raw, flagged_field=FLAGGED, base_url=URL)
    return mapped.model_copy(update={"raw": {**mapped.raw, fingerprint.SEEN: seen}})


def reused(raw: dict[str, Any], held: Task) -> Task | None:
    return fingerprint.reused(raw, held, flagged_field=FLAGGED, base_url=URL)


def again(raw: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """`raw` read again later, with `fields` changed."""
    later = copy.deepcopy(raw)
    later["fields"] |= {"updated": "2026-11-29T21:00:00.789+0100", **fields}
    return later


def test_an_issue_read_again_unchanged_is_the_stored_task_with_the_times_read() -> None:
    raw = issue(comment={"comments": [comment("1", "2026-11-25T19:10:00.000+0100")], "total": 1})
    held = stored(raw)
    # Jira shows more of the assignee than we sent (a display name): no mention reads it.
    later = again(raw)
    later["fields"]["issuetype"] = {"id": "3", "name": "Task", "iconUrl": "x"}

    found = reused(later, held)

    assert found is not None
    expected = task(later)
    assert (
        found.updated_at
        == expected.updated_at
        == mapping.parse_time("2026-11-29T21:00:00.789+0100")
    )
    assert found.model_copy(update={"raw": {}}) == expected.model_copy(
        update={"raw": {}, "comments": ()}
    )
    assert {k: v for k, v in found.raw.items() if k != fingerprint.SEEN} == expected.raw


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"summary": "Fix login "}, id="summary-whitespace"),
        pytest.param({"description": "It *fails*.\n"}, id="description-whitespace"),
        pytest.param({"description": "It *fails* again."}, id="description"),
        pytest.param({"labels": ["backend", "urgent"]}, id="label-added"),
        pytest.param({"status": {"name": "Done", "statusCategory": {"key": "done"}}}, id="status"),
        pytest.param({"resolution": {"name": "Won't Do"}}, id="resolution"),
        pytest.param({"assignee": BOB}, id="assignee"),
        pytest.param({"fixVersions": [{"id": "10100", "name": "2.0"}]}, id="fix-version"),
        pytest.param({"duedate": "2026-12-24"}, id="due"),
        pytest.param({"issuetype": {"name": "Bug"}}, id="type"),
        pytest.param({"parent": {"key": "WEB-1"}}, id="parent"),
        pytest.param({FLAGGED: [{"value": "Impediment"}]}, id="flagged"),
        pytest.param({"creator": BOB, "reporter": BOB}, id="creator"),
        pytest.param(
            {
                "issuelinks": [
                    {"type": {"name": "Blocks"}, "inwardIssue": {"key": "WEB-2"}},
                ]
            },
            id="link",
        ),
        pytest.param(
            {"attachment": [{"filename": "a.png", "content": "https://x/a.png"}]}, id="file"
        ),
        pytest.param(
            {"comment": {"comments": [comment("2", "2026-11-29T20:59:00.000+0100")], "total": 1}},
            id="comment-added",
        ),
    ],
)
def test_any_change_of_what_the_mapping_reads_is_mapped(change: dict[str, Any]) -> None:
    raw = issue()
    assert reused(again(raw, **change), stored(raw)) is None
    assert reused(again(raw), stored(raw)) is not None


def test_labels_jira_shows_in_another_order_are_mapped() -> None:
    raw = issue(labels=["b", "a"])
    assert reused(again(raw, labels=["a", "b"]), stored(raw)) is None


def test_the_marker_property_removed_is_mapped() -> None:
    raw = issue()
    later = again(raw)
    later["properties"] = {}
    assert reused(later, stored(raw)) is None


def test_a_comment_edited_deleted_or_cut_short_is_mapped() -> None:
    first = comment("1", "2026-11-25T19:10:00.000+0100")
    raw = issue(comment={"comments": [first], "total": 1})
    held = stored(raw)
    held_comment = Comment(
        id="1",
        author="Bob",
        body="Looks good",
        created_at=mapping.parse_time(first["created"]),
        updated_at=mapping.parse_time(first["updated"]),
    )
    with_comments = held.model_copy(update={"comments": (held_comment,)})
    edited_comment = {**first, "body": "Changed", "updated": "2026-11-29T20:00:00.000+0100"}

    assert reused(again(raw), with_comments) is not None
    # The store holds no such comment.
    assert reused(again(raw), held.model_copy(update={"comments": ()})) is None
    changed = again(raw, comment={"comments": [edited_comment], "total": 1})
    assert reused(changed, with_comments) is None
    assert reused(again(raw, comment={"comments": [], "total": 0}), with_comments) is None
    assert reused(again(raw, comment={"comments": [first], "total": 2}), with_comments) is None


def test_a_renamed_person_matters_only_with_a_mention() -> None:
    renamed = {**BOB, "displayName": "Robert"}
    plain = issue(assignee=BOB)
    assert reused(again(plain, assignee=renamed), stored(plain)) is not None
    mention = issue(assignee=BOB, description="Ask [~accountid:bob-1]")
    assert reused(again(mention, assignee=renamed), stored(mention)) is None


def test_another_site_or_flagged_field_is_mapped() -> None:
    raw = issue()
    held = stored(raw)
    assert fingerprint.reused(again(raw), held, flagged_field=None, base_url=URL) is None
    assert fingerprint.reused(again(raw), held, flagged_field=FLAGGED, base_url="https://b") is None


def test_a_task_stored_without_digests_is_mapped() -> None:
    raw = issue()
    assert reused(again(raw), task(raw)) is None
    assert reused(again(raw), None) is None
    odd = again(raw)
    odd["fields"]["fixVersions"] = ["not an object"]
    assert reused(odd, stored(raw)) is None


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        pytest.param({"summary": "Renamed"}, {"summary": "Renamed"}, id="summary"),
        pytest.param(
            {"description": "*New* body"}, {"description": "*New* body"}, id="description"
        ),
        pytest.param({"description": None}, {"description": None}, id="description-cleared"),
        pytest.param({"labels": ["a", "b"]}, {"labels": ["a", "b"]}, id="labels"),
        pytest.param({"assignee": {"accountId": "bob-1"}}, {"assignee": BOB}, id="assignee"),
        pytest.param(
            {"fixVersions": [{"id": "10100"}]},
            {"fixVersions": [{"id": "10100", "name": "2.0", "self": "x"}]},
            id="fix-version",
        ),
        pytest.param(
            {FLAGGED: [{"value": "Impediment"}]},
            {FLAGGED: [{"id": "1", "value": "Impediment"}]},
            id="flagged",
        ),
    ],
)
def test_an_issue_we_edited_is_reused_when_jira_shows_what_we_sent(
    sent: dict[str, Any], shown: dict[str, Any]
) -> None:
    raw = issue()
    written_task = edited(stored(raw), sent)
    assert fingerprint.SEEN in written_task.raw

    found = reused(again(raw, **shown), written_task)

    assert found is not None
    expected = task(again(raw, **shown))
    assert found.model_copy(update={"raw": {}}) == expected.model_copy(update={"raw": {}})


@pytest.mark.parametrize(
    "shown",
    [
        pytest.param({"summary": "Renamed "}, id="summary-trimmed-otherwise"),
        pytest.param({"labels": ["b", "a"]}, id="labels-reordered"),
        pytest.param({"description": "*New* body\r\n"}, id="description-normalised"),
    ],
)
def test_an_issue_jira_shows_otherwise_than_sent_is_mapped(shown: dict[str, Any]) -> None:
    raw = issue()
    sent = {"summary": "Renamed", "labels": ["a", "b"], "description": "*New* body"}
    written_task = edited(stored(raw), sent)
    assert reused(again(raw, **sent), written_task) is not None
    assert reused(again(raw, **(sent | shown)), written_task) is None


def test_an_issue_we_moved_is_reused_with_the_status_jira_shows() -> None:
    raw = issue()
    done = ({"name": "Done", "statusCategory": {"key": "done"}}, {"name": "Done"})
    written_task = edited(stored(raw), {}, after=done)
    shown = again(raw, status=done[0] | {"id": "10002"}, resolution=done[1] | {"id": "1"})
    assert reused(shown, written_task) is not None
    assert reused(again(raw, status=done[0], resolution=None), written_task) is None


def test_a_mention_we_write_leaves_the_issue_to_be_mapped() -> None:
    raw = issue()
    written_task = edited(stored(raw), {"description": "Ask [~accountid:bob-1]"})
    assert fingerprint.SEEN not in written_task.raw
    mention = issue(description="Ask [~accountid:bob-1]")
    # The names a mention shows do not change with the summary; they may with these.
    assert fingerprint.SEEN in edited(stored(mention), {"summary": "x"}).raw
    assert fingerprint.SEEN not in edited(stored(mention), {"description": "Plain"}).raw
    assert fingerprint.SEEN not in edited(stored(mention), {"assignee": None}).raw


def test_an_unreadable_time_is_left_to_the_mapping() -> None:
    raw = issue()
    held = stored(raw)
    assert reused(again(raw, updated="yesterday"), held) is None
    odd_comment = {"comments": [comment("1", "soon")], "total": 1}
    assert fingerprint.same_comments(again(raw, comment=odd_comment), held.comments) is False


# ---- who trackersync is, known from the store (no `GET /myself`)


def vouched(raw: dict[str, Any], held: Task | None, base_url: str = URL) -> Any:
    return fingerprint.vouched_creator(raw, held, base_url=base_url)


def test_an_issue_stored_as_ours_vouches_for_its_creator_after_a_persons_edit() -> None:
    raw = issue()
    held = stored(raw)
    assert held.by_trackersync
    assert vouched(again(raw, summary="Renamed by a person"), held) == mapping.identity(ADA)


@pytest.mark.parametrize(
    "case",
    ["not ours", "no digests", "other creator", "other site", "other issue id", "not stored"],
)
def test_anything_else_leaves_the_check_to_get_myself(case: str) -> None:
    raw = issue()
    held: Task | None = stored(raw)
    later, base_url = again(raw), URL
    if case == "not ours":
        held = held.model_copy(update={"by_trackersync": False})
    elif case == "no digests":
        held = held.model_copy(update={"raw": {}})
    elif case == "other creator":
        later["fields"]["creator"] = BOB
    elif case == "other site":
        base_url = "https://other.atlassian.net"
    elif case == "other issue id":
        later["id"] = "99999"
    else:
        held = None
    assert vouched(later, held, base_url) is None
