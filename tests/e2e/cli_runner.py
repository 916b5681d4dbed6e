"""Runs the real `trackersync` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> Result:
    """`python -m trackersync ARGS` with a clean environment plus `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACKERSYNC_")}
    base.update({"COLUMNS": "200", "NO_COLOR": "1"})
    proc = subprocess.run(
        [sys.executable, "-m", "trackersync", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
