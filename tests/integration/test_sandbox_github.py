"""Fidelity of the GitHub sandbox, driven by the real PyGithub client over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import github
import pytest

from trackersync.sandbox.core import Faults, SandboxServer
from trackersync.sandbox.github import GitHubSandbox

TOKEN = "sandbox-token"
REPO = "acme/web"


@pytest.fixture
def sandbox() -> GitHubSandbox:
    app = GitHubSandbox(token=TOKEN, faults=Faults())
    app.add_repo(REPO)
    return app


@pytest.fixture
def server(sandbox: GitHubSandbox) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox) as running:
        yield running


def client(server: SandboxServer, token: str = TOKEN) -> github.Github:
    return github.Github(
        base_url=f"{server.origin}/api/v3",
        auth=github.Auth.Token(token),
        per_page=100,
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
        lazy=True,
    )


@pytest.fixture
def gh(server: SandboxServer) -> Iterator[github.Github]:
    g = client(server)
    yield g
    g.close()


@pytest.fixture
def repo(gh: github.Github) -> github.Repository.Repository:
    return gh.get_repo(REPO)


def seed(sandbox: GitHubSandbox, issues: int, *, pr_every: int = 0) -> None:
    for n in range(issues):
        is_pr = bool(pr_every) and n % pr_every == 0
        sandbox.create_issue(REPO, f"Issue {n}", f"body {n}", pull_request=is_pr)


# ---------------------------------------------------------------- listing and paging


def test_lists_every_issue_and_pr_in_pages_of_100(sandbox, repo) -> None:
    seed(sandbox, 250, pr_every=10)
    mark = sandbox.log.mark()

    items = list(repo.get_issues(state="all"))

    assert len(items) == 250
    assert sum("pull_request" in item._rawData for item in items) == 25
    assert [item.number for item in items[:3]] == [250, 249, 248]  # created, newest first
    pages = sandbox.log.since(mark)
    assert [(r.method, r.status) for r in pages] == [("GET", 200)] * 3  # no hidden per-issue GETs


def test_link_header_is_absolute_and_keeps_the_query(sandbox, server, gh) -> None:
    seed(sandbox, 5)
    status, headers, body = gh.requester.requestJson(
        "GET", f"/repos/{REPO}/issues", parameters={"per_page": 2, "page": 2, "state": "all"}
    )

    assert status == 200
    assert len(json.loads(body)) == 2
    links = dict(
        (part.split("; ")[1][5:-1], part.split("; ")[0][1:-1])
        for part in headers["link"].split(", ")
    )
    assert set(links) == {"prev", "first", "next", "last"}
    assert links["next"].startswith(f"{server.origin}/api/v3/repos/{REPO}/issues?")
    assert "state=all" in links["next"]
    assert "page=3" in links["next"]
    assert "page=3" in links["last"]
    assert "page=1" in links["first"]


def test_default_state_is_open(sandbox, repo) -> None:
    seed(sandbox, 3)
    sandbox.edit_issue(REPO, 2, state="closed")

    assert sorted(i.number for i in repo.get_issues()) == [1, 3]
    assert [i.number for i in repo.get_issues(state="closed")] == [2]


def test_since_filters_on_updated_at(sandbox, repo) -> None:
    seed(sandbox, 4)
    cut = datetime.fromisoformat(sandbox.issue(REPO, 4)["updated_at"]) + timedelta(seconds=1)
    sandbox.edit_issue(REPO, 2, title="edited")

    changed = list(repo.get_issues(state="all", since=cut.astimezone(UTC)))

    assert [(i.number, i.title) for i in changed] == [(2, "edited")]


def test_labels_filter_requires_every_label(sandbox, repo) -> None:
    sandbox.create_issue(REPO, "both", labels=["bug", "ui"])
    sandbox.create_issue(REPO, "bug only", labels=["bug"])

    assert [i.title for i in repo.get_issues(labels=["bug", "UI"])] == ["both"]
    assert len(list(repo.get_issues(labels=["bug"]))) == 2


def test_milestone_and_assignee_filters(sandbox, repo) -> None:
    sandbox.create_milestone(REPO, "v1")
    sandbox.create_issue(REPO, "planned", milestone="v1", assignees=["ada"])
    sandbox.create_issue(REPO, "unplanned")

    assert [i.title for i in repo.get_issues(milestone=repo.get_milestone(1))] == ["planned"]
    assert [i.title for i in repo.get_issues(milestone="none")] == ["unplanned"]
    assert [i.title for i in repo.get_issues(milestone="*")] == ["planned"]
    assert [i.title for i in repo.get_issues(assignee="ada")] == ["planned"]
    assert [i.title for i in repo.get_issues(assignee="none")] == ["unplanned"]


def test_sort_updated_ascending(sandbox, repo) -> None:
    seed(sandbox, 3)
    sandbox.edit_issue(REPO, 1, body="touched")

    items = repo.get_issues(state="all", sort="updated", direction="asc")

    assert [i.number for i in items] == [2, 3, 1]


# ---------------------------------------------------------------- writes


def test_create_edit_close_not_planned_and_reopen(sandbox, repo) -> None:
    issue = repo.create_issue("Title", body="Body", labels=["new-label"], assignees=["ada"])
    assert issue.number == 1
    assert [label.name for label in issue.labels] == ["new-label"]
    assert [label.name for label in repo.get_labels()] == ["new-label"]  # created on the fly

    issue.edit(title="Renamed", body="Changed")
    issue.edit(state="closed", state_reason="not_planned")
    closed = repo.get_issue(1)
    assert (closed.title, closed.body, closed.state) == ("Renamed", "Changed", "closed")
    assert closed.state_reason == "not_planned"
    assert closed.closed_at is not None
    assert closed.updated_at > issue.created_at

    closed.edit(state="open")
    reopened = repo.get_issue(1)
    assert (reopened.state, reopened.state_reason, reopened.closed_at) == ("open", "reopened", None)


def test_state_reason_only_applies_when_state_changes(sandbox, repo) -> None:
    sandbox.create_issue(REPO, "done", state="closed")
    issue = repo.get_issue(1)
    assert issue.state_reason == "completed"

    issue.edit(state="closed", state_reason="not_planned")

    assert repo.get_issue(1).state_reason == "completed"


def test_a_new_issue_is_open_whatever_the_post_says(sandbox, gh) -> None:
    payload = {"title": "t", "state": "closed", "state_reason": "not_planned"}
    _, data = gh.requester.requestJsonAndCheck("POST", f"/repos/{REPO}/issues", input=payload)

    assert (data["state"], data["state_reason"]) == ("open", None)
    assert sandbox.issue(REPO, 1)["state"] == "open"


def test_bodies_over_65536_characters_are_refused(sandbox, repo) -> None:
    issue = repo.create_issue("t", body="x" * 65_536)
    with pytest.raises(github.GithubException) as caught:
        issue.edit(body="x" * 65_537)
    assert caught.value.status == 422
    with pytest.raises(github.GithubException):
        issue.create_comment("y" * 65_537)
    assert len(sandbox.issue(REPO, 1)["body"]) == 65_536


def test_every_change_bumps_updated_at(sandbox, repo) -> None:
    sandbox.create_issue(REPO, "t")
    before = sandbox.issue(REPO, 1)["updated_at"]

    repo.get_issue(1).edit(labels=["x"])

    assert sandbox.issue(REPO, 1)["updated_at"] > before


def test_unknown_milestone_is_rejected(sandbox, gh) -> None:
    sandbox.create_issue(REPO, "t")

    with pytest.raises(github.GithubException) as caught:
        gh.requester.requestJsonAndCheck("PATCH", f"/repos/{REPO}/issues/1", input={"milestone": 9})

    assert caught.value.status == 422
    assert sandbox.issue(REPO, 1)["milestone"] is None


# ---------------------------------------------------------------- comments


def test_comments_per_issue_and_repo_wide_since(sandbox, repo) -> None:
    seed(sandbox, 2)
    first = repo.get_issue(1).create_comment("first")
    issue_before = sandbox.issue(REPO, 1)
    cut = datetime.fromisoformat(issue_before["updated_at"]) + timedelta(seconds=1)
    second = repo.get_issue(2).create_comment("second")

    assert [c.body for c in repo.get_issue(1).get_comments()] == ["first"]
    assert issue_before["comments"] == 1
    assert issue_before["updated_at"] == first._rawData["created_at"]  # a comment bumps it
    assert [c.id for c in repo.get_issues_comments()] == [first.id, second.id]
    assert [c.body for c in repo.get_issues_comments(since=cut)] == ["second"]
    assert second.issue_url.endswith(f"/api/v3/repos/{REPO}/issues/2")
    assert second.html_url.endswith(f"/{REPO}/issues/2#issuecomment-{second.id}")


def test_editing_a_comment_bumps_comment_and_issue(sandbox, repo) -> None:
    seed(sandbox, 1)
    comment = repo.get_issue(1).create_comment("draft")

    comment.edit("final")

    fetched = repo.get_issue(1).get_comment(comment.id)
    assert fetched.body == "final"
    assert fetched.updated_at > fetched.created_at
    assert sandbox.issue(REPO, 1)["updated_at"] == fetched._rawData["updated_at"]
    assert [c.body for c in repo.get_issues_comments(sort="updated", direction="desc")] == ["final"]


# ---------------------------------------------------------------- labels and milestones


def test_labels_create_and_list(repo) -> None:
    repo.create_label("bug", "d73a4a", "Something is broken")

    labels = {label.name: label for label in repo.get_labels()}

    assert labels["bug"].color == "d73a4a"
    assert labels["bug"].description == "Something is broken"
    with pytest.raises(github.GithubException) as duplicate:
        repo.create_label("BUG", "000000")
    assert duplicate.value.status == 422


@pytest.mark.spec_exempt("PyGithub's Milestone.edit sends due_on as a date; the description wants a date-time")
def test_milestones_create_edit_and_counts(sandbox, repo) -> None:
    milestone = repo.create_milestone("v2.0", description="Release", due_on=date(2026, 12, 15))
    sandbox.create_issue(REPO, "open one", milestone="v2.0")
    sandbox.create_issue(REPO, "closed one", milestone=1, state="closed")
    sandbox.create_issue(REPO, "outside")

    fetched = repo.get_milestone(milestone.number)
    assert (fetched.title, fetched.description) == ("v2.0", "Release")
    assert fetched.due_on.date() == date(2026, 12, 15)
    assert (fetched.open_issues, fetched.closed_issues) == (1, 1)

    fetched.edit("v2.0", state="closed", description="Shipped", due_on=date(2027, 1, 2))
    again = repo.get_milestone(1)
    assert (again.state, again.description, again.due_on.date()) == (
        "closed",
        "Shipped",
        date(2027, 1, 2),
    )
    assert [m.number for m in repo.get_milestones()] == []  # default state is open
    assert [m.title for m in repo.get_milestones(state="all")] == ["v2.0"]


def test_milestone_list_sorts_by_due_date(sandbox, repo) -> None:
    sandbox.create_milestone(REPO, "later", due_on=date(2027, 3, 1))
    sandbox.create_milestone(REPO, "undated")
    sandbox.create_milestone(REPO, "sooner", due_on=date(2027, 1, 1))

    assert [m.title for m in repo.get_milestones()] == ["sooner", "later", "undated"]


# ---------------------------------------------------------------- conditional requests


def test_etag_answers_304_without_spending_budget(sandbox, gh) -> None:
    seed(sandbox, 3)
    path = f"/repos/{REPO}/issues"
    status, headers, _ = gh.requester.requestJson("GET", path, parameters={"state": "all"})
    remaining = int(headers["x-ratelimit-remaining"])

    status2, headers2, body2 = gh.requester.requestJson(
        "GET", path, parameters={"state": "all"}, headers={"If-None-Match": headers["etag"]}
    )

    assert (status, status2, body2) == (200, 304, "")
    assert int(headers2["x-ratelimit-remaining"]) == remaining
    sandbox.edit_issue(REPO, 1, title="changed")
    status3, _, _ = gh.requester.requestJson(
        "GET", path, parameters={"state": "all"}, headers={"If-None-Match": headers["etag"]}
    )
    assert status3 == 200


# ---------------------------------------------------------------- limits and auth


def test_rate_limit_headers_and_endpoint(sandbox, gh, repo) -> None:
    seed(sandbox, 1)
    list(repo.get_issues())
    list(repo.get_issues())

    assert gh.rate_limiting == (4998, 5000)
    core = gh.get_rate_limit().resources.core
    assert (core.limit, core.remaining, core.used) == (5000, 4998, 2)
    assert core.reset > datetime.now(UTC)
    assert gh.rate_limiting == (4998, 5000)  # /rate_limit itself is free


def test_exhausted_budget_answers_403_with_remaining_zero(sandbox, server) -> None:
    sandbox.rate_limit = 2
    g = client(server)
    assert g.get_user().login == "octocat"
    assert g.get_repo(REPO).id > 0  # a lazy object fetches itself on first use

    with pytest.raises(github.RateLimitExceededException) as caught:
        g.get_repo(REPO).id  # noqa: B018 - the request is the point
    g.close()

    assert caught.value.status == 403
    assert caught.value.headers["x-ratelimit-remaining"] == "0"
    assert caught.value.data["message"].startswith("API rate limit exceeded")


def test_wrong_token_is_bad_credentials(server) -> None:
    g = client(server, token="wrong")
    with pytest.raises(github.BadCredentialsException) as caught:
        g.get_user().login  # noqa: B018
    g.close()
    assert caught.value.status == 401


def test_secondary_limit_refuses_a_burst_of_writes(sandbox, repo) -> None:
    sandbox.faults.secondary_limit = 3
    for n in range(3):
        repo.create_issue(f"ok {n}")

    with pytest.raises(github.GithubException) as caught:
        repo.create_issue("one too many")

    assert caught.value.status == 403
    assert caught.value.headers["retry-after"] == "60"
    assert "secondary rate limit" in caught.value.data["message"]
    assert len(sandbox.issues(REPO)) == 3
    sandbox.clock.advance(timedelta(seconds=61))
    assert repo.create_issue("after the window").number == 4


def test_unknown_repo_and_issue_are_404(repo, gh) -> None:
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo("acme/missing").id  # noqa: B018 - a lazy object fetches on first use
    with pytest.raises(github.UnknownObjectException):
        repo.get_issue(42).title  # noqa: B018


def test_request_log_counts_reads_and_writes(sandbox, repo) -> None:
    mark = sandbox.log.mark()
    issue = repo.create_issue("t")
    issue.create_comment("c")
    assert repo.get_issue(1).comments == 1

    records = sandbox.log.since(mark)
    assert [(r.method, r.status, r.write) for r in records] == [
        ("POST", 201, True),
        ("POST", 201, True),
        ("GET", 200, False),
    ]
    assert sandbox.log.count("POST", "/api/v3/repos/acme/web/issues") == 2


def test_two_thousand_issues_list_quickly_and_completely(sandbox, repo) -> None:
    seed(sandbox, 2000, pr_every=20)
    mark = sandbox.log.mark()

    numbers = [
        item.number for item in repo.get_issues(state="all", sort="updated", direction="asc")
    ]

    assert numbers == list(range(1, 2001))
    assert len(sandbox.log.since(mark)) == 20
