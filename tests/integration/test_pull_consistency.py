"""A pull never skips a change, even when pages are slow and issues change between pages.

No timers: an observer on the sandbox runs between one search page and the next, moving
the server clock on (a slow page) and editing an issue this pull has already read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from jira_fixtures import NO_SLEEP, connector, make_sandbox, seed, serve
from werkzeug.wrappers import Request, Response

from trackersync.connectors.github.connector import GitHubConfig, GitHubConnector
from trackersync.sandbox.core import SandboxApp, SandboxServer, observing
from trackersync.sandbox.github import GitHubSandbox

REPO = "acme/web"
GH_TOKEN = "sandbox-token"


@contextmanager
def between_pages(
    sandbox: SandboxApp, path_end: str, act: Callable[[list[Any]], None]
) -> Iterator[None]:
    """Call `act` with the items of each listing page `sandbox` serves on `path_end`."""

    def observer(app: SandboxApp, request: Request, response: Response) -> None:
        if app is sandbox and request.path.endswith(path_end) and response.status_code == 200:
            act(json.loads(response.get_data(as_text=True)))

    with observing(observer):
        yield


def jira_titles(sandbox: Any) -> dict[str, str]:
    return {key: issue.summary for key, issue in sandbox.issues_by_key.items()}


@pytest.mark.parametrize("deployment", ["Cloud", "Server"])
def test_slow_jira_pages_with_edits_lose_nothing(deployment: str) -> None:
    sandbox = make_sandbox(deployment)
    seed(sandbox, 350)
    server = deployment == "Server"
    search = "/search/jql" if deployment == "Cloud" else "/search"
    with serve(sandbox) as origin:
        cursor = connector(origin, server=server).pull("WEB", {}).cursor
        for key in sandbox.issues_by_key:
            # Changes spread over the 20-odd minutes since the last pull.
            sandbox.clock.advance(timedelta(seconds=4))
            sandbox.edit_issue(key, summary=f"changed {key}")
        edits = iter(range(1000))

        def slow_page_then_edit(data: dict[str, Any]) -> None:
            # A slow page; meanwhile someone edited an issue this pull already read.
            sandbox.clock.advance(timedelta(minutes=1))
            if data["issues"]:
                key = data["issues"][0]["key"]
                sandbox.edit_issue(key, summary=f"late {next(edits)} {key}")

        seen: dict[str, str] = {}
        with between_pages(sandbox, search, slow_page_then_edit):
            during = connector(origin, server=server).pull("WEB", cursor)
        seen |= {t.ref.key: t.title for t in during.tasks}
        after = connector(origin, server=server).pull("WEB", during.cursor)
        seen |= {t.ref.key: t.title for t in after.tasks}
    # Every issue changed since the first pull arrived, each in its latest version.
    assert seen == jira_titles(sandbox)


def test_quiet_jira_pull_pins_the_window_after_the_first_page() -> None:
    sandbox = make_sandbox()
    seed(sandbox, 150)
    with serve(sandbox) as origin:
        cursor = connector(origin).pull("WEB", {}).cursor
        for key in sandbox.issues_by_key:
            sandbox.edit_issue(key, labels=["again"])
        before = len(sandbox.queries)
        result = connector(origin).pull("WEB", cursor)
    assert len(result.tasks) == 150
    first, *rest = sandbox.queries[before:]
    # The first page over the relative window; then the query from an absolute minute,
    # whose first page re-reads what that minute already gave.
    assert 'updated >= "-' in first
    assert 1 <= len(rest) <= 2
    assert all(q == rest[0] and 'updated >= "20' in q for q in rest)


def github_connector(origin: str) -> GitHubConnector:
    config = GitHubConfig(
        type="github", url=f"{origin}/api/v3", token_env="GH_TOKEN", repos=[REPO], timeout="5s"
    )
    return GitHubConnector("gh", config, {"GH_TOKEN": GH_TOKEN}, retry_policy=NO_SLEEP)


def test_github_since_listing_with_edits_between_pages_loses_nothing() -> None:
    sandbox = GitHubSandbox(token=GH_TOKEN)
    sandbox.add_repo(REPO)
    for index in range(250):
        sandbox.create_issue(REPO, f"Issue {index}")
    with SandboxServer(sandbox) as server:
        cursor = github_connector(server.origin).pull(REPO, {}).cursor
        for number in range(1, 251):
            sandbox.clock.advance(timedelta(seconds=4))
            sandbox.edit_issue(REPO, number, title=f"changed {number}")
        edits = iter(range(1000))

        def slow_page_then_edit(items: list[dict[str, Any]]) -> None:
            sandbox.clock.advance(timedelta(minutes=1))
            if items:
                number = items[0]["number"]
                sandbox.edit_issue(REPO, number, title=f"late {next(edits)} {number}")

        seen: dict[str, str] = {}
        with between_pages(sandbox, f"/repos/{REPO}/issues", slow_page_then_edit):
            during = github_connector(server.origin).pull(REPO, cursor)
        seen |= {t.ref.key: t.title for t in during.tasks}
        after = github_connector(server.origin).pull(REPO, during.cursor)
        seen |= {t.ref.key: t.title for t in after.tasks}
    assert seen == {str(issue["number"]): issue["title"] for issue in sandbox.issues(REPO)}


def test_lagging_search_shows_an_issue_only_after_the_delay() -> None:
    sandbox = make_sandbox()
    sandbox.search_lag = timedelta(seconds=30)
    sandbox.create_issue("WEB", "Fresh")
    with serve(sandbox) as origin:
        assert connector(origin).pull("WEB", {}).tasks == []
        sandbox.clock.advance(timedelta(seconds=31))
        (task,) = connector(origin).pull("WEB", {}).tasks
    assert task.title == "Fresh"
