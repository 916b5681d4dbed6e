"""Every user mistake is one line on stderr, the right exit code, and nothing written.

One row per mistake: (id, config file text or bytes, environment, command line, exit
code, a fragment the line must contain). A new hostile input is one more row.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import run_cli
from world import PROJECT, REPO, World

BASE = """\
state: sqlite:///state.db
connectors:
  gh:
    type: github
    url: http://127.0.0.1:9/api/v3
    token_env: GITHUB_TOKEN
    repos: [acme/web, acme/api]
"""
SECRET = {"GITHUB_TOKEN": "t"}
BOX = set("╭╮╰╯│─┏┓┗┛┃━")


def swap(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


def links(*pairs: tuple[str, str]) -> str:
    rows = "".join(
        f"  - {{name: l{n}, source: '{source}', target: '{target}'}}\n"
        for n, (source, target) in enumerate(pairs)
    )
    return BASE + "links:\n" + rows


URL = "url: http://127.0.0.1:9/api/v3"
STATE = "state: sqlite:///state.db"

CASES = [
    ("not-utf8", BASE.encode().replace(b"connectors:", b"# caf\xe9\nconnectors:"), {}, ["pull"], 2, "not UTF-8 text: byte 0xe9"),
    ("url-not-a-url", swap(URL, "url: not a url"), {}, ["pull"], 2, "connectors.gh.url"),
    ("url-ftp", swap(URL, "url: ftp://files.example"), {}, ["check"], 2, "expected an http:// or https:// URL"),
    ("url-no-host", swap(URL, "url: 'http://'"), {}, ["pull"], 2, "with a host"),
    ("url-broken-ipv6", swap(URL, "url: 'http://[::1'"), {}, ["pull"], 2, "not a valid URL"),
    ("url-bad-port", swap(URL, "url: 'http://host:99999'"), {}, ["pull"], 2, "not a valid URL"),
    ("state-mysql", swap(STATE, "state: mysql://u@db/ts"), SECRET, ["pull"], 2, "state: 'mysql' is not supported"),
    ("state-memory", swap(STATE, "state: 'sqlite://'"), SECRET, ["pull"], 2, "in-memory SQLite"),
    ("state-memory-named", swap(STATE, "state: 'sqlite:///:memory:'"), SECRET, ["status"], 2, "in-memory SQLite"),
    ("state-env-mysql", BASE, {**SECRET, "TRACKERSYNC_STATE": "mysql://u@db/ts"}, ["pull"], 2, "'mysql' is not supported"),
    ("env-not-json", BASE, {**SECRET, "TRACKERSYNC_CONNECTORS": "notjson"}, ["pull"], 2, "TRACKERSYNC_CONNECTORS is not valid JSON"),
    ("link-same-scope", links(("gh:acme/web", "gh:acme/web")), SECRET, ["sync"], 2, "links[0].target: is the same scope"),
    ("link-twice", links(("gh:acme/web", "gh:acme/api"), ("gh:acme/web", "gh:acme/api")), SECRET, ["sync"], 2, "links[1]: links gh:acme/web and gh:acme/api, as links[0]"),
    ("link-twice-reversed", links(("gh:acme/web", "gh:acme/api"), ("gh:acme/api", "gh:acme/web")), SECRET, ["check"], 2, "as links[0] does already"),
    ("health-max-age", BASE, SECRET, ["health", "--max-age", "banana"], 2, "--max-age 'banana': expected a duration"),
    ("status-format", BASE, SECRET, ["status", "--format", "xml"], 2, "Invalid value for '--format'"),
    ("unknown-option", BASE, SECRET, ["sync", "--frobnicate"], 2, "No such option"),
    ("run-every-zero", BASE, SECRET, ["run", "--every", "0s"], 2, "floor of 1 minute"),
    ("run-every-30s", BASE, SECRET, ["run", "--every", "30s"], 2, "floor of 1 minute"),
    ("run-every-ms", BASE, SECRET, ["run", "--every", "59999ms"], 2, "floor of 1 minute"),
    ("run-every-banana", BASE, SECRET, ["run", "--every", "banana"], 2, "--every 'banana'"),
]


@pytest.mark.parametrize(
    ("config", "env", "argv", "code", "fragment"),
    [pytest.param(*row[1:], id=row[0]) for row in CASES],
)
def test_a_mistake_is_one_line_and_writes_nothing(
    tmp_path: Path, config: str | bytes, env: dict[str, str], argv: list[str], code: int, fragment: str
) -> None:
    path = tmp_path / "trackersync.yaml"
    path.write_bytes(config if isinstance(config, bytes) else config.encode())
    before = sorted(tmp_path.iterdir())
    result = run_cli(*argv, cwd=tmp_path, env=env, timeout=60)
    assert result.code == code, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not BOX & set(result.stderr)
    assert sorted(tmp_path.iterdir()) == before  # no state file, no lock file


@pytest.fixture
def hidden_scopes(tmp_path: Path):
    """A deployment whose config names a repository and a project the token cannot see."""
    world = World(tmp_path)
    text = world.config.read_text()
    text = text.replace(f"repos: [{REPO}]", f"repos: [{REPO}, acme/ghost]")
    world.config.write_text(text.replace(f"projects: [{PROJECT}]", f"projects: [{PROJECT}, GHOST]"))
    yield world
    world.close()


@pytest.mark.parametrize("command", ["check", "pull", "sync"])
def test_a_scope_the_token_cannot_see_is_a_config_mistake_everywhere(
    hidden_scopes: World, command: str
) -> None:
    proc = hidden_scopes.cli(command)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2, stderr
    assert "gh:acme/ghost" in stderr
    assert "jira:GHOST" in stderr
    assert "Traceback" not in stderr
    assert hidden_scopes.github.log.writes == hidden_scopes.jira.log.writes == 0
