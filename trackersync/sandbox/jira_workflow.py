"""Jira workflows for the sandbox: statuses with categories, transitions, screens.

Real Jira decides per project and issue type which statuses exist and which transitions
leave each of them; `GET /issue/{key}/transitions` lists only those available from the
issue's current status, and `POST .../transitions` refuses any other id. A transition
has a screen or not: only a screen's fields (the resolution, here) are listed with
`expand=transitions.fields` and accepted in the POST; sending one to a transition
without a screen is a 400 naming the field. A post-function may set the resolution.

`default_workflow()` is the forgiving one every sandbox project starts with (each
status reachable from every other, the resolution on the Done screen); tests switch a
project to a stricter one with `JiraSandbox.set_workflow`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# statusCategory key -> the category as Jira renders it. "undefined" is "No Category"
# (a status an administrator never put in a category; Jira Cloud still has them).
CATEGORIES: dict[str, dict[str, Any]] = {
    "undefined": {"id": 1, "key": "undefined", "colorName": "medium-gray", "name": "No Category"},
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {
        "id": 4,
        "key": "indeterminate",
        "colorName": "yellow",
        "name": "In Progress",
    },
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}
NOT_ON_SCREEN = "Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."


@dataclass(frozen=True)
class WorkflowTransition:
    """One transition: from `sources` (None: global, from every other status) to `to`.

    `screen`: whether it shows a screen carrying the resolution field. `sets_resolution`:
    the resolution a post-function sets when none is sent (None: leave it unset).
    """

    id: str
    name: str
    to: str
    sources: tuple[str, ...] | None = None
    screen: bool = False
    sets_resolution: str | None = None

    def leaves(self, status: str) -> bool:
        """Whether an issue in `status` may take this transition."""
        if self.sources is None:
            return self.to != status
        return status in self.sources


@dataclass(frozen=True)
class Workflow:
    """Statuses (name -> (id, category key)), transitions and the status new issues get."""

    statuses: Mapping[str, tuple[str, str]]
    transitions: tuple[WorkflowTransition, ...]
    initial: str
    name: str = "Software Simplified Workflow"

    def __post_init__(self) -> None:
        known = set(self.statuses)
        named = {t.to for t in self.transitions} | {self.initial}
        named |= {s for t in self.transitions for s in t.sources or ()}
        if not named <= known:
            raise ValueError(f"workflow names unknown statuses: {sorted(named - known)}")
        if any(key not in CATEGORIES for _, key in self.statuses.values()):
            raise ValueError("a status category key must be one of " + ", ".join(CATEGORIES))

    def available(self, status: str) -> list[WorkflowTransition]:
        """The transitions an issue in `status` may take, in workflow order."""
        return [t for t in self.transitions if t.leaves(status)]

    def transition(self, status: str, transition_id: str) -> WorkflowTransition | None:
        """Transition `transition_id` if an issue in `status` may take it."""
        return next((t for t in self.available(status) if t.id == transition_id), None)

    def category(self, status: str) -> str:
        """The category key of `status`."""
        return self.statuses[status][1]


def screen_errors(transition: WorkflowTransition, fields: Mapping[str, Any]) -> dict[str, str]:
    """Jira's `errors` for the fields sent that the transition's screen does not carry."""
    allowed = {"resolution"} if transition.screen else set()
    return {name: NOT_ON_SCREEN.format(name=name) for name in fields if name not in allowed}


def resolution_after(
    workflow: Workflow, transition: WorkflowTransition, sent: str | None
) -> str | None:
    """The resolution an issue has after `transition` (the sent one, else the
    post-function's); leaving the done category clears it (the reopen post-function)."""
    if workflow.category(transition.to) != "done":
        return None
    return sent or transition.sets_resolution


# The statuses every sandbox project starts with: name -> (id, category key).
DEFAULT_STATUSES = {
    "To Do": ("10000", "new"),
    "In Progress": ("3", "indeterminate"),
    "In Review": ("10001", "indeterminate"),
    "Done": ("10002", "done"),
}


def default_workflow() -> Workflow:
    """Global transitions between the four default statuses; Done has the resolution on
    its screen and a post-function setting "Done" when none is chosen."""
    return Workflow(
        statuses=DEFAULT_STATUSES,
        transitions=(
            WorkflowTransition("11", "Back to To Do", "To Do"),
            WorkflowTransition("21", "Start Progress", "In Progress"),
            WorkflowTransition("31", "Request Review", "In Review"),
            WorkflowTransition("41", "Done", "Done", screen=True, sets_resolution="Done"),
        ),
        initial="To Do",
    )


GATED_STATUSES = {
    "Backlog": ("10100", "new"),
    "Selected for Development": ("10101", "new"),
    "In Progress": ("3", "indeterminate"),
    "Review": ("10102", "indeterminate"),
    "QA": ("10103", "indeterminate"),
    "Done": ("10002", "done"),
    "Won't Do": ("10104", "done"),
}
GATE = ("Backlog", "Selected for Development", "In Progress", "Review", "QA", "Done")


def gated_workflow(*, cancel: str = "status", done_screen: bool = False) -> Workflow:
    """Backlog → Selected for Development → In Progress → Review → QA → Done, one step at
    a time, each step back allowed, Done reopened to Backlog.

    `cancel`: "status" — a global transition to a "Won't Do" status (category done);
    "post-function" — a "Reject" transition from Backlog to Done, without a screen, whose
    post-function sets the resolution "Won't Do"; "screen" — QA → Done has a screen
    with the resolution (so a cancel picks "Won't Do" there); "none" — no way to cancel.
    `done_screen`: whether QA → Done shows the resolution screen.
    """
    steps = [
        WorkflowTransition(
            f"{index + 1}1",
            f"To {to}",
            to,
            (frm,),
            screen=to == "Done" and (done_screen or cancel == "screen"),
            sets_resolution="Done" if to == "Done" else None,
        )
        for index, (frm, to) in enumerate(zip(GATE, GATE[1:], strict=False))
    ]
    back = [
        WorkflowTransition(f"{index + 1}2", f"Back to {frm}", frm, (to,))
        for index, (frm, to) in enumerate(zip(GATE[:-2], GATE[1:-1], strict=False))
    ]
    extra = [WorkflowTransition("91", "Reopen", "Backlog", ("Done", "Won't Do"))]
    statuses = dict(GATED_STATUSES)
    if cancel == "status":
        extra.append(
            WorkflowTransition("81", "Won't Do", "Won't Do", sets_resolution="Won't Do")
        )
    elif cancel == "post-function":
        extra.append(
            WorkflowTransition("82", "Reject", "Done", ("Backlog",), sets_resolution="Won't Do")
        )
    if cancel != "status":
        del statuses["Won't Do"]
        extra[0] = WorkflowTransition("91", "Reopen", "Backlog", ("Done",))
    return Workflow(
        statuses=statuses,
        transitions=(*steps, *back, *extra),
        initial="Backlog",
        name="Gated Workflow",
    )
