"""The GitHub connector's pull and check against the sandbox, counted from its request log."""

from __future__ import annotations

import json
import math
import socket
from collections.abc import Iterator
from datetime import date

import pytest
import responses
from werkzeug.wrappers import Request, Response

from trackersync.connectors.github.connector import GitHubConfig, GitHubConnector
from trackersync.connectors.retry import RetryPolicy
from trackersync.errors import AuthRefused, ConfigError, MalformedData, RateLimited, Unreachable
from trackersync.sandbox.core import SandboxServer
from trackersync.sandbox.github import GitHubSandbox

TOKEN = "sandbox-token"
REPO = "acme/web"
ENV = {"GH_TOKEN": TOKEN}
NO_SLEEP = RetryPolicy(sleep=lambda _seconds: None)


@pytest.fixture
def sandbox() -> GitHubSandbox:
    app = GitHubSandbox(token=TOKEN)
    app.add_repo(REPO)
    return app


@pytest.fixture
def server(sandbox: GitHubSandbox) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox) as running:
        yield running


def make_connector(
    url: str, *, repos: tuple[str, ...] = (REPO,), env: dict[str, str] | None = None
) -> GitHubConnector:
    config = GitHubConfig(
        type="github",
        url=url,
        token_env="GH_TOKEN",
        repos=list(repos),
        write_interval="0s",
        timeout="5s",
    )
    return GitHubConnector("gh", config, ENV if env is None else env, retry_policy=NO_SLEEP)


@pytest.fixture
def connector(server: SandboxServer) -> Iterator[GitHubConnector]:
    conn = make_connector(f"{server.origin}/api/v3")
    yield conn
    conn.close()


def seed(sandbox: GitHubSandbox, issues: int, *, pr_every: int = 0) -> None:
    for n in range(1, issues + 1):
        is_pr = bool(pr_every) and n % pr_every == 0
        sandbox.create_issue(REPO, f"Issue {n}", f"Body of {n}", pull_request=is_pr)


def keys(result) -> list[str]:
    return sorted((task.ref.key for task in result.tasks), key=int)


# ---------------------------------------------------------------- request budgets


def test_initial_pull_costs_pages_plus_three(sandbox, connector) -> None:
    seed(sandbox, 200, pr_every=10)  # 180 issues + 20 pull requests
    sandbox.create_milestone(REPO, "v1", due_on=date(2026, 12, 15), description="First")
    sandbox.create_milestone(REPO, "v2")
    for n in range(150):
        sandbox.add_comment(REPO, 1 + n % 9, f"comment {n}")  # issues 1..9, no PR among them
    sandbox.add_comment(REPO, 10, "on a pull request")
    mark = sandbox.log.mark()

    result = connector.pull(REPO, {})

    requests = sandbox.log.since(mark)
    assert len(requests) <= math.ceil(200 / 100) + math.ceil(151 / 100) + 3
    assert result.requests == len(requests)
    assert len(result.tasks) == 180
    assert sum(len(comments) for comments in result.comments.values()) == 150
    assert "10" not in result.comments
    assert sorted(m.name for m in result.milestones) == ["v1", "v2"]
    v1 = next(m for m in result.milestones if m.name == "v1")
    assert (v1.due, v1.description) == (date(2026, 12, 15), "First")
    json.dumps(result.cursor)  # opaque but JSON-serialisable


def test_unchanged_second_pull_is_three_304s(sandbox, connector) -> None:
    seed(sandbox, 120, pr_every=7)
    sandbox.add_comment(REPO, 1, "hello")
    sandbox.create_milestone(REPO, "v1")
    first = connector.pull(REPO, {})
    mark = sandbox.log.mark()

    second = connector.pull(REPO, json.loads(json.dumps(first.cursor)))

    requests = sandbox.log.since(mark)
    assert len(requests) <= 3
    assert {r.status for r in requests} == {304}
    assert (second.tasks, second.comments, second.milestones) == ([], {}, None)
    assert second.cursor == first.cursor


