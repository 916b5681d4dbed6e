"""Transient write errors fail one item at most, never the link.

The sandboxes answer 5xx on chosen writes (`Faults.failed_writes`: unapplied;
`Faults.lost_answers`: applied, then answered 5xx, as a gateway that gave up would).
The retry layer's waits are skipped by patching the sleep it uses, not by timers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from world import PROJECT, REPO, World

from trackersync.connectors import retry


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    waits: list[float] = []
    monkeypatch.setattr(retry.RetryPolicy, "__init__", _no_sleep_init(waits))
    w = World(tmp_path)
    yield w
    w.close()


def _no_sleep_init(waits: list[float]):  # type: ignore[no-untyped-def]
    original = retry.RetryPolicy.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("sleep", waits.append)
        original(self, *args, **kwargs)

    return init


def exit_code(run) -> int:  # type: ignore[no-untyped-def]
    return max((o.exit_code for o in run.outcomes), default=0)


def test_a_502_on_an_edit_is_retried_and_the_link_goes_on(world: World) -> None:
    for n in range(3):
        world.jira.create_issue(PROJECT, f"Jira issue {n}")
    assert world.sync().failures == []
    for key in ("WEB-1", "WEB-2", "WEB-3"):
        world.jira.edit_issue(key, summary=f"renamed {key}")
    world.github.faults.failed_writes = 1
    run = world.sync()
    assert (run.failures, exit_code(run)) == ([], 0)
    assert sorted(i["title"] for i in world.github_issues()) == [
        "renamed WEB-1",
        "renamed WEB-2",
        "renamed WEB-3",
    ]
    # Three PATCHes, one of them twice.
    patches = [r for r in world.github.log.records if r.method == "PATCH"]
    assert [r.status for r in patches].count(502) == 1
    assert len(patches) == 4


@pytest.mark.parametrize("side", ["github", "jira"])
def test_a_create_whose_answer_was_lost_is_found_by_marker_not_doubled(
    world: World, side: str
) -> None:
    for n in range(3):
        world.jira.create_issue(PROJECT, f"Jira issue {n}")
        world.github.create_issue(REPO, f"GitHub issue {n}")
    sandbox = world.github if side == "github" else world.jira
    sandbox.faults.lost_answers = 1  # the first create is made, its answer lost
    # Jira search lags behind writes: the look-up by marker cannot rely on it.
    world.jira.clock.advance(timedelta(minutes=1))
    world.jira.search_lag = timedelta(seconds=50)
    run = world.sync()
    assert (run.failures, exit_code(run)) == ([], 0)
    assert len(world.github_issues()) == len(world.jira_issues()) == 6
    assert len(world.pairs()) == 6
    assert world.marked_pairs() == world.pairs()


def test_a_create_failing_twice_fails_that_item_only(world: World) -> None:
    for n in range(3):
        world.jira.create_issue(PROJECT, f"Jira issue {n}")
    world.github.faults.failed_writes = 2  # the first create, and its one retry
    run = world.sync()
    assert exit_code(run) == 1
    assert len(run.failures) == 1
    assert "502" in run.failures[0]
    assert len(world.github_issues()) == 2
    again = world.sync()
    assert (again.failures, exit_code(again)) == ([], 0)
    assert len(world.github_issues()) == len(world.pairs()) == 3


def test_a_title_over_jiras_limit_is_cut_and_kept_whole_in_the_body(world: World) -> None:
    title = "A very long title " + "word " * 60  # 318 characters
    world.github.create_issue(REPO, title.strip(), "The body.")
    first = world.sync()
    assert (first.failures, exit_code(first)) == ([], 0)
    (issue,) = world.jira_issues()
    summary, description = issue["fields"]["summary"], issue["fields"]["description"]
    assert len(summary) == 255
    assert summary.endswith("…")
    assert title.strip().startswith(summary[:-1])
    assert description.startswith(f"Full title: {title.strip()}")
    assert "The body." in description
    # Nothing flows back to GitHub, nothing is written again.
    second = world.sync()
    assert (second.writes, second.failures) == (0, [])
    assert [i["title"] for i in world.github_issues()] == [title.strip()]
    assert world.github_issues()[0]["body"].startswith("The body.")
