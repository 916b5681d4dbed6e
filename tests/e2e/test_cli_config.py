"""The command line answers user mistakes with one line and exit 2, writing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import run_cli

CONFIG = """\
state: sqlite:///state.db
connectors:
  gh:
    type: github
    token_env: GITHUB_TOKEN
    repos: [acme/web]
"""


def test_init_writes_an_example_and_refuses_to_overwrite(tmp_path: Path) -> None:
    first = run_cli("init", cwd=tmp_path)
    assert first.code == 0, first.stderr
    assert "connectors:" in (tmp_path / "trackersync.yaml").read_text()
    second = run_cli("init", cwd=tmp_path)
    assert second.code == 2
    assert "already exists; pass --force" in second.stderr


@pytest.mark.parametrize(
    ("config", "env", "expected"),
    [
        pytest.param(None, {}, "config file not found", id="no-config"),
        pytest.param(CONFIG + "extra: 1\n", {}, "extra: unknown key", id="unknown-key"),
        pytest.param(CONFIG, {}, "GITHUB_TOKEN is not set", id="missing-secret"),
        pytest.param(
            CONFIG.replace("[acme/web]", "[acme/web"), {}, "malformed YAML", id="bad-yaml"
        ),
        pytest.param(
            CONFIG.replace("sqlite:///state.db", "nonsense://x"),
            {"GITHUB_TOKEN": "t"},
            "state",
            id="bad-state-url",
        ),
    ],
)
def test_pull_mistakes_exit_2_with_one_line(
    tmp_path: Path, config: str | None, env: dict[str, str], expected: str
) -> None:
    if config is not None:
        (tmp_path / "trackersync.yaml").write_text(config)
    result = run_cli("pull", cwd=tmp_path, env=env)
    assert result.code == 2, result
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "state.db").exists()


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("frobnicate", cwd=tmp_path)
    assert result.code == 2
    assert "Traceback" not in result.stderr


def test_status_of_a_fresh_config_is_all_zero_json(tmp_path: Path) -> None:
    (tmp_path / "trackersync.yaml").write_text(CONFIG)
    result = run_cli("status", "--format", "json", cwd=tmp_path)
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["totals"] == {"tasks": 0, "todo": 0, "in_progress": 0, "done": 0, "canceled": 0}
    assert [s["ref"] for s in document["scopes"]] == ["gh:acme/web"]
    assert not (tmp_path / "state.db").exists()


@pytest.mark.parametrize(
    "args", [("init", "missing/dir/x.yaml"), ("status", "-o", "missing/dir/status.json")]
)
def test_an_unwritable_output_path_is_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "trackersync.yaml").write_text(CONFIG)
    result = run_cli(*args, cwd=tmp_path)
    assert result.code == 2
    assert "cannot write the file: No such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_table_can_be_written_to_a_file(tmp_path: Path) -> None:
    (tmp_path / "trackersync.yaml").write_text(CONFIG)
    result = run_cli("status", "-o", "status.txt", cwd=tmp_path)
    assert result.code == 0, result.stderr
    text = (tmp_path / "status.txt").read_text()
    assert "gh:acme/web" in text
    assert "\x1b[" not in text  # plain text, no terminal colours
