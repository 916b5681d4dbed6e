"""Which servers, repositories and projects a state store was built against.

A store's pairs name items by key (`gh:acme/web#12`), and a key means nothing on another
server: a store reused against staging instead of production, or against a reseeded
instance, would write one system's issue into an unrelated one. So the store records each
scope's identity as its connector reports it (server URL, server id or title, repository
or project id) on first use, and a later run whose systems differ is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from trackersync.sync.model import iso
from trackersync.sync.state import tables
from trackersync.sync.state.store import StateStore
from trackersync.sync.state.upsert import upsert

Identity = dict[str, str]

FIX = "use a new state store, or pass --rebind after a deliberate move"
# Longer values are cut: an id or a URL is far shorter, a server may send anything.
MAX_VALUE = 300


def public_url(text: str) -> str:
    """A URL without user, password and trailing slash, its scheme and host lower-cased.

    URLs may carry credentials (`https://user:token@host`): identities are stored and
    printed, so the user information never is. Text that is not a URL is kept as it is.
    """
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:  # not a URL after all (say, a bracket or a port out of range)
        return text.strip()
    if not parts.scheme or not parts.netloc:
        return text.strip()
    host = (parts.hostname or "").lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    # The query goes too: a database URL may carry `?password=`.
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


def clean(identity: Mapping[str, Any]) -> Identity:
    """An identity as stored: text keys and values (URLs made public), empty values left out.

    Values come from the servers (a title is whatever an administrator typed): they are
    made one printable line of bounded length, so a refusal stays one honest line.
    """
    found = {_line(key): public_url(_line(value)) for key, value in identity.items()}
    return {key: value for key, value in sorted(found.items()) if key and value}


def _line(value: Any) -> str:
    printable = "".join(char if char.isprintable() else " " for char in str(value))
    return " ".join(printable.split())[:MAX_VALUE]


@dataclass(frozen=True)
class Mismatch:
    """A scope whose system is not the one the store was built against."""

    scope: str
    stored: Identity
    current: Identity


def mismatches(stored: Mapping[str, Identity], current: Mapping[str, Identity]) -> list[Mismatch]:
    """Scopes whose recorded identity names another system than the configured one.

    Only keys both sides know are compared, so a connector that learns to report more
    (or a store recorded by an older release) is no mismatch; a scope seen for the first
    time is none either.
    """
    found = []
    for scope in sorted(current):
        old, new = stored.get(scope), current[scope]
        if old is not None and any(old[key] != new[key] for key in old.keys() & new.keys()):
            found.append(Mismatch(scope, dict(old), dict(new)))
    return found


def describe(identity: Identity) -> str:
    """`https://a.example (server Jira, project id 10000)`: the URL, then the rest."""
    urls = [value for value in identity.values() if "://" in value]
    rest = [
        f"{key.replace('_', ' ')} {value}" for key, value in identity.items() if "://" not in value
    ]
    where = urls[0] if urls else "an unnamed server"
    return f"{where} ({', '.join(rest)})" if rest else where


def refusal(store_url: str, found: list[Mismatch]) -> str:
    """The one line that refuses a run against other systems, naming both and the fix."""
    first = found[0]
    also = [m.scope for m in found[1:]]
    more = f" (also {', '.join(also)})" if also else ""
    return (
        f"state store {public_url(store_url)} was built against {first.scope} on "
        f"{describe(first.stored)}, not {describe(first.current)}{more}: {FIX}"
    )


def recorded(store: StateStore) -> dict[str, Identity]:
    """Every recorded identity, by scope ref; {} for a store that does not exist yet."""
    if not store.exists():
        return {}
    table = tables.identities
    with store.connect() as conn:
        if not sa.inspect(conn).has_table(table.name):
            return {}  # a store from before identities, not migrated yet: nothing recorded
        rows = conn.execute(sa.select(table.c.scope, table.c.data))
        return {row.scope: clean(row.data) for row in rows}


def record(store: StateStore, identities: Mapping[str, Identity], now: datetime) -> None:
    """Store (or replace) the identities of these scopes."""
    if not identities:
        return
    store.migrate()
    table = tables.identities
    rows = [
        {"scope": scope, "data": clean(identity), "recorded_at": iso(now)}
        for scope, identity in sorted(identities.items())
    ]
    with store.begin() as conn:
        upsert(conn, table, rows)


def to_record(
    stored: Mapping[str, Identity], current: Mapping[str, Identity], *, rebind: bool
) -> dict[str, Identity]:
    """What a run that passed the comparison records: first uses and newly reported keys,
    or with `rebind` every current identity as it is now."""
    if rebind:
        return {scope: dict(identity) for scope, identity in current.items()}
    updates = {}
    for scope, identity in current.items():
        old = stored.get(scope) or {}
        merged = {**old, **identity}
        if merged != old:
            updates[scope] = merged
    return updates
