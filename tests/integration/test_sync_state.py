"""Sync on both state stores, link filters, and one process per link."""

from __future__ import annotations

import threading
from pathlib import Path

from world import PROJECT, REPO, World

from trackersync.sync.state import StateStore
from trackersync.sync.state.locks import link_lock


def test_sync_converges_and_rebuilds_on_either_store(tmp_path: Path, state_url: str) -> None:
    world = World(tmp_path, state_url=state_url)
    try:
        for n in range(20):
            world.jira.create_issue(PROJECT, f"Jira {n}", f"body {n}")
            world.github.create_issue(REPO, f"GitHub {n}", f"body {n}")
        assert world.sync().failures == []
        assert len(world.pairs()) == 40
        assert world.sync().writes == 0
        store = StateStore(state_url)
        store.migrate()
        with store.engine.begin() as conn:
            for table in (
                "ts_twins",
                "ts_bases",
                "ts_comment_twins",
                "ts_intents",
                "ts_tasks",
                "ts_cursors",
            ):
                conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - fixed names
        store.engine.dispose()
        rebuilt = world.sync()
        assert (rebuilt.writes, rebuilt.failures) == (0, [])
        assert len(world.pairs()) == 40
        assert len(world.github_issues()) == len(world.jira_issues()) == 40
    finally:
        world.close()


def test_filters_choose_which_items_get_twins(tmp_path: Path) -> None:
    extra = "    filter:\n      source: 'labels = public'\n      target: {labels: [jira]}\n"
    world = World(tmp_path, link_extra=extra)
    try:
        world.jira.create_issue(PROJECT, "public one", labels=("public",))
        world.jira.create_issue(PROJECT, "internal one", labels=("internal",))
        world.github.create_issue(REPO, "for jira", labels=("jira",))
        world.github.create_issue(REPO, "github only")
        assert world.sync().failures == []
        assert sorted(i["title"] for i in world.github_issues()) == [
            "for jira",
            "github only",
            "public one",
        ]
        assert sorted(i["fields"]["summary"] for i in world.jira_issues()) == [
            "for jira",
            "internal one",
            "public one",
        ]
        assert world.sync().writes == 0
    finally:
        world.close()


def test_postgres_gives_each_link_to_one_process(tmp_path: Path, postgres_url: str) -> None:
    world = World(tmp_path, state_url=postgres_url)
    try:
        world.jira.create_issue(PROJECT, "one")
        store = StateStore(postgres_url)
        with link_lock(store, "web") as held:
            assert held
            run = world.sync()
        [outcome] = run.outcomes
        assert outcome.skipped == "another process is syncing this link"
        assert run.writes == 0
        assert world.sync().writes == 1
    finally:
        world.close()


def test_sqlite_second_process_waits_for_the_first(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        world.jira.create_issue(PROJECT, "one")
        store = StateStore(world.state_url)
        finished = threading.Event()
        results = []

        def second() -> None:
            results.append(world.sync())
            finished.set()

        with link_lock(store, "web") as held:
            assert held
            thread = threading.Thread(target=second)
            thread.start()
            assert not finished.wait(timeout=2)  # blocked behind our lock
        thread.join(timeout=60)
        assert finished.is_set()
        assert results[0].writes == 1
        assert len(world.github_issues()) == 1
    finally:
        world.close()
