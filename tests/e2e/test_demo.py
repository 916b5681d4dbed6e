"""`trackersync demo` and `demo --serve`, as a newcomer runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from cli_runner import run_cli


def test_demo_syncs_rolls_up_and_writes_the_page(tmp_path: Path) -> None:
    result = run_cli("demo", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    # 15 Jira issues and 15 GitHub issues (pull requests left out) each get one twin.
    assert re.search(r"│ web\s+│ 30\s+│ 30\s+│ 0\s+│ 0\s+│ ok", result.stdout), result.stdout
    assert re.search(r"│ Release 2.0\s+│ [\d.]+%", result.stdout)
    assert re.search(r"│ gh:acme/web\s+│ 30\s+│", result.stdout)
    page = (tmp_path / "status.html").read_text()
    assert "Release 2.0" in page
    assert "<svg" in page


def test_demo_serve_prints_a_working_config_and_stops_on_ctrl_c(tmp_path: Path) -> None:
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
        exports = dict(re.findall(r"export (\w+)=(\S+)", text))
        config = re.search(r"--config (\S+) pull", text)
        assert config is not None, text
        assert set(exports) == {"DEMO_GITHUB_TOKEN", "DEMO_JIRA_EMAIL", "DEMO_JIRA_TOKEN"}
        pulled = subprocess.run(
            [sys.executable, "-m", "trackersync", "--config", config[1], "pull"],
            env=env | exports,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert pulled.returncode == 0, pulled.stderr
        assert "gh:acme/web" in pulled.stdout
        assert "jira:WEB" in pulled.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
