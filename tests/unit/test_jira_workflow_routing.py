"""Routing over a Jira workflow graph (pure): every status to every category in a gated
workflow, routes that do not exist, statuses without a category, screens."""

from __future__ import annotations

import pytest

from trackersync.connectors.jira import workflow
from trackersync.connectors.jira.mapping import CANCELED_RESOLUTIONS
from trackersync.sandbox.jira_workflow import (
    GATE,
    Workflow,
    WorkflowTransition,
    gated_workflow,
    resolution_after,
)
from trackersync.sync.model import StatusCategory

RESOLUTIONS = ("Done", "Won't Do", "Duplicate")


def graph_of(model: Workflow, *, known: set[str] | None = None) -> dict[str, list]:
    """What `GET .../transitions?expand=transitions.fields` lists per status, parsed."""
    graph = {}
    for status in model.statuses:
        if known is not None and status not in known:
            continue
        graph[status] = [
            workflow.Transition(
                id=t.id,
                name=t.name,
                to_name=t.to,
                to_category=model.category(t.to),
                resolutions=RESOLUTIONS if t.screen else None,
                has_screen=t.screen,
            )
            for t in model.available(status)
        ]
    return graph


def walk(model: Workflow, start: str, steps: tuple) -> tuple[str, str | None]:
    """Take the steps as the sandbox would: each must leave the status it is taken
    from, and fields only go with a screen. The status and resolution reached."""
    status, resolution = start, None
    for transition, fields in steps:
        taken = model.transition(status, transition.id)
        assert taken is not None, f"{transition.name} is not available from {status}"
        assert not fields or taken.screen, f"fields sent to {taken.name} without a screen"
        sent = (fields.get("resolution") or {}).get("name")
        status, resolution = taken.to, resolution_after(model, taken, sent)
    return status, resolution


def category_of(model: Workflow, status: str, resolution: str | None) -> StatusCategory:
    key = model.category(status)
    if key == "done":
        canceled = (resolution or "").lower() in CANCELED_RESOLUTIONS
        named = status.lower() in workflow.CANCELED_NAMES
        return StatusCategory.CANCELED if canceled or named else StatusCategory.DONE
    return {"new": StatusCategory.TODO, "indeterminate": StatusCategory.IN_PROGRESS}[key]


CANCEL_STYLES = ("status", "post-function", "screen")
CASES = [
    pytest.param(cancel, start, wanted, id=f"{cancel}-{start}-{wanted.value}")
    for cancel in CANCEL_STYLES
    for start in GATE
    for wanted in StatusCategory
]


@pytest.mark.parametrize(("cancel", "start", "wanted"), CASES)
def test_gated_workflow_reaches_every_category_from_every_status(
    cancel: str, start: str, wanted: StatusCategory
) -> None:
    model = gated_workflow(cancel=cancel)
    found = workflow.route(graph_of(model), start, wanted)
    if not found.steps:
        # Only an issue already in the category needs no route.
        reached = category_of(model, start, "Done" if start == "Done" else None)
        assert reached is wanted
        return
    status, resolution = walk(model, start, found.steps)
    assert category_of(model, status, resolution) is wanted


def test_the_route_is_the_shortest() -> None:
    found = workflow.route(graph_of(gated_workflow()), "Backlog", StatusCategory.DONE)
    assert [t.to_name for t, _ in found.steps] == list(GATE[1:])
    assert [fields for _, fields in found.steps] == [{}] * 5  # no screen, no fields


def test_unlearned_statuses_are_named_not_guessed() -> None:
    graph = graph_of(gated_workflow(cancel="none"), known={"Backlog", "Selected for Development"})
    found = workflow.route(graph, "Backlog", StatusCategory.DONE)
    assert found.steps == ()
    assert found.unexplored == {"In Progress"}


STUCK = Workflow(
    statuses={"Backlog": ("1", "new"), "Selected": ("2", "new"), "Doing": ("3", "indeterminate")},
    transitions=(
        WorkflowTransition("1", "Select", "Selected", ("Backlog",)),
        WorkflowTransition("2", "Unselect", "Backlog", ("Selected",)),
        WorkflowTransition("3", "Start", "Doing", ("Doing",)),
    ),
    initial="Backlog",
)


def test_no_route_when_the_reachable_statuses_lead_nowhere() -> None:
    found = workflow.route(graph_of(STUCK), "Backlog", StatusCategory.IN_PROGRESS)
    assert (found.steps, found.unexplored) == ((), frozenset())
    message = workflow.no_route(graph_of(STUCK), "Backlog", StatusCategory.IN_PROGRESS)
    assert "'Backlog'" in message
    assert "Selected" in message
    assert "`status` override" in message
    assert "not moved" in message


NO_CATEGORY = Workflow(
    statuses={
        "Open": ("1", "new"),
        "Triage": ("2", "undefined"),
        "Working": ("3", "indeterminate"),
        "Closed": ("4", "done"),
    },
    transitions=(
        WorkflowTransition("1", "Triage", "Triage", ("Open", "Working")),
        WorkflowTransition("2", "Accept", "Working", ("Triage",)),
        WorkflowTransition("3", "Close", "Closed", ("Working",), sets_resolution="Done"),
    ),
    initial="Open",
)


def test_a_status_without_category_is_passed_through_never_a_goal() -> None:
    graph = graph_of(NO_CATEGORY)
    found = workflow.route(graph, "Open", StatusCategory.DONE)
    assert [t.to_name for t, _ in found.steps] == ["Triage", "Working", "Closed"]
    # Triage has no category: it is no way to "todo", and nothing else leads back.
    assert workflow.route(graph, "Working", StatusCategory.TODO).steps == ()


def test_resolution_fields_only_on_a_screen() -> None:
    on_screen = workflow.route(
        graph_of(gated_workflow(cancel="screen")), "QA", StatusCategory.CANCELED
    )
    ((transition, fields),) = on_screen.steps
    assert transition.has_screen
    assert fields == {"resolution": {"name": "Won't Do"}}
    by_post_function = workflow.route(
        graph_of(gated_workflow(cancel="post-function")), "Backlog", StatusCategory.CANCELED
    )
    ((transition, fields),) = by_post_function.steps
    assert (transition.name, transition.has_screen, fields) == ("Reject", False, {})
    # Done is never reached by the transition that cancels.
    done = workflow.route(
        graph_of(gated_workflow(cancel="post-function")), "Backlog", StatusCategory.DONE
    )
    assert "Reject" not in [t.name for t, _ in done.steps]


def test_parse_reads_the_screen_flag() -> None:
    data = {
        "transitions": [
            {
                "id": "1",
                "name": "Close",
                "to": {"name": "Done", "statusCategory": {"key": "done"}},
                "hasScreen": False,
                "fields": {},
            },
            {
                "id": "2",
                "name": "Resolve",
                "to": {"name": "Done", "statusCategory": {"key": "done"}},
                "hasScreen": True,
                "fields": {"resolution": {"allowedValues": [{"name": "Fixed"}]}},
            },
        ]
    }
    closed, resolved = workflow.parse_transitions(data)
    assert (closed.has_screen, closed.resolutions) == (False, None)
    assert (resolved.has_screen, resolved.resolutions) == (True, ("Fixed",))
