"""The image as far as it can be checked without a Docker engine: the Dockerfile's own
COPY, pip and ENV steps are performed in a fresh virtual environment (container paths
under a temporary root), then the image's command runs against the sandboxes: `run
--once` (its CMD with `--once` for `--every`), then its HEALTHCHECK command. The steps are
read from the Dockerfile, so the test follows it when it changes."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import venv
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from world import ENV, PROJECT, REPO, World

ROOT = Path(__file__).resolve().parents[2]


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    lines = [ln for ln in dockerfile.read_text().splitlines() if not ln.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (ln.strip().partition(" ") for ln in joined.splitlines())
        if word
    ]


def inside(root: Path, path: str) -> Path:
    """A container path under the temporary root."""
    return root / path.lstrip("/")


def copy(root: Path, arguments: str) -> None:
    *sources, target = shlex.split(arguments)
    for source in sources:
        destination = inside(root, target)
        if target.endswith("/"):
            destination = destination / Path(source).name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, destination, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / source, destination)


def pip_steps(root: Path, arguments: str, python: Path) -> list[list[str]]:
    """The RUN's `pip ...` commands, run by the venv's pip, paths moved under the root.
    The rest of a RUN (the user, the folders) only matters inside an image."""
    steps = []
    for command in arguments.split("&&"):
        words = shlex.split(command)
        if words and words[0] == "pip":
            paths = [str(inside(root, w)) if w.startswith("/") else w for w in words[1:]]
            steps.append([str(python), "-m", "pip", *paths])
    return steps


@dataclass
class Image:
    """What the Dockerfile declares beyond its files: environment, command, healthcheck."""

    env: dict[str, str] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    installs: list[list[str]] = field(default_factory=list)


def install_as_the_dockerfile_does(root: Path) -> Image:
    """Performs the Dockerfile's COPY and pip steps in a fresh venv under `root`."""
    venv.create(root / "venv", with_pip=True)
    python = root / "venv" / "bin" / "python"
    image, entrypoint = Image(), []
    for word, arguments in instructions(ROOT / "Dockerfile"):
        if word == "COPY":
            copy(root, arguments)
        elif word == "RUN":
            for step in pip_steps(root, arguments, python):
                done = subprocess.run(step, capture_output=True, text=True, check=False)
                assert done.returncode == 0, (step, done.stdout[-2000:], done.stderr[-4000:])
                image.installs.append(step)
        elif word == "ENV":
            image.env.update(a.split("=", 1) for a in shlex.split(arguments))
        elif word == "ENTRYPOINT":
            entrypoint = json.loads(arguments)
        elif word == "CMD":
            image.command = [*entrypoint, *json.loads(arguments)]
        elif word == "HEALTHCHECK":
            image.healthcheck = json.loads(arguments.partition(" CMD ")[2])
    return image


def image_environment(root: Path, image: Image) -> dict[str, str]:
    """The image's ENV with its container paths under the root, secrets as the operator
    passes them, and the venv first on PATH as the image's Python is."""
    moved = {
        key: value.replace("////", "///" + str(root) + "/")
        if value.startswith("sqlite:")
        else str(inside(root, value))
        if value.startswith("/")
        else value
        for key, value in image.env.items()
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACKERSYNC_")}
    path = f"{root / 'venv' / 'bin'}{os.pathsep}{base.get('PATH', '')}"
    return {**base, **moved, **ENV, "PATH": path}


def once(command: list[str]) -> list[str]:
    """The image's `run --every PACE` as one cycle."""
    at = command.index("--every")
    return [*command[:at], "--once", *command[at + 2 :]]


@pytest.mark.slow
def test_the_dockerfile_install_runs_a_cycle_and_reports_healthy(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        for n in range(2):
            world.github.create_issue(REPO, f"GitHub {n}")
            world.jira.create_issue(PROJECT, f"Jira {n}")
        root = tmp_path / "image"
        image = install_as_the_dockerfile_does(root)
        assert any("--require-hashes" in step for step in image.installs), "lock file unused"
        assert image.command[:2] == ["trackersync", "run"]
        env = image_environment(root, image)
        inside(root, "/config").mkdir(parents=True)
        shutil.copy(world.config, env["TRACKERSYNC_CONFIG"])
        workdir = inside(root, "/data")
        workdir.mkdir(parents=True)

        cycle = subprocess.run(
            once(image.command), cwd=workdir, env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        assert cycle.returncode == 0, cycle.stderr
        assert "Traceback" not in cycle.stderr
        assert len(world.github_issues()) == len(world.jira_issues()) == 4
        assert (workdir / "trackersync.db").exists()  # the image's state URL, on /data

        health = subprocess.run(
            image.healthcheck, cwd=workdir, env=env, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert health.returncode == 0, health.stderr
        assert "healthy" in health.stdout
        assert shutil.which("trackersync", path=env["PATH"]) == str(root / "venv/bin/trackersync")
    finally:
        world.close()
