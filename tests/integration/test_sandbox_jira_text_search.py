"""JQL text search (`summary ~`) in the Jira sandbox, as the real `jira` client sends it."""

from __future__ import annotations

import pytest
from jira import JIRAError
from jira_fixtures import library_client, make_sandbox, serve


def test_summary_contains_words_and_not() -> None:
    sandbox = make_sandbox()
    for summary in ("Crash on save", "Saving is slow", "Login crashes twice"):
        sandbox.create_issue("WEB", summary)
    with serve(sandbox) as origin:
        jira = library_client(origin, sandbox)
        found = jira.enhanced_search_issues('project = WEB AND summary ~ "crash"')
        both = jira.enhanced_search_issues('project = WEB AND summary ~ "crash save"')
        rest = jira.enhanced_search_issues('project = WEB AND summary !~ "crash"')
    assert sorted(i.fields.summary for i in found) == ["Crash on save", "Login crashes twice"]
    assert [i.fields.summary for i in both] == ["Crash on save"]
    assert [i.fields.summary for i in rest] == ["Saving is slow"]


def test_summary_equals_is_refused_as_jira_does() -> None:
    sandbox = make_sandbox()
    with serve(sandbox) as origin:
        jira = library_client(origin, sandbox)
        with pytest.raises(JIRAError) as caught:
            jira.enhanced_search_issues('project = WEB AND summary = "x"')
    assert caught.value.status_code == 400
    assert "not supported by the 'summary' field" in (caught.value.text or "")