def test_next_pull_returns_exactly_the_edited_items(sandbox, connector) -> None:
    seed(sandbox, 60, pr_every=10)
    old_comment = sandbox.add_comment(REPO, 7, "before")
    cursor = connector.pull(REPO, {}).cursor

    sandbox.edit_issue(REPO, 3, title="Renamed")
    sandbox.edit_issue(REPO, 4, state="closed", state_reason="not_planned")
    sandbox.edit_issue(REPO, 5, labels=["In Progress"])
    sandbox.add_comment(REPO, 6, "new comment", user="ada")
    sandbox.edit_comment(REPO, old_comment["id"], "after")
    sandbox.edit_issue(REPO, 20, title="a pull request changed too")
    result = connector.pull(REPO, cursor)

    tasks = {task.ref.key: task for task in result.tasks}
    assert sorted(tasks, key=int) == ["3", "4", "5", "6", "7"]
    assert tasks["3"].title == "Renamed"
    assert tasks["4"].status.category == "canceled"
    assert tasks["5"].status.category == "in_progress"
    assert [(c.author, c.body) for c in result.comments["6"]] == [("ada", "new comment")]
    assert [c.body for c in result.comments["7"]] == ["after"]
    assert set(result.comments) == {"6", "7"}

    mark = sandbox.log.mark()
    quiet = connector.pull(REPO, result.cursor)
    assert quiet.tasks == []
    assert {r.status for r in sandbox.log.since(mark)} == {304}


def test_repeated_pulls_never_miss_or_repeat(sandbox, connector) -> None:
    seed(sandbox, 5)
    cursor = connector.pull(REPO, {}).cursor
    seen: list[str] = []
    for round_number in range(4):
        sandbox.edit_issue(REPO, round_number + 1, body=f"edit {round_number}")
        result = connector.pull(REPO, cursor)
        seen += [task.ref.key for task in result.tasks]
        cursor = result.cursor
    assert seen == ["1", "2", "3", "4"]


@pytest.mark.slow
def test_two_thousand_issues(sandbox, connector) -> None:
    seed(sandbox, 2000, pr_every=50)
    sandbox.edit_issue(REPO, 1234, labels=["bug", "ui"], assignees=["ada"])
    mark = sandbox.log.mark()

    result = connector.pull(REPO, {})

    assert len(result.tasks) == 1960
    assert len({task.ref for task in result.tasks}) == 1960
    tasks = {task.ref.key: task for task in result.tasks}
    assert "50" not in tasks
    assert tasks["1"].title == "Issue 1"
    assert tasks["1999"].body == "Body of 1999"
    assert tasks["1234"].labels == ("bug", "ui")
    assert tasks["1234"].assignees == ("ada",)
    assert tasks["1234"].url.endswith("/acme/web/issues/1234")
    assert len(sandbox.log.since(mark)) <= 20 + 0 + 3


# ---------------------------------------------------------------- pull requests


def test_pull_requests_and_their_comments_never_appear(sandbox, connector) -> None:
    sandbox.create_issue(REPO, "a pull request", pull_request=True)
    sandbox.create_issue(REPO, "an issue")
    cursor = connector.pull(REPO, {}).cursor
    sandbox.add_comment(REPO, 1, "review comment")
    sandbox.add_comment(REPO, 2, "issue comment")

    result = connector.pull(REPO, cursor)

    assert [task.title for task in result.tasks] == ["an issue"]
    assert list(result.comments) == ["2"]


# ---------------------------------------------------------------- concurrent change


class EditsDuringPaging(GitHubSandbox):
    """A user edits issue 1 (page 1 of an ascending list) just before page 2 is served."""

    edited = False

    def list_issues(self, request: Request, owner: str, repo: str) -> Response:
        if request.args.get("page") == "2" and not self.edited:
            self.edited = True
            self.edit_issue(REPO, 1, title="edited while paging")
        return super().list_issues(request, owner, repo)


def test_an_edit_while_paging_loses_nothing() -> None:
    app = EditsDuringPaging(token=TOKEN)
    app.add_repo(REPO)
    seed(app, 250)
    with SandboxServer(app) as running:
        conn = make_connector(f"{running.origin}/api/v3")
        result = conn.pull(REPO, {})
        conn.close()

    tasks = {task.ref.key: task for task in result.tasks}
    assert app.edited
    assert len(tasks) == 250
    assert tasks["1"].title == "edited while paging"


