"""Routing a Jira issue to a status category over its workflow's transition graph.

Transition ids belong to each project's workflow, so nothing here is hard-coded. Jira
only lists the transitions available from an issue's *current* status
(`GET /issue/{key}/transitions?expand=transitions.fields`), yet a gated workflow
(Backlog → Selected for Development → In Progress → Review → QA → Done) needs several
steps, and an issue must never be left part-way when the last step turns out missing.
So the whole route is found before the first step:

* The graph is learned from what Jira lists, per project, issue type and status, and
  cached for the run. The issue's own status costs one `GET .../transitions`; a status
  the issue is not in is learned from another issue of the same project and type that
  is in it (a search for one key, then its `GET .../transitions`): two reads per status,
  only for statuses a breadth-first search actually reaches before it finds a route.
* Why not the workflow itself: `GET /rest/api/2/workflow/search?expand=transitions`
  (and the v3 bulk `POST /rest/api/3/workflows`) need the *Administer Jira* global
  permission for company-managed workflows, and Data Center has no project-scoped
  equivalent; `GET /project/{key}/statuses` lists statuses without transitions. A normal
  API user can always read an issue's transitions, which also tell screens and the
  fields on them, which the workflow descriptions do not.
* Fallback: a status no issue is in cannot be learned. When no route is known the item
  fails with a message naming the statuses and the link's `status` override, and the
  issue is not moved at all. (Transitions hidden by conditions on another issue, say
  "only the assignee", may differ; the route then fails at that step like any refusal.)

Resolution fields are sent only on a transition with a screen that lists them; without a
screen the workflow's post-function sets the resolution (a transition named "Won't Do"
or "Reject" into a done status is taken to cancel).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from trackersync.connectors.jira.mapping import CANCELED_RESOLUTIONS, SYSTEM
from trackersync.errors import MalformedData
from trackersync.sync.model import StatusCategory

# Jira's statusCategory key for each of our categories (canceled is a done status).
# "undefined" (No Category) is no category of ours: a route may pass such a status but
# never ends in one.
CATEGORY_KEYS = {
    StatusCategory.TODO: "new",
    StatusCategory.IN_PROGRESS: "indeterminate",
    StatusCategory.DONE: "done",
    StatusCategory.CANCELED: "done",
}
# Status names that already say "not done" (a workflow may have one; then no resolution
# is needed to tell canceled from done).
CANCELED_NAMES = frozenset({"canceled", "cancelled", "won't do", "rejected", "declined"})
# Transition names whose post-function (no screen) commonly sets a "not done" resolution.
CANCELING_TRANSITIONS = CANCELED_NAMES | {"cancel", "reject", "decline", "won't fix"}
PREFERRED_CANCEL = ("Won't Do", "Won't Fix", "Declined", "Rejected", "Duplicate")
Fields = dict[str, Any]


@dataclass(frozen=True)
class Transition:
    """One available transition; `resolutions` is None unless its screen lists the field."""

    id: str
    name: str
    to_name: str
    to_category: str
    resolutions: tuple[str, ...] | None = None
    has_screen: bool = False

    @property
    def to_canceled_name(self) -> bool:
        """Whether the target status's own name means canceled."""
        return self.to_name.lower() in CANCELED_NAMES

    @property
    def cancels(self) -> bool:
        """Whether the transition's name says it cancels (its post-function's resolution)."""
        return self.name.lower() in CANCELING_TRANSITIONS


def parse_transitions(data: Mapping[str, Any]) -> list[Transition]:
    """The answer of `GET /issue/{key}/transitions?expand=transitions.fields`."""
    found = []
    for item in data.get("transitions") or []:
        try:
            target = item["to"]
            # Jira lists fields only from a transition's screen; an answer without
            # `hasScreen` that lists fields has one.
            screen = bool(item.get("hasScreen", bool(item.get("fields"))))
            found.append(
                Transition(
                    id=str(item["id"]),
                    name=str(item.get("name") or ""),
                    to_name=str(target["name"]),
                    to_category=str(target["statusCategory"]["key"]),
                    resolutions=_resolutions(item.get("fields") or {}) if screen else None,
                    has_screen=screen,
                )
            )
        except (KeyError, TypeError) as exc:
            raise MalformedData(SYSTEM, f"transition {item!r}: missing {exc}") from exc
    return found


