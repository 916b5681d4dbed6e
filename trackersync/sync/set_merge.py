"""Three-way merge of set-valued fields (labels, assignees) across a two-way link.

A set is not one value that one side wins: each side's additions and removals since the
pair was last in step are changes of their own. Each side's result is its current set,
plus what the other side added, minus what the other side removed (carried into this
side's representation), so a label added in Jira and another added on GitHub both stay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trackersync.sync.link import LinkSpec, SideName, carry, member_key, other

SET_FIELDS = frozenset({"labels", "assignees"})
_INDEX: dict[SideName, int] = {"source": 0, "target": 1}


@dataclass
class SetMerge:
    """Each side's merged set (in its own representation) and the warnings carrying made."""

    results: dict[SideName, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def changed(self, side: SideName, current: list[str], name: str) -> bool:
        """Whether side `side` must be written to hold its merged set."""
        return _keys(name, self.results[side]) != _keys(name, current)


def merge_sets(
    name: str,
    current: Mapping[SideName, list[str]],
    base: tuple[Any, Any] | None,
    link: LinkSpec,
    urls: Mapping[SideName, str],
) -> SetMerge:
    """Both sides' merged sets; with no base (never in step) nothing counts as removed."""
    merge = SetMerge()
    for side in ("source", "target"):
        frm: SideName = other(side)
        theirs = list(current[frm])
        their_base = list((base or ([], []))[_INDEX[frm]] or [])
        gone = [m for m in their_base if m not in theirs]
        new = [m for m in theirs if m not in their_base]
        to = link.side(side)
        added, warnings = carry(name, new, link, frm, to, urls[frm], current[side])
        removed, _ = carry(name, gone, link, frm, to, urls[frm], current[side])
        merge.warnings.extend(warnings)
        dropped = _keys(name, removed)
        kept = [m for m in current[side] if member_key(name, m) not in dropped]
        have = _keys(name, kept)
        merge.results[side] = kept + [m for m in added if member_key(name, m) not in have]
    return merge


def _keys(name: str, members: list[str]) -> set[str]:
    return {member_key(name, member) for member in members}
