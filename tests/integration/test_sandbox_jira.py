"""Fidelity: the real `jira` library against the Jira sandbox, as a user would drive it."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError
from jira_fixtures import EMAIL, PAT, library_client, make_sandbox, seed, serve


def count(sandbox, method: str, path: str, mark: int = 0) -> int:
    return sum(1 for r in sandbox.log.since(mark) if r.method == method and r.path == path)


def test_enhanced_search_pages_everything_on_cloud() -> None:
    sandbox = make_sandbox()
    seed(sandbox, 230)
    with serve(sandbox) as origin:
        jira = library_client(origin, sandbox)
        mark = sandbox.log.mark()
        issues = jira.enhanced_search_issues("project = WEB ORDER BY key ASC", maxResults=False)
        first_page = jira.enhanced_search_issues("project = WEB ORDER BY key ASC", maxResults=20)
    assert [i.key for i in issues[:2]] == ["WEB-1", "WEB-2"]
    assert len(issues) == len({i.key for i in issues}) == 230
    assert issues[0].fields.status.statusCategory.key == "new"
    assert count(sandbox, "GET", "/rest/api/2/search/jql", mark) == 3 + 1
    assert len(first_page) == 20
    assert first_page.nextPageToken


@pytest.mark.spec_exempt("the jira library sends validateQuery=True (the enum is lower-case); removed /search answers 410")
def test_search_issues_on_cloud_uses_the_new_endpoint_and_old_one_is_gone() -> None:
    sandbox = make_sandbox()
    seed(sandbox, 3)
    with serve(sandbox) as origin:
        jira = library_client(origin, sandbox)
        assert jira.deploymentType == "Cloud"
        found = jira.search_issues("project = WEB AND labels is EMPTY", maxResults=False)
        jira.deploymentType = "Server"  # as a client built with get_server_info=False
        with pytest.raises(JIRAError) as caught:
            jira.search_issues("project = WEB")
    assert len(found) == 3
    assert caught.value.status_code == 410
    assert "CHANGE-2046" in (caught.value.text or "")


@pytest.mark.spec_exempt("the jira library sends validateQuery=True (the enum is lower-case)")
def test_offset_search_on_server_with_pat() -> None:
    sandbox = make_sandbox("Server")
    seed(sandbox, 120)
    with serve(sandbox) as origin:
        jira = library_client(origin, sandbox)
        mark = sandbox.log.mark()
        everything = jira.search_issues("project = WEB ORDER BY key DESC", maxResults=False)
        page = jira.search_issues("project = WEB", startAt=100, maxResults=50)
        assert jira.myself()["name"] == "pat"
    assert len(everything) == 120
    assert everything[0].key == "WEB-120"
    assert (len(page), page.total) == (20, 120)
    assert count(sandbox, "GET", "/rest/api/2/search", mark) == 2 + 1


def test_bad_jql_is_a_400_with_jira_error_messages() -> None:
    sandbox = make_sandbox()
    with serve(sandbox) as origin:
        jira = library_client(origin, sandbox)
        with pytest.raises(JIRAError) as caught:
            jira.enhanced_search_issues("project = WEB AND sprint in openSprints()")
    assert caught.value.status_code == 400
    assert "Field 'sprint' does not exist" in (caught.value.text or "")


@pytest.mark.spec_exempt("the jira library's transition_issue sends the transition id as a number, not a string")
def test_create_edit_transition_and_comment() -> None:
    sandbox = make_sandbox()
    sandbox.create_version("WEB", "2.0")
    with serve(sandbox) as origin:
        jira = library_client(origin, sandbox)
        issue = jira.create_issue(
            project="WEB", summary="New", issuetype={"name": "Bug"}, description="*bold*"
        )
        created = issue.fields.updated
        issue.update(
            fields={"summary": "Renamed", "fixVersions": [{"name": "2.0"}]},
            update={"labels": [{"add": "ui"}]},
        )
        names = [t["name"] for t in jira.transitions(issue)]
        jira.transition_issue(issue, "Start Progress")
        moved = jira.issue(issue.key)
        done_id = next(t["id"] for t in jira.transitions(issue) if t["to"]["name"] == "Done")
        jira.transition_issue(issue, done_id, fields={"resolution": {"name": "Won't Do"}})
        comment = jira.add_comment(issue, "Looks good")
        comment.update(body="Looks great")
        final = jira.issue(issue.key, expand="transitions")
    assert names == ["Start Progress", "Request Review", "Done"]
    assert moved.fields.status.name == "In Progress"
    assert moved.fields.status.statusCategory.key == "indeterminate"
    assert final.fields.summary == "Renamed"
    assert final.fields.labels == ["ui"]
    assert [v.name for v in final.fields.fixVersions] == ["2.0"]
    assert (final.fields.status.name, final.fields.resolution.name) == ("Done", "Won't Do")
    assert [c.body for c in final.fields.comment.comments] == ["Looks great"]
    assert final.fields.updated > created
    assert {t["to"]["name"] for t in final.raw["transitions"]} == {
        "To Do",
        "In Progress",
        "In Review",
    }


def test_reopening_clears_the_resolution() -> None:
    sandbox = make_sandbox()
    key = sandbox.create_issue("WEB", "x", status="Done")["key"]
    with serve(sandbox) as origin:
        jira = library_client(origin, sandbox)
        assert jira.issue(key).fields.resolution.name == "Done"
        jira.transition_issue(key, "Back to To Do")
        assert jira.issue(key).fields.resolution is None


@pytest.mark.spec_exempt("the jira library's create_version sends the deprecated `project`, no `projectId`")
def test_versions_create_update_release() -> None:
    sandbox = make_sandbox()
    with serve(sandbox) as origin:
        jira = library_client(origin, sandbox)
        version = jira.create_version("2.0", "WEB", description="first", releaseDate="2026-12-15")
        version.update(description="rollup", released=True)
        listed = jira.project_versions("WEB")
        with pytest.raises(JIRAError) as too_long:
            version.update(description="x" * 16_385)
    assert [(v.name, v.description, v.released, v.releaseDate) for v in listed] == [
        ("2.0", "rollup", True, "2026-12-15")
    ]
    assert too_long.value.status_code == 400


@pytest.mark.spec_exempt("Jira answers GET remotelink with a list; its description claims one object")
def test_issue_properties_and_idempotent_remote_links() -> None:
    sandbox = make_sandbox()
    key = sandbox.create_issue("WEB", "x")["key"]
    link = {"url": "https://github.com/acme/web/issues/1", "title": "acme/web#1"}
    with serve(sandbox) as origin:
        jira = library_client(origin, sandbox)
        jira.add_issue_property(key, "trackersync", {"twin": "gh:acme/web#1"})
        props = jira.issue_properties(key)
        with pytest.warns(Warning, match="applicationlinks"):
            jira.add_remote_link(key, link, globalId="trackersync:gh:acme/web#1")
        with pytest.warns(Warning, match="applicationlinks"):
            jira.add_remote_link(
                key, {**link, "title": "acme/web#1 (moved)"}, globalId="trackersync:gh:acme/web#1"
            )
        links = jira.remote_links(key)
        with pytest.raises(JIRAError) as too_big:
            jira.add_issue_property(key, "big", {"x": "y" * 33_000})
    assert [(p.key, p.value.twin) for p in props] == [("trackersync", "gh:acme/web#1")]
    assert [(r.globalId, r.object.title) for r in links] == [
        ("trackersync:gh:acme/web#1", "acme/web#1 (moved)")
    ]
    assert too_big.value.status_code == 400


def test_wrong_credentials_are_401() -> None:
    sandbox = make_sandbox()
    with serve(sandbox) as origin, pytest.raises(JIRAError) as caught:
        JIRA(server=origin, basic_auth=(EMAIL, "nope"), timeout=10, max_retries=0)
    assert caught.value.status_code == 401
    assert sandbox.log.count(status=401) == 1


def test_wrong_pat_is_401_on_server() -> None:
    sandbox = make_sandbox("Server")
    with serve(sandbox) as origin:
        with pytest.raises(JIRAError) as caught:
            JIRA(server=origin, token_auth=PAT + "x", timeout=10, max_retries=0)
        jira = JIRA(server=origin, token_auth=PAT, timeout=10, max_retries=0)
        assert jira.deploymentType == "Server"
    assert caught.value.status_code == 401


def test_timestamps_in_the_user_time_zone_with_milliseconds() -> None:
    sandbox = make_sandbox(time_zone="America/New_York")
    key = sandbox.create_issue("WEB", "x")["key"]
    with serve(sandbox) as origin:
        issue = library_client(origin, sandbox).issue(key)
    assert issue.fields.created[-5:] in ("-0500", "-0400")
    assert issue.fields.created[19] == "."
    assert len(issue.fields.created) == 28


def test_bulk_create_with_inline_properties() -> None:
    sandbox = make_sandbox()
    with serve(sandbox) as origin:
        jira = library_client(origin, sandbox)
        results = jira.create_issues(
            [
                {"project": {"key": "WEB"}, "summary": "a", "issuetype": {"name": "Task"}},
                {"project": {"key": "WEB"}, "summary": "", "issuetype": {"name": "Task"}},
            ],
            prefetch=False,
        )
    assert [r["status"] for r in results] == ["Success", "Error"]
    assert [i["fields"]["summary"] for i in sandbox.issues("WEB")] == ["a"]
