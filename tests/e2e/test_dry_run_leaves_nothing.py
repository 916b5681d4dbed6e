"""`sync --dry-run` leaves nothing behind: no state file, no lock file, no changed row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from world import PROJECT, REPO, World


def run(world: World, *args: str) -> str:
    proc = world.cli(*args)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    return stderr


def dump(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        return list(conn.iterdump())


def test_a_first_dry_run_creates_no_file(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        world.github.create_issue(REPO, "GitHub 1")
        world.jira.create_issue(PROJECT, "Jira 1")
        before = sorted(tmp_path.iterdir())
        run(world, "sync", "--dry-run")
        assert sorted(tmp_path.iterdir()) == before  # neither state.db nor state.db.lock
        assert world.github.log.writes == world.jira.log.writes == 0
    finally:
        world.close()


def test_a_dry_run_after_a_sync_changes_no_row(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        world.github.create_issue(REPO, "GitHub 1")
        run(world, "sync")
        world.jira.create_issue(PROJECT, "new in Jira")  # something the dry run would do
        (tmp_path / "state.db.lock").unlink()
        before = dump(tmp_path / "state.db")
        run(world, "sync", "--dry-run")
        assert dump(tmp_path / "state.db") == before
        assert not (tmp_path / "state.db.lock").exists()
    finally:
        world.close()
