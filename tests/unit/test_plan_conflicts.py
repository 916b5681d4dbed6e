"""Honest conflicts: "newest" corrected for each server's clock, both values recorded."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from builders import GITHUB, JIRA, make_link, make_task

from trackersync.sync.actions import Update
from trackersync.sync.documents import ConflictRecord
from trackersync.sync.plan import Conflict, LinkState, plan

J1, G1 = "jira:WEB#WEB-1", "gh:acme/web#1"
STATE = LinkState(twins={J1: G1}, bases={(J1, "title"): ("Old", "Old")})


def concurrent(jira_offset: timedelta):
    """Jira's edit stamped at minute 10 + 30 s, GitHub's at minute 10 + 20 s."""
    jira = make_task(
        J1,
        title="from Jira",
        updated_at=make_task(J1).updated_at + timedelta(minutes=10, seconds=30),
    )
    github = make_task(
        G1,
        title="from GitHub",
        updated_at=make_task(G1).updated_at + timedelta(minutes=10, seconds=20),
    )
    link = make_link(
        fields=("title",), source=replace(JIRA, clock_offset=jira_offset), target=GITHUB
    )
    return plan(STATE, [jira], [github], link)


def test_newest_wins_by_corrected_clocks_not_by_raw_timestamps() -> None:
    # Jira's clock runs 44 s ahead: its edit really happened at 10:30 - 44 s = 9:46,
    # before GitHub's at 10:20, so GitHub's value is the newest.
    [update] = [a for a in concurrent(timedelta(seconds=44)).actions if isinstance(a, Update)]
    assert (update.side, update.changes.title) == ("source", "from GitHub")


def test_clocks_in_step_keep_the_raw_order() -> None:
    [update] = [a for a in concurrent(timedelta(0)).actions if isinstance(a, Update)]
    assert (update.side, update.changes.title) == ("target", "from Jira")


def test_a_conflict_records_both_values_and_the_winner() -> None:
    result = concurrent(timedelta(seconds=44))
    assert result.conflicts == [
        Conflict(J1, G1, "title", "from Jira", "from GitHub", "target", "newest")
    ]
    record = ConflictRecord(link="web", systems=["Jira", "GitHub"], **result.conflicts[0].as_json())
    assert (record.kept, record.lost) == ("from GitHub", "from Jira")
    assert record.sentence() == (
        f"title of {J1} ↔ {G1}: Jira 'from Jira', GitHub 'from GitHub'; GitHub's kept (newest)"
    )
