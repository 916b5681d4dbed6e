"""Who handles a link, and who pulls a scope: one process at a time.

PostgreSQL: a session advisory lock per link and per scope, tried without waiting, so
replicas split the links and the pulls between them. SQLite: an exclusive lock on a file
beside the database (one for the links, one for the pulls), waited for, so a second
process on the same machine simply runs after the first, and finds the pull done.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from trackersync.sync.state.store import StateStore


def lock_key(link: str, kind: str = "link") -> int:
    """A stable signed 64-bit key for a link name (or, with kind "scope", a scope)."""
    digest = hashlib.sha256(f"trackersync-{kind}:{link}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def link_lock(store: StateStore, link: str) -> Iterator[bool]:
    """Hold the link's lock while the block runs; yields False if another process has it."""
    if store.is_sqlite:
        with _file_lock(store, ".lock") as held:
            yield held
        return
    with _advisory_lock(store, lock_key(link)) as held:
        yield held


@dataclass(frozen=True)
class PullClaim:
    """The scopes a process may pull, and, if it had to wait for another process's pulls,
    when those began: what that process saved since then is as fresh as a pull now."""

    held: set[str]
    waited_for: str | None = None


@contextmanager
def pull_locks(store: StateStore, scopes: list[str], started: str) -> Iterator[PullClaim]:
    """Hold the pull lock of every scope of `scopes` this process can get while the block
    runs (the pulls and their saves). PostgreSQL: one advisory lock per scope, tried
    without waiting. SQLite: one file lock for all, waited for; the file holds when its
    holder's pulls began (`started`, ISO UTC), so a waiter knows what it waited for."""
    if store.is_sqlite:
        with _stamped_file_lock(store, ".pull.lock", started) as waited_for:
            yield PullClaim(set(scopes), waited_for)
        return
    keys = {scope: lock_key(scope, "scope") for scope in scopes}
    with store.connect() as conn:
        try_lock = sa.text("SELECT pg_try_advisory_lock(:k)")
        held = {s for s, key in keys.items() if conn.execute(try_lock, {"k": key}).scalar()}
        conn.commit()  # session locks outlive the transaction; none stays open meanwhile
        try:
            yield PullClaim(held)
        finally:
            for scope in held:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": keys[scope]})
            conn.commit()


@contextmanager
def _advisory_lock(store: StateStore, key: int) -> Iterator[bool]:
    with store.connect() as conn:
        held = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            yield held
        finally:
            if held:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


@contextmanager
def _stamped_file_lock(store: StateStore, suffix: str, stamp: str) -> Iterator[str | None]:
    """`_file_lock` that writes `stamp` into the file once held; yields the stamp of the
    holder this process waited for (None if it did not wait), and passes the earlier of
    the two on."""
    database = store.url.database
    if not database or database == ":memory:":
        yield None
        return
    with Path(f"{database}{suffix}").open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            waited = False
        except BlockingIOError:
            fcntl.flock(handle, fcntl.LOCK_EX)
            waited = True
        try:
            handle.seek(0)
            previous = (handle.read().strip() or None) if waited else None
            # A chain of waiters is one round: the next one learns when the round began.
            handle.truncate(0)
            handle.write(min(stamp, previous or stamp))
            handle.flush()
            yield previous
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _file_lock(store: StateStore, suffix: str) -> Iterator[bool]:
    database = store.url.database
    if not database or database == ":memory:":
        yield True
        return
    path = Path(f"{database}{suffix}")
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
