"""The official API descriptions as referee: the vendored specs, the validator, the hook."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import github
import pytest
from jira_fixtures import connector as jira_connector
from jira_fixtures import make_sandbox, serve
from spec_referee import SPECS, Referee, check, judges
from spec_routes import jira_date_time, route_operations, sandbox_routes
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from trackersync.sandbox.core import SandboxServer, json_response
from trackersync.sandbox.github import GitHubSandbox
from trackersync.sync.model import Origin, TaskFields

sys.path.insert(0, str(Path(__file__).parent))
from trim import trim  # noqa: E402 - the trim script lives beside this test

TOKEN = "sandbox-token"


def request(
    method: str, path: str, body: object = None, headers: dict | None = None, **query: str
) -> Request:
    data = None if body is None else json.dumps(body)
    environ = EnvironBuilder(
        method=method,
        path=path,
        query_string=query,
        data=data,
        content_type="application/json",
        headers=headers,
    ).get_environ()
    request = Request(environ)
    request.get_data()  # as the sandbox app does before the referee sees it
    return request


# ---------------------------------------------------------------- the referee can fail


def test_a_version_created_by_project_key_is_refused_and_by_project_id_accepted() -> None:
    wrong = check("jira", request("POST", "/rest/api/2/version", {"name": "2.0", "project": "WEB"}), None)
    right = check("jira", request("POST", "/rest/api/2/version", {"name": "2.0", "projectId": 10000}), None)

    assert wrong == [
        "sends `project`: Deprecated. Use `projectId`.",
        "lacks `projectId`: The ID of the project to which this version is attached. "
        "Required when creating a version. Not applicable when updating a version.",
    ]
    assert right == []


@pytest.mark.parametrize(
    ("system", "method", "path", "body", "query", "expected"),
    [
        ("github", "GET", "/api/v3/repos/acme/web/wiki", None, {}, "Path not found"),
        ("github", "DELETE", "/api/v3/repos/acme/web/issues/1", None, {}, "Operation delete not found"),
        ("github", "POST", "/api/v3/repos/acme/web/issues", {"body": "no title"}, {}, "'title' is a required property"),
        ("github", "GET", "/api/v3/repos/acme/web/issues", None, {"state": "any"}, "'any' is not one of"),
        ("github", "PATCH", "/api/v3/repos/acme/web/issues/1", {"state": "done"}, {}, "'done' is not one of"),
        ("jira", "GET", "/rest/api/2/search/jql", None, {"maxResults": "many"}, "maxResults"),
        ("jira", "POST", "/rest/api/2/issue/WEB-1/transitions", {"transition": {"id": 41}}, {}, "41 is not of type 'string'"),
        ("jira", "GET", "/rest/api/2/issue/WEB-1/changelog", None, {}, "Path not found"),
    ],
)
def test_requests_the_description_does_not_allow_are_named(system, method, path, body, query, expected) -> None:
    found = check(system, request(method, path, body, **query), None)

    assert any(expected in line for line in found), found


def test_an_answer_missing_required_fields_is_named() -> None:
    asked = request("GET", "/api/v3/repos/acme/web/issues/1")
    answer = json_response({"id": 1, "title": "no number, no state"})

    found = check("github", asked, answer)

    assert any("'number' is a required property" in line for line in found), found


def test_undescribed_statuses_are_named_unless_the_docs_cover_them_in_general() -> None:
    asked = request("GET", "/api/v3/repos/acme/web/milestones")
    conditional = request("GET", "/api/v3/repos/acme/web/milestones", headers={"If-None-Match": 'W/"x"'})

    assert check("github", asked, Response(status=418)) == ["Unknown response http status: 418"]
    assert check("github", conditional, Response(status=304)) == []


def test_jira_timestamps_without_a_colon_in_the_offset_are_date_times() -> None:
    assert jira_date_time("2026-11-25T19:08:40.123+0100")
    assert jira_date_time("2026-11-25T18:08:40Z")
    assert not jira_date_time("2026-11-25")
    assert not jira_date_time("25/11/2026 19:08")


# ---------------------------------------------------------------- the vendored specs


@pytest.mark.parametrize("system", ["github", "jira"])
def test_vendored_specs_hold_every_operation_the_sandbox_serves_and_nothing_else(system) -> None:
    vendored = json.loads((SPECS / f"{system}.json").read_text())

    operations = route_operations(system, vendored)  # raises, naming what is missing

    assert len(operations) >= len(sandbox_routes(system)) - 2  # less the applinks pair
    assert trim(system, vendored) == vendored  # reproducible: no operation beyond the routes
    assert (SPECS / f"{system}.json").stat().st_size < 1_000_000


def test_vendored_specs_name_source_version_and_licence() -> None:
    github_spec = json.loads((SPECS / "github.json").read_text())
    jira_spec = json.loads((SPECS / "jira.json").read_text())
    readme = (SPECS / "README.md").read_text()

    assert github_spec["info"]["license"]["name"] == "MIT"
    assert jira_spec["info"]["license"]["name"] == "Apache 2.0"
    assert github_spec["info"]["version"] in readme
    assert jira_spec["info"]["version"] in readme


def test_v3_adf_fields_stay_untyped_so_v2_strings_validate() -> None:
    """If Atlassian ever types these as ADF documents, v2 needs an exemption in spec_routes."""
    schemas = judges("jira").document["components"]["schemas"]

    assert "type" not in schemas["Comment"]["properties"]["body"]
    assert schemas["IssueUpdateDetails"]["properties"]["fields"]["additionalProperties"] == {}
    assert schemas["IssueBean"]["properties"]["fields"]["additionalProperties"] == {}


# ---------------------------------------------------------------- the hook in the suites


def test_every_sandbox_exchange_of_a_test_is_refereed(api_referee: Referee) -> None:
    sandbox = GitHubSandbox(token=TOKEN)
    sandbox.add_repo("acme/web")
    sandbox.create_issue("acme/web", "open", "body")
    sandbox.create_issue("acme/web", "open too, same shape", "body")
    sandbox.create_issue("acme/web", "a pull request", "body", pull_request=True)
    closed = sandbox.create_issue("acme/web", "closed", "body")
    sandbox.edit_issue("acme/web", closed["number"], state="closed", state_reason="not_planned")
    with SandboxServer(sandbox) as server:
        client = github.Github(base_url=f"{server.origin}/api/v3", auth=github.Auth.Token(TOKEN), retry=None)
        client.requester.requestJsonAndCheck("GET", "/user")
        client.requester.requestJsonAndCheck("GET", "/repos/acme/web")
        client.requester.requestJson("POST", "/repos/acme/web/issues", input={"title": ""})
        _, listed = client.requester.requestJsonAndCheck("GET", "/repos/acme/web/issues", {"state": "all"})
        client.close()

    assert api_referee.exchanges == 4
    assert api_referee.violations == []
    assert len(listed) == 4  # the referee judges a cut copy; the client gets every item


def test_a_jira_version_is_created_by_project_id(api_referee: Referee) -> None:
    sandbox = make_sandbox()
    origin = Origin(ref="gh:acme/web#1", url="https://github.com/acme/web/issues/1", system="GitHub")
    with serve(sandbox) as url:
        jira = jira_connector(url)
        jira.create_item("WEB", TaskFields(title="a", milestone="3.0"), origin)
        jira.close()

    assert [v["name"] for v in sandbox.versions("WEB")] == ["3.0"]
    assert api_referee.violations == []
