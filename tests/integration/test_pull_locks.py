"""One replica pulls a scope at a time: on PostgreSQL a replica that finds a scope's pull
lock taken leaves it (and reads nothing of it); a scope pulled since its cycle began is
reused, not read again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from world import ENV, PROJECT, REPO, World

from trackersync.config.loading import build_connectors, load
from trackersync.cycle import pull_all
from trackersync.sync.model import iso
from trackersync.sync.state import StateStore
from trackersync.sync.state.locks import pull_locks

SCOPES = [f"gh:{REPO}", f"jira:{PROJECT}"]


def pull(world: World, now: datetime | None = None) -> dict[str, str | None]:
    connectors = build_connectors(load(world.config), ENV)
    try:
        clock = (lambda: now) if now else (lambda: datetime.now(UTC))
        report = pull_all(connectors, StateStore(world.state_url), now=clock)
    finally:
        for connector in connectors.values():
            connector.close()
    assert report.exit_code == 0
    return {o.scope: o.skipped for o in report.outcomes}


def test_a_scope_locked_by_another_replica_is_left_to_it(tmp_path, postgres_url: str) -> None:
    world = World(tmp_path, state_url=postgres_url)
    try:
        world.github.create_issue(REPO, "one")
        with pull_locks(StateStore(postgres_url), [f"gh:{REPO}"], iso(datetime.now(UTC))):
            marks = world.github.log.mark()
            skipped = pull(world)
            assert world.github.log.since(marks) == []  # not one GitHub request
        assert skipped[f"gh:{REPO}"] == "another process is pulling this scope; using the stored state"
        assert skipped[f"jira:{PROJECT}"] is None
        assert pull(world)[f"gh:{REPO}"] is None  # released: the next cycle pulls it
    finally:
        world.close()


def test_a_scope_pulled_since_the_cycle_began_is_reused(tmp_path, state_url: str) -> None:
    world = World(tmp_path, state_url=state_url)
    try:
        assert pull(world) == dict.fromkeys(SCOPES)
        marks = world.github.log.mark(), world.jira.log.mark()
        earlier = datetime.now(UTC) - timedelta(minutes=1)  # a cycle that began before them
        assert set(pull(world, now=earlier).values()) == {
            "pulled by another process during this cycle"
        }
        assert world.github.log.since(marks[0]) == world.jira.log.since(marks[1]) == []
    finally:
        world.close()
