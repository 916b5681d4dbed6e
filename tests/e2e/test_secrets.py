"""Secrets never appear in logs, errors or the state store, even at debug level."""

from __future__ import annotations

from pathlib import Path

from world import ENV, PROJECT, REPO, World

SECRETS = [ENV["T_GITHUB_TOKEN"], ENV["T_JIRA_TOKEN"]]


def test_debug_logs_and_the_state_store_hold_no_secret(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        world.jira.create_issue(PROJECT, "one", "body")
        world.github.create_issue(REPO, "two", "body")
        outputs = []
        for args in (
            ("-vv", "run", "--once"),
            ("-vv", "--log-format", "json", "sync"),
            ("status", "--format", "json"),
        ):
            proc = world.cli(*args)
            stdout, stderr = proc.communicate(timeout=300)
            assert proc.returncode == 0, stderr
            outputs.append(stdout + stderr)
        proc = world.cli("-vv", "pull", env={"T_JIRA_TOKEN": "wrong-jira-secret"})
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 3
        outputs.append(stdout + stderr)
        text = "\n".join(outputs)
        assert "DEBUG" in text or '"level": "debug"' in text  # the debug logs were on
        for secret in [*SECRETS, "wrong-jira-secret"]:
            assert secret not in text
        database = (tmp_path / "state.db").read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in database
    finally:
        world.close()
