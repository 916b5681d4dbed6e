"""Choosing a Jira transition for a status category, from what `GET .../transitions` lists.

Transition ids belong to each project's workflow, so nothing here is hard-coded: the
connector reads the transitions available from a status (once per project, issue type
and status per run) and these pure functions pick one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trackersync.connectors.jira.mapping import CANCELED_RESOLUTIONS, SYSTEM
from trackersync.errors import MalformedData
from trackersync.sync.model import StatusCategory

# Jira's statusCategory key for each of our categories (canceled is a done status).
CATEGORY_KEYS = {
    StatusCategory.TODO: "new",
    StatusCategory.IN_PROGRESS: "indeterminate",
    StatusCategory.DONE: "done",
    StatusCategory.CANCELED: "done",
}
# Status names that already say "not done" (a workflow may have one; then no resolution
# is needed to tell canceled from done).
CANCELED_NAMES = frozenset({"canceled", "cancelled", "won't do", "rejected", "declined"})
PREFERRED_CANCEL = ("Won't Do", "Won't Fix", "Declined", "Rejected", "Duplicate")


@dataclass(frozen=True)
class Transition:
    """One available transition; `resolutions` is None when its screen has no resolution."""

    id: str
    name: str
    to_name: str
    to_category: str
    resolutions: tuple[str, ...] | None = None

    @property
    def to_canceled_name(self) -> bool:
        """Whether the target status's own name means canceled."""
        return self.to_name.lower() in CANCELED_NAMES


def parse_transitions(data: Mapping[str, Any]) -> list[Transition]:
    """The answer of `GET /issue/{key}/transitions?expand=transitions.fields`."""
    found = []
    for item in data.get("transitions") or []:
        try:
            target = item["to"]
            found.append(
                Transition(
                    id=str(item["id"]),
                    name=str(item.get("name") or ""),
                    to_name=str(target["name"]),
                    to_category=str(target["statusCategory"]["key"]),
                    resolutions=_resolutions(item.get("fields") or {}),
                )
            )
        except (KeyError, TypeError) as exc:
            raise MalformedData(SYSTEM, f"transition {item!r}: missing {exc}") from exc
    return found


def _resolutions(fields: Mapping[str, Any]) -> tuple[str, ...] | None:
    field = fields.get("resolution")
    if not isinstance(field, dict):
        return None
    return tuple(str(v.get("name")) for v in field.get("allowedValues") or [] if v.get("name"))


def choose(
    options: Sequence[Transition], wanted: StatusCategory
) -> tuple[Transition, dict[str, Any]] | None:
    """The transition to a status of category `wanted`, with the fields to send, or None."""
    key = CATEGORY_KEYS[wanted]
    candidates = [t for t in options if t.to_category == key]
    if wanted is StatusCategory.CANCELED:
        return _cancel(candidates)
    if wanted is StatusCategory.DONE:
        candidates = [t for t in candidates if not t.to_canceled_name]
        for transition in candidates:
            if transition.resolutions is None:
                return transition, {}
            done = next((r for r in transition.resolutions if r.lower() == "done"), None)
            fallback = [r for r in transition.resolutions if r.lower() not in CANCELED_RESOLUTIONS]
            if done or fallback:
                return transition, {"resolution": {"name": done or fallback[0]}}
        return None
    return (candidates[0], {}) if candidates else None


def _cancel(candidates: Sequence[Transition]) -> tuple[Transition, dict[str, Any]] | None:
    named = [t for t in candidates if t.to_canceled_name]
    if named:
        return named[0], {}
    for transition in candidates:
        allowed = transition.resolutions or ()
        lowered = {r.lower(): r for r in allowed}
        for name in PREFERRED_CANCEL:
            if name.lower() in lowered:
                return transition, {"resolution": {"name": lowered[name.lower()]}}
        other = next((r for r in allowed if r.lower() in CANCELED_RESOLUTIONS), None)
        if other:
            return transition, {"resolution": {"name": other}}
    return None


def detour(options: Sequence[Transition]) -> Transition | None:
    """A step out of a done status when no transition leads to the wanted one directly
    (done → canceled and back usually passes through an open status)."""
    return next((t for t in options if t.to_category == "new"), None) or next(
        (t for t in options if t.to_category != "done"), None
    )