def _resolutions(fields: Mapping[str, Any]) -> tuple[str, ...] | None:
    field_ = fields.get("resolution")
    if not isinstance(field_, dict):
        return None
    return tuple(str(v.get("name")) for v in field_.get("allowedValues") or [] if v.get("name"))


def choose(
    options: Sequence[Transition], wanted: StatusCategory
) -> tuple[Transition, Fields] | None:
    """The transition to a status of category `wanted`, with the fields to send, or None."""
    key = CATEGORY_KEYS[wanted]
    candidates = [t for t in options if t.to_category == key]
    if wanted is StatusCategory.CANCELED:
        return _cancel(candidates)
    if wanted is StatusCategory.DONE:
        return _done(candidates)
    return (candidates[0], {}) if candidates else None


def _done(candidates: Sequence[Transition]) -> tuple[Transition, Fields] | None:
    for transition in candidates:
        if transition.to_canceled_name or transition.cancels:
            continue
        if transition.resolutions is None:
            return transition, {}  # no screen: the workflow sets the resolution
        done = next((r for r in transition.resolutions if r.lower() == "done"), None)
        fallback = [r for r in transition.resolutions if r.lower() not in CANCELED_RESOLUTIONS]
        if done or fallback:
            return transition, {"resolution": {"name": done or fallback[0]}}
    return None


def _cancel(candidates: Sequence[Transition]) -> tuple[Transition, Fields] | None:
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
    # No screen to choose on: a transition named for canceling sets it by post-function.
    return next(((t, {}) for t in candidates if t.cancels and t.resolutions is None), None)


# The transitions learned per status name (of one project and issue type).
Graph = Mapping[str, Sequence[Transition]]


@dataclass(frozen=True)
class Route:
    """The steps to take (each transition with its fields), or none: then `unexplored`
    holds the statuses the search reached whose transitions are not known yet."""

    steps: tuple[tuple[Transition, Fields], ...] = ()
    unexplored: frozenset[str] = field(default_factory=frozenset)


def route(graph: Graph, start: str, wanted: StatusCategory) -> Route:
    """The shortest route from status `start` to a status of category `wanted`, breadth
    first over the known transitions; the last step is the one `choose` picks."""
    parents: dict[str, tuple[str, Transition] | None] = {start: None}
    queue, unexplored = deque([start]), set()
    while queue:
        status = queue.popleft()
        if status not in graph:
            unexplored.add(status)
            continue
        last = choose(graph[status], wanted)
        if last is not None:
            return Route(steps=(*_path(parents, status), last))
        for transition in graph[status]:
            if transition.to_name not in parents:
                parents[transition.to_name] = (status, transition)
                queue.append(transition.to_name)
    return Route(unexplored=frozenset(unexplored))


def worth_learning(graph: Graph, unexplored: Set[str]) -> list[str]:
    """Which unexplored statuses to learn next (each costs two reads): the open ones
    first; a route rarely passes through a done status, so those only when nothing
    else is left."""
    categories = {t.to_name: t.to_category for options in graph.values() for t in options}
    still_open = [name for name in unexplored if categories.get(name) != "done"]
    return sorted(still_open or unexplored)


def _path(
    parents: Mapping[str, tuple[str, Transition] | None], status: str
) -> list[tuple[Transition, Fields]]:
    steps: list[tuple[Transition, Fields]] = []
    link = parents[status]
    while link is not None:
        previous, transition = link
        steps.append((transition, {}))
        link = parents[previous]
    return steps[::-1]


def no_route(graph: Graph, start: str, wanted: StatusCategory, unknown: Sequence[str] = ()) -> str:
    """Why no route was found, naming the statuses and the way out."""
    seen = set(graph) | {t.to_name for options in graph.values() for t in options}
    text = (
        f"no route in the workflow from {start!r} to a {wanted} status "
        f"(statuses known: {', '.join(sorted(seen | {start}))}"
    )
    if unknown:
        text += f"; no issue is in {', '.join(map(repr, sorted(unknown)))} to learn its transitions"
    return (
        text + "); the issue was not moved. Move it by hand, add the transition, or map a "
        f"status it can reach to {wanted} with the link's `status` override"
    )
