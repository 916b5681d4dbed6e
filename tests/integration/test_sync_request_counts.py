"""Deterministic request counts of whole sync cycles at small scale (issue 12 §4): the
cycle after a write-heavy one maps none of our own writes again, and a quiet cycle costs
a fixed, small number of requests. Counts come from the sandboxes' request logs."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from world import ENV, PROJECT, REPO, World

from trackersync import cli
from trackersync.config.loading import build_connectors, load
from trackersync.connectors.jira.mapping import parse_time
from trackersync.cycle import pull_all
from trackersync.sync.state import StateStore

K = 12


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    try:
        yield made
    finally:
        made.close()


def jira_pull(world: World) -> tuple[int, int]:
    """One pull of both scopes: (Jira items it mapped, Jira requests it made)."""
    settings = load(world.config)
    connectors = build_connectors(settings, ENV)
    store = StateStore(settings.state)
    mark = world.jira.log.mark()
    try:
        report = pull_all(connectors, store)
    finally:
        for connector in connectors.values():
            connector.close()
        store.engine.dispose()
    (outcome,) = [o for o in report.outcomes if o.scope == f"jira:{PROJECT}"]
    return outcome.changed, len(world.jira.log.since(mark))


def test_the_cycle_after_writes_maps_none_of_them_and_quiet_ones_cost_three(
    world: World,
) -> None:
    for n in range(K):
        world.github.create_issue(REPO, f"GitHub {n}", f"Body **{n}**")
    first = world.sync()
    assert first.failures == []
    assert len(world.jira_issues()) == K  # K Jira issues created by us
    # The echo cycle: the search lists our K writes again (Jira's search cannot leave
    # out an issue by its exact `updated`), but the store holds each at that version.
    # Those stored as Jira stamped them (read back after the write) are not mapped again;
    # those recorded from the write alone (`written`: an estimate of `updated`) are.
    stored = {t.ref.key: t.updated_at for t in world.tasks()[0]}
    actual = {i["key"]: parse_time(i["fields"]["updated"]) for i in world.jira_issues()}
    exact = sum(stored[key] == actual[key] for key in actual)
    assert exact >= 1
    mapped, requests = jira_pull(world)
    assert mapped == K - exact
    # serverInfo, one search page, versions, and `GET /myself` only to check markers.
    assert requests <= 4
    world.jira.clock.advance(timedelta(minutes=15))
    mapped, requests = jira_pull(world)
    assert (mapped, requests) == (0, 3)


def test_a_person_editing_a_written_issue_is_still_read(world: World) -> None:
    for n in range(3):
        world.github.create_issue(REPO, f"GitHub {n}", f"Body **{n}**")
    world.sync()
    # The first create is read back, so the store holds Jira's own `updated` for it.
    key = world.jira_issues()[0]["key"]
    (stored,) = [t for t in world.tasks()[0] if t.ref.key == key]
    assert stored.updated_at == parse_time(world.jira_issues()[0]["fields"]["updated"])
    world.jira.edit_issue(key, summary="Edited by a person")
    mapped, _requests = jira_pull(world)
    assert mapped >= 1
    (task,) = [t for t in world.tasks()[0] if t.ref.key == key]
    assert task.title == "Edited by a person"


def test_run_every_reads_server_project_and_user_once_not_every_cycle(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run --every`: a quiet cycle is Jira's search and versions, GitHub's three 304s;
    serverInfo, the project, the repository and the API users come from the first cycle."""
    for n in range(K):
        world.github.create_issue(REPO, f"GitHub {n}", f"Body **{n}**")
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    handlers: dict[int, Any] = {}
    monkeypatch.setattr(cli.signal, "signal", lambda signum, h: handlers.__setitem__(signum, h))
    monkeypatch.setattr(cli, "_every", lambda every, once: 0.0)
    real_cycle = cli._cycle
    cost: list[tuple[list[str], list[str]]] = []

    def cycle(*args: Any, **kwargs: Any) -> int:
        marks = world.jira.log.mark(), world.github.log.mark()
        code = real_cycle(*args, **kwargs)
        cost.append(
            (
                [f"{r.method} {r.path}" for r in world.jira.log.since(marks[0])],
                [f"{r.method} {r.path} {r.status}" for r in world.github.log.since(marks[1])],
            )
        )
        for sandbox in (world.jira, world.github):
            sandbox.clock.advance(timedelta(minutes=15))
        if len(cost) == 4:
            handlers[signal.SIGTERM](signal.SIGTERM, None)
        return code

    monkeypatch.setattr(cli, "_cycle", cycle)
    with pytest.raises(SystemExit):
        cli.main(["--config", str(world.config), "run", "--every", "1m"])
    (_first, _echo, *quiet) = cost
    for jira, github in quiet:
        assert sorted(jira) == [
            "GET /rest/api/2/project/WEB/versions",
            "POST /rest/api/2/search/jql",
        ]
        assert all(line.endswith(" 304") for line in github), github
        assert len(github) == 3
