"""`trackersync demo` and `demo --serve`, as a newcomer runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import github
from cli_runner import run_cli

from trackersync.connectors.github.mapping import split_comment
from trackersync.sandbox.seed import PROJECT, REPO

COMMENTS = re.compile(r"web: comments mirrored: Jira → GitHub (\d+), GitHub → Jira (\d+)")


def test_demo_syncs_rolls_up_and_writes_the_page(tmp_path: Path) -> None:
    result = run_cli("demo", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    # 15 Jira issues and 15 GitHub issues (pull requests left out) each get one twin.
    assert re.search(r"│ web\s+│ 30\s+│ 30\s+│ 0\s+│ 0\s+│ ok", result.stdout), result.stdout
    assert re.search(r"│ Release 2.0\s+│ [\d.]+%", result.stdout)
    assert re.search(r"│ gh:acme/web\s+│ 30\s+│", result.stdout)
    mirrored = COMMENTS.search(result.stdout)
    assert mirrored is not None, result.stdout
    assert int(mirrored[1]) > 0, result.stdout
    assert int(mirrored[2]) > 0, result.stdout
    page = (tmp_path / "status.html").read_text()
    assert "Release 2.0" in page
    assert "<svg" in page


@dataclass(frozen=True)
class Served:
    """`demo --serve` as it printed itself: the text, the exports and the config path."""

    text: str
    exports: dict[str, str]
    config: str
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The real command against the served sandboxes."""
        return subprocess.run(
            [sys.executable, "-m", "trackersync", "--config", self.config, *args],
            env=self.env | self.exports,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@contextmanager
def served_demo(tmp_path: Path) -> Iterator[Served]:
    """`demo --serve` running until the block ends, then stopped with Ctrl-C (SIGINT)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKERSYNC_")} | {
        "COLUMNS": "200"
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "trackersync", "demo", "--serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Serving until Ctrl-C"):
                break
        text = "".join(lines)
        config = re.search(r"--config (\S+) pull", text)
        assert config is not None, text
        exports = dict(re.findall(r"export (\w+)=(\S+)", text))
        yield Served(text, exports, config[1], env)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_demo_serve_prints_a_working_config_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    with served_demo(tmp_path) as served:
        assert set(served.exports) == {"DEMO_GITHUB_TOKEN", "DEMO_JIRA_EMAIL", "DEMO_JIRA_TOKEN"}
        pulled = served.run("pull")
        assert pulled.returncode == 0, pulled.stderr
        assert "gh:acme/web" in pulled.stdout
        assert "jira:WEB" in pulled.stdout


def test_the_demo_jira_comments_are_on_github_after_a_sync(tmp_path: Path) -> None:
    with served_demo(tmp_path) as served:
        synced = served.run("sync")
        assert synced.returncode == 0, synced.stderr
        counts = COMMENTS.search(synced.stdout)
        assert counts is not None, synced.stdout
        url = re.search(r"sandbox GitHub: (\S+)", served.text)
        assert url is not None, served.text
        client = github.Github(
            base_url=url[1],
            auth=github.Auth.Token(served.exports["DEMO_GITHUB_TOKEN"]),
            retry=None,
            seconds_between_requests=0,
        )
        try:
            bodies = [c.body for c in client.get_repo(REPO).get_issues_comments()]
        finally:
            client.close()
    from_jira = [
        body
        for body, mirror in map(split_comment, bodies)
        if mirror and mirror.startswith(f"jira:{PROJECT}#")
    ]
    assert len(from_jira) == int(counts[1]) > 0
    assert any("Seen in production logs too." in body for body in from_jira)
