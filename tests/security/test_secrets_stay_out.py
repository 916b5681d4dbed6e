"""Credentials never reach the terminal or the runs table: not from a URL in the config,
not from an error body that quotes our request headers back."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from world import ENV, World

JIRA_BASIC = base64.b64encode(f"{ENV['T_JIRA_EMAIL']}:{ENV['T_JIRA_TOKEN']}".encode()).decode()
# What each system's error body would leak, by sandbox attribute.
LEAKS = {"github": [ENV["T_GITHUB_TOKEN"]], "jira": [JIRA_BASIC, ENV["T_JIRA_TOKEN"]]}


def run(world: World, *args: str) -> tuple[int, str]:
    proc = world.cli(*args)
    stdout, stderr = proc.communicate(timeout=300)
    return proc.returncode, stdout + stderr


def stored_runs(world: World) -> str:
    store = world.store
    try:
        return json.dumps(store.runs())
    finally:
        store.engine.dispose()


def test_credentials_in_a_url_are_masked_in_output_and_runs(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        text = world.config.read_text()
        lines = [line for line in text.splitlines() if "/api/v3" in line]
        [github_url] = lines
        world.config.write_text(
            text.replace(github_url, "    url: http://bot:pw-s3cret@127.0.0.1:9/api/v3")
        )
        code, output = run(world, "sync")
        assert code == 3, output
        assert "http://***@127.0.0.1:9/api/v3" in output
        runs = stored_runs(world)
        assert "***@127.0.0.1:9" in runs  # the failure is recorded, masked
        for text in (output, runs):
            assert "pw-s3cret" not in text
            assert "bot:" not in text
    finally:
        world.close()


@pytest.mark.parametrize("system", ["github", "jira"])
def test_an_error_body_quoting_our_headers_is_scrubbed(tmp_path: Path, system: str) -> None:
    world = World(tmp_path)
    try:
        getattr(world, system).faults.echo_next = 1_000
        code, output = run(world, "pull")
        assert code != 0, output
        assert "Authorization: ***" in output  # the echo reached the user, scrubbed
        runs = stored_runs(world)
        assert "Authorization: ***" in runs
        for secret in LEAKS[system]:
            assert secret not in output
            assert secret not in runs
    finally:
        world.close()
