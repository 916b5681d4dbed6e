"""`plan` decides from state and items alone: creates, three-way merges, conflicts, echoes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from builders import JIRA, make_comment, make_link, make_task

from trackersync.sync.actions import Adopt, AdoptComment, Create, MirrorComment, Rebase, Update
from trackersync.sync.plan import CommentTwin, LinkState, plan

J1, G1 = "jira:WEB#WEB-1", "gh:acme/web#1"


def in_step(source_values: dict[str, Any], target_values: dict[str, Any]) -> LinkState:
    bases = {(J1, name): (source_values[name], target_values[name]) for name in source_values}
    return LinkState(twins={J1: G1}, bases=bases)


BASE = {
    "title": "Old",
    "body": "text",
    "status": "todo",
    "labels": [],
    "assignees": [],
    "milestone": None,
}


def pair(source: dict[str, Any] | None = None, target: dict[str, Any] | None = None):
    s = make_task(J1, **{"title": "Old", "body": "text", **(source or {})})
    t = make_task(G1, **{"title": "Old", "body": "text", **(target or {})})
    return s, t


def updates(actions) -> dict[str, dict[str, Any]]:
    return {
        a.side: a.changes.model_dump(exclude_unset=True) for a in actions if isinstance(a, Update)
    }


def test_new_items_get_twins_both_ways_on_a_two_way_link() -> None:
    s, t = make_task(J1), make_task(G1)
    result = plan(LinkState(), [s], [t], make_link())
    creates = [a for a in result.actions if isinstance(a, Create)]
    assert [(c.origin.ref, c.side) for c in creates] == [(J1, "target"), (G1, "source")]


def test_one_way_link_creates_only_in_the_target() -> None:
    result = plan(LinkState(), [make_task(J1)], [make_task(G1)], make_link(two_way=False))
    assert [(a.origin.ref, a.side) for a in result.actions if isinstance(a, Create)] == [
        (J1, "target")
    ]


def test_mirrors_are_adopted_not_recreated() -> None:
    mirror = make_task(G1, title="Title of jira:WEB#WEB-1", twin_of=J1, by_trackersync=True)
    result = plan(LinkState(), [make_task(J1)], [mirror], make_link())
    assert [type(a) for a in result.actions] == [Adopt]
    assert result.actions[0].bases["title"] == (
        "Title of jira:WEB#WEB-1",
        "Title of jira:WEB#WEB-1",
    )


def test_items_outside_the_filter_get_no_twin() -> None:
    link = make_link(source=replace(JIRA, takes_part=frozenset({"WEB-2"})))
    assert plan(LinkState(), [make_task(J1)], [], link).actions == []


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        pytest.param({}, {}, {}, id="nothing-changed"),
        pytest.param({"title": "New"}, {}, {"target": {"title": "New"}}, id="source-title"),
        pytest.param({}, {"title": "New"}, {"source": {"title": "New"}}, id="target-title"),
        pytest.param({"category": "done"}, {}, {"target": {"status": "done"}}, id="source-status"),
        pytest.param(
            {"labels": ("needs review",)},
            {},
            {"target": {"labels": ("needs review",)}},
            id="labels-to-github",
        ),
        pytest.param(
            {},
            {"labels": ("needs review",)},
            {"source": {"labels": ("needs-review",)}},
            id="labels-to-jira-no-spaces",
        ),
        pytest.param(
            {"body": "hi @octocat <b>x</b>"},
            {},
            {"target": {"body": "hi @\u200boctocat &lt;b>x&lt;/b>"}},
            id="body-neutralized",
        ),
        pytest.param({"title": "Same"}, {"title": "Same"}, {}, id="both-changed-alike"),
    ],
)
def test_field_changes_flow_from_the_side_that_moved(source, target, expected) -> None:
    s, t = pair(source, target)
    result = plan(in_step(BASE, BASE), [s], [t], make_link())
    assert updates(result.actions) == expected


@pytest.mark.parametrize(
    ("rule", "source_minutes", "target_minutes", "winner_value"),
    [
        pytest.param("newest", 5, 1, "from jira", id="newest-source"),
        pytest.param("newest", 1, 5, "from github", id="newest-target"),
        pytest.param("source", 1, 5, "from jira", id="source-rule"),
        pytest.param("target", 5, 1, "from github", id="target-rule"),
    ],
)
def test_conflicts_follow_the_rule_and_are_reported(
    rule, source_minutes, target_minutes, winner_value
) -> None:
    s, t = pair(
        {"title": "from jira", "minutes": source_minutes},
        {"title": "from github", "minutes": target_minutes},
    )
    result = plan(in_step(BASE, BASE), [s], [t], make_link(conflict=rule))
    [update] = [a for a in result.actions if isinstance(a, Update)]
    assert update.changes.title == winner_value
    assert update.conflicts == ("title",)
    assert "conflict" in update.reason


def test_one_way_ignores_target_edits() -> None:
    s, t = pair({}, {"title": "edited on github"})
    assert updates(plan(in_step(BASE, BASE), [s], [t], make_link(two_way=False)).actions) == {}


def test_open_statuses_are_one_state_on_github() -> None:
    s, t = pair({"category": "in_progress"}, {})
    result = plan(in_step(BASE, BASE), [s], [t], make_link())
    assert updates(result.actions) == {}
    assert any(isinstance(a, Rebase) for a in result.actions)


def test_own_write_recorded_as_base_is_not_an_echo() -> None:
    # Jira wiki round trips are lossy: the GitHub side reads back differently than
    # what the Jira side holds. Per-side bases make that a non-change.
    source_view = {**BASE, "body": "1. one\n1. two"}
    target_view = {**BASE, "body": "1. one\n2. two"}
    s, t = pair({"body": "1. one\n1. two"}, {"body": "1. one\n2. two"})
    assert plan(in_step(source_view, target_view), [s], [t], make_link()).actions == []


def test_unmapped_users_are_left_out_with_a_warning() -> None:
    s, t = pair({"assignees": ("acc-1", "acc-2")}, {})
    result = plan(in_step(BASE, BASE), [s], [t], make_link(users={"acc-1": "octocat"}))
    assert updates(result.actions) == {"target": {"assignees": ("octocat",)}}
    assert result.warnings == ["user 'acc-2' has no entry in links.web.users; left out"]


def test_comments_are_mirrored_once_and_edits_follow() -> None:
    comment = make_comment("10", "looks good")
    s, t = pair({"comments": (comment,)}, {})
    first = plan(in_step(BASE, BASE), [s], [t], make_link())
    [mirror] = [a for a in first.actions if isinstance(a, MirrorComment)]
    assert (mirror.side, mirror.copy_.body, mirror.existing) == ("target", "looks good", None)

    mirrored = make_comment("900", "looks good", mirror_of=f"{J1}/10", by_trackersync=True)
    t2 = t.model_copy(update={"comments": (mirrored,)})
    known = CommentTwin(G1, "900", mirror.copy_.origin_updated)
    state = LinkState(twins={J1: G1}, bases=in_step(BASE, BASE).bases, comments={f"{J1}/10": known})
    assert plan(state, [s], [t2], make_link()).actions == []

    edited = comment.model_copy(
        update={"body": "looks great", "updated_at": comment.updated_at.replace(hour=13)}
    )
    s3 = s.model_copy(update={"comments": (edited,)})
    [rewrite] = plan(state, [s3], [t2], make_link()).actions
    assert isinstance(rewrite, MirrorComment)
    assert rewrite.existing == mirrored


def test_mirrored_comments_found_by_marker_are_adopted() -> None:
    s, t = pair(
        {"comments": (make_comment("10"),)},
        {"comments": (make_comment("900", mirror_of=f"{J1}/10", by_trackersync=True),)},
    )
    result = plan(in_step(BASE, BASE), [s], [t], make_link())
    assert [type(a) for a in result.actions] == [AdoptComment]


def test_missing_twin_is_never_read_as_deletion() -> None:
    s = make_task(J1, title="Old", body="text")
    assert plan(in_step(BASE, BASE), [s], [], make_link()).actions == []


def test_pending_create_is_resumed_not_repeated() -> None:
    result = plan(LinkState(intents=frozenset({J1})), [make_task(J1)], [], make_link(two_way=False))
    [create] = result.actions
    assert create.resume is True


def test_status_overrides_map_a_status_name_to_another_category() -> None:
    from trackersync.sync.model import Status, StatusCategory

    jira = replace(JIRA, status_overrides={"In Review": StatusCategory.DONE})
    review = Status(name="In Review", category=StatusCategory.IN_PROGRESS)
    s, t = pair({"status": review}, {})
    result = plan(in_step(BASE, BASE), [s], [t], make_link(source=jira))
    assert updates(result.actions) == {"target": {"status": "done"}}


def test_labels_keep_the_spelling_the_other_side_already_has() -> None:
    s, t = pair({"labels": ("needs-review", "urgent")}, {"labels": ("needs review",)})
    base = {**BASE, "labels": None}
    state = in_step({**base, "labels": ["needs-review"]}, {**base, "labels": ["needs review"]})
    result = plan(state, [s], [t], make_link())
    assert updates(result.actions) == {"target": {"labels": ("needs review", "urgent")}}


def test_a_mirror_that_lost_its_marker_gets_it_back() -> None:
    s, t = pair({}, {})
    state = LinkState(twins={J1: G1}, bases=in_step(BASE, BASE).bases, mirror_sides={J1: "target"})
    [update] = plan(state, [s], [t], make_link()).actions
    assert isinstance(update, Update)
    assert (update.side, update.changes.model_fields_set) == ("target", set())
    assert update.marker is not None
    assert update.marker.ref == J1
    marked = t.model_copy(update={"twin_of": J1, "by_trackersync": True})
    assert plan(state, [s], [marked], make_link()).actions == []


def test_a_marker_counts_only_on_an_item_trackersync_created() -> None:
    pasted = make_task(G1, twin_of=J1, by_trackersync=False)
    result = plan(LinkState(), [make_task(J1)], [pasted], make_link())
    assert not [a for a in result.actions if isinstance(a, Adopt)]
    # The Jira item gets a twin of its own; the item with the pasted marker gets none.
    assert [(a.origin.ref, a.side) for a in result.actions if isinstance(a, Create)] == [
        (J1, "target")
    ]
    assert result.warnings == [
        f"{G1} carries a trackersync marker naming {J1} but was not created by "
        "trackersync's account: ignored"
    ]


def test_a_mirror_is_adopted_only_when_its_origin_takes_part_in_the_link() -> None:
    mirror = make_task(G1, twin_of=J1, by_trackersync=True)
    inside = make_link(source=replace(JIRA, takes_part=frozenset({"WEB-1"})))
    outside = make_link(source=replace(JIRA, takes_part=frozenset({"WEB-2"})))
    adopted = plan(LinkState(), [make_task(J1)], [mirror], inside).actions
    assert [(a.source_ref, a.target_ref) for a in adopted if isinstance(a, Adopt)] == [(J1, G1)]
    assert plan(LinkState(), [make_task(J1)], [mirror], outside).actions == []
