"""State writes are upserts: two replicas saving the same rows at once both succeed (the
later one's values stay), where delete-then-insert failed the second on the primary key."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from builders import make_task

from trackersync.sync.model import Milestone, PullResult
from trackersync.sync.state import StateStore, tables
from trackersync.sync.state.store import task_row
from trackersync.sync.state.upsert import upsert

NOW = datetime(2026, 5, 1, tzinfo=UTC)
SCOPE = "gh:acme/web"


def pull(title: str, milestones: list[Milestone] | None = None) -> PullResult:
    item = make_task(f"{SCOPE}#1", title=title)
    return PullResult(scope=SCOPE, tasks=[item], cursor={"since": title}, milestones=milestones)


def waiting_on_a_lock(store: StateStore) -> bool:
    with store.connect() as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return bool(conn.execute(sa.text(query)).scalar())


def test_two_replicas_saving_one_pull_at_once_both_succeed(postgres_url: str) -> None:
    store = StateStore(postgres_url)
    store.migrate()
    errors: list[BaseException] = []
    with store.begin() as first:  # replica 1, its transaction still open
        upsert(first, tables.tasks, [task_row(pull("from replica 1").tasks[0])])

        def replica_2() -> None:
            try:
                store.save_pull(pull("from replica 2"), pulled_at=NOW)
            except BaseException as exc:
                errors.append(exc)

        second = threading.Thread(target=replica_2)
        second.start()
        for _ in range(600):  # until replica 2 waits on replica 1's row
            if waiting_on_a_lock(store) or not second.is_alive():
                break
            threading.Event().wait(0.05)
        assert second.is_alive(), errors
    second.join(timeout=60)
    assert errors == []
    [stored] = store.tasks(SCOPE)
    assert stored.title == "from replica 2"
    assert store.cursor(SCOPE) == {"since": "from replica 2"}


def test_saving_a_pull_again_replaces_rows_and_drops_vanished_milestones(
    state_url: str,
) -> None:
    store = StateStore(state_url)
    v1, v2 = (Milestone(scope=SCOPE, id=i, name=f"v{i}") for i in ("1", "2"))
    store.save_pull(pull("first", [v1, v2]), pulled_at=NOW)
    store.save_pull(pull("second", [v2.model_copy(update={"name": "v2 renamed"})]), NOW)
    assert [t.title for t in store.tasks(SCOPE)] == ["second"]
    assert [m.name for m in store.milestones(SCOPE)] == ["v2 renamed"]
    assert store.cursor(SCOPE) == {"since": "second"}


def test_keep_existing_leaves_the_first_row(state_url: str) -> None:
    store = StateStore(state_url)
    store.migrate()
    rows: list[dict[str, Any]] = [
        {"milestone": "R", "day": "2026-05-01", "refs": ["a"]},
        {"milestone": "R", "day": "2026-05-02", "refs": ["b"]},
    ]
    for row in rows:
        with store.begin() as conn:
            upsert(conn, tables.rollup_baselines, [row], keep_existing=True)
    with store.connect() as conn:
        [kept] = conn.execute(sa.select(tables.rollup_baselines)).all()
    assert (kept.day, kept.refs) == ("2026-05-01", ["a"])
