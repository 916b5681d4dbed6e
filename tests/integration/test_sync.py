"""`sync` end to end: the real PyGithub and jira clients against both sandboxes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import PROJECT, REPO, World

from trackersync.sandbox.core import Faults


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def seed(world: World, jira: int, github: int) -> None:
    for n in range(jira):
        world.jira.create_issue(PROJECT, f"Jira issue {n}", f"Body *{n}*", labels=("backend",))
    for n in range(github):
        world.github.create_issue(REPO, f"GitHub issue {n}", f"Body **{n}**", labels=("frontend",))


def assert_one_twin_each(world: World, jira: int, github: int) -> None:
    titles_gh = Counter(i["title"] for i in world.github_issues())
    titles_jira = Counter(i["fields"]["summary"] for i in world.jira_issues())
    assert len(world.github_issues()) == len(world.jira_issues()) == jira + github
    assert set(titles_gh.values()) == {1}
    assert set(titles_jira.values()) == {1}
    assert titles_gh.keys() == titles_jira.keys()
    assert len(world.pairs()) == jira + github
    assert world.marked_pairs() == world.pairs()


def test_first_sync_twins_every_item_once_and_second_sync_writes_nothing(world: World) -> None:
    seed(world, jira=500, github=500)
    first = world.sync()
    assert first.failures == []
    assert_one_twin_each(world, 500, 500)
    second = world.sync()
    assert (second.writes, second.failures) == (0, [])
    assert sum(o.summary()["planned"] for o in second.outcomes) == 0


def test_create_cost_is_one_request_per_item_plus_jira_markers(world: World) -> None:
    seed(world, jira=10, github=10)
    run = world.sync()
    gh_posts = world.github.log.count("POST", "/api/v3/repos/acme/web/issues")
    jira_creates = world.jira.log.count("POST", "/rest/api/2/issue")
    assert gh_posts == 10  # one POST per Jira item mirrored to GitHub (new items are open)
    assert jira_creates >= 10
    # Jira: the create, plus at most the remote link and one transition per item.
    assert run.writes <= 10 + 10 * 3


def test_edits_on_either_side_propagate(world: World) -> None:
    seed(world, jira=3, github=3)
    world.sync()
    pairs = world.pairs()
    jira_key = next(k for k in pairs if world.jira.issue(k)["fields"]["summary"] == "Jira issue 0")
    world.jira.edit_issue(jira_key, summary="Renamed in Jira", labels=["backend", "urgent"])
    world.jira.transition(jira_key, "Done")
    gh_number = int(pairs[jira_key])
    other_key = next(k for k in pairs if k != jira_key)
    other_number = int(pairs[other_key])
    world.github.edit_issue(
        REPO, other_number, title="Renamed on GitHub", state="closed", state_reason="not_planned"
    )
    world.github.add_comment(REPO, other_number, "A comment from GitHub")

    run = world.sync()
    assert run.failures == []
    mirrored = world.github.issue(REPO, gh_number)
    assert mirrored["title"] == "Renamed in Jira"
    assert {label["name"] for label in mirrored["labels"]} == {"backend", "urgent"}
    assert (mirrored["state"], mirrored["state_reason"]) == ("closed", "completed")
    jira_twin = world.jira.issue(other_key)["fields"]
    assert jira_twin["summary"] == "Renamed on GitHub"
    assert jira_twin["status"]["statusCategory"]["key"] == "done"
    assert jira_twin["resolution"]["name"] != "Done"
    comments = jira_twin["comment"]["comments"]
    assert len(comments) == 1
    assert "A comment from GitHub" in comments[0]["body"]
    assert world.sync().writes == 0


@pytest.mark.parametrize(("rule", "winner"), [("source", "from Jira"), ("target", "from GitHub")])
def test_concurrent_edits_resolve_by_rule_without_ping_pong(
    tmp_path: Path, rule: str, winner: str
) -> None:
    world = World(tmp_path, link_extra=f"    conflict: {rule}\n")
    try:
        seed(world, jira=1, github=0)
        world.sync()
        [(key, number)] = world.pairs().items()
        world.jira.edit_issue(key, summary="from Jira")
        world.github.edit_issue(REPO, int(number), title="from GitHub")
        run = world.sync()
        conflicts = [c for o in run.outcomes for c in o.summary()["conflicts"]]
        assert len(conflicts) == 1
        assert "conflict on title" in conflicts[0]
        assert world.jira.issue(key)["fields"]["summary"] == winner
        assert world.github.issue(REPO, int(number))["title"] == winner
        assert [world.sync().writes for _ in range(3)] == [0, 0, 0]
    finally:
        world.close()


def test_mentions_and_html_do_not_reach_github(world: World) -> None:
    world.jira.create_issue(
        PROJECT,
        "Ping test",
        "cc [~accountid:5b10a2844c20165700ede21g] and @octocat <script>x</script>",
    )
    world.sync()
    [issue] = world.github_issues()
    assert "@octocat" not in issue["body"].replace("`@octocat`", "")
    assert "<script>" not in issue["body"]


def test_lost_state_is_rebuilt_from_markers(world: World) -> None:
    seed(world, jira=5, github=5)
    world.sync()
    before = (len(world.github_issues()), len(world.jira_issues()))
    (world.folder / "state.db").unlink()
    run = world.sync()
    assert run.failures == []
    assert (len(world.github_issues()), len(world.jira_issues())) == before
    assert run.writes == 0
    assert world.sync().writes == 0


def test_dry_run_writes_nothing_anywhere(world: World) -> None:
    seed(world, jira=2, github=2)
    run = world.sync(dry_run=True)
    planned = [a for o in run.outcomes for a in o.plan.actions]
    assert len(planned) == 4
    assert run.writes == 0
    assert not (world.folder / "state.db").exists()


def test_secondary_rate_limit_pauses_creates_and_loses_nothing(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        world.github.faults = Faults(secondary_limit=1000)
        seed(world, jira=3, github=0)
        assert world.sync().failures == []
        assert len(world.github_issues()) == 3
    finally:
        world.close()


def test_a_removed_marker_is_written_back(world: World) -> None:
    world.jira.create_issue(PROJECT, "From Jira", "origin body")
    world.sync()
    [(key, number)] = world.pairs().items()
    # A person rewrites the whole body on GitHub, footer and hidden marker included.
    world.github.edit_issue(REPO, int(number), body="rewritten on GitHub")
    run = world.sync()
    assert run.failures == []
    body = world.github.issue(REPO, int(number))["body"]
    assert body.startswith("rewritten on GitHub")
    assert f"trackersync:twin_of=jira:{PROJECT}#{key}" in body
    assert world.jira.issue(key)["fields"]["description"] == "rewritten on GitHub"
    assert world.marked_pairs() == world.pairs()
    assert world.sync().writes == 0


def identity_reads(world: World) -> tuple[int, int]:
    """`GET /user` on GitHub and `GET /myself` on Jira, so far."""
    return world.github.log.count("GET", "/api/v3/user"), world.jira.log.count(
        "GET", "/rest/api/2/myself"
    )


def test_marker_authors_cost_at_most_one_identity_read_per_connector_and_run(
    world: World,
) -> None:
    seed(world, jira=3, github=3)
    world.sync()  # creates only: each create's answer names trackersync's own account
    assert identity_reads(world) == (0, 0)
    # Pulls the six new mirrors, whose markers were checked when written: Jira's are
    # exactly what the store holds (`fingerprint`), not mapped again, no `GET /myself`;
    # GitHub's are held as trackersync's own, whose author cannot change: no `GET /user`.
    world.sync()
    assert identity_reads(world) == (0, 0)
    world.sync()  # nothing changed: no marker to check
    assert identity_reads(world) == (0, 0)
    # People edit twins trackersync created, on both sides: each is mapped again, and its
    # marker's author is the one the store already checked (neither tracker changes who
    # created an item): still no identity read.
    jira_twin = next(k for k, n in world.pairs().items() if int(n) <= 3)
    github_twin = next(int(n) for n in world.pairs().values() if int(n) > 3)
    world.jira.edit_issue(jira_twin, summary="Renamed in Jira")
    world.github.edit_issue(REPO, github_twin, title="Renamed on GitHub")
    assert world.sync().failures == []
    assert identity_reads(world) == (0, 0)
    assert world.github.issue(REPO, int(world.pairs()[jira_twin]))["title"] == "Renamed in Jira"
    assert "Renamed on GitHub" in [i["fields"]["summary"] for i in world.jira_issues()]
    # A marker pasted into an issue the store holds as someone else's is checked.
    person = next(
        n for n in range(1, 7) if "trackersync" not in world.github.issue(REPO, n)["body"]
    )
    pasted = "\n\n---\n<sub>Mirrored from WEB-1 by trackersync</sub>\n"
    world.github.edit_issue(
        REPO, person, body=f"{pasted}<!-- trackersync:twin_of=jira:WEB#WEB-1 -->"
    )
    world.sync()
    assert identity_reads(world) == (1, 0)
