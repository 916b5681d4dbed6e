"""`sync --dry-run` tells the truth: per action the item's title and each field's old → new
value, and the real sync right after performs exactly the planned actions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from world import PROJECT, REPO, World

from trackersync.cycle import LinkOutcome
from trackersync.report.runs import action_row


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def edited(world: World) -> tuple[str, int]:
    """A synced pair, then edits on both sides and a new item: every kind of action."""
    key = world.jira.create_issue(PROJECT, "Checkout page", "Old text", labels=("web",))["key"]
    assert world.sync().failures == []
    number = int(world.pairs()[key])
    world.jira.edit_issue(key, summary="Checkout page v2", description="x" * 200)
    world.github.edit_issue(REPO, number, labels=["web", "urgent"])
    world.github.add_comment(REPO, number, "Looks good", user="hubot")
    world.jira.create_issue(PROJECT, "Brand new")
    return key, number


def rows(outcomes: list[LinkOutcome], *, applied: bool) -> list[tuple[str, str, list]]:
    found = []
    for outcome in outcomes:
        actions = outcome.report.applied if applied and outcome.report else outcome.plan.actions
        for action in actions:
            row = action_row(outcome.name, action)
            found.append((row["action"], row["item"], row["fields"]))
    return found


def test_the_real_sync_applies_exactly_the_dry_run_plan(world: World) -> None:
    edited(world)
    planned = world.sync(dry_run=True)
    assert planned.writes == 0
    real = world.sync()
    assert real.failures == []
    assert rows(real.outcomes, applied=True) == rows(planned.outcomes, applied=False)
    kinds = sorted({kind for kind, _, _ in rows(planned.outcomes, applied=False)})
    assert kinds == ["comment", "create", "update"]


def test_dry_run_json_lists_title_and_old_new_fields(world: World) -> None:
    _, number = edited(world)
    proc = world.cli("--log-format", "json", "sync", "--dry-run")
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    actions = json.loads(stdout)["actions"]
    update = next(
        a for a in actions if a["action"] == "update" and a["item"] == f"gh:{REPO}#{number}"
    )
    assert update["title"] == "Checkout page"
    fields = {f["name"]: f for f in update["fields"]}
    assert fields["title"] == {"name": "title", "old": "Checkout page", "new": "Checkout page v2"}
    assert fields["body"]["new"] == "x" * 59 + "…"  # long text is shortened
    create = next(a for a in actions if a["action"] == "create")
    assert create["title"] == "Brand new"
    assert {"name": "title", "old": None, "new": "Brand new"} in create["fields"]


def test_dry_run_table_shows_old_and_new_values(world: World) -> None:
    edited(world)
    proc = world.cli("sync", "--dry-run")
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "title: 'Checkout page' → 'Checkout page v2'" in stdout
    assert "labels: ['web'] → ['web', 'urgent']" in stdout
    assert "comment: - → 'Looks good'" in stdout
