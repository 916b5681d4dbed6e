"""Work-item identity: copies across every link count once, named by their origin."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from builders import T0, make_task

from trackersync.sync.documents import Counts
from trackersync.sync.model import Task
from trackersync.sync.rollup import Member, RollupInput, compute
from trackersync.sync.status import build_status
from trackersync.sync.work_items import Identities, TwinPair, group

TODAY = date(2026, 11, 20)
NOW = datetime.combine(TODAY, datetime.min.time()).replace(tzinfo=T0.tzinfo)
SCOPES = ["jira:WEB", "gh:acme/web", "gh:acme/api"]
MEMBERS = [
    Member("jira:WEB", {"fixVersion": "2.0"}),
    Member("gh:acme/web", {"milestone": "v2.0"}),
    Member("gh:acme/api", {"milestone": "v2.0"}),
]
# Two links: Jira WEB -> acme/web, and acme/web -> acme/api (a chain through the middle).
CHAIN = [
    TwinPair("jira:WEB#WEB-1", "gh:acme/web#1", "target"),
    TwinPair("gh:acme/web#1", "gh:acme/api#7", "target"),
]


def copy(ref: str, minutes: int = 0, **kw: object) -> Task:
    values = {"milestone": "2.0" if ref.startswith("jira") else "v2.0", "assignees": ("a",)}
    return make_task(ref, minutes=minutes, **{**values, **kw})


@pytest.mark.parametrize(
    ("pairs", "ref", "identity"),
    [
        pytest.param(CHAIN, "gh:acme/api#7", "jira:WEB#WEB-1", id="chain-reaches-the-origin"),
        pytest.param(CHAIN, "gh:acme/web#1", "jira:WEB#WEB-1", id="middle-of-the-chain"),
        pytest.param(CHAIN, "jira:WEB#WEB-2", "jira:WEB#WEB-2", id="unpaired-is-itself"),
        pytest.param(
            [TwinPair("jira:WEB#WEB-9", "gh:acme/web#3", "source")],
            "jira:WEB#WEB-9",
            "gh:acme/web#3",
            id="origin-on-the-target-side",
        ),
        pytest.param(
            [TwinPair("jira:WEB#WEB-9", "gh:acme/web#3")],
            "jira:WEB#WEB-9",
            "gh:acme/web#3",
            id="unknown-side-smallest-ref",
        ),
    ],
)
def test_identity_is_the_origin_of_the_closure(
    pairs: list[TwinPair], ref: str, identity: str
) -> None:
    assert Identities(pairs).of(ref) == identity


def test_a_third_scope_reached_through_two_links_counts_each_work_item_once() -> None:
    tasks = [copy("jira:WEB#WEB-1"), copy("gh:acme/web#1"), copy("gh:acme/api#7")]
    tasks += [copy(f"jira:WEB#WEB-{n}") for n in range(2, 9)]  # 7 items without twins
    data = RollupInput(name="R", members=MEMBERS, tasks=tasks, twins=Identities(CHAIN), today=TODAY)
    rollup = compute(data)
    assert rollup.counts.tasks == 8  # 10 copies, 8 pieces of work
    assert "gh:acme/api#7" not in rollup.items
    assert "jira:WEB#WEB-1" in rollup.items


def test_the_identity_does_not_move_when_another_copy_is_edited_last() -> None:
    identities = Identities(CHAIN)
    first = [copy("jira:WEB#WEB-1", minutes=5), copy("gh:acme/web#1"), copy("gh:acme/api#7")]
    later = [copy("jira:WEB#WEB-1"), copy("gh:acme/web#1"), copy("gh:acme/api#7", minutes=9)]
    [before], [after] = group(first, identities), group(later, identities)
    assert before.identity == after.identity == "jira:WEB#WEB-1"
    assert str(after.latest.ref) == "gh:acme/api#7"


def test_a_work_item_takes_the_status_of_its_most_recently_changed_copy() -> None:
    tasks = [
        copy("jira:WEB#WEB-1", category="todo"),
        copy("gh:acme/web#1", minutes=30, category="done"),
        copy("gh:acme/api#7", minutes=10, category="in_progress"),
    ]
    rollup = compute(
        RollupInput(name="R", members=MEMBERS, tasks=tasks, twins=Identities(CHAIN), today=TODAY)
    )
    assert rollup.counts == Counts(tasks=1, done=1)


def test_a_copy_outside_the_milestone_still_belongs_to_its_work_item() -> None:
    # The GitHub copy lost its milestone; the Jira copy is still in 2.0: one item, in.
    tasks = [copy("jira:WEB#WEB-1"), copy("gh:acme/web#1", minutes=5, milestone=None)]
    twins = {"jira:WEB#WEB-1": "gh:acme/web#1"}
    rollup = compute(RollupInput(name="R", members=MEMBERS, tasks=tasks, twins=twins, today=TODAY))
    assert rollup.items == ["gh:acme/web#1"]  # unknown mirror side: the smallest ref
    assert rollup.counts.tasks == 1


def test_status_totals_count_work_items_and_scopes_count_their_own_items() -> None:
    tasks = [copy("jira:WEB#WEB-1"), copy("gh:acme/web#1"), copy("gh:acme/api#7")]
    tasks += [copy("jira:WEB#WEB-2", category="done"), copy("gh:acme/web#5")]
    document = build_status(tasks, {}, SCOPES, [], NOW, Identities(CHAIN))
    assert document.version == 2
    assert document.totals == Counts(tasks=3, todo=2, done=1)
    assert {s.ref: s.tasks for s in document.scopes} == {
        "jira:WEB": 2,
        "gh:acme/web": 2,
        "gh:acme/api": 1,
    }


def test_an_item_is_overdue_by_any_copys_due_date_and_assigned_by_any() -> None:
    tasks = [
        copy("jira:WEB#WEB-1", due=TODAY - timedelta(days=1), assignees=()),
        copy("gh:acme/web#1", minutes=5, assignees=("octocat",)),
    ]
    twins = Identities([CHAIN[0]])
    rollup = compute(RollupInput(name="R", members=MEMBERS, tasks=tasks, twins=twins, today=TODAY))
    assert [item.ref for item in rollup.overdue] == ["jira:WEB#WEB-1"]
    assert rollup.unassigned == []
    assert rollup.overdue[0].copies == ["gh:acme/web#1", "jira:WEB#WEB-1"]
