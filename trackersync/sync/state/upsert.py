"""The one way the state store writes rows that may already be there.

`INSERT ... ON CONFLICT` through the dialect's own insert: the database settles a key
written by two replicas at once (the later write wins, or the first is kept), where a
delete-then-insert lets both inserts through and fails the second on the primary key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def upsert(
    conn: Connection,
    table: sa.Table,
    rows: Iterable[Mapping[str, Any]],
    *,
    keep_existing: bool = False,
) -> None:
    """Insert `rows`; a row whose primary key is there replaces its other columns, or is
    left alone with `keep_existing` (first writer wins)."""
    keys = [column.name for column in table.primary_key.columns]
    # One row per key: a batched INSERT may not touch the same row twice (PostgreSQL).
    batch = list({tuple(row[k] for k in keys): dict(row) for row in rows}.values())
    if not batch:
        return
    statement = _insert(conn, table)
    if keep_existing:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    else:
        changed = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
        statement = statement.on_conflict_do_update(index_elements=keys, set_=changed)
    conn.execute(statement, batch)


def _insert(conn: Connection, table: sa.Table) -> Any:
    # Both dialect inserts speak the same on_conflict_* language.
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the state store has no upsert for {conn.dialect.name}")
