"""One odd item never fails the whole pull: it is read as well as it can be, or skipped
with a warning, and the rest of the project or repository still arrives."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from jira_fixtures import connector, make_sandbox, serve

from trackersync.connectors.github.connector import GitHubConfig, GitHubConnector
from trackersync.sandbox.core import SandboxServer
from trackersync.sandbox.github import GitHubSandbox
from trackersync.sandbox.jira_workflow import Workflow, WorkflowTransition
from trackersync.sync.model import StatusCategory

REPO = "acme/web"


class NotADate:
    """What a broken add-on leaves in a date field: `isoformat()` gives a number."""

    def isoformat(self) -> Any:
        return 20261201

    def __lt__(self, other: object) -> bool:
        return False


def test_a_status_without_category_reads_as_todo_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox = make_sandbox()
    triage = Workflow(
        statuses={"Triage": ("1", "undefined"), "Open": ("2", "new")},
        transitions=(WorkflowTransition("1", "Open", "Open"),),
        initial="Triage",
    )
    sandbox.set_workflow("WEB", triage)
    sandbox.create_issue("WEB", "Untriaged")
    with serve(sandbox) as origin, caplog.at_level(logging.WARNING):
        (task,) = connector(origin).pull("WEB", {}).tasks
    assert (task.status.name, task.status.category) == ("Triage", StatusCategory.TODO)
    assert "'undefined'" in caplog.text


@pytest.mark.spec_exempt("a version with a number as releaseDate, on purpose")
def test_an_unreadable_version_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox = make_sandbox()
    sandbox.create_version("WEB", "1.0")
    sandbox.create_version("WEB", "2.0")
    odd = next(v for v in sandbox.versions_by_id.values() if v.name == "1.0")
    odd.release_date = NotADate()  # type: ignore[assignment]
    sandbox.create_issue("WEB", "Still pulled")
    with serve(sandbox) as origin, caplog.at_level(logging.WARNING):
        result = connector(origin).pull("WEB", {})
    assert [m.name for m in result.milestones or []] == ["2.0"]
    assert [t.title for t in result.tasks] == ["Still pulled"]
    assert "version of WEB skipped" in caplog.text


@pytest.mark.spec_exempt("an issue with a number as duedate, on purpose")
def test_an_unreadable_issue_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox = make_sandbox()
    for n in range(3):
        sandbox.create_issue("WEB", f"Issue {n}")
    sandbox.issues_by_key["WEB-2"].duedate = NotADate()  # type: ignore[assignment]
    with serve(sandbox) as origin, caplog.at_level(logging.WARNING):
        result = connector(origin).pull("WEB", {})
    assert sorted(t.ref.key for t in result.tasks) == ["WEB-1", "WEB-3"]
    assert "issue WEB-2 skipped" in caplog.text


def test_a_pull_request_object_without_a_page_is_an_issue() -> None:
    sandbox = GitHubSandbox(token="t")
    sandbox.add_repo(REPO)
    sandbox.create_issue(REPO, "A real issue")
    sandbox.create_issue(REPO, "A real pull request", pull_request=True)

    def odd_payload(item: dict[str, Any]) -> dict[str, Any]:
        if item["title"] == "A real issue":
            item["pull_request"] = dict.fromkeys(("url", "html_url", "diff_url", "patch_url"))
        return item

    original = sandbox._issue_json  # noqa: SLF001 - the one place the payload is built
    sandbox._issue_json = lambda *args: odd_payload(original(*args))  # type: ignore[method-assign]  # noqa: SLF001
    config = GitHubConfig(type="github", token_env="T", repos=[REPO], url="http://x")
    with SandboxServer(sandbox) as server:
        config = config.model_copy(update={"url": f"{server.origin}/api/v3"})
        result = GitHubConnector("gh", config, {"T": "t"}).pull(REPO, {})
    assert [t.title for t in result.tasks] == ["A real issue"]


def test_comments_beyond_a_cut_inline_page_are_fetched() -> None:
    sandbox = make_sandbox()
    sandbox.inline_comments = 2
    issue = sandbox.create_issue("WEB", "Talkative")
    for n in range(5):
        sandbox.add_comment(issue["key"], f"comment {n}")
    with serve(sandbox) as origin:
        (task,) = connector(origin).pull("WEB", {}).tasks
    assert [c.body for c in task.comments] == [f"comment {n}" for n in range(5)]
    assert sandbox.log.count("GET", f"/rest/api/2/issue/{issue['key']}/comment") == 1
