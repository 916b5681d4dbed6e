"""Reading and writing one link's state: twins, bases, mirrored comments, intents.

Every write is its own transaction, made right after the tracker write it records, so a
process killed at any instant loses at most the record of one write, which the next run
recovers from the marker that write carried.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trackersync.sync.model import Comment, Task, iso
from trackersync.sync.plan import CommentTwin, LinkState
from trackersync.sync.state import tables
from trackersync.sync.state.store import StateStore, task_row
from trackersync.sync.state.upsert import upsert
from trackersync.sync.work_items import Identities, TwinPair


class LinkStore:
    """The state of one link inside a `StateStore`."""

    def __init__(self, store: StateStore, link: str) -> None:
        self.store = store
        self.link = link

    def load(self, with_bases: bool = True) -> LinkState:
        """Everything `plan` needs to know about this link (bases only `with_bases`: they
        are most of it, and `pair_bases` streams them instead)."""
        if not self.store.exists():
            return LinkState()
        with self.store.connect() as conn:
            rows = list(conn.execute(self._select(tables.twins)))
            twins = {r.source_ref: r.target_ref for r in rows}
            mirror_sides = {r.source_ref: r.mirror_side for r in rows if r.mirror_side}
            bases = self._bases(conn, {ref: ref for ref in twins}) if with_bases else {}
            comments = {
                r.origin_id: CommentTwin(r.mirror_ref, r.mirror_comment_id, r.origin_updated)
                for r in conn.execute(self._select(tables.comment_twins))
            }
            intents = frozenset(r.origin_id for r in conn.execute(self._select(tables.intents)))
            elsewhere = self._mirrors_elsewhere(conn)
        return LinkState(twins, bases, comments, intents, mirror_sides, elsewhere)

    def _bases(
        self, conn: sa.Connection, refs: dict[str, str]
    ) -> dict[tuple[str, str], tuple[Any, Any]]:
        """Every pair's bases. Six rows a pair make these most of a link's state: each ref,
        field name and equal text is kept once (`refs` holds the twins' refs to share)."""
        bases: dict[tuple[str, str], tuple[Any, Any]] = {}
        for ref, name, pair in self._base_rows(conn):
            bases[(refs.setdefault(ref, ref), name)] = pair
        return bases

    def pair_bases(self) -> Iterator[tuple[str, dict[str, tuple[Any, Any]]]]:
        """Each source ref's bases (field -> both values), one ref at a time, streamed in
        ref order: `plan.split_quiet` keeps only those of pairs that changed."""
        if not self.store.exists():
            return
        current: str | None = None
        found: dict[str, tuple[Any, Any]] = {}
        with self.store.connect() as conn:
            for ref, name, pair in self._base_rows(conn, ordered=True):
                if ref != current:
                    if current is not None:
                        yield current, found
                    current, found = ref, {}
                found[name] = pair
        if current is not None:
            yield current, found

    def _base_rows(
        self, conn: sa.Connection, ordered: bool = False
    ) -> Iterator[tuple[str, str, tuple[Any, Any]]]:
        """(source ref, field, (source value, target value)) of each base row, decoded."""
        table = tables.bases
        query = sa.select(
            table.c.source_ref,
            table.c.field,
            sa.cast(table.c.source_value, sa.Text),
            sa.cast(table.c.target_value, sa.Text),
        ).where(table.c.link == self.link)
        if ordered:
            # Fetched in batches, not a row a driver call: about a sixth less CPU.
            query = query.order_by(table.c.source_ref).execution_options(yield_per=2000)
        decode = _SharedDecoder()
        for ref, name, source_text, target_text in conn.execute(query):
            source = decode(source_text)
            same = target_text == source_text and not isinstance(source, list | dict)
            yield ref, sys.intern(name), (source, source if same else decode(target_text))

    def _mirrors_elsewhere(self, conn: sa.Connection) -> frozenset[str]:
        """The items the other links created as mirrors (`chain` keeps them out)."""
        table = tables.twins
        query = sa.select(table).where(table.c.link != self.link)
        return frozenset(
            r.target_ref if r.mirror_side == "target" else r.source_ref
            for r in conn.execute(query)
            if r.mirror_side in ("source", "target")
        )

    def _select(self, table: sa.Table) -> sa.Select[Any]:
        return sa.select(table).where(table.c.link == self.link)

    def record_intent(self, origin_id: str, target: str, now: datetime) -> None:
        """Before a create: remember it may happen, so a crash is reconciled by marker."""
        self.store.migrate()
        with self.store.begin() as conn:
            row = {
                "link": self.link,
                "origin_id": origin_id,
                "target": target,
                "recorded_at": iso(now),
            }
            upsert(conn, tables.intents, [row])

    def record_twin(
        self,
        source_ref: str,
        target_ref: str,
        bases: dict[str, tuple[Any, Any]],
        created: Task | None,
        mirror_side: str | None = None,
    ) -> None:
        """A pair exists (created or found by marker): store it, its bases, drop intents."""
        self.store.migrate()
        with self.store.begin() as conn:
            twin = {
                "link": self.link,
                "source_ref": source_ref,
                "target_ref": target_ref,
                "mirror_side": mirror_side,
            }
            upsert(conn, tables.twins, [twin])
            for origin_id in (source_ref, target_ref):
                self._delete(conn, tables.intents, origin_id=origin_id)
            self._write_bases(conn, source_ref, bases)
            if created is not None:
                _save_task(conn, created)

    def record_bases(
        self, source_ref: str, bases: dict[str, tuple[Any, Any]], written: Task | None
    ) -> None:
        """After an edit (or on agreement): the values each side now has for these fields."""
        self.store.migrate()
        with self.store.begin() as conn:
            self._write_bases(conn, source_ref, bases)
            if written is not None:
                _save_task(conn, written)

    def record_comment(
        self, origin_id: str, mirror_ref: str, comment: Comment | str, origin_updated: str
    ) -> None:
        """A mirrored comment exists (posted, rewritten, or found by marker)."""
        self.store.migrate()
        comment_id = comment if isinstance(comment, str) else comment.id
        with self.store.begin() as conn:
            twin = {
                "link": self.link,
                "origin_id": origin_id,
                "mirror_ref": mirror_ref,
                "mirror_comment_id": comment_id,
                "origin_updated": origin_updated,
            }
            upsert(conn, tables.comment_twins, [twin])
            if not isinstance(comment, str):
                row = {
                    "task_ref": mirror_ref,
                    "comment_id": comment.id,
                    "updated_at": iso(comment.updated_at),
                    "data": comment.model_dump(mode="json"),
                }
                upsert(conn, tables.comments, [row])

    def _write_bases(
        self, conn: sa.Connection, source_ref: str, bases: dict[str, tuple[Any, Any]]
    ) -> None:
        rows = [
            {
                "link": self.link,
                "source_ref": source_ref,
                "field": name,
                "source_value": source_value,
                "target_value": target_value,
            }
            for name, (source_value, target_value) in bases.items()
        ]
        upsert(conn, tables.bases, rows)

    def _delete(self, conn: sa.Connection, table: sa.Table, **keys: str) -> None:
        condition = table.c.link == self.link
        for column, key in keys.items():
            condition &= table.c[column] == key
        conn.execute(table.delete().where(condition))


class _SharedDecoder:
    """JSON values as `json.loads` gives them, short ones decoded once and shared: a
    status or a label is in every pair's bases. Lists are fresh lists (callers may treat
    them as their own) of shared strings."""

    def __init__(self) -> None:
        self._short: dict[str, Any] = {}

    def __call__(self, text: str | None) -> Any:
        if text is None:
            return None
        if len(text) > 1 and text[0] == text[-1] == '"' and "\\" not in text:
            # A JSON string without escapes is its own content between the quotes (what
            # json.dumps writes never holds a raw control character): a title, a status.
            return text[1:-1]
        if len(text) > 64:
            return json.loads(text)
        if text not in self._short:
            value = json.loads(text)
            if not _flat(value):
                return value
            self._short[text] = value
        found = self._short[text]
        return list(found) if isinstance(found, list) else found


def _flat(value: Any) -> bool:
    """Immutable, or a list of immutable values: safe to share (as a copy, for a list)."""
    if isinstance(value, list):
        return all(not isinstance(item, list | dict) for item in value)
    return not isinstance(value, dict)


def all_twins(store: StateStore) -> dict[str, str]:
    """Every pair of every link (source ref -> target ref), for counting twins once."""
    if not store.exists():
        return {}
    with store.connect() as conn:
        rows = conn.execute(sa.select(tables.twins.c.source_ref, tables.twins.c.target_ref))
        return {row.source_ref: row.target_ref for row in rows}


def work_item_identities(store: StateStore) -> Identities:
    """Every link's pairs as work-item identities (a ref may be paired by several links)."""
    if not store.exists():
        return Identities()
    table = tables.twins
    query = sa.select(table.c.source_ref, table.c.target_ref, table.c.mirror_side)
    with store.connect() as conn:
        rows = list(conn.execute(query))
    return Identities(
        TwinPair(
            row.source_ref,
            row.target_ref,
            row.mirror_side if row.mirror_side in ("source", "target") else None,
        )
        for row in rows
    )


def _save_task(conn: sa.Connection, task: Task) -> None:
    upsert(conn, tables.tasks, [task_row(task)])
