"""Reading and writing one link's state: twins, bases, mirrored comments, intents.

Every write is its own transaction, made right after the tracker write it records, so a
process killed at any instant loses at most the record of one write, which the next run
recovers from the marker that write carried.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trackersync.sync.model import Comment, Task, iso
from trackersync.sync.plan import CommentTwin, LinkState
from trackersync.sync.state import tables
from trackersync.sync.state.store import StateStore, task_row


class LinkStore:
    """The state of one link inside a `StateStore`."""

    def __init__(self, store: StateStore, link: str) -> None:
        self.store = store
        self.link = link

    def load(self) -> LinkState:
        """Everything `plan` needs to know about this link."""
        if not self.store.exists():
            return LinkState()
        with self.store.connect() as conn:
            rows = list(conn.execute(self._select(tables.twins)))
            twins = {r.source_ref: r.target_ref for r in rows}
            mirror_sides = {r.source_ref: r.mirror_side for r in rows if r.mirror_side}
            bases = {
                (r.source_ref, r.field): (r.source_value, r.target_value)
                for r in conn.execute(self._select(tables.bases))
            }
            comments = {
                r.origin_id: CommentTwin(r.mirror_ref, r.mirror_comment_id, r.origin_updated)
                for r in conn.execute(self._select(tables.comment_twins))
            }
            intents = frozenset(r.origin_id for r in conn.execute(self._select(tables.intents)))
        return LinkState(twins, bases, comments, intents, mirror_sides)

    def _select(self, table: sa.Table) -> sa.Select[Any]:
        return sa.select(table).where(table.c.link == self.link)

    def record_intent(self, origin_id: str, target: str, now: datetime) -> None:
        """Before a create: remember it may happen, so a crash is reconciled by marker."""
        self.store.migrate()
        with self.store.begin() as conn:
            self._delete(conn, tables.intents, origin_id=origin_id)
            row = {
                "link": self.link,
                "origin_id": origin_id,
                "target": target,
                "recorded_at": iso(now),
            }
            conn.execute(tables.intents.insert(), row)

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
            self._delete(conn, tables.twins, source_ref=source_ref)
            conn.execute(
                tables.twins.insert(),
                {
                    "link": self.link,
                    "source_ref": source_ref,
                    "target_ref": target_ref,
                    "mirror_side": mirror_side,
                },
            )
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
            self._delete(conn, tables.comment_twins, origin_id=origin_id)
            conn.execute(
                tables.comment_twins.insert(),
                {
                    "link": self.link,
                    "origin_id": origin_id,
                    "mirror_ref": mirror_ref,
                    "mirror_comment_id": comment_id,
                    "origin_updated": origin_updated,
                },
            )
            if not isinstance(comment, str):
                conn.execute(
                    tables.comments.delete().where(
                        (tables.comments.c.task_ref == mirror_ref)
                        & (tables.comments.c.comment_id == comment.id)
                    )
                )
                conn.execute(
                    tables.comments.insert(),
                    {
                        "task_ref": mirror_ref,
                        "comment_id": comment.id,
                        "updated_at": iso(comment.updated_at),
                        "data": comment.model_dump(mode="json"),
                    },
                )

    def _write_bases(
        self, conn: sa.Connection, source_ref: str, bases: dict[str, tuple[Any, Any]]
    ) -> None:
        for name, (source_value, target_value) in bases.items():
            self._delete(conn, tables.bases, source_ref=source_ref, field=name)
            conn.execute(
                tables.bases.insert(),
                {
                    "link": self.link,
                    "source_ref": source_ref,
                    "field": name,
                    "source_value": source_value,
                    "target_value": target_value,
                },
            )

    def _delete(self, conn: sa.Connection, table: sa.Table, **keys: str) -> None:
        condition = table.c.link == self.link
        for column, key in keys.items():
            condition &= table.c[column] == key
        conn.execute(table.delete().where(condition))


def all_twins(store: StateStore) -> dict[str, str]:
    """Every pair of every link (source ref -> target ref), for counting twins once."""
    if not store.exists():
        return {}
    with store.connect() as conn:
        rows = conn.execute(sa.select(tables.twins.c.source_ref, tables.twins.c.target_ref))
        return {row.source_ref: row.target_ref for row in rows}


def _save_task(conn: sa.Connection, task: Task) -> None:
    row = task_row(task)
    conn.execute(tables.tasks.delete().where(tables.tasks.c.ref == row["ref"]))
    conn.execute(tables.tasks.insert(), row)
