"""Every config mistake is one ConfigError naming the file, the key path and the fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from trackersync.config.example import EXAMPLE_CONFIG
from trackersync.config.loading import build_connectors, check_secrets, config_path, load
from trackersync.errors import ConfigError

VALID = """\
state: sqlite:///state.db
connectors:
  gh:
    type: github
    token_env: GITHUB_TOKEN
    repos: [acme/web]
    write_interval: 0s
  jira:
    type: jira
    url: https://acme.atlassian.net
    email_env: JIRA_EMAIL
    token_env: JIRA_TOKEN
    projects: [WEB]
links:
  - name: web
    source: jira:WEB
    target: gh:acme/web
milestones:
  - name: Release 2.0
    members: ['gh:acme/web milestone="v2.0"', 'jira:WEB fixVersion="2.0"']
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trackersync.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def edit(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


MISTAKES = [
    pytest.param(
        edit('jira:WEB fixVersion="2.0"', 'jira:WEB sprint="3"'),
        "milestones[0].members: Value error, 'jira:WEB sprint=\"3\"': unknown selector 'sprint'",
        id="milestone-unknown-selector",
    ),
    pytest.param("state: [unclosed\n", "malformed YAML", id="malformed-yaml"),
    pytest.param("- just\n- a list\n", "expected a mapping", id="not-a-mapping"),
    pytest.param(VALID + "frobnicate: 1\n", "frobnicate: unknown key", id="unknown-top-key"),
    pytest.param(
        edit("    write_interval: 0s", "    repoz: [x]"),
        "connectors.gh.repoz: unknown key",
        id="unknown-connector-key",
    ),
    pytest.param(
        edit("repos: [acme/web]", "repos: acme/web"), "connectors.gh.repos", id="wrong-type"
    ),
    pytest.param(
        edit("write_interval: 0s", "write_interval: soon"),
        "connectors.gh.write_interval",
        id="bad-duration",
    ),
    pytest.param(
        edit("type: github", "type: gitlab"),
        "connectors.gh.type: unknown connector type 'gitlab'",
        id="unknown-type",
    ),
    pytest.param(edit("    type: github\n", ""), "connectors.gh.type: missing", id="missing-type"),
    pytest.param(
        edit("target: gh:acme/web", "target: gl:acme/web"),
        "links[0].target: names connector 'gl'",
        id="link-unknown-connector",
    ),
    pytest.param(
        edit("target: gh:acme/web", "target: gh:acme/api"),
        "links[0].target: connector 'gh' has no scope 'acme/api'",
        id="link-unknown-scope",
    ),
    pytest.param(
        edit("target: gh:acme/web", "target: gh:acme/web#3"),
        "links[0].target",
        id="link-item-not-scope",
    ),
    pytest.param(
        edit("    target: gh:acme/web\n", "    target: gh:acme/web\n    direction: both\n"),
        "links[0].direction",
        id="bad-direction",
    ),
    pytest.param(
        edit("    target: gh:acme/web\n", "    target: gh:acme/web\n    conflict: loudest\n"),
        "links[0].conflict",
        id="bad-conflict",
    ),
    pytest.param(
        edit('jira:WEB fixVersion="2.0"', "jira:OPS fixVersion=2.0"),
        "milestones[0].members[1]: connector 'jira' has no scope 'OPS'",
        id="milestone-unknown-scope",
    ),
    pytest.param(
        edit('jira:WEB fixVersion="2.0"', "jira:WEB"),
        "milestones[0].members",
        id="milestone-no-selector",
    ),
    pytest.param(
        edit("  - name: web\n", "  - name: web\n    colour: red\n"),
        "links[0].colour: unknown key",
        id="unknown-link-key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), MISTAKES)
def test_mistake_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="trackersync init"):
        load(tmp_path / "nope.yaml")


def test_missing_secret_names_the_variable(tmp_path: Path) -> None:
    settings = load(write(tmp_path, VALID))
    with pytest.raises(ConfigError) as caught:
        check_secrets(settings, {"JIRA_EMAIL": "pm@example.com", "JIRA_TOKEN": "t"})
    assert "connectors.gh.token_env" in str(caught.value)
    assert "GITHUB_TOKEN is not set" in str(caught.value)


def test_secrets_set_build_every_connector(tmp_path: Path) -> None:
    settings = load(write(tmp_path, VALID))
    env = {"GITHUB_TOKEN": "g", "JIRA_EMAIL": "pm@example.com", "JIRA_TOKEN": "j"}
    connectors = build_connectors(settings, env)
    assert {name: c.scopes for name, c in connectors.items()} == {
        "gh": ["acme/web"],
        "jira": ["WEB"],
    }


def test_defaults_follow_the_contract(tmp_path: Path) -> None:
    settings = load(write(tmp_path, VALID))
    link = settings.links[0]
    assert (link.direction, link.conflict) == ("two-way", "newest")
    assert link.fields == [
        "title",
        "body",
        "status",
        "labels",
        "assignees",
        "milestone",
        "comments",
    ]
    assert settings.milestones[0].publish == ["members"]
    assert settings.scopes() == ["gh:acme/web", "jira:WEB"]


def test_environment_overrides_top_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKERSYNC_STATE", "postgresql+psycopg://db/ts")
    assert load(write(tmp_path, VALID)).state == "postgresql+psycopg://db/ts"


def test_connectors_only_is_valid(tmp_path: Path) -> None:
    text = VALID.split("links:")[0]
    settings = load(write(tmp_path, text))
    assert (settings.links, settings.milestones) == ([], [])


def test_init_example_is_accepted(tmp_path: Path) -> None:
    settings = load(write(tmp_path, EXAMPLE_CONFIG))
    assert settings.scopes() == ["gh:acme/web", "jira:WEB"]
    assert settings.links[0].name == "web"


@pytest.mark.parametrize(
    ("option", "env", "expected"),
    [
        pytest.param("a.yaml", {"TRACKERSYNC_CONFIG": "b.yaml"}, "a.yaml", id="option-wins"),
        pytest.param(None, {"TRACKERSYNC_CONFIG": "b.yaml"}, "b.yaml", id="env-next"),
        pytest.param(None, {}, "trackersync.yaml", id="default"),
    ],
)
def test_config_path_precedence(option: str | None, env: dict[str, str], expected: str) -> None:
    assert config_path(option, env) == Path(expected)
