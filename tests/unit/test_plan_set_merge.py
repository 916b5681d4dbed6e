"""Labels and assignees merge as sets: each side's additions and removals survive."""

from __future__ import annotations

from typing import Any

import pytest
from builders import make_link, make_task

from trackersync.sync.actions import Rebase, Update
from trackersync.sync.plan import LinkState, plan

J1, G1 = "jira:WEB#WEB-1", "gh:acme/web#1"
USERS = {"acc-1": "octocat", "acc-2": "hubot", "acc-3": "monalisa"}


def state(name: str, source_base: list[str], target_base: list[str]) -> LinkState:
    """In step on the other set field (both empty); `name` last agreed on these sets."""
    bases = {(J1, "labels"): ([], []), (J1, "assignees"): ([], [])}
    return LinkState(twins={J1: G1}, bases={**bases, (J1, name): (source_base, target_base)})


def writes(source: dict[str, Any], target: dict[str, Any], link_state: LinkState, **link: Any):
    s, t = make_task(J1, **source), make_task(G1, **target)
    fields = ("labels", "assignees")
    result = plan(link_state, [s], [t], make_link(users=USERS, fields=fields, **link))
    return {a.side: a.changes.model_dump(exclude_unset=True) for a in result.writes}, result


@pytest.mark.parametrize(
    ("jira", "github", "expected"),
    [
        pytest.param(
            ("a", "jira-added"),
            ("a", "gh added"),
            {
                "source": {"labels": ("a", "gh-added", "jira-added")},
                "target": {"labels": ("a", "gh added", "jira-added")},
            },
            id="both-add",
        ),
        pytest.param(
            ("jira-added",),
            ("a", "b"),
            {"target": {"labels": ("b", "jira-added")}, "source": {"labels": ("jira-added", "b")}},
            id="jira-removes-a-github-adds-b",
        ),
        pytest.param(("a", "Gh-Added"), ("a", "gh added"), {}, id="same-addition-other-spelling"),
    ],
)
def test_concurrent_label_changes_all_survive(jira, github, expected) -> None:
    found, _ = writes({"labels": jira}, {"labels": github}, state("labels", ["a"], ["a"]))
    assert {side: {k: tuple(sorted(v)) for k, v in w.items()} for side, w in found.items()} == {
        side: {k: tuple(sorted(v)) for k, v in w.items()} for side, w in expected.items()
    }


def test_concurrent_assignee_changes_all_survive() -> None:
    found, _ = writes(
        {"assignees": ("acc-1", "acc-2")},
        {"assignees": ("monalisa",)},
        state("assignees", ["acc-1"], ["octocat"]),
    )
    # Jira added hubot's account, GitHub swapped octocat for monalisa.
    assert sorted(found["target"]["assignees"]) == ["hubot", "monalisa"]
    assert sorted(found["source"]["assignees"]) == ["acc-2", "acc-3"]


def test_a_side_keeps_its_current_members_first() -> None:
    """Jira holds one assignee: the merged list starts with the one it has."""
    found, _ = writes(
        {"assignees": ("acc-3",)},
        {"assignees": ("hubot", "monalisa")},
        state("assignees", ["acc-3"], ["monalisa"]),
    )
    assert found == {"source": {"assignees": ("acc-3", "acc-2")}}


def test_both_sides_making_the_same_change_is_recorded_not_written() -> None:
    found, result = writes(
        {"labels": ("a", "new")}, {"labels": ("a", "new")}, state("labels", ["a"], ["a"])
    )
    assert found == {}
    [rebase] = [a for a in result.actions if isinstance(a, Rebase)]
    assert rebase.bases["labels"] == (["a", "new"], ["a", "new"])


def test_merged_writes_record_both_merged_sets_as_base() -> None:
    _, result = writes(
        {"labels": ("a", "j")}, {"labels": ("a", "g")}, state("labels", ["a"], ["a"])
    )
    kept = {a.side: a.kept["labels"] for a in result.actions if isinstance(a, Update)}
    assert sorted(kept["target"]) == ["a", "g", "j"]  # the source's value after its write
    assert sorted(kept["source"]) == ["a", "g", "j"]


def test_a_one_way_link_still_copies_the_source_set() -> None:
    found, _ = writes(
        {"labels": ("a", "j")}, {"labels": ("a", "g")}, state("labels", ["a"], ["a"]), two_way=False
    )
    assert found == {"target": {"labels": ("a", "j")}}
