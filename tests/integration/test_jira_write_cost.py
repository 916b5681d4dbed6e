"""What Jira writes cost in requests, counted in the sandbox log at small scale, so that a
regression fails CI: no `GET /issue/{key}` after each create or update (only the first
create of a run is read back, to learn what new issues start with), and what the engine
stores from the writes is right, so the next cycle plans and writes nothing."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import REPO, World

API = "/rest/api/2"
ISSUE = re.compile(rf"^{API}/issue/[A-Z]+-\d+$")
KEY = re.compile(r"/[A-Z]+-\d+")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def jira_calls(world: World, mark: int) -> Counter[str]:
    """Requests to Jira since `mark`, by method and path (issue keys as {key})."""
    return Counter(
        f"{r.method} {KEY.sub('/{key}', r.path.removeprefix(API))}"
        for r in world.jira.log.since(mark)
    )


def writes(world: World, mark: int) -> int:
    """Jira writes since `mark` (searches are POSTs that only read)."""
    return sum(1 for r in world.jira.log.since(mark) if r.write)


def issue_reads(world: World, mark: int) -> int:
    """`GET /issue/{key}` requests since `mark` (not transitions or comments)."""
    return sum(1 for r in world.jira.log.since(mark) if r.method == "GET" and ISSUE.match(r.path))


def assert_quiet(world: World) -> None:
    """The cycle after: nothing planned, nothing written (no echo of our own writes)."""
    run = world.sync()
    assert run.failures == []
    assert (run.writes, sum(o.summary()["planned"] for o in run.outcomes)) == (0, 0)


@pytest.mark.parametrize("count", [3, 8])
def test_creating_n_twins_costs_n_creates_and_no_read_per_issue(world: World, count: int) -> None:
    for n in range(count):
        world.github.create_issue(REPO, f"GitHub {n}", f"Body **{n}**", labels=("frontend",))
    mark = world.jira.log.mark()

    assert world.sync().failures == []

    calls = jira_calls(world, mark)
    assert calls["POST /issue"] == count
    # The link back is in the description (the default `back_link`): no remote link.
    assert calls["POST /issue/{key}/remotelink"] == 0
    # One read back per run (and issue type), whatever the number of issues.
    assert issue_reads(world, mark) == 1
    assert writes(world, mark) == count
    assert_quiet(world)


def test_creating_closed_twins_costs_one_transition_each(world: World) -> None:
    for n in range(4):
        world.github.create_issue(
            REPO, f"Closed {n}", state="closed", state_reason="completed" if n % 2 else None
        )
    world.github.create_issue(REPO, "Won't do", state="closed", state_reason="not_planned")
    mark = world.jira.log.mark()

    assert world.sync().failures == []

    calls = jira_calls(world, mark)
    assert (calls["POST /issue"], calls["POST /issue/{key}/transitions"]) == (5, 5)
    # The workflow is learned once (the initial status's transitions), not per issue.
    assert calls["GET /issue/{key}/transitions"] == 1
    assert issue_reads(world, mark) == 1
    categories = Counter(
        i["fields"]["status"]["statusCategory"]["key"] for i in world.jira_issues()
    )
    assert categories == {"done": 5}
    assert_quiet(world)


def test_an_update_costs_one_put_and_no_read(world: World) -> None:
    for n in range(3):
        world.github.create_issue(REPO, f"GitHub {n}", labels=("frontend",))
    world.sync()
    numbers = sorted(int(n) for n in world.pairs().values())
    for number in numbers:
        world.github.edit_issue(
            REPO, number, title=f"#{number} renamed", body="now with a body", labels=["x"]
        )
    mark = world.jira.log.mark()

    assert world.sync().failures == []

    calls = jira_calls(world, mark)
    assert calls["PUT /issue/{key}"] == 3
    assert issue_reads(world, mark) == 0
    assert writes(world, mark) == 3
    summaries = sorted(i["fields"]["summary"] for i in world.jira_issues())
    assert summaries == [f"#{n} renamed" for n in numbers]
    assert_quiet(world)


def test_a_status_change_costs_its_transition_and_no_read(world: World) -> None:
    for n in range(3):
        world.github.create_issue(REPO, f"GitHub {n}")
    world.sync()
    numbers = sorted(int(n) for n in world.pairs().values())
    for number in numbers:
        world.github.edit_issue(REPO, number, state="closed", state_reason="not_planned")
    mark = world.jira.log.mark()

    assert world.sync().failures == []

    calls = jira_calls(world, mark)
    assert calls["POST /issue/{key}/transitions"] == 3
    assert calls["GET /issue/{key}/transitions"] == 1
    assert issue_reads(world, mark) == 0
    resolutions = {i["fields"]["resolution"]["name"] for i in world.jira_issues()}
    assert resolutions == {"Won't Do"}
    assert_quiet(world)


def test_a_remote_link_costs_a_second_write_per_create(world: World) -> None:
    config = world.config.read_text()
    world.config.write_text(
        config.replace("    projects: [", "    back_link: remote_link\n    projects: [", 1)
    )
    for n in range(3):
        world.github.create_issue(REPO, f"GitHub {n}", f"Body {n}")
    mark = world.jira.log.mark()

    assert world.sync().failures == []

    calls = jira_calls(world, mark)
    assert (calls["POST /issue"], calls["POST /issue/{key}/remotelink"]) == (3, 3)
    assert writes(world, mark) == 6
    for key, number in world.pairs().items():
        (link,) = world.jira.issues_by_key[key].remote_links
        assert link["globalId"] == f"trackersync:gh:acme/web#{number}"
        assert "Mirrored by trackersync" not in (
            world.jira.issue(key)["fields"]["description"] or ""
        )
    assert_quiet(world)


def test_the_link_back_in_the_description_saves_the_remote_link(world: World) -> None:
    for n, body in enumerate(["Body **0**", "", "Body 2"]):
        world.github.create_issue(REPO, f"GitHub {n}", body)
    mark = world.jira.log.mark()

    assert world.sync().failures == []

    calls = jira_calls(world, mark)
    assert (calls["POST /issue"], calls["POST /issue/{key}/remotelink"]) == (3, 0)
    assert writes(world, mark) == 3
    pairs = world.pairs()
    for key, number in pairs.items():
        issue = world.jira.issue(key)["fields"]
        assert f"Mirrored by trackersync from [GitHub acme/web#{number}|" in issue["description"]
        assert issue["description"].endswith(f"/acme/web/issues/{number}]{{color}}")
        assert not world.jira.issues_by_key[key].remote_links
    jira_tasks, _github = world.tasks()
    assert sorted(t.body for t in jira_tasks) == ["", "Body **0**", "Body 2"]
    assert_quiet(world)

    # An edit on either side keeps the link in Jira and never carries it to GitHub.
    key, number = sorted(pairs.items())[0]
    world.github.edit_issue(REPO, int(number), body="Edited on GitHub")
    other_key, other_number = sorted(pairs.items())[1]
    stored = world.jira.issue(other_key)["fields"]["description"]
    world.jira.edit_issue(other_key, description=f"Added in Jira\n\n{stored}")
    assert world.sync().failures == []
    assert "Mirrored by trackersync" in world.jira.issue(key)["fields"]["description"]
    assert world.jira.issue(key)["fields"]["description"].startswith("Edited on GitHub\n\n")
    assert world.github.issue(REPO, int(other_number))["body"].startswith("Added in Jira")
    assert "Mirrored by trackersync from" not in world.github.issue(REPO, int(other_number))["body"]
    assert_quiet(world)
