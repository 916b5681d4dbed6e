"""The rollup history in the state store: daily burn-up points and first scopes."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from trackersync.sync.model import Task
from trackersync.sync.rollup import DayPoint
from trackersync.sync.state import tables
from trackersync.sync.state.store import StateStore, task_row
from trackersync.sync.state.upsert import upsert


def history(store: StateStore, milestone: str) -> list[DayPoint]:
    """Every recorded day of a milestone, oldest first."""
    if not store.exists():
        return []
    table = tables.rollup_days
    query = sa.select(table).where(table.c.milestone == milestone).order_by(table.c.day)
    with store.connect() as conn:
        return [DayPoint(date.fromisoformat(r.day), r.total, r.done) for r in conn.execute(query)]


def baseline(store: StateStore, milestone: str) -> frozenset[str] | None:
    """The items of the first rollup, None before it."""
    if not store.exists():
        return None
    table = tables.rollup_baselines
    with store.connect() as conn:
        row = conn.execute(sa.select(table.c.refs).where(table.c.milestone == milestone)).first()
    return frozenset(row.refs) if row else None


def record(store: StateStore, milestone: str, point: DayPoint, refs: frozenset[str]) -> None:
    """Store today's point (replacing an earlier one of the same day) and, once, the baseline."""
    store.migrate()
    days, baselines = tables.rollup_days, tables.rollup_baselines
    with store.begin() as conn:
        day = point.day.isoformat()
        row = {"milestone": milestone, "day": day, "total": point.total, "done": point.done}
        upsert(conn, days, [row])
        # The first scope recorded stays the baseline, whichever replica wrote it.
        baseline = {"milestone": milestone, "day": day, "refs": sorted(refs)}
        upsert(conn, baselines, [baseline], keep_existing=True)


def published_block(store: StateStore, target: str) -> str | None:
    """The rollup block last written into a status issue, None before the first."""
    if not store.exists():
        return None
    table = tables.published
    with store.connect() as conn:
        row = conn.execute(sa.select(table.c.block).where(table.c.target == target)).first()
    return row.block if row else None


def record_published(store: StateStore, target: str, block: str, written: Task) -> None:
    """Remember the block written into `target`, and the issue as the write returned it."""
    store.migrate()
    table = tables.published
    with store.begin() as conn:
        upsert(conn, table, [{"target": target, "block": block}])
        upsert(conn, tables.tasks, [task_row(written)])


def member_keys(store: StateStore, milestone: str) -> dict[str, frozenset[str]]:
    """The keys each query member matched at the last rollup, by member text."""
    if not store.exists():
        return {}
    table = tables.member_keys
    with store.connect() as conn:
        rows = conn.execute(sa.select(table).where(table.c.milestone == milestone))
        return {row.member: frozenset(row.keys) for row in rows}


def record_member_keys(
    store: StateStore, milestone: str, member: str, keys: frozenset[str]
) -> None:
    """Remember what a query member matched, for `status` (which makes no requests)."""
    store.migrate()
    table = tables.member_keys
    with store.begin() as conn:
        upsert(conn, table, [{"milestone": milestone, "member": member, "keys": sorted(keys)}])
