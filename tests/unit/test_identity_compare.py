"""Comparing the systems a state store was built against with the configured ones."""

from __future__ import annotations

import pytest

from trackersync.sync.state.identity import (
    Mismatch,
    clean,
    describe,
    mismatches,
    public_url,
    refusal,
    to_record,
)

JIRA_A = {"url": "https://a.example", "server": "Jira", "project_id": "10000"}
GITHUB = {"api": "https://api.github.com", "repo_id": "123"}


@pytest.mark.parametrize(
    ("stored", "current", "refused"),
    [
        ({}, {"jira:WEB": JIRA_A}, []),  # first use
        ({"jira:WEB": JIRA_A}, {"jira:WEB": JIRA_A}, []),
        ({"jira:WEB": JIRA_A}, {"jira:WEB": {**JIRA_A, "url": "https://b.example"}}, ["jira:WEB"]),
        ({"jira:WEB": JIRA_A}, {"jira:WEB": {**JIRA_A, "project_id": "10001"}}, ["jira:WEB"]),
        ({"jira:WEB": JIRA_A}, {"jira:WEB": {**JIRA_A, "server": "Staging"}}, ["jira:WEB"]),
        # A key one side does not know is no evidence either way.
        ({"jira:WEB": {"url": "https://a.example"}}, {"jira:WEB": JIRA_A}, []),
        ({"jira:WEB": JIRA_A}, {"jira:WEB": {"url": "https://a.example"}}, []),
        # Another scope's record says nothing about this one.
        ({"gh:acme/web": GITHUB}, {"gh:acme/api": {**GITHUB, "repo_id": "9"}}, []),
        (
            {"gh:acme/web": GITHUB, "jira:WEB": JIRA_A},
            {"gh:acme/web": {**GITHUB, "repo_id": "9"}, "jira:WEB": {**JIRA_A, "url": "x"}},
            ["gh:acme/web", "jira:WEB"],
        ),
    ],
)
def test_only_a_scope_recorded_against_another_system_is_refused(
    stored: dict, current: dict, refused: list[str]
) -> None:
    assert [m.scope for m in mismatches(stored, current)] == refused


def test_the_refusal_names_the_store_both_systems_and_the_fix() -> None:
    found = [
        Mismatch("jira:WEB", JIRA_A, {**JIRA_A, "url": "https://b.example", "server": "9Z"}),
        Mismatch("gh:acme/web", GITHUB, {**GITHUB, "repo_id": "9"}),
    ]
    assert refusal("sqlite:///x.db", found) == (
        "state store sqlite:///x.db was built against jira:WEB on https://a.example "
        "(server Jira, project id 10000), not https://b.example (server 9Z, project id 10000) "
        "(also gh:acme/web): use a new state store, or pass --rebind after a deliberate move"
    )


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://user:token@jira.example/", "https://jira.example"),
        ("HTTPS://Jira.Example:8443/jira/", "https://jira.example:8443/jira"),
        ("postgresql+psycopg://ts:secret@db:5432/state", "postgresql+psycopg://db:5432/state"),
        ("sqlite:////var/lib/trackersync.db", "sqlite:////var/lib/trackersync.db"),
        ("10000", "10000"),
    ],
)
def test_urls_lose_their_credentials_and_spelling(url: str, public: str) -> None:
    assert public_url(url) == public


def test_a_clean_identity_is_text_without_empty_values() -> None:
    assert clean({"repo_id": 123, "api": "https://t@ghe.example/api/v3/", "server": ""}) == {
        "api": "https://ghe.example/api/v3",
        "repo_id": "123",
    }
    assert describe({"server": "Jira"}) == "an unnamed server (server Jira)"


def test_what_a_run_records() -> None:
    stored = {"jira:WEB": {"url": "https://a.example"}}
    current = {"jira:WEB": JIRA_A, "gh:acme/web": GITHUB}
    # First uses, and keys the store did not have yet.
    assert to_record(stored, current, rebind=False) == current
    assert to_record(current, current, rebind=False) == {}
    moved = {"jira:WEB": {**JIRA_A, "url": "https://b.example"}}
    assert to_record(current, moved, rebind=True) == moved
