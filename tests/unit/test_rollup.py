"""Rollup numbers against hand-computed expectations; forecasts on known histories."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from builders import T0, make_task

from trackersync.sync.model import Milestone, Ref
from trackersync.sync.publish import plan_issue_publish, plan_publish, render, splice
from trackersync.sync.rollup import DayPoint, Member, RollupInput, compute, forecast_finish

TODAY = date(2026, 11, 20)
GH = Member("gh:acme/web", {"milestone": "v2.0"})
JIRA = Member("jira:WEB", {"fixVersion": "2.0"})


def gh(n: int, **kw):
    return make_task(f"gh:acme/web#{n}", **{"milestone": "v2.0", "assignees": ("octocat",), **kw})


def jira(n: int, **kw):
    return make_task(f"jira:WEB#WEB-{n}", **{"milestone": "2.0", "assignees": ("acc",), **kw})


def seeded() -> RollupInput:
    tasks = [
        gh(1, category="done"),
        gh(2, category="in_progress"),
        gh(3, labels=("blocked",)),
        gh(4, category="canceled"),
        gh(5, milestone="v3.0"),  # another milestone: not a member
        gh(6, assignees=()),  # unassigned
        jira(1, category="done"),  # twin of gh#1: counted once
        jira(2, category="done"),
        jira(3, due=date(2026, 11, 1)),  # overdue
        jira(4, raw={"issuelinks": [{"type": "Blocks", "direction": "inward", "key": "WEB-9"}]}),
    ]
    return RollupInput(
        name="Release 2.0",
        members=[GH, JIRA],
        tasks=tasks,
        twins={"jira:WEB#WEB-1": "gh:acme/web#1"},
        today=TODAY,
        due=date(2026, 12, 15),
    )


def test_counts_percent_and_lists_match_hand_computation() -> None:
    rollup = compute(seeded())
    # 9 members, WEB-1/gh#1 twins count once -> 8; done: gh#1 (=WEB-1), WEB-2 -> 2;
    # canceled: gh#4 -> 1; percent = 2 / (8 - 1) = 28.6
    assert rollup["counts"] == {"tasks": 8, "todo": 4, "in_progress": 1, "done": 2, "canceled": 1}
    assert rollup["percent_done"] == 28.6
    assert [i["ref"] for i in rollup["overdue"]] == ["jira:WEB#WEB-3"]
    assert [i["ref"] for i in rollup["unassigned"]] == ["gh:acme/web#6"]
    assert [i["ref"] for i in rollup["blocked"]] == ["gh:acme/web#3", "jira:WEB#WEB-4"]
    # every item was last updated on 2026-11-01: 19 days > 14
    assert len(rollup["stale"]) == 5
    assert rollup["scope"] == {"added": [], "removed": []}
    assert rollup["health"]["verdict"] == "at risk"


def test_scope_changes_are_measured_against_the_first_rollup() -> None:
    data = seeded()
    first = frozenset({"gh:acme/web#1", "gh:acme/web#2", "gh:acme/web#99"})
    rollup = compute(RollupInput(**{**data.__dict__, "baseline": first}))
    assert "gh:acme/web#99" in rollup["scope"]["removed"]
    assert "jira:WEB#WEB-2" in rollup["scope"]["added"]


def points(*done_per_day: int, total: int = 20) -> list[DayPoint]:
    start = TODAY - timedelta(days=len(done_per_day) - 1)
    return [DayPoint(start + timedelta(days=i), total, done) for i, done in enumerate(done_per_day)]


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        pytest.param(points(0, 2, 4, 6, 8, 10), "2026-11-25", id="2-per-day-10-left"),
        pytest.param(points(5, 5, 5, 5, 6), "2027-01-15", id="quarter-per-day-14-left-56-days"),
        pytest.param(points(4, 5), None, id="too-little-history"),
        pytest.param(points(5, 5, 5, 5), None, id="nothing-finished"),
        pytest.param(points(18, 19, 20), "2026-11-20", id="complete"),
    ],
)
def test_forecast_on_synthetic_histories(history, expected) -> None:
    assert forecast_finish(history, TODAY)["date"] == expected


def test_forecast_uses_only_the_last_two_weeks() -> None:
    # 30 days: fast at first (2/day), then 0.5/day over the last 14 days.
    early = [DayPoint(TODAY - timedelta(days=29 - i), 100, 2 * i) for i in range(16)]
    late = [DayPoint(TODAY - timedelta(days=13 - i), 100, 30 + (i + 1) // 2) for i in range(14)]
    result = forecast_finish(early + late, TODAY)
    assert result["per_day"] == 0.5
    assert result["date"] == (TODAY + timedelta(days=126)).isoformat()  # 63 left / 0.5


@pytest.mark.parametrize(
    ("history", "due", "verdict"),
    [
        pytest.param(points(0, 2, 4, 6, 8, 10), date(2026, 12, 1), "on track", id="ahead"),
        pytest.param(
            points(0, 2, 4, 6, 8, 10), date(2026, 11, 22), "at risk", id="a-few-days-late"
        ),
        pytest.param(points(0, 1, 1, 1, 1, 2), date(2026, 11, 25), "off track", id="far-behind"),
        pytest.param(points(0, 2, 4, 6, 8, 10), date(2026, 11, 10), "off track", id="past-due"),
    ],
)
def test_health_against_due(history, due, verdict) -> None:
    tasks = [
        make_task(
            f"gh:acme/web#{n}",
            milestone="v2.0",
            assignees=("a",),
            category="done" if n <= history[-1].done else "todo",  # today comes from the items
            updated_at=T0.replace(month=11, day=19),
        )
        for n in range(1, 21)
    ]
    data = RollupInput(
        name="R", members=[GH], tasks=tasks, twins={}, today=TODAY, due=due, history=history[:-1]
    )
    assert compute(data)["health"]["verdict"] == verdict


def test_due_falls_back_to_the_members_milestones() -> None:
    data = seeded()
    milestones = [
        Milestone(scope=Ref("gh", "acme/web"), id="1", name="v2.0", due=date(2026, 12, 20))
    ]
    rollup = compute(RollupInput(**{**data.__dict__, "due": None, "milestones": milestones}))
    assert rollup["due"] == "2026-12-20"


def test_publishing_keeps_user_text_and_repeats_nothing() -> None:
    rollup = compute(seeded())
    user_text = "Release notes by the team.\n\nDo not edit below."
    milestone = Milestone(scope=Ref("gh", "acme/web"), id="1", name="v2.0", description=user_text)
    [first] = plan_publish(rollup, [(milestone, "markdown", 65_000)])
    assert first.description.startswith(user_text)
    assert render(rollup, "markdown") in first.description
    written = milestone.model_copy(
        update={"description": first.description + "\n\nA footer the team added."}
    )
    assert plan_publish(rollup, [(written, "markdown", 65_000)]) == []
    changed = {**rollup, "percent_done": 99.0}
    [second] = plan_publish(changed, [(written, "markdown", 65_000)])
    assert second.description.startswith(user_text)
    assert second.description.endswith("A footer the team added.")
    assert second.description.count("<!-- trackersync:rollup -->") == 1


def test_plain_text_fits_a_short_field() -> None:
    rollup = compute(seeded())
    version = Milestone(
        scope=Ref("jira", "WEB"), id="10", name="2.0", description="Our 2.0 release."
    )
    [action] = plan_publish(rollup, [(version, "plain", 16_384)])
    assert action.description == splice("Our 2.0 release.", render(rollup, "plain"), "plain")
    assert "\n" not in render(rollup, "plain")


def test_status_issue_is_written_when_its_block_changes_or_markers_go() -> None:
    rollup = compute(seeded())
    issue = make_task("jira:WEB#WEB-42", body="Owned by the PM.")
    [first] = plan_issue_publish(rollup, [(issue, None)])
    assert first.body.startswith("Owned by the PM.")
    assert first.block == render(rollup, "markdown")
    written = issue.model_copy(update={"body": first.body + "\n\nNotes below."})
    assert plan_issue_publish(rollup, [(written, first.block)]) == []
    stripped = issue.model_copy(update={"body": "Owned by the PM."})
    assert len(plan_issue_publish(rollup, [(stripped, first.block)])) == 1
    [changed] = plan_issue_publish({**rollup, "percent_done": 99.0}, [(written, first.block)])
    assert changed.body.endswith("Notes below.")


def test_an_empty_milestone_is_flagged_not_called_complete() -> None:
    data = RollupInput(
        name="Empty", members=[GH], tasks=[gh(1, milestone="v9")], twins={}, today=TODAY
    )
    rollup = compute(data)
    assert rollup["counts"]["tasks"] == 0
    assert rollup["forecast"]["date"] is None
    assert rollup["health"]["verdict"] == "at risk"
    assert "check the members' selectors" in rollup["health"]["reasons"][0]
