"""A person who breaks our rollup block in a GitHub milestone keeps every word they wrote."""

from __future__ import annotations

from pathlib import Path

import requests
from world import ENV, REPO, World

from trackersync.config.loading import load
from trackersync.sync.publish import MARKERS


def rollup(world: World) -> None:
    proc = world.cli("rollup")
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr


def test_text_written_below_a_removed_end_marker_survives_later_rollups(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        world.github.create_milestone(REPO, "v2.0", description="Team notes.")
        world.github.create_issue(REPO, "First", milestone="v2.0")
        rollup(world)
        [milestone] = world.github.milestones(REPO)
        start, end = MARKERS["markdown"]
        assert end in milestone["description"]
        # The PM deletes our closing marker and writes on below the block.
        edited = milestone["description"].replace(end, "") + "\n\nPM: ship on Friday."
        api = load(world.config).connectors["gh"].url
        answer = requests.patch(
            f"{api}/repos/{REPO}/milestones/{milestone['number']}",
            json={"description": edited},
            headers={"Authorization": f"token {ENV['T_GITHUB_TOKEN']}"},
            timeout=10,
        )
        assert answer.status_code == 200
        for title in ("Second", "Third"):  # each changes the rollup, so each publishes
            world.github.create_issue(REPO, title, milestone="v2.0")
            rollup(world)
            [milestone] = world.github.milestones(REPO)
            description = milestone["description"]
            assert description.startswith("Team notes.")
            assert "PM: ship on Friday." in description
            assert description.endswith(end)
        assert description.count(start) == 2  # the broken block, left alone, and ours
    finally:
        world.close()
