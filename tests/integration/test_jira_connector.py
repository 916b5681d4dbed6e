"""The Jira connector's pull and check against the sandbox, counting requests."""

from __future__ import annotations

import math
import socket
from datetime import timedelta

import pytest
from jira_fixtures import EMAIL, TOKEN, connector, make_sandbox, seed, serve

from trackersync.errors import AuthRefused, ConfigError, Unreachable
from trackersync.sandbox.core import Faults, SandboxClock
from trackersync.sync.model import StatusCategory


def search_requests(sandbox, mark: int = 0) -> list[str]:
    return [r.path for r in sandbox.log.since(mark) if "/search" in r.path]


@pytest.mark.parametrize("deployment", ["Cloud", "Server"])
def test_initial_pull_is_paged_with_comments_inline(deployment: str) -> None:
    sandbox = make_sandbox(deployment)
    seed(sandbox, 250, comments_every=2)
    sandbox.create_version("WEB", "2.0", description="Release", released=False)
    with serve(sandbox) as origin:
        jira = connector(origin, server=deployment == "Server")
        mark = sandbox.log.mark()
        result = jira.pull("WEB", {})
    n, c = 250, 125
    used = len(sandbox.log.since(mark))
    assert used <= math.ceil(n / 100) + math.ceil(c / 100) + 3
    # serverInfo, the Flagged field's id (first pull only), 3 pages, versions
    assert used == result.requests == 1 + 1 + 3 + 1
    assert len(result.tasks) == n
    assert sum(len(t.comments) for t in result.tasks) == c
    assert [m.name for m in result.milestones or []] == ["2.0"]
    expected_search = "/rest/api/2/search/jql" if deployment == "Cloud" else "/rest/api/2/search"
    assert set(search_requests(sandbox, mark)) == {expected_search}


def test_second_pull_without_changes_reports_nothing() -> None:
    sandbox = make_sandbox()
    seed(sandbox, 30, comments_every=3)
    with serve(sandbox) as origin:
        first = connector(origin).pull("WEB", {})
        mark = sandbox.log.mark()
        second = connector(origin).pull("WEB", first.cursor)
    assert second.tasks == []
    assert len(sandbox.log.since(mark)) <= 3
    assert second.cursor["updated"] == first.cursor["updated"]


def test_edits_are_pulled_exactly_once() -> None:
    sandbox = make_sandbox()
    seed(sandbox, 40)
    with serve(sandbox) as origin:
        cursor = connector(origin).pull("WEB", {}).cursor
        sandbox.edit_issue("WEB-3", summary="Renamed")
        sandbox.transition("WEB-5", "Done", resolution="Won't Do")
        sandbox.add_comment("WEB-9", "new comment")
        after = connector(origin).pull("WEB", cursor)
        again = connector(origin).pull("WEB", after.cursor)
    by_key = {t.ref.key: t for t in after.tasks}
    assert sorted(by_key) == ["WEB-3", "WEB-5", "WEB-9"]
    assert by_key["WEB-3"].title == "Renamed"
    assert by_key["WEB-5"].status.category is StatusCategory.CANCELED
    assert [c.body for c in by_key["WEB-9"].comments] == ["new comment"]
    assert again.tasks == []


@pytest.mark.slow
@pytest.mark.parametrize("deployment", ["Cloud", "Server"])
def test_two_thousand_issues(deployment: str) -> None:
    sandbox = make_sandbox(deployment)
    sandbox.create_version("WEB", "2.0")
    for index in range(2000):
        sandbox.create_issue(
            "WEB", f"Issue {index}", labels=[f"l{index % 7}"], fix_versions=["2.0"]
        )
    with serve(sandbox) as origin:
        result = connector(origin, server=deployment == "Server").pull("WEB", {})
    keys = {t.ref.key for t in result.tasks}
    assert len(result.tasks) == len(keys) == 2000
    assert result.requests == 1 + 1 + 20 + 1  # serverInfo, fields, pages, versions
    task = next(t for t in result.tasks if t.ref.key == "WEB-1234")
    assert (task.title, task.labels, task.milestone) == ("Issue 1233", ("l1",), "2.0")


