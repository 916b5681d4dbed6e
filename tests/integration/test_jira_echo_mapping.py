"""The cycle after we wrote Jira issues re-reads them (they changed after the cursor), but
maps none of them again: each is exactly what the store holds (`fingerprint`), even where
the stored `updated` is only our estimate of Jira's. A person's edit of such an issue, in
any field the mapping reads, is still mapped and synced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from world import REPO, World

from trackersync.connectors.jira import fingerprint, mapping
from trackersync.sync.state import tables


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of the Jira issues mapped from JSON (a pull's, or a read-back's)."""
    keys: list[str] = []
    original = mapping.task_from_issue

    def counting(raw: dict[str, Any], **kwargs: Any) -> Any:
        keys.append(str(raw.get("key")))
        return original(raw, **kwargs)

    monkeypatch.setattr(mapping, "task_from_issue", counting)
    return keys


def quiet(world: World) -> None:
    run = world.sync()
    assert run.failures == []
    assert (run.writes, sum(o.summary()["planned"] for o in run.outcomes)) == (0, 0)


def stored_jira(world: World) -> dict[str, Any]:
    jira_tasks, _github = world.tasks()
    return {t.ref.key: t for t in jira_tasks}


def assert_stored_times_are_jiras(world: World) -> None:
    """What the store holds carries Jira's own `updated` (the cursor and later time
    comparisons read it), not the estimate made at the write."""
    for key, task in stored_jira(world).items():
        assert task.updated_at == mapping.parse_time(world.jira.issue(key)["fields"]["updated"])


def seed(world: World) -> dict[str, str]:
    """Four GitHub issues synced to Jira (one closed: created, then transitioned)."""
    world.github.create_issue(REPO, "Plain", "Body **bold** and `code`", labels=("frontend",))
    world.github.create_issue(REPO, "Listed", "- one\n- two\n\n> quoted")
    world.github.create_issue(REPO, "Empty")
    world.github.create_issue(REPO, "Closed", "Done already", state="closed")
    assert world.sync().failures == []
    return world.pairs()


def test_the_cycle_after_creates_maps_none_of_them(world: World, mapped: list[str]) -> None:
    pairs = seed(world)
    mapped.clear()

    quiet(world)

    assert mapped == []
    assert len(stored_jira(world)) == len(pairs) == 4
    assert_stored_times_are_jiras(world)


def test_the_cycle_after_updates_and_comments_maps_none_of_them(
    world: World, mapped: list[str]
) -> None:
    pairs = seed(world)
    quiet(world)
    numbers = sorted(int(n) for n in pairs.values())
    world.github.edit_issue(REPO, numbers[0], title="Renamed", body="New *body*", labels=["x"])
    world.github.edit_issue(REPO, numbers[1], state="closed", state_reason="not_planned")
    world.github.edit_issue(REPO, numbers[3], state="open")
    world.github.add_comment(REPO, numbers[2], "A comment from **GitHub**")
    run = world.sync()
    assert run.failures == []
    assert run.writes >= 4
    mapped.clear()

    quiet(world)

    assert mapped == []
    assert_stored_times_are_jiras(world)
    titles = sorted(t.title for t in stored_jira(world).values())
    assert "Renamed" in titles
    quiet(world)


@pytest.mark.parametrize("edit", ["description", "label", "comment", "status", "summary"])
def test_a_persons_edit_of_a_written_issue_is_mapped_and_synced(
    world: World, mapped: list[str], edit: str
) -> None:
    pairs = seed(world)
    key, number = sorted(pairs.items())[0]
    if edit == "description":
        world.jira.edit_issue(key, description="Changed in *Jira*")
    elif edit == "label":
        world.jira.edit_issue(key, labels=["frontend", "from-jira"])
    elif edit == "comment":
        world.jira.add_comment(key, "A comment from Jira")
    elif edit == "status":
        world.jira.transition(key, "Done", resolution="Done")
    else:
        world.jira.edit_issue(key, summary="Renamed in Jira")
    mapped.clear()

    assert world.sync().failures == []

    # The edited issue is mapped; the others, re-read as we wrote them, are not.
    assert mapped == [key]
    github = world.github.issue(REPO, int(number))
    if edit == "description":
        assert github["body"].startswith("Changed in **Jira**")
    elif edit == "label":
        assert "from-jira" in [label["name"] for label in github["labels"]]
    elif edit == "comment":
        bodies = [c["body"] for c in world.github.comments(REPO, int(number))]
        assert any("A comment from Jira" in body for body in bodies)
    elif edit == "status":
        assert github["state"] == "closed"
    else:
        assert github["title"] == "Renamed in Jira"
    assert_stored_times_are_jiras(world)
    quiet(world)


def test_a_stored_task_without_digests_is_mapped_as_before(world: World, mapped: list[str]) -> None:
    """Tasks stored before the digests existed (or whose JSON was too odd) are mapped."""
    pairs = seed(world)
    store = world.store
    with store.begin() as conn:
        for row in conn.execute(sa.select(tables.tasks.c.ref, tables.tasks.c.data)):
            data = dict(row.data)
            data["raw"] = {k: v for k, v in data["raw"].items() if k != fingerprint.SEEN}
            update = tables.tasks.update().where(tables.tasks.c.ref == row.ref)
            # A stored time other than the re-read one: the exact-version skip cannot
            # apply either, so only the digests could spare the mapping.
            older = "2000-01-01T00:00:00.000+00:00"
            conn.execute(update.values(data=data, updated_at=older))
    store.engine.dispose()
    mapped.clear()

    quiet(world)

    assert sorted(mapped) == sorted(pairs)
