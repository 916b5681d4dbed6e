"""Strict Jira workflows: the sandbox answers like Jira (transitions only from their
statuses, fields only on screens, versions only for project admins), and the connector
routes an issue to any category over a gated workflow, never part-way."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from jira import JIRAError
from jira_fixtures import as_pulled, library_client, make_sandbox, serve
from jira_fixtures import connector as make_connector

from trackersync.connectors.jira.connector import JiraConnector
from trackersync.errors import ItemFailed
from trackersync.sandbox.jira import JiraSandbox
from trackersync.sandbox.jira_workflow import GATE, Workflow, WorkflowTransition, gated_workflow
from trackersync.sync.model import StatusCategory, Task, TaskFields

API = "/rest/api/2"
STUCK = Workflow(
    statuses={
        "Backlog": ("10100", "new"),
        "Selected for Development": ("10101", "new"),
        "In Progress": ("3", "indeterminate"),
    },
    transitions=(
        WorkflowTransition("11", "Select", "Selected for Development", ("Backlog",)),
        WorkflowTransition("12", "Unselect", "Backlog", ("Selected for Development",)),
        # Only reachable from itself: nothing leads into In Progress.
        WorkflowTransition("21", "Restart", "In Progress", ("In Progress",)),
    ),
    initial="Backlog",
)


@pytest.fixture
def sandbox() -> JiraSandbox:
    return make_sandbox()


@pytest.fixture
def jira(sandbox: JiraSandbox) -> Iterator[JiraConnector]:
    with serve(sandbox) as origin_url:
        conn = make_connector(origin_url)
        conn.pull("WEB", {})
        yield conn
        conn.close()


def gated(sandbox: JiraSandbox, cancel: str = "status") -> None:
    """WEB on the gated workflow, with one issue in each status (a project in use): what
    a normal API user learns the workflow's transitions from."""
    sandbox.set_workflow("WEB", gated_workflow(cancel=cancel))
    for status in GATE:
        sandbox.create_issue("WEB", f"sample in {status}", status=status)


def pulled(jira: JiraConnector, key: str) -> Task:
    return next(t for t in jira.pull("WEB", {}).tasks if t.ref.key == key)


def transitions_posted(sandbox: JiraSandbox, mark: int) -> int:
    return sum(
        1 for r in sandbox.log.since(mark) if r.method == "POST" and r.path.endswith("/transitions")
    )


# ---------------------------------------------------------------- the sandbox, as Jira


@pytest.mark.spec_exempt("the jira library sends a numeric transition id as a number")
def test_only_transitions_from_the_current_status_are_listed_and_accepted(
    sandbox: JiraSandbox,
) -> None:
    sandbox.set_workflow("WEB", gated_workflow())
    key = sandbox.create_issue("WEB", "gated")["key"]
    with serve(sandbox) as origin:
        client = library_client(origin, sandbox)
        listed = client.transitions(key, expand="transitions.fields")
        assert [(t["name"], t["hasScreen"]) for t in listed] == [
            ("To Selected for Development", False),
            ("Won't Do", False),
        ]
        with pytest.raises(JIRAError) as caught:
            client.transition_issue(key, "51")  # QA → Done, not from Backlog
    assert caught.value.status_code == 400
    assert "is not valid for this issue" in (caught.value.text or "")
    assert sandbox.issue(key)["fields"]["status"]["name"] == "Backlog"


@pytest.mark.spec_exempt("sends a field the transition's screen does not carry, on purpose")
def test_a_field_on_a_transition_without_a_screen_is_refused_as_jira_does(
    sandbox: JiraSandbox,
) -> None:
    sandbox.set_workflow("WEB", gated_workflow(cancel="post-function"))
    key = sandbox.create_issue("WEB", "reject me")["key"]
    with serve(sandbox) as origin:
        client = library_client(origin, sandbox)
        with pytest.raises(JIRAError) as caught:
            client.transition_issue(key, "82", fields={"resolution": {"name": "Won't Do"}})
        client.transition_issue(key, "82")  # the post-function sets the resolution
    assert caught.value.status_code == 400
    assert caught.value.response.json() == {
        "errorMessages": [],
        "errors": {
            "resolution": "Field 'resolution' cannot be set. It is not on the appropriate "
            "screen, or unknown."
        },
    }
    fields = sandbox.issue(key)["fields"]
    assert (fields["status"]["name"], fields["resolution"]["name"]) == ("Done", "Won't Do")


