"""Work-item identity: every copy of one piece of work, across all links, is one item.

A link pairs an origin with its mirror; two links can chain (a Jira issue mirrored to
one repository, that issue mirrored again to another). The copies of one piece of work
are the transitive closure of the pairs (union-find), and the work item is named by its
origin, so that the name does not change when another copy is edited last.

Pure: the caller passes the pairs as the state store keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from trackersync.sync.model import StatusCategory, Task

SideName = Literal["source", "target"]
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class TwinPair:
    """One pair of one link; `mirror_side` names the copy trackersync made, when known."""

    source: str
    target: str
    mirror_side: SideName | None = None


class Identities:
    """Which work item each ref belongs to: the union-find closure of every pair."""

    def __init__(self, pairs: Iterable[TwinPair] = ()) -> None:
        self._parent: dict[str, str] = {}
        mirrors: set[str] = set()
        for pair in pairs:
            self._union(pair.source, pair.target)
            if pair.mirror_side is not None:
                mirrors.add(pair.target if pair.mirror_side == "target" else pair.source)
        members: dict[str, list[str]] = {}
        for ref in self._parent:
            members.setdefault(self._find(ref), []).append(ref)
        self._key: dict[str, str] = {}
        for refs in members.values():
            # The origin is the copy no link made; the smallest ref when that is unknown.
            origins = [ref for ref in refs if ref not in mirrors] or refs
            key = min(origins)
            self._key.update(dict.fromkeys(refs, key))

    @classmethod
    def from_twins(cls, twins: Mapping[str, str]) -> Identities:
        """From `{source: target}` pairs whose mirror side is unknown (tests, old stores)."""
        return cls(TwinPair(source, target) for source, target in twins.items())

    def of(self, ref: str) -> str:
        """The work item `ref` is a copy of (itself when it has no twin)."""
        return self._key.get(ref, ref)

    def _find(self, ref: str) -> str:
        root = ref
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[ref] != root:  # path compression keeps later look-ups short
            self._parent[ref], ref = root, self._parent[ref]
        return root

    def _union(self, a: str, b: str) -> None:
        self._parent.setdefault(a, a)
        self._parent.setdefault(b, b)
        root_a, root_b = self._find(a), self._find(b)
        if root_a != root_b:
            self._parent[max(root_a, root_b)] = min(root_a, root_b)


@dataclass(frozen=True)
class WorkItem:
    """One piece of work and its copies (the most recently changed one first)."""

    identity: str
    copies: tuple[Task, ...]

    @property
    def latest(self) -> Task:
        """The copy changed last: its status is the work item's status."""
        return self.copies[0]

    @property
    def origin(self) -> Task:
        """The origin's copy when it is among the copies, else the latest."""
        return next((t for t in self.copies if str(t.ref) == self.identity), self.latest)

    @property
    def category(self) -> StatusCategory:
        """The status category of the copy changed last."""
        return self.latest.status.category

    @property
    def due(self) -> date | None:
        """The earliest due date of any copy (GitHub issues carry none of their own)."""
        return min((t.due for t in self.copies if t.due is not None), default=None)

    @property
    def assigned(self) -> bool:
        """Someone is assigned on any copy."""
        return any(t.assignees for t in self.copies)

    @property
    def blocked(self) -> bool:
        """Any copy is marked blocked."""
        return any(t.blocked for t in self.copies)

    @property
    def updated_at(self) -> datetime:
        """When any copy last changed."""
        return self.latest.updated_at


def group(tasks: Iterable[Task], identities: Identities) -> list[WorkItem]:
    """`tasks` as work items, in natural identity order; each task belongs to exactly one."""
    by_identity: dict[str, list[Task]] = {}
    for task in tasks:
        by_identity.setdefault(identities.of(str(task.ref)), []).append(task)
    return [
        WorkItem(
            identity,
            tuple(sorted(copies, key=lambda t: (t.updated_at, str(t.ref)), reverse=True)),
        )
        for identity, copies in sorted(by_identity.items(), key=lambda pair: natural(pair[0]))
    ]


def natural(ref: str) -> tuple[tuple[int, str], ...]:
    """A sort key that puts WEB-9 before WEB-10 and #9 before #10."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in _DIGITS.split(ref))


def category_counts(items: Iterable[WorkItem]) -> dict[str, int]:
    """`tasks` (work items) plus one count per status category."""
    found = [item.category.value for item in items]
    return {"tasks": len(found), **{c.value: found.count(c.value) for c in StatusCategory}}
