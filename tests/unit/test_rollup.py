"""Rollup numbers against hand-computed expectations; forecasts on known histories."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from builders import T0, make_task

from trackersync.connectors.jira.mapping import task_from_issue
from trackersync.sync.documents import Counts, Rollup, ScopeChange
from trackersync.sync.model import Milestone, Ref, Task
from trackersync.sync.publish import plan_issue_publish, plan_publish, render, splice
from trackersync.sync.rollup import DayPoint, Member, RollupInput, compute, forecast_finish
from trackersync.sync.work_items import Identities, TwinPair

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
    assert rollup.counts == Counts(tasks=8, todo=4, in_progress=1, done=2, canceled=1)
    assert rollup.percent_done == 28.6
    assert [i.ref for i in rollup.overdue] == ["jira:WEB#WEB-3"]
    assert [i.ref for i in rollup.unassigned] == ["gh:acme/web#6"]
    assert [i.ref for i in rollup.blocked] == ["gh:acme/web#3", "jira:WEB#WEB-4"]
    # every item was last updated on 2026-11-01: 19 days > 14
    assert len(rollup.stale) == 5
    assert rollup.scope == ScopeChange()
    assert rollup.health.verdict == "at risk"


def test_scope_changes_are_measured_against_the_first_rollup() -> None:
    data = seeded()
    first = frozenset({"gh:acme/web#1", "gh:acme/web#2", "gh:acme/web#99"})
    rollup = compute(RollupInput(**{**data.__dict__, "baseline": first}))
    assert "gh:acme/web#99" in [item.ref for item in rollup.scope.removed]
    assert "jira:WEB#WEB-2" in [item.ref for item in rollup.scope.added]


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
    found = forecast_finish(history, TODAY).date
    assert (found.isoformat() if found else None) == expected


def test_forecast_uses_only_the_last_two_weeks() -> None:
    # 30 days: fast at first (2/day), then 0.5/day over the last 14 days.
    early = [DayPoint(TODAY - timedelta(days=29 - i), 100, 2 * i) for i in range(16)]
    late = [DayPoint(TODAY - timedelta(days=13 - i), 100, 30 + (i + 1) // 2) for i in range(14)]
    result = forecast_finish(early + late, TODAY)
    assert result.per_day == 0.5
    assert result.date == TODAY + timedelta(days=126)  # 63 left / 0.5


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
    assert compute(data).health.verdict == verdict


def test_due_falls_back_to_the_members_milestones() -> None:
    data = seeded()
    milestones = [
        Milestone(scope=Ref("gh", "acme/web"), id="1", name="v2.0", due=date(2026, 12, 20))
    ]
    rollup = compute(RollupInput(**{**data.__dict__, "due": None, "milestones": milestones}))
    assert rollup.due == date(2026, 12, 20)


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
    changed = rollup.model_copy(update={"percent_done": 99.0})
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
    changed_rollup = rollup.model_copy(update={"percent_done": 99.0})
    [changed] = plan_issue_publish(changed_rollup, [(written, first.block)])
    assert changed.body.endswith("Notes below.")


def test_an_empty_milestone_is_flagged_not_called_complete() -> None:
    data = RollupInput(
        name="Empty", members=[GH], tasks=[gh(1, milestone="v9")], twins={}, today=TODAY
    )
    rollup = compute(data)
    assert rollup.counts.tasks == 0
    assert rollup.forecast.date is None
    assert rollup.health.verdict == "at risk"
    assert "check the members' selectors" in rollup.health.reasons[0]


# --- Task fields instead of raw keys; typed documents ----------------------------------


def jira_issue(key: str, **fields: object) -> Task:
    """A Jira search result through the connector's own mapping."""
    base = {
        "summary": f"Story {key}",
        "status": {"name": "To Do", "statusCategory": {"key": "new"}},
        "assignee": {"accountId": "acc"},
        "created": "2026-11-18T10:00:00.000+0000",
        "updated": "2026-11-19T10:00:00.000+0000",
        **fields,
    }
    raw = {"id": "1", "key": key, "fields": base}
    return task_from_issue(
        raw, connector="jira", project="WEB", base_url="https://jira.test", flagged_field="flag"
    )


def test_an_item_in_two_versions_is_in_the_rollup_of_each() -> None:
    both = jira_issue("WEB-1", fixVersions=[{"name": "1.9"}, {"name": "2.0"}])
    assert both.fix_versions == ("1.9", "2.0")
    for version in ("1.9", "2.0"):
        member = Member("jira:WEB", {"fixVersion": version})
        data = RollupInput(name=version, members=[member], tasks=[both], twins={}, today=TODAY)
        assert compute(data).items == ["jira:WEB#WEB-1"], version