@pytest.mark.parametrize("offset", [-10, 10], ids=["server-behind", "server-ahead"])
def test_clock_skew_loses_nothing(offset: int) -> None:
    clock = SandboxClock(offset=timedelta(minutes=offset), resolution=timedelta(milliseconds=1))
    sandbox = make_sandbox(clock=clock)
    seed(sandbox, 5)
    with serve(sandbox) as origin:
        cursor = connector(origin).pull("WEB", {}).cursor
        sandbox.edit_issue("WEB-2", labels=["changed"])
        clock.advance(timedelta(minutes=3))
        sandbox.edit_issue("WEB-4", labels=["later"])
        result = connector(origin).pull("WEB", cursor)
    assert sorted(t.ref.key for t in result.tasks) == ["WEB-2", "WEB-4"]


def test_the_window_is_relative_to_the_server_clock() -> None:
    sandbox = make_sandbox()
    seed(sandbox, 3)
    with serve(sandbox) as origin:
        cursor = connector(origin).pull("WEB", {}).cursor
        sandbox.clock.advance(timedelta(minutes=30))
        mark = sandbox.log.mark()
        connector(origin).pull("WEB", cursor)
    (search,) = [r for r in sandbox.log.since(mark) if r.path.endswith("/search/jql")]
    assert search.method == "POST"
    # 30 minutes since the newest update + 2 minutes overlap, rounded up to whole minutes.
    assert sandbox.queries[-1] in {
        f'project = "WEB" AND updated >= "-{n}m" ORDER BY updated ASC, key ASC' for n in (32, 33)
    }


def test_wrong_credentials_name_the_variables() -> None:
    sandbox = make_sandbox()
    with serve(sandbox) as origin:
        jira = connector(origin, env={"JIRA_EMAIL": EMAIL, "JIRA_TOKEN": "wrong"})
        with pytest.raises(AuthRefused) as caught:
            jira.pull("WEB", {})
    assert "JIRA_EMAIL" in str(caught.value)
    assert "JIRA_TOKEN" in str(caught.value)
    assert "wrong" not in str(caught.value)


def test_missing_secret_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="JIRA_TOKEN"):
        connector("http://127.0.0.1:9", env={"JIRA_EMAIL": EMAIL})


def test_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    jira = connector(f"http://127.0.0.1:{port}")
    with pytest.raises(Unreachable, match="connection refused"):
        jira.pull("WEB", {})


def test_rate_limit_is_retried() -> None:
    sandbox = make_sandbox(faults=Faults(throttle_every=2, retry_after=1))
    seed(sandbox, 3)
    with serve(sandbox) as origin:
        result = connector(origin).pull("WEB", {})
    assert len(result.tasks) == 3
    assert sandbox.log.count(status=429) >= 1


def test_server_pat_with_forced_api() -> None:
    sandbox = make_sandbox("Server")
    seed(sandbox, 2)
    with serve(sandbox) as origin:
        result = connector(origin, api="server", server=True).pull("WEB", {})
    assert len(result.tasks) == 2
    assert search_requests(sandbox) == ["/rest/api/2/search"]


def test_check_reports_user_projects_and_budget() -> None:
    sandbox = make_sandbox()
    sandbox.rate_headers = {"X-RateLimit-Remaining": "99", "X-RateLimit-Limit": "100"}
    with serve(sandbox) as origin:
        jira = connector(origin)
        jira.jira_config = jira.jira_config.model_copy(update={"projects": ["WEB", "NOPE"]})
        report = jira.check()
    assert "Pat Manager" in report.user
    assert "Europe/Berlin" in report.user
    assert "Cloud" in report.server
    assert [(s.scope, s.visible) for s in report.scopes] == [("WEB", True), ("NOPE", False)]
    assert (report.rate.remaining, report.rate.limit) == (99, 100)


def test_token_is_the_configured_one() -> None:
    # Guards the fixture itself: the sandbox accepts exactly these credentials.
    assert (EMAIL, TOKEN) == ("pm@example.com", "sandbox-token")
