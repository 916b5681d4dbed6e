"""A third party's connector, installed next to trackersync, is found through the
`trackersync.connectors` entry-point group and used by the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN = """
from datetime import UTC, datetime
from typing import Literal

from trackersync.connectors.base import CheckReport, Connector, ConnectorConfig, ScopeReport
from trackersync.sync.model import PullResult, Ref, Status, StatusCategory, Task


class TinyConfig(ConnectorConfig):
    type: Literal["tiny"]
    boards: list[str]

    def scope_names(self) -> list[str]:
        return self.boards


class TinyConnector(Connector):
    type = "tiny"
    Config = TinyConfig

    @property
    def scopes(self) -> list[str]:
        return self.config.boards

    def check(self) -> CheckReport:
        return CheckReport(connector=self.name, user="tiny", scopes=[ScopeReport(scope=s, visible=True) for s in self.scopes])

    def pull(self, scope, cursor):
        now = datetime(2026, 11, 1, tzinfo=UTC)
        done = Status(name="shipped", category=StatusCategory.DONE)
        tasks = [
            Task(ref=Ref(self.name, scope, str(n)), url=f"https://tiny.example/{n}", title=f"card {n}",
                 status=done, created_at=now, updated_at=now)
            for n in range(3)
        ] if not cursor else []
        return PullResult(scope=scope, tasks=tasks, cursor={"seen": True})
"""


def install_plugin(folder: Path) -> None:
    """What `pip install trackersync-tiny` leaves on the path: the module and its dist-info."""
    (folder / "trackersync_tiny.py").write_text(textwrap.dedent(PLUGIN))
    info = folder / "trackersync_tiny-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: trackersync-tiny\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[trackersync.connectors]\ntiny = trackersync_tiny:TinyConnector\n"
    )


def test_a_third_party_connector_is_found_and_used(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site)
    config = tmp_path / "trackersync.yaml"
    config.write_text(
        f"state: sqlite:///{tmp_path / 'state.db'}\n"
        "connectors:\n  kanban:\n    type: tiny\n    url: https://tiny.example\n"
        "    token_env: TINY_TOKEN\n    boards: [roadmap]\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKERSYNC_")}
    env |= {"PYTHONPATH": str(site), "TINY_TOKEN": "secret"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "trackersync", "--config", str(config), *args]
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    pulled = run("pull")
    assert pulled.returncode == 0, pulled.stderr
    status = json.loads(run("status", "--format", "json").stdout)
    assert status["scopes"] == [
        {
            "ref": "kanban:roadmap",
            "last_pull": status["scopes"][0]["last_pull"],
            "tasks": 3,
            "todo": 0,
            "in_progress": 0,
            "done": 3,
            "canceled": 0,
        }
    ]
    wrong = config.read_text().replace("boards:", "lanes:")
    config.write_text(wrong)
    refused = run("pull")
    assert refused.returncode == 2
    assert "connectors.kanban.lanes: unknown key" in refused.stderr


def test_an_unknown_type_lists_the_installed_ones(tmp_path: Path) -> None:
    config = tmp_path / "trackersync.yaml"
    config.write_text("connectors:\n  kanban:\n    type: tiny\n    url: x\n    token_env: T\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKERSYNC_")}
    command = [sys.executable, "-m", "trackersync", "--config", str(config), "pull"]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 2
    assert "unknown connector type 'tiny'; installed: github, jira" in result.stderr
