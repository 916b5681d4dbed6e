"""A changed due date of a milestone that exists on both sides is synced (issue 9 §3.4):
GitHub `due_on` ↔ Jira version `releaseDate`, set or cleared, either way; when both moved
the link's conflict rule settles it once; the cycle after writes nothing. People's edits
go through the real REST endpoints (judged by the spec referee like the connectors')."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from world import ENV, PROJECT, REPO, World

from trackersync.config.loading import load
from trackersync.report.runs import action_row

DEC_15, JAN_10, FEB_20 = date(2026, 12, 15), date(2027, 1, 10), date(2027, 2, 20)


def make_world(folder: Path, link_extra: str = "") -> World:
    """Jira version 2.0 and GitHub milestone v2.0 (mapped by the config), both due on
    Dec 15, with one issue in them, synced once: the pair's dates are agreed."""
    world = World(folder, link_extra=link_extra)
    world.jira.create_version(PROJECT, "2.0", release_date=DEC_15)
    world.github.create_milestone(REPO, "v2.0", due_on=DEC_15)
    world.jira.create_issue(PROJECT, "In 2.0", fix_versions=("2.0",))
    assert world.sync().failures == []
    return world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    yield w
    w.close()


def jira_due(world: World) -> date | None:
    text = next(v for v in world.jira.versions(PROJECT) if v["name"] == "2.0").get("releaseDate")
    return None if text is None else date.fromisoformat(text)


def github_due(world: World) -> date | None:
    text = next(m for m in world.github.milestones(REPO) if m["title"] == "v2.0")["due_on"]
    return None if text is None else date.fromisoformat(text[:10])


def person_sets_jira(world: World, due: date | None) -> None:
    """A person edits the version's release date (`PUT /rest/api/2/version/{id}`)."""
    version = next(v for v in world.jira.versions(PROJECT) if v["name"] == "2.0")
    url = str(load(world.config).connectors["jira"].url).rstrip("/")
    answer = requests.put(
        f"{url}/rest/api/2/version/{version['id']}",
        json={"releaseDate": None if due is None else due.isoformat()},
        auth=(ENV["T_JIRA_EMAIL"], ENV["T_JIRA_TOKEN"]),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def person_sets_github(world: World, due: date | None) -> None:
    """A person edits the milestone's due date (`PATCH /repos/{o}/{r}/milestones/{n}`)."""
    number = next(m for m in world.github.milestones(REPO) if m["title"] == "v2.0")["number"]
    url = str(load(world.config).connectors["gh"].url).rstrip("/")
    answer = requests.patch(
        f"{url}/repos/{REPO}/milestones/{number}",
        json={"due_on": None if due is None else f"{due.isoformat()}T12:00:00Z"},
        headers={"Authorization": f"Bearer {ENV['T_GITHUB_TOKEN']}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def test_a_github_due_date_change_moves_the_jira_release_date(world: World) -> None:
    person_sets_github(world, JAN_10)
    assert world.sync().failures == []
    assert (jira_due(world), github_due(world)) == (JAN_10, JAN_10)
    assert world.sync().writes == 0


def test_a_jira_release_date_change_moves_the_github_due_date(world: World) -> None:
    person_sets_jira(world, JAN_10)
    assert world.sync().failures == []
    assert (jira_due(world), github_due(world)) == (JAN_10, JAN_10)
    assert world.sync().writes == 0


@pytest.mark.parametrize("cleared_on", ["jira", "github"])
def test_a_cleared_date_clears_the_other_side(world: World, cleared_on: str) -> None:
    (person_sets_jira if cleared_on == "jira" else person_sets_github)(world, None)
    assert world.sync().failures == []
    assert (jira_due(world), github_due(world)) == (None, None)
    assert world.sync().writes == 0
    # And set again from nothing, from the other side this time.
    (person_sets_github if cleared_on == "jira" else person_sets_jira)(world, FEB_20)
    assert world.sync().failures == []
    assert (jira_due(world), github_due(world)) == (FEB_20, FEB_20)


def test_a_quiet_cycle_writes_nothing_and_reads_no_more(world: World) -> None:
    world.sync()  # the cycle after the first settles its cursors
    first, second = world.sync(), world.sync()
    assert (first.writes, second.writes) == (0, 0)
    assert second.reads == first.reads
    assert not [a for o in second.outcomes for a in o.plan.actions]


@pytest.mark.parametrize(
    ("rule", "kept"),
    [("newest", JAN_10), ("source", JAN_10), ("target", FEB_20)],
    ids=["newest-jira-has-no-timestamp-so-source", "source", "target"],
)
def test_both_dates_changed_settle_by_the_conflict_rule_once(
    tmp_path: Path, rule: str, kept: date
) -> None:
    world = make_world(tmp_path, link_extra=f"    conflict: {rule}\n")
    try:
        person_sets_jira(world, JAN_10)  # Jira is the link's source
        person_sets_github(world, FEB_20)
        run = world.sync()
        assert run.failures == []
        assert (jira_due(world), github_due(world)) == (kept, kept)
        (record,) = [r for o in run.outcomes for r in o.summary()["conflict_records"]]
        assert record["field"] == "milestone_due"
        assert (record["source_value"], record["target_value"]) == ("2027-01-10", "2027-02-20")
        assert world.sync().writes == 0  # never flaps back
        assert (jira_due(world), github_due(world)) == (kept, kept)
    finally:
        world.close()


def test_dry_run_shows_the_date_change_and_writes_nothing(world: World) -> None:
    person_sets_github(world, JAN_10)
    run = world.sync(dry_run=True)
    assert run.writes == 0
    rows = [action_row(o.name, a) for o in run.outcomes for a in o.plan.actions]
    (row,) = [r for r in rows if r["action"] == "set due date"]
    assert row["item"] == f"jira:{PROJECT}:2.0"
    assert row["fields"] == [{"name": "due", "old": "2026-12-15", "new": "2027-01-10"}]
    assert jira_due(world) == DEC_15


def test_a_refused_date_write_is_a_warning_not_a_failure_every_cycle(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Jira without Administer Projects answers the version PUT with 404: the rest of the
    cycle goes on, and the write is not tried again every cycle. (GitHub's description
    lists no refusal for PATCH milestone, so its sandbox has none to send.)"""
    person_sets_github(world, JAN_10)
    world.jira.projects[PROJECT].admin = False
    run = world.sync()
    assert run.failures == []
    assert "release date left as it is" in caplog.text
    assert jira_due(world) == DEC_15
    assert world.sync().writes == 0