@pytest.mark.parametrize(
    ("fields", "blocked"),
    [
        pytest.param({"flag": [{"value": "Impediment"}]}, True, id="flagged"),
        pytest.param(
            {"issuelinks": [{"type": {"name": "Blocks"}, "inwardIssue": {"key": "WEB-9"}}]},
            True,
            id="is-blocked-by",
        ),
        pytest.param(
            {"issuelinks": [{"type": {"name": "Blocks"}, "outwardIssue": {"key": "WEB-9"}}]},
            False,
            id="blocks-another",
        ),
        pytest.param({"labels": ["Blocked"]}, True, id="label"),
        pytest.param({}, False, id="nothing"),
    ],
)
def test_blocked_is_a_task_field_the_rollup_reads(fields: dict, blocked: bool) -> None:
    issue = jira_issue("WEB-1", fixVersions=[{"name": "2.0"}], **fields)
    assert issue.blocked is blocked
    data = RollupInput(name="R", members=[JIRA], tasks=[issue], twins={}, today=TODAY)
    assert [item.ref for item in compute(data).blocked] == (["jira:WEB#WEB-1"] if blocked else [])


def test_an_item_stored_before_the_blocked_field_is_still_blocked() -> None:
    stored = make_task("jira:WEB#WEB-1").model_dump(mode="json", exclude={"blocked"})
    stored["raw"] = {"flagged": True}
    assert Task.model_validate(stored).blocked is True


def test_the_rollup_is_a_typed_document_with_a_stable_json_form() -> None:
    rollup = compute(seeded())
    assert isinstance(rollup, Rollup)
    again = Rollup.model_validate_json(rollup.model_dump_json())
    assert again == rollup
    as_json = rollup.model_dump(mode="json")
    assert as_json["due"] == "2026-12-15"
    assert as_json["blocked"][0] == {
        "ref": "gh:acme/web#3",
        "title": "Title of gh:acme/web#3",
        "url": "https://example.com/gh:acme/web#3",
        "status": "todo",
        "due": None,
        "copies": ["gh:acme/web#3"],
    }


# --- scope change by work item ---------------------------------------------------------


def moved_one_out_one_in() -> RollupInput:
    """First rollup: WEB-1 (twin gh#1), WEB-2, WEB-3. Now WEB-3 left 2.0, WEB-4 joined it,
    and the GitHub copy of WEB-1 is the one changed last."""
    tasks = [
        jira(1),
        gh(1, minutes=90),
        jira(2),
        jira(3, milestone="2.1", title="Old banner"),
        jira(4, title="Checkout in one step"),
    ]
    first = frozenset({"jira:WEB#WEB-1", "jira:WEB#WEB-2", "jira:WEB#WEB-3"})
    twins = Identities([TwinPair("jira:WEB#WEB-1", "gh:acme/web#1", "target")])
    return RollupInput(
        name="R", members=[GH, JIRA], tasks=tasks, twins=twins, today=TODAY, baseline=first
    )


def test_moving_one_item_out_and_one_in_is_plus_one_minus_one_with_titles() -> None:
    scope = compute(moved_one_out_one_in()).scope
    assert [(i.ref, i.title) for i in scope.added] == [("jira:WEB#WEB-4", "Checkout in one step")]
    assert [(i.ref, i.title) for i in scope.removed] == [("jira:WEB#WEB-3", "Old banner")]


def test_a_first_rollup_stored_with_a_mirrors_ref_is_read_by_work_item() -> None:
    # Baselines written before work-item identity named whichever copy was updated last.
    data = moved_one_out_one_in()
    legacy = frozenset({"gh:acme/web#1", "jira:WEB#WEB-2", "jira:WEB#WEB-3"})
    scope = compute(RollupInput(**{**data.__dict__, "baseline": legacy})).scope
    assert (len(scope.added), len(scope.removed)) == (1, 1)


# --- forecast over a history with gaps -------------------------------------------------


def test_a_two_week_gap_without_runs_still_gives_a_forecast_in_words() -> None:
    # Runs on three days three weeks ago, then nothing until today.
    old = [DayPoint(TODAY - timedelta(days=21 - i), 40, 2 * i) for i in range(3)]
    today = DayPoint(TODAY, 40, 28)
    forecast = forecast_finish([*old, today], TODAY)
    # 14 days ago no run happened: done is read between day -19 (4) and today (28).
    per_day = (28 - (4 + 24 * 5 / 19)) / 14  # 1.26
    assert forecast.per_day == round(per_day, 2)
    assert forecast.window_days == 14
    assert forecast.date == TODAY + timedelta(days=math.ceil(12 / per_day))
    assert forecast.basis == "1.3 done/day over the last 14 days → 30 Nov"


def test_a_short_history_with_a_gap_uses_all_of_it() -> None:
    history = [DayPoint(TODAY - timedelta(days=6), 20, 2), DayPoint(TODAY, 20, 14)]
    forecast = forecast_finish(history, TODAY)
    assert forecast.per_day == 2.0
    assert forecast.window_days == 6
    assert forecast.basis == "2 done/day over the last 6 days → 23 Nov"