# ---------------------------------------------------------------- failures


def test_wrong_token_is_auth_refused_naming_the_variable(server) -> None:
    conn = make_connector(f"{server.origin}/api/v3", env={"GH_TOKEN": "wrong-token"})
    with pytest.raises(AuthRefused) as caught:
        conn.pull(REPO, {})
    conn.close()
    assert "GH_TOKEN" in str(caught.value)
    assert "wrong-token" not in str(caught.value)


def test_missing_token_variable_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="GH_TOKEN"):
        make_connector("https://api.github.com", env={})


def test_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conn = make_connector(f"http://127.0.0.1:{port}/api/v3")
    with pytest.raises(Unreachable) as caught:
        conn.check()
    conn.close()
    assert str(port) in str(caught.value)


def test_server_errors_after_retries_are_unreachable_and_raise(sandbox, connector) -> None:
    seed(sandbox, 3)
    sandbox.faults.error_rate = 1.0
    with pytest.raises(Unreachable, match="502"):
        connector.pull(REPO, {})
    assert sandbox.log.count(status=502) == NO_SLEEP.attempts


def test_throttled_requests_are_retried_and_everything_arrives(sandbox, connector) -> None:
    seed(sandbox, 250, pr_every=25)
    for n in range(120):
        sandbox.add_comment(REPO, 1 + n % 5, f"c{n}")
    sandbox.faults.throttle_every = 3

    result = connector.pull(REPO, {})

    assert len(result.tasks) == 240
    assert sum(len(c) for c in result.comments.values()) == 120
    assert sandbox.log.count(status=429) >= 2


def test_exhausted_budget_stops_with_rate_limited(sandbox, connector) -> None:
    seed(sandbox, 250)
    sandbox.rate_limit = 2
    with pytest.raises(RateLimited):
        connector.pull(REPO, {})


def test_unconfigured_scope_is_refused(connector) -> None:
    with pytest.raises(ConfigError, match="acme/other"):
        connector.pull("acme/other", {})


# ---------------------------------------------------------------- GHE and check


def test_ghe_style_base_url_with_trailing_slash(sandbox, server) -> None:
    seed(sandbox, 150)
    conn = make_connector(f"{server.origin}/api/v3/")
    result = conn.pull(REPO, {})
    conn.close()
    assert len(result.tasks) == 150
    assert all(r.path.startswith("/api/v3/") for r in sandbox.log.records)


def test_check_reports_user_scopes_and_budget(sandbox, server) -> None:
    conn = make_connector(f"{server.origin}/api/v3", repos=(REPO, "acme/hidden"))
    report = conn.check()
    conn.close()

    assert (report.connector, report.user) == ("gh", "octocat")
    assert [(s.scope, s.visible) for s in report.scopes] == [(REPO, True), ("acme/hidden", False)]
    assert report.rate.limit == 5000
    assert report.rate.remaining == 5000 - 3
    assert report.rate.resets_at is not None
    assert conn.scopes == [REPO, "acme/hidden"]


# ---------------------------------------------------------------- malformed answers
# (faults the sandbox cannot produce; `responses` stands in for the server, no sandbox here)


@pytest.mark.parametrize(
    ("body", "what"),
    [
        pytest.param("<html>proxy error</html>", "did not answer JSON", id="not-json"),
        pytest.param('{"message": "ok"}', "JSON array", id="object-not-array"),
        pytest.param('[{"title": "no number"}]', "lacks an integer", id="item-without-number"),
    ],
)
def test_malformed_listing_is_malformed_data(body: str, what: str) -> None:
    with responses.RequestsMock() as mocked:
        mocked.get("https://ghe.example:443/api/v3/repos/acme/web/issues", body=body)
        conn = make_connector("https://ghe.example/api/v3")
        with pytest.raises(MalformedData, match=what):
            conn.pull(REPO, {})
        conn.close()
