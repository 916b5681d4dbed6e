"""The Flagged field is found by name (`GET /field`) per site, never assumed: its id
differs from site to site, and some sites have none (issue 9 §3.3)."""

from __future__ import annotations

from datetime import timedelta

from jira_fixtures import connector, library_client, make_sandbox, seed, serve

from trackersync.connectors.jira.connector import SITE_FIELDS, flagged_field_of
from trackersync.sandbox.jira import FLAGGED_SCHEMA

API = "/rest/api/2"


def field_reads(sandbox, mark: int) -> int:
    return sum(1 for r in sandbox.log.since(mark) if r.path == f"{API}/field")


def test_the_sandbox_lists_its_own_flagged_field_as_jira_does() -> None:
    sandbox = make_sandbox(flagged_field="customfield_10050")
    with serve(sandbox) as origin:
        fields = library_client(origin, sandbox).fields()
    flagged = [f for f in fields if f["name"] == "Flagged"]
    assert flagged == [
        {
            "id": "customfield_10050",
            "key": "customfield_10050",
            "name": "Flagged",
            "custom": True,
            "orderable": True,
            "navigable": True,
            "searchable": True,
            "clauseNames": ["cf[10050]", "Flagged", "Flagged[Checkboxes]"],
            "schema": {
                "type": "array",
                "items": "option",
                "custom": FLAGGED_SCHEMA,
                "customId": 10050,
            },
        }
    ]
    summary = next(f for f in fields if f["id"] == "summary")
    assert (summary["name"], summary["schema"]) == (
        "Summary",
        {"type": "string", "system": "summary"},
    )


def test_a_site_specific_flagged_field_is_found_by_name() -> None:
    # Not the common customfield_10021: a connector that assumed it would see no flag.
    sandbox = make_sandbox(flagged_field="customfield_10050")
    seed(sandbox, 3)
    sandbox.edit_issue("WEB-2", flagged=True)
    with serve(sandbox) as origin:
        result = connector(origin).pull("WEB", {})
    blocked = {t.ref.key: t.blocked for t in result.tasks}
    assert blocked == {"WEB-1": False, "WEB-2": True, "WEB-3": False}
    assert result.cursor[SITE_FIELDS]["flagged"] == "customfield_10050"


def test_the_field_is_looked_up_once_then_kept_in_the_cursor() -> None:
    sandbox = make_sandbox(flagged_field="customfield_10050")
    seed(sandbox, 2)
    with serve(sandbox) as origin:
        mark = sandbox.log.mark()
        first = connector(origin).pull("WEB", {})
        assert field_reads(sandbox, mark) == 1
        sandbox.edit_issue("WEB-1", flagged=True)
        mark = sandbox.log.mark()
        second = connector(origin).pull("WEB", first.cursor)
        quiet = connector(origin).pull("WEB", second.cursor)
        # Quiet and busy cycles alike cost no look-up: the id rides in the cursor.
        assert field_reads(sandbox, mark) == 0
    assert [(t.ref.key, t.blocked) for t in second.tasks] == [("WEB-1", True)]
    assert quiet.tasks == []
    assert quiet.cursor[SITE_FIELDS] == first.cursor[SITE_FIELDS]


def test_another_site_looks_the_field_up_again() -> None:
    old = make_sandbox(flagged_field="customfield_10021")
    new = make_sandbox(flagged_field="customfield_10077", server_title="Acme Jira")
    seed(new, 1)
    new.edit_issue("WEB-1", flagged=True)
    with serve(old) as origin:
        cursor = connector(origin).pull("WEB", {}).cursor
    with serve(new) as origin:
        mark = new.log.mark()
        result = connector(origin).pull("WEB", cursor)
        assert field_reads(new, mark) == 1
    assert result.cursor[SITE_FIELDS]["flagged"] == "customfield_10077"
    assert [t.blocked for t in result.tasks] == [True]


def test_a_site_without_flagged_reads_blocked_from_links_and_labels() -> None:
    sandbox = make_sandbox(flagged_field=None)
    sandbox.create_issue("WEB", "plain")
    sandbox.create_issue("WEB", "labelled", labels=["blocked"])
    with serve(sandbox) as origin:
        first = connector(origin).pull("WEB", {})
        mark = sandbox.log.mark()
        connector(origin).pull("WEB", first.cursor)
        assert field_reads(sandbox, mark) == 0  # "none" is remembered too...
        sandbox.clock.advance(timedelta(days=1, minutes=1))
        connector(origin).pull("WEB", first.cursor)
        assert field_reads(sandbox, mark) == 1  # ...for a day: a site may add it
    assert first.cursor[SITE_FIELDS]["flagged"] is None
    assert {t.title: t.blocked for t in first.tasks} == {"plain": False, "labelled": True}


def test_the_checkbox_field_wins_over_a_namesake() -> None:
    fields = [
        {"id": "customfield_1", "name": "Flagged", "custom": True, "schema": {"type": "string"}},
        {
            "id": "customfield_2",
            "name": "Flagged",
            "custom": True,
            "schema": {"type": "array", "items": "option", "custom": FLAGGED_SCHEMA},
        },
    ]
    assert flagged_field_of(fields) == "customfield_2"
    assert flagged_field_of(fields[:1]) == "customfield_1"
    assert flagged_field_of([{"id": "summary", "name": "Summary"}]) is None
    assert flagged_field_of({"errorMessages": []}) is None
