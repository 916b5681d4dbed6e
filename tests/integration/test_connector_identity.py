"""What each connector reports as a scope's identity, and what reading it costs."""

from __future__ import annotations

import pytest
from jira_fixtures import connector as jira_connector
from jira_fixtures import make_sandbox, serve

from trackersync.connectors.github.connector import GitHubConfig, GitHubConnector
from trackersync.sandbox.core import SandboxServer
from trackersync.sandbox.github import GitHubSandbox

REPO = "acme/web"


def github_connector(api: str) -> GitHubConnector:
    config = GitHubConfig(type="github", url=api, token_env="GH_TOKEN", repos=[REPO])
    return GitHubConnector("gh", config, {"GH_TOKEN": "sandbox-token"})


def test_github_reports_the_api_and_the_repository_id_for_one_request() -> None:
    sandbox = GitHubSandbox(token="sandbox-token")
    first_id = sandbox.add_repo(REPO)["id"]
    with SandboxServer(sandbox) as server:
        api = f"{server.origin}/api/v3"
        gh = github_connector(api)
        mark = sandbox.log.mark()
        assert gh.identity(REPO) == {"api": api, "repo_id": str(first_id)}
        assert gh.identity(REPO) == {"api": api, "repo_id": str(first_id)}
        assert [r.path for r in sandbox.log.since(mark)] == [f"/api/v3/repos/{REPO}"]
        # A repository deleted and created again under its name is another repository.
        sandbox.delete_repo(REPO)
        sandbox.add_repo(REPO)
        again = github_connector(api)
        assert again.identity(REPO)["repo_id"] != str(first_id)
        # `check` reads the repository already: the identity then costs nothing more.
        checked = github_connector(api)
        checked.check()
        mark = sandbox.log.mark()
        checked.identity(REPO)
        assert sandbox.log.since(mark) == []
        for made in (gh, again, checked):
            made.close()


@pytest.mark.parametrize("deployment", ["Cloud", "Server"])
def test_jira_reports_base_url_title_and_project_id_for_one_request(deployment: str) -> None:
    sandbox = make_sandbox(deployment, server_title="ACME Jira")
    project_id = sandbox.projects["WEB"].id
    with serve(sandbox) as origin:
        jira = jira_connector(origin, server=deployment == "Server")
        jira.pull("WEB", {})  # serverInfo is read once per run; the pull read it
        mark = sandbox.log.mark()
        found = jira.identity("WEB")
        assert found == {"url": origin, "server": "ACME Jira", "project_id": str(project_id)}
        assert [r.path for r in sandbox.log.since(mark)] == ["/rest/api/2/project/WEB"]
        checked = jira_connector(origin, server=deployment == "Server")
        checked.check()
        mark = sandbox.log.mark()
        assert checked.identity("WEB") == found
        assert sandbox.log.since(mark) == []
        jira.close()
        checked.close()
