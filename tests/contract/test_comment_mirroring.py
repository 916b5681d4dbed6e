"""Comments cross a link in both directions, through the real `sync` against both sandboxes.

One case per direction of the demo's link (source Jira, target GitHub, two-way): a comment
written on the origin side arrives on the other, an edit follows, and a dry run plans
exactly what the real run then does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from world import ENV, PROJECT, REPO, World

from trackersync.config.loading import build_connectors, load
from trackersync.sync.model import Comment, Ref


@dataclass(frozen=True)
class Direction:
    """Where the origin item lives and how a person writes on that side."""

    name: str
    create: Callable[[World, str], str]
    comment: Callable[[World, str, str], str]
    edit_comment: Callable[[World, str, str, str], None]
    origin_scope: str
    mirror_scope: str


JIRA_TO_GITHUB = Direction(
    "jira->github",
    create=lambda w, title: w.jira.create_issue(PROJECT, title, "body")["key"],
    comment=lambda w, key, body: str(w.jira.add_comment(key, body)["id"]),
    edit_comment=lambda w, key, cid, body: w.jira.edit_comment(key, cid, body) and None,
    origin_scope=f"jira:{PROJECT}",
    mirror_scope=f"gh:{REPO}",
)
GITHUB_TO_JIRA = Direction(
    "github->jira",
    create=lambda w, title: str(w.github.create_issue(REPO, title, "body")["number"]),
    comment=lambda w, key, body: str(w.github.add_comment(REPO, int(key), body)["id"]),
    edit_comment=lambda w, _key, cid, body: w.github.edit_comment(REPO, int(cid), body) and None,
    origin_scope=f"gh:{REPO}",
    mirror_scope=f"jira:{PROJECT}",
)


@pytest.fixture(params=[JIRA_TO_GITHUB, GITHUB_TO_JIRA], ids=lambda d: d.name)
def direction(request: pytest.FixtureRequest) -> Direction:
    return request.param


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def twin_key(world: World, direction: Direction, key: str) -> str:
    pairs = world.pairs()  # Jira key -> GitHub number
    if direction is JIRA_TO_GITHUB:
        return pairs[key]
    return next(jira for jira, number in pairs.items() if number == key)


def comments_on(world: World, scope: str, key: str) -> list[Comment]:
    """The item's comments as a fresh, full pull of its tracker reads them."""
    ref = Ref.parse(scope)
    connectors = build_connectors(load(world.config), ENV)
    try:
        return connectors[ref.connector].pull(ref.scope, {}).comments.get(key, [])
    finally:
        for connector in connectors.values():
            connector.close()


def mirrors_of(world: World, direction: Direction, key: str, comment_id: str) -> list[Comment]:
    marker = f"{Ref.parse(direction.origin_scope).item(key)}/{comment_id}"
    found = comments_on(world, direction.mirror_scope, twin_key(world, direction, key))
    return [c for c in found if c.mirror_of == marker]


def paired_item(world: World, direction: Direction) -> str:
    """An origin item with its twin made by a first sync; the origin's key."""
    key = direction.create(world, "Commented item")
    assert world.sync().failures == []
    return key


def test_a_comment_on_an_otherwise_unchanged_item_arrives_on_the_other_side(
    world: World, direction: Direction
) -> None:
    key = paired_item(world, direction)
    comment_id = direction.comment(world, key, "Seen in production too.")
    run = world.sync()
    assert run.failures == []
    [mirror] = mirrors_of(world, direction, key, comment_id)
    assert "Seen in production too." in mirror.body
    # The mirror is not echoed back, nor posted twice.
    again = world.sync()
    assert [a.reason for o in again.outcomes for a in o.plan.actions] == []
    assert again.writes == 0


def test_a_comment_made_before_the_first_sync_arrives_with_the_twin(
    world: World, direction: Direction
) -> None:
    key = direction.create(world, "Commented before any sync")
    comment_id = direction.comment(world, key, "Written before the twin existed.")
    assert world.sync().failures == []
    [mirror] = mirrors_of(world, direction, key, comment_id)
    assert "Written before the twin existed." in mirror.body


def test_a_comment_edit_follows(world: World, direction: Direction) -> None:
    key = paired_item(world, direction)
    comment_id = direction.comment(world, key, "First words.")
    world.sync()
    direction.edit_comment(world, key, comment_id, "Second thoughts.")
    run = world.sync()
    assert run.failures == []
    [mirror] = mirrors_of(world, direction, key, comment_id)
    assert "Second thoughts." in mirror.body
    assert "First words." not in mirror.body


def test_a_dry_run_plans_exactly_what_the_real_run_does(world: World, direction: Direction) -> None:
    key = paired_item(world, direction)
    direction.comment(world, key, "Planned the same both ways.")
    dry = world.sync(dry_run=True)
    real = world.sync()
    dry_actions = [a.model_dump() for o in dry.outcomes for a in o.plan.actions]
    real_actions = [a.model_dump() for o in real.outcomes for a in o.plan.actions]
    assert [a["kind"] for a in real_actions] == ["comment"]
    assert dry_actions == real_actions
    assert dry.writes == 0
