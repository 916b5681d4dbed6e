"""`plan_dates`: which side of a milestone pair follows the other's due date (no I/O)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from builders import make_link

from trackersync.sync.link import Side
from trackersync.sync.milestone_dates import AgreeDues, MilestoneDue, plan_dates
from trackersync.sync.model import Milestone, Ref

A, B, C = date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)
PAIR = ("2.0", "v2.0")


def milestones(source: date | None, target: date | None, **raw: Any) -> list[Milestone]:
    return [
        Milestone(scope=Ref("jira", "WEB"), id="10", name="2.0", due=source),
        Milestone(scope=Ref("gh", "acme/web"), id="1", name="v2.0", due=target, raw=raw),
    ]


def decided(now: tuple[Any, Any], base: tuple[Any, Any] | None, **link: Any) -> list[Any]:
    """(kind, side written, date) per action."""
    agreed = {} if base is None else {PAIR: base}
    found = plan_dates(milestones(*now), agreed, make_link(milestones={"2.0": "v2.0"}, **link))
    return [
        ("write", a.side, a.due) if isinstance(a, MilestoneDue) else ("agree", a.dues)
        for a in found.actions
        if isinstance(a, MilestoneDue | AgreeDues)
    ]


@pytest.mark.parametrize(
    ("now", "base", "link", "expected"),
    [
        ((A, A), (A, A), {}, []),
        ((A, B), None, {}, [("agree", (A, B))]),
        ((B, A), (A, A), {}, [("write", "target", B)]),
        ((A, B), (A, A), {}, [("write", "source", B)]),
        ((None, A), (A, A), {}, [("write", "target", None)]),
        ((A, None), (A, A), {}, [("write", "source", None)]),
        ((A, B), (A, A), {"two_way": False}, []),
        ((B, B), (A, A), {}, [("agree", (B, B))]),
        ((B, C), (A, A), {}, [("write", "target", B)]),
        ((B, C), (A, A), {"conflict": "target"}, [("write", "source", C)]),
        ((B, C), (A, A), {"two_way": False, "conflict": "target"}, [("write", "target", B)]),
        ((B, A), (A, A), {"fields": ("title", "body")}, []),
    ],
    ids=[
        "in-step",
        "first-seen-only-remembered",
        "source-moved",
        "target-moved",
        "source-cleared",
        "target-cleared",
        "one-way-ignores-target",
        "both-moved-alike",
        "both-moved-newest-without-timestamps-source",
        "both-moved-target-rule",
        "one-way-source-always",
        "link-without-milestones",
    ],
)
def test_which_side_follows(
    now: tuple[Any, Any], base: tuple[Any, Any] | None, link: dict[str, Any], expected: list[Any]
) -> None:
    assert decided(now, base, **link) == expected


def test_a_conflict_is_recorded_with_both_dates() -> None:
    found = plan_dates(milestones(B, C), {PAIR: (A, A)}, make_link(milestones={"2.0": "v2.0"}))
    (conflict,) = found.conflicts
    assert (conflict.field, conflict.source_value, conflict.target_value) == (
        "milestone_due",
        "2027-01-01",
        "2027-02-01",
    )
    assert (conflict.winner, conflict.rule) == ("source", "newest")


def test_unmapped_milestones_pair_by_name_and_others_are_left_alone() -> None:
    found = plan_dates(
        [
            Milestone(scope=Ref("jira", "WEB"), id="10", name="3.0", due=B),
            Milestone(scope=Ref("gh", "acme/web"), id="2", name="3.0", due=A),
            Milestone(scope=Ref("gh", "acme/web"), id="3", name="someday", due=A),
        ],
        {("3.0", "3.0"): (A, A)},
        make_link(),
    )
    assert [(a.side, a.milestone.name) for a in found.actions if isinstance(a, MilestoneDue)] == [
        ("target", "3.0")
    ]


@pytest.mark.parametrize(
    ("source_at", "target_at", "side", "due"),
    [
        ("2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z", "target", B),
        ("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", "source", C),
    ],
    ids=["source-newer", "target-newer"],
)
def test_newest_compares_the_milestones_own_times_where_both_have_one(
    source_at: str, target_at: str, side: str, due: date
) -> None:
    other = Side(Ref("gh", "acme/api"), system="GitHub")
    found = plan_dates(
        [
            Milestone(scope=other.scope, id="1", name="v2", due=B, raw={"updated_at": source_at}),
            Milestone(
                scope=Ref("gh", "acme/web"), id="1", name="v2", due=C, raw={"updated_at": target_at}
            ),
        ],
        {("v2", "v2"): (A, A)},
        make_link(source=other),
    )
    assert [(a.side, a.due) for a in found.actions if isinstance(a, MilestoneDue)] == [(side, due)]
