"""The incremental pull's window: what the next Jira search reaches back to, the
(key, updated) pairs read at its edge, and the JQL that asks for it."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from trackersync.connectors.jira import mapping
from trackersync.errors import ConfigError, MalformedData
from trackersync.sync.model import Task

# Jira's search is eventually consistent: an issue changed less than this long before a
# search may be missing from it. A pull that started at server time T has therefore read
# everything changed before T - OVERLAP (its `settled` moment), and the next pull reaches
# back to there: only what was really uncertain is read again, however old the newest
# `updated` is (a quiet project re-reads nothing, a burst is not read cycle after cycle).
OVERLAP = timedelta(minutes=2)
# The (key, updated) pairs kept in the cursor cover the whole re-read window: from the
# settled moment, plus rounding the window up to whole minutes, plus Jira flooring the
# bound to a minute (JQL dates have minute granularity), plus a spare minute.
SLACK = timedelta(minutes=3)


@dataclass(frozen=True)
class Window:
    """The incremental cursor: the newest `updated` seen, the server moment before which
    everything was read (`settled`), and the (key, updated) pairs read after it."""

    newest: datetime | None = None
    seen: frozenset[tuple[str, str]] = frozenset()
    # None in cursors written before it existed: those reach back from `newest`.
    settled: datetime | None = None

    @classmethod
    def load(cls, cursor: Mapping[str, Any]) -> Window:
        """Read a cursor written by `dump` ({} = first pull)."""
        if not cursor.get("updated"):
            return cls()
        try:
            newest = datetime.fromisoformat(cursor["updated"])
            seen = frozenset((str(k), str(u)) for k, u in cursor.get("seen", []))
            settled = cursor.get("settled")
            settled = datetime.fromisoformat(settled) if settled else None
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"the stored Jira cursor is unreadable: {cursor!r}") from exc
        return cls(newest, seen, settled)

    def start(self) -> datetime | None:
        """The moment the next query reaches back to (None: read everything)."""
        if self.newest is None:
            return None
        if self.settled is None:
            return self.newest - OVERLAP
        return self.settled

    def minutes_back(self, server_now: datetime) -> int | None:
        """N for `updated >= "-Nm"`: from the server clock back to `start`."""
        start = self.start()
        if start is None:
            return None
        span = (server_now - start).total_seconds()
        return max(1, math.ceil(span / 60))

    def advance(
        self,
        pairs: Iterable[tuple[str, datetime]],
        fallback: datetime,
        held: datetime | None = None,
    ) -> Window:
        """The next window after a pull that started at server time `fallback` and saw
        `pairs` (key, updated); `newest` never moves backwards.

        `held`: read completely only up to there (an issue changed while the pull paged,
        so one unread may have slid past a page boundary): the next pull reaches back to it.
        """
        pairs = list(pairs)
        candidates = [moment for _, moment in pairs] + ([self.newest] if self.newest else [])
        # Nothing seen yet: start from the server clock at the start of this pull.
        newest = max(candidates) if candidates else fallback
        if held is not None:
            newest = max(min(newest, held), self.newest or held)
        # Everything changed before this was visible to the search when the pull began.
        settled = fallback - OVERLAP
        if held is not None:
            settled = min(settled, held)
        floor = settled - SLACK
        seen = {(key, stamp(moment)) for key, moment in pairs if moment >= floor}
        seen |= {(k, u) for k, u in self.seen if datetime.fromisoformat(u) >= floor}
        return Window(newest, frozenset(seen), settled)

    def dump(self) -> dict[str, Any]:
        """The JSON-serialisable cursor."""
        if self.newest is None:
            return {}
        return {
            "updated": stamp(self.newest),
            "seen": sorted([k, u] for k, u in self.seen),
            "settled": stamp(self.settled) if self.settled else None,
        }


def key_and_updated(raw: Any, system: str) -> tuple[str, datetime]:
    try:
        return str(raw["key"]), mapping.parse_time(raw["fields"]["updated"])
    except (KeyError, TypeError) as exc:
        raise MalformedData(system, f"a search result lacks key or updated: {exc}") from exc


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def quote_project(project: str) -> str:
    """A project key as a JQL string literal."""
    escaped = project.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def build_jql(project: str, minutes_back: int | None, since: str | None = None) -> str:
    """The pull query: the project, optionally the window (relative, or from the local
    minute `since`), a stable order."""
    window = f' AND updated >= "-{minutes_back}m"' if minutes_back is not None else ""
    if since is not None:
        window = f' AND updated >= "{since}"'
    return f"project = {quote_project(project)}{window} ORDER BY updated ASC, key ASC"


def local_minute(raw_updated: str) -> str:
    """`2026-11-25T19:08:40.123+0100` → `2026-11-25 19:08`: JQL reads absolute dates in
    the API user's time zone, the one Jira renders timestamps in, at minute granularity."""
    return f"{raw_updated[:10]} {raw_updated[11:16]}"


@dataclass
class Reading:
    """What one pull read so far: the mapped tasks by key, every (key, updated) pair,
    and the earliest `updated` read of an issue that changed again while we paged."""

    tasks: dict[str, Task]
    pairs: list[tuple[str, datetime]]
    read: dict[str, datetime]
    held: datetime | None = None
