"""What a rollup publishes: text a PM can forward, by title and link, still idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from builders import make_task

from trackersync.sync.documents import Rollup
from trackersync.sync.model import Milestone, Ref, Task
from trackersync.sync.publish import plan_issue_publish, plan_publish, render
from trackersync.sync.rollup import DayPoint, Member, RollupInput, compute

TODAY = date(2026, 11, 20)
GH = Member("gh:acme/web", {"milestone": "v2.0"})
STATUS_URL = "https://jira.test/browse/WEB-42"


def task(n: int, **kw: object) -> Task:
    values = {"milestone": "v2.0", "assignees": ("octocat",), "title": f"Task {n}"}
    return make_task(f"gh:acme/web#{n}", **{**values, **kw})


def at_risk(*extra: Task) -> Rollup:
    """30 items, 16 done; 7 done over the last 14 days -> 0.5/day -> 14 left by 18 Dec."""
    tasks = [task(n, category="done" if n <= 16 else "todo") for n in range(1, 31)]
    tasks[20] = task(21, title="Payment provider @here <b>switch</b>", labels=("blocked",))
    data = RollupInput(
        name="Release 2.0",
        members=[GH],
        tasks=[*tasks, *extra],
        twins={},
        today=TODAY,
        due=date(2026, 12, 15),
        history=[DayPoint(TODAY - timedelta(days=14), 30, 9)],
        stale_after=timedelta(days=90),
    )
    return compute(data)


def test_the_health_reason_is_one_plain_sentence() -> None:
    rollup = at_risk()
    assert rollup.health.sentence == (
        "At risk: 1 blocked item; forecast 18 Dec is after the due date 15 Dec."
    )


def test_the_milestone_block_lists_blocked_items_by_title_and_link() -> None:
    block = render(at_risk(), "markdown")
    assert "At risk: 1 blocked item; forecast 18 Dec is after the due date 15 Dec." in block
    assert "**Blocked (1)**" in block
    # The title is escaped: it neither mentions anyone nor formats.
    assert (
        "- [Payment provider \\@here \\<b\\>switch\\</b\\>]"
        "(https://example.com/gh:acme/web#21) (acme/web#21)"
    ) in block
    assert "@here" not in block.replace("\\@here", "")
    assert "Forecast: 0.5 done/day over the last 14 days → 18 Dec." in block


def test_overdue_and_stale_items_are_listed_too() -> None:
    late = task(31, title="Cookie banner", due=TODAY - timedelta(days=3))
    block = render(at_risk(late), "markdown")
    assert "**Overdue (1)**" in block
    assert "[Cookie banner](https://example.com/gh:acme/web#31) (acme/web#31) · todo, due" in block
    assert "2 blocked" not in block


def test_the_jira_version_line_is_the_summary_plus_the_status_issue() -> None:
    version = Milestone(scope=Ref("jira", "WEB"), id="1", name="2.0", description="Ours.")
    [action] = plan_publish(at_risk(), [(version, "plain", 16_384)], STATUS_URL)
    line = action.description.split("[trackersync]\n")[1].split("\n[/trackersync]")[0]
    assert "\n" not in line
    assert line.startswith("trackersync Release 2.0: 53.3% done (16 of 30), at risk;")
    assert "forecast 18 Dec; due 15 Dec." in line
    assert line.endswith(f"Full status: {STATUS_URL}")


def test_a_repeated_rollup_writes_nothing() -> None:
    rollup = at_risk()
    milestone = Milestone(scope=Ref("gh", "acme/web"), id="1", name="v2.0")
    [first] = plan_publish(rollup, [(milestone, "markdown", 65_000)], STATUS_URL)
    written = milestone.model_copy(update={"description": first.description})
    assert plan_publish(at_risk(), [(written, "markdown", 65_000)], STATUS_URL) == []
    issue = make_task("jira:WEB#WEB-42", body="PM notes")
    [publish] = plan_issue_publish(rollup, [(issue, None)])
    done = issue.model_copy(update={"body": publish.body})
    assert plan_issue_publish(at_risk(), [(done, publish.block)]) == []


def test_only_web_urls_become_links() -> None:
    hostile = task(32, title="Click", url="javascript:alert(1)", labels=("blocked",))
    block = render(at_risk(hostile), "markdown")
    assert "javascript:" not in block
    assert "- Click (acme/web#32)" in block