def test_statuses_carry_their_category_including_no_category(sandbox: JiraSandbox) -> None:
    triage = Workflow(
        statuses={"Open": ("1", "new"), "Triage": ("2", "undefined")},
        transitions=(WorkflowTransition("1", "Triage", "Triage"),),
        initial="Open",
    )
    sandbox.set_workflow("WEB", triage)
    with serve(sandbox) as origin:
        client = library_client(origin, sandbox)
        (task_type, *_) = client._get_json("project/WEB/statuses")  # noqa: SLF001
    categories = {s["name"]: s["statusCategory"]["key"] for s in task_type["statuses"]}
    assert categories == {"Open": "new", "Triage": "undefined"}


# ---------------------------------------------------------------- routing


GATED_CASES = [
    pytest.param(start, wanted, id=f"{start}-{wanted.value}")
    for start in GATE
    for wanted in StatusCategory
    if not (start == "Done" and wanted is StatusCategory.DONE)
    and not (start in GATE[:2] and wanted is StatusCategory.TODO)
    and not (start in GATE[2:5] and wanted is StatusCategory.IN_PROGRESS)
]


@pytest.mark.parametrize(("start", "wanted"), GATED_CASES)
def test_gated_workflow_moves_from_any_status_to_any_category(
    sandbox: JiraSandbox, jira: JiraConnector, start: str, wanted: StatusCategory
) -> None:
    gated(sandbox, cancel="post-function")
    key = sandbox.create_issue("WEB", "gated", status=start)["key"]
    item = pulled(jira, key)
    moved = jira.update_item(item, TaskFields(status=wanted))
    assert moved.status.category is wanted
    as_pulled(jira, moved)


