"""Who handles a link: one process at a time.

PostgreSQL: a session advisory lock per link, tried without waiting, so replicas split
the links between them. SQLite: an exclusive lock on a file beside the database, waited
for, so a second process on the same machine simply runs after the first.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from trackersync.sync.state.store import StateStore


def lock_key(link: str) -> int:
    """A stable signed 64-bit key for a link name."""
    digest = hashlib.sha256(f"trackersync-link:{link}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def link_lock(store: StateStore, link: str) -> Iterator[bool]:
    """Hold the link's lock while the block runs; yields False if another process has it."""
    if store.is_sqlite:
        with _file_lock(store) as held:
            yield held
        return
    with store.connect() as conn:
        held = bool(
            conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(link)}).scalar()
        )
        try:
            yield held
        finally:
            if held:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(link)})
            conn.commit()


@contextmanager
def _file_lock(store: StateStore) -> Iterator[bool]:
    database = store.url.database
    if not database or database == ":memory:":
        yield True
        return
    path = Path(f"{database}.lock")
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
