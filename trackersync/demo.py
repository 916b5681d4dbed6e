"""`trackersync demo`: the seeded sandbox GitHub and Jira, and a config pointing at them."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from trackersync.sandbox.core import SandboxServer
from trackersync.sandbox.github import GitHubSandbox
from trackersync.sandbox.jira import JiraSandbox
from trackersync.sandbox.seed import (
    GH_USERS,
    JIRA_USERS,
    PROJECT,
    RELEASE_GH,
    RELEASE_JIRA,
    REPO,
    DemoCredentials,
    seed_github,
    seed_jira,
)

CONFIG = """\
state: sqlite:///{state}
connectors:
  gh:
    type: github
    url: {github}/api/v3
    token_env: DEMO_GITHUB_TOKEN
    repos: [{repo}]
    write_interval: 0s
  jira:
    type: jira
    url: {jira}
    email_env: DEMO_JIRA_EMAIL
    token_env: DEMO_JIRA_TOKEN
    projects: [{project}]
links:
  - name: web
    source: jira:{project}
    target: gh:{repo}
    users:
{users}
milestones:
  - name: "Release 2.0"
    members:
      - gh:{repo} milestone="{release_gh}"
      - jira:{project} fixVersion="{release_jira}"
"""


@dataclass(frozen=True)
class RunningDemo:
    """The servers' URLs, the config written for them and the variables it names."""

    github_url: str
    jira_url: str
    config_path: Path
    env: dict[str, str]


@contextmanager
def running(github_port: int = 0, jira_port: int = 0) -> Iterator[RunningDemo]:
    """Start both seeded sandboxes and write a config for them into a temporary folder."""
    creds = DemoCredentials()
    github = GitHubSandbox(token=creds.github_token)
    jira = JiraSandbox(email=creds.jira_email, token=creds.jira_token)
    seed_github(github)
    seed_jira(jira)
    with (
        SandboxServer(github, port=github_port) as gh_server,
        SandboxServer(jira, port=jira_port) as jira_server,
        tempfile.TemporaryDirectory(prefix="trackersync-demo-") as folder,
    ):
        path = Path(folder) / "trackersync.yaml"
        path.write_text(
            CONFIG.format(
                state=Path(folder) / "demo.db",
                github=gh_server.origin,
                jira=jira_server.origin,
                repo=REPO,
                project=PROJECT,
                release_gh=RELEASE_GH,
                release_jira=RELEASE_JIRA,
                users="\n".join(
                    f'      "{a}": {g}' for a, g in zip(JIRA_USERS, GH_USERS, strict=True)
                ),
            ),
            encoding="utf-8",
        )
        env = {
            "DEMO_GITHUB_TOKEN": creds.github_token,
            "DEMO_JIRA_EMAIL": creds.jira_email,
            "DEMO_JIRA_TOKEN": creds.jira_token,
        }
        yield RunningDemo(gh_server.origin, jira_server.origin, path, env)


def serve(demo: RunningDemo, console: Console) -> None:
    """Print how to use the running sandboxes, then wait for Ctrl-C."""
    console.print(f"sandbox GitHub: {demo.github_url}/api/v3  (repository {REPO})")
    console.print(f"sandbox Jira:   {demo.jira_url}  (project {PROJECT})")
    console.print("\nIn another shell:")
    for name, value in demo.env.items():
        console.print(f"  export {name}={value}", markup=False)
    console.print(f"  trackersync --config {demo.config_path} pull\n")
    console.print(f"# {demo.config_path}", markup=False)
    console.print(demo.config_path.read_text(encoding="utf-8"), markup=False, highlight=False)
    console.print("Serving until Ctrl-C.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("stopped")