def test_a_gated_route_is_learned_once_per_run_and_costs_what_it_says(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    gated(sandbox)
    first, second = (sandbox.create_issue("WEB", name)["key"] for name in ("one", "two"))
    mark = sandbox.log.mark()

    done = jira.update_item(pulled(jira, first), TaskFields(status=StatusCategory.DONE))
    after_first = sandbox.log.mark()
    jira.update_item(pulled(jira, second), TaskFields(status=StatusCategory.DONE))

    assert (done.status.name, done.raw["resolution"]) == ("Done", "Done")
    learned = [
        (r.method, r.path.removeprefix(API)) for r in sandbox.log.since(mark)[: after_first - mark]
    ]
    # the pull (search, versions); the issue's own status; four statuses learned from a
    # sample each (a one-key search, its transitions); five steps; the read-back
    assert sum(1 for m, p in learned if p.endswith("/transitions") and m == "GET") == 5
    assert sum(1 for _, p in learned if p == "/search/jql") == 1 + 4
    assert len(learned) == 2 + 1 + 4 * 2 + 5 + 1
    # The second issue of the run: the route is known, nothing is learned again.
    second_run = [(r.method, r.path.removeprefix(API)) for r in sandbox.log.since(after_first)]
    assert second_run == [
        ("POST", "/search/jql"),  # the pull
        ("GET", "/project/WEB/versions"),
        *[("POST", f"/issue/{second}/transitions")] * 5,
        ("GET", f"/issue/{second}"),
    ]


def test_no_route_fails_once_and_never_moves_part_way(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    sandbox.set_workflow("WEB", STUCK)
    key = sandbox.create_issue("WEB", "stuck")["key"]
    sandbox.create_issue("WEB", "selected", status="Selected for Development")
    item = pulled(jira, key)
    mark = sandbox.log.mark()

    for _run in range(2):
        with pytest.raises(ItemFailed) as caught:
            jira.update_item(item, TaskFields(status=StatusCategory.IN_PROGRESS))
        assert sandbox.issue(key)["fields"]["status"]["name"] == "Backlog"

    assert transitions_posted(sandbox, mark) == 0
    message = caught.value.reason
    assert "'Backlog'" in message
    assert "Selected for Development" in message
    assert "`status` override" in message
    assert "not moved" in message


def test_a_status_no_issue_is_in_cannot_be_learned_so_nothing_moves(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    sandbox.set_workflow("WEB", gated_workflow())  # a fresh project: only this issue
    key = sandbox.create_issue("WEB", "alone")["key"]
    mark = sandbox.log.mark()
    with pytest.raises(ItemFailed) as caught:
        jira.update_item(pulled(jira, key), TaskFields(status=StatusCategory.DONE))
    assert transitions_posted(sandbox, mark) == 0
    assert sandbox.issue(key)["fields"]["status"]["name"] == "Backlog"
    assert "no issue is in 'Selected for Development'" in caught.value.reason


def test_the_rest_of_the_change_is_written_when_no_route_exists(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    sandbox.set_workflow("WEB", STUCK)
    key = sandbox.create_issue("WEB", "stuck")["key"]
    with pytest.raises(ItemFailed):
        jira.update_item(
            pulled(jira, key), TaskFields(title="renamed", status=StatusCategory.IN_PROGRESS)
        )
    fields = sandbox.issue(key)["fields"]
    assert (fields["summary"], fields["status"]["name"]) == ("renamed", "Backlog")


@pytest.mark.parametrize("cancel", ["status", "post-function", "screen"])
def test_cancel_works_with_and_without_a_screen(
    sandbox: JiraSandbox, jira: JiraConnector, cancel: str
) -> None:
    gated(sandbox, cancel=cancel)
    key = sandbox.create_issue("WEB", "cancel me", status="QA")["key"]
    canceled = jira.update_item(pulled(jira, key), TaskFields(status=StatusCategory.CANCELED))
    assert canceled.status.category is StatusCategory.CANCELED
    as_pulled(jira, canceled)


def test_default_workflow_still_costs_one_transition(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    item = jira.create_item("WEB", TaskFields(title="t"), _origin())
    mark = sandbox.log.mark()
    jira.update_item(item, TaskFields(status=StatusCategory.DONE))
    calls = [(r.method, r.path.removeprefix(API)) for r in sandbox.log.since(mark)]
    key = item.ref.key
    assert calls == [
        ("GET", f"/issue/{key}/transitions"),
        ("POST", f"/issue/{key}/transitions"),
    ]


# ---------------------------------------------------------------- versions


def test_a_refused_version_is_a_warning_and_the_rest_is_written(
    sandbox: JiraSandbox, jira: JiraConnector, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.set_workflow("WEB", sandbox.projects["WEB"].workflow, admin=False)
    one, two = (sandbox.create_issue("WEB", name)["key"] for name in ("one", "two"))
    changes = TaskFields(title="renamed", milestone="9.9", status=StatusCategory.DONE)
    with caplog.at_level(logging.WARNING):
        written = jira.update_item(pulled(jira, one), changes)
        jira.update_item(pulled(jira, two), changes)
    assert (written.title, written.milestone) == ("renamed", None)
    assert written.status.category is StatusCategory.DONE
    assert sandbox.log.count("POST", f"{API}/version") == 1  # refused once per run
    assert "version '9.9' not created" in caplog.text
    assert sandbox.versions("WEB") == []


def test_the_mirrored_fix_version_is_replaced_and_the_others_kept(
    sandbox: JiraSandbox, jira: JiraConnector
) -> None:
    for name in ("1.0", "1.1", "2.0"):
        sandbox.create_version("WEB", name)
    key = sandbox.create_issue("WEB", "two versions", fix_versions=("1.0", "1.1"))["key"]
    moved = jira.update_item(pulled(jira, key), TaskFields(milestone="2.0"))
    # `add` appends the new version; the write names it as the issue's milestone.
    assert (moved.milestone, moved.fix_versions) == ("2.0", ("1.1", "2.0"))
    cleared = jira.update_item(moved, TaskFields(milestone=None))
    assert (cleared.milestone, cleared.fix_versions) == ("1.1", ("1.1",))


def _origin():
    from trackersync.sync.model import Origin

    return Origin(ref="gh:acme/web#1", url="https://github.com/acme/web/issues/1", system="GitHub")
