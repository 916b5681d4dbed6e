"""GitHub as it treats a token without push access (labels, assignees and milestone
dropped silently, milestone creates refused), the PyGithub calls users make that the
sandbox must accept, and the connector degrading instead of failing."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import github
import pytest

from trackersync.connectors.github.connector import GitHubConfig, GitHubConnector
from trackersync.connectors.retry import RetryPolicy
from trackersync.sandbox.core import SandboxServer
from trackersync.sandbox.github import GitHubSandbox
from trackersync.sync.model import Origin, StatusCategory, TaskFields

TOKEN = "sandbox-token"
READER = "reader-token"
REPO = "acme/web"
MILESTONES = f"/api/v3/repos/{REPO}/milestones"


@pytest.fixture
def sandbox() -> GitHubSandbox:
    app = GitHubSandbox(token=TOKEN)
    app.add_repo(REPO)
    app.add_person("reader", READER)
    app.without_push.add("reader")
    app.create_milestone(REPO, "v1")
    return app


@pytest.fixture
def server(sandbox: GitHubSandbox) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox) as running:
        yield running


def client(server: SandboxServer, token: str) -> github.Github:
    return github.Github(
        base_url=f"{server.origin}/api/v3",
        auth=github.Auth.Token(token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def connector(server: SandboxServer, token: str) -> GitHubConnector:
    config = GitHubConfig(
        type="github",
        url=f"{server.origin}/api/v3",
        token_env="GH_TOKEN",
        repos=[REPO],
        write_interval="0s",
        timeout="5s",
    )
    policy = RetryPolicy(sleep=lambda _seconds: None)
    return GitHubConnector("gh", config, {"GH_TOKEN": token}, retry_policy=policy)


def origin(key: str = "WEB-7") -> Origin:
    return Origin(ref=f"jira:WEB#{key}", url=f"https://x.test/browse/{key}", system="Jira")


# ---------------------------------------------------------------- the sandbox, as GitHub


def test_without_push_access_labels_assignees_and_milestone_are_dropped_silently(
    server: SandboxServer,
) -> None:
    repo = client(server, READER).get_repo(REPO)
    assert repo.permissions.push is False
    issue = repo.create_issue(
        "t", labels=["bug"], assignees=["reader"], milestone=repo.get_milestone(1)
    )
    assert (issue.labels, issue.assignees, issue.milestone) == ([], [], None)
    issue.edit(title="renamed", labels=["bug"])
    assert (issue.title, issue.labels) == ("renamed", [])


@pytest.mark.spec_exempt("GitHub answers 403 here; its description lists only 404 and 422")
def test_without_push_access_a_milestone_create_is_refused(server: SandboxServer) -> None:
    repo = client(server, READER).get_repo(REPO)
    with pytest.raises(github.GithubException) as caught:
        repo.create_milestone("v2")
    assert caught.value.status == 403


@pytest.mark.spec_exempt("the vendored description is trimmed to what trackersync calls")
def test_pygithub_add_to_labels_and_clearing_the_milestone(
    sandbox: GitHubSandbox, server: SandboxServer
) -> None:
    repo = client(server, TOKEN).get_repo(REPO)
    issue = repo.create_issue("t", labels=["a"], milestone=repo.get_milestone(1))
    issue.add_to_labels("b", "c")
    issue.edit(milestone=None)
    stored = sandbox.issue(REPO, issue.number)
    assert [label["name"] for label in stored["labels"]] == ["a", "b", "c"]
    assert stored["milestone"] is None


# ---------------------------------------------------------------- the connector degrades


@pytest.mark.spec_exempt("GitHub answers 403 here; its description lists only 404 and 422")
def test_a_refused_milestone_is_a_warning_and_the_rest_is_written(
    sandbox: GitHubSandbox, server: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.without_push.clear()
    sandbox.without_push.add("octocat")  # the connector's own token reads, cannot push
    conn = connector(server, TOKEN)
    fields = TaskFields(title="new", body="b", milestone="v9", status=StatusCategory.DONE)
    with caplog.at_level(logging.WARNING):
        created = conn.create_item(REPO, fields, origin())
        conn.create_item(REPO, fields, origin("WEB-8"))
    assert (created.title, created.milestone) == ("new", None)
    assert created.status.category is StatusCategory.DONE
    assert sandbox.log.count("POST", MILESTONES) == 1  # refused once per run
    assert "milestone 'v9' not created" in caplog.text
    conn.close()


def test_silently_dropped_fields_are_warned_about(
    sandbox: GitHubSandbox, server: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.without_push.add("octocat")
    conn = connector(server, TOKEN)
    with caplog.at_level(logging.WARNING):
        created = conn.create_item(REPO, TaskFields(title="t", labels=("bug",)), origin())
    assert created.labels == ()
    assert "GitHub kept labels" in caplog.text
    conn.close()
