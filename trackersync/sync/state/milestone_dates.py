"""The due dates a link's milestone pairs last agreed on: what tells, when the dates of
a pair differ, which side moved (and so which one follows)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from trackersync.sync.state import tables
from trackersync.sync.state.store import StateStore
from trackersync.sync.state.upsert import upsert

# (source milestone name, target milestone name) -> (source due, target due).
PairKey = tuple[str, str]
Dues = tuple[date | None, date | None]


class MilestoneDates:
    """One link's agreed milestone due dates in the state store."""

    def __init__(self, store: StateStore, link: str) -> None:
        self.store = store
        self.link = link

    def load(self) -> dict[PairKey, Dues]:
        """Every pair's last agreed dates (none before the pair was first seen)."""
        if not self.store.exists():
            return {}
        table = tables.milestone_dates
        query = sa.select(table).where(table.c.link == self.link)
        with self.store.connect() as conn:
            if not sa.inspect(conn).has_table(table.name):  # a dry run over an older store
                return {}
            return {
                (row.source, row.target): (_day(row.source_due), _day(row.target_due))
                for row in conn.execute(query)
            }

    def record(self, pair: PairKey, dues: Dues) -> None:
        """Remember `dues` as the pair's agreed dates."""
        self.store.migrate()
        row = {
            "link": self.link,
            "source": pair[0],
            "target": pair[1],
            "source_due": _text(dues[0]),
            "target_due": _text(dues[1]),
        }
        with self.store.begin() as conn:
            upsert(conn, tables.milestone_dates, [row])


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _text(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
