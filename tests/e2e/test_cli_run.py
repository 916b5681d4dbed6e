"""`run`, `rollup`, `sync --dry-run` and `health` as the container and a user run them."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import PROJECT, REPO, World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    w.github.create_milestone(REPO, "v2.0", description="Team notes.")
    w.jira.create_version(PROJECT, "2.0", description="Our release.")
    for n in range(3):
        w.github.create_issue(REPO, f"GitHub {n}", milestone="v2.0")
        w.jira.create_issue(PROJECT, f"Jira {n}", fix_versions=("2.0",))
    yield w
    w.close()


def finish(proc, timeout: float = 300) -> tuple[int, str, str]:
    stdout, stderr = proc.communicate(timeout=timeout)
    return proc.returncode, stdout, stderr


def test_run_once_syncs_and_publishes_the_rollup(world: World) -> None:
    code, stdout, stderr = finish(world.cli("run", "--once"))
    assert code == 0, stderr
    assert len(world.github_issues()) == len(world.jira_issues()) == 6
    [milestone] = world.github.milestones(REPO)
    assert milestone["description"].startswith("Team notes.")
    assert "<!-- trackersync:rollup -->" in milestone["description"]
    [version] = world.jira.versions(PROJECT)
    assert version["description"].startswith("Our release.")
    assert "[trackersync]" in version["description"]
    code, stdout, _ = finish(world.cli("health"))
    assert code == 0
    assert "healthy" in stdout


def test_a_second_rollup_writes_nothing(world: World) -> None:
    assert finish(world.cli("run", "--once"))[0] == 0
    assert finish(world.cli("rollup"))[0] == 0
    marks = world.github.log.mark(), world.jira.log.mark()
    code, _, stderr = finish(world.cli("rollup"))
    assert code == 0, stderr
    writes = [
        r for r in [*world.github.log.since(marks[0]), *world.jira.log.since(marks[1])] if r.write
    ]
    assert writes == []


def test_rollup_dry_run_shows_the_text_and_writes_nothing(world: World) -> None:
    assert finish(world.cli("pull"))[0] == 0
    marks = world.github.log.mark(), world.jira.log.mark()
    code, stdout, stderr = finish(world.cli("rollup", "--dry-run"))
    assert code == 0, stderr
    assert "would read" in stdout
    assert "trackersync Release 2.0" in stdout
    records = [*world.github.log.since(marks[0]), *world.jira.log.since(marks[1])]
    assert [r for r in records if r.write] == []


def test_sync_dry_run_prints_json_plan_with_json_logs(world: World) -> None:
    code, stdout, stderr = finish(world.cli("--log-format", "json", "sync", "--dry-run"))
    assert code == 0, stderr
    plan = json.loads(stdout)
    assert plan["dry_run"] is True
    assert sorted(a["action"] for a in plan["actions"]) == ["create"] * 6
    assert world.github.log.writes == world.jira.log.writes == 0
    assert not (world.folder / "state.db").exists()


def test_sigterm_ends_run_cleanly_after_its_cycle(world: World) -> None:
    proc = world.cli("run", "--every", "1h")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not world.store.runs():
            time.sleep(0.2)
        assert world.store.runs(), "no cycle finished"
        proc.send_signal(signal.SIGTERM)
        code, _, stderr = finish(proc, timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert code == 0, stderr
    assert [r["command"] for r in world.store.runs()] == ["run"]


def test_health_fails_without_a_successful_cycle(world: World) -> None:
    code, _, stderr = finish(world.cli("health"))
    assert code == 1
    assert "unhealthy" in stderr


def test_unknown_link_is_a_usage_error(world: World) -> None:
    code, _, stderr = finish(world.cli("sync", "--link", "nope"))
    assert code == 2
    assert "--link 'nope' is not a configured link (links: web)" in stderr


def test_status_issue_gets_the_full_rollup_once(tmp_path: Path) -> None:
    world = World(tmp_path, milestone_extra='    publish: [members, "jira:WEB#WEB-1"]\n')
    try:
        world.jira.create_version(PROJECT, "2.0")
        world.jira.create_issue(PROJECT, "Release 2.0 status", "Owned by the PM.")
        world.jira.create_issue(PROJECT, "Some work", fix_versions=("2.0",))
        code, _, stderr = finish(world.cli("rollup"))
        assert code == 0, stderr
        description = world.jira.issue(f"{PROJECT}-1")["fields"]["description"]
        assert description.startswith("Owned by the PM.")
        assert "trackersync rollup (kept up to date automatically" in description
        assert "||todo||" in description.replace(" ", "")  # the Markdown table, as wiki
        world.jira.edit_issue(
            f"{PROJECT}-1", description=description + "\n\nA note added below by the PM."
        )
        marks = world.github.log.mark(), world.jira.log.mark()
        code, _, stderr = finish(world.cli("rollup"))
        assert code == 0, stderr
        records = [*world.github.log.since(marks[0]), *world.jira.log.since(marks[1])]
        assert [r for r in records if r.write] == []
        assert world.jira.issue(f"{PROJECT}-1")["fields"]["description"].endswith(
            "A note added below by the PM."
        )
    finally:
        world.close()


def test_a_status_issue_outside_the_config_is_refused(tmp_path: Path) -> None:
    world = World(tmp_path, milestone_extra='    publish: [members, "jira:OPS#OPS-1"]\n')
    try:
        code, _, stderr = finish(world.cli("rollup"))
        assert code == 2
        assert "milestones[0].publish[1]: connector 'jira' has no scope 'OPS'" in stderr
    finally:
        world.close()


def test_exhausted_budget_stops_cleanly_and_the_next_run_resumes(tmp_path: Path) -> None:
    from datetime import timedelta

    world = World(tmp_path)
    try:
        for n in range(250):
            world.github.create_issue(REPO, f"GitHub {n}")
        world.jira.create_issue(PROJECT, "Jira 0")
        world.github.rate_limit = 2
        code, _, stderr = finish(world.cli("run", "--once"))
        assert code == 1, stderr
        assert "rate limit exhausted" in stderr
        assert "Traceback" not in stderr
        assert world.store.cursor("gh:acme/web") == {}  # nothing half-pulled
        assert world.jira_issues()[0]["fields"]["summary"] == "Jira 0"
        assert len(world.github_issues()) == 250  # the link waited for a whole pull
        world.github.clock.advance(timedelta(hours=1))
        world.github.rate_limit = 5000
        code, _, stderr = finish(world.cli("run", "--once"))
        assert code == 0, stderr
        assert len(world.github_issues()) == len(world.jira_issues()) == 251
    finally:
        world.close()


def test_a_jql_member_is_asked_of_jira_and_remembered_for_status(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        text = world.config.read_text()
        members = """members: ['gh:acme/web milestone="v2.0"', 'jira:WEB fixVersion="2.0"']"""
        assert members in text
        world.config.write_text(
            text.replace(members, """members: ['jira:WEB jql="labels = release"']""")
        )
        world.jira.create_issue(PROJECT, "in scope", labels=("release",))
        world.jira.create_issue(PROJECT, "in scope too", labels=("release", "backend"))
        world.jira.create_issue(PROJECT, "not in scope", labels=("backend",))
        code, _, stderr = finish(world.cli("rollup"))
        assert code == 0, stderr
        code, stdout, _ = finish(world.cli("status", "--format", "json"))
        [milestone] = json.loads(stdout)["milestones"]
        assert milestone["counts"]["tasks"] == 2
        assert milestone["items"] == [f"jira:{PROJECT}#{PROJECT}-1", f"jira:{PROJECT}#{PROJECT}-2"]
    finally:
        world.close()
