"""A whole deployment for end-to-end tests: sandbox GitHub and Jira served on loopback, a
config file pointing at them, and `sync` run in-process or as the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from trackersync.config.loading import build_connectors, load
from trackersync.cycle import LinkOutcome, pull_all, sync_links
from trackersync.sandbox.core import SandboxServer
from trackersync.sandbox.github import GitHubSandbox
from trackersync.sandbox.jira import JiraSandbox
from trackersync.sync.model import Ref, Task
from trackersync.sync.state import StateStore
from trackersync.sync.state.links import LinkStore

REPO, PROJECT = "acme/web", "WEB"
ENV = {
    "T_GITHUB_TOKEN": "gh-secret",
    "T_JIRA_EMAIL": "pm@example.com",
    "T_JIRA_TOKEN": "jira-secret",
}
USERS = {"5b10a2844c20165700ede21g": "octocat", "5b10ac8d82e05b22cc7d4ef5": "hubot"}

CONFIG = """\
state: {state}
connectors:
  gh:
    type: github
    url: {github}/api/v3
    token_env: T_GITHUB_TOKEN
    repos: [{repo}]
    write_interval: 0s
    timeout: 10s
  jira:
    type: jira
    url: {jira}
    email_env: T_JIRA_EMAIL
    token_env: T_JIRA_TOKEN
    projects: [{project}]
    timeout: 10s
links:
  - name: web
    source: jira:{project}
    target: gh:{repo}
    users: {users}
{link_extra}milestones:
  - name: Release 2.0
    members: ['gh:{repo} milestone="v2.0"', 'jira:{project} fixVersion="2.0"']
{milestone_extra}"""


@dataclass
class SyncRun:
    """What one in-process `sync` did, with the requests it cost."""

    outcomes: list[LinkOutcome]
    reads: int
    writes: int

    @property
    def failures(self) -> list[str]:
        return [str(e) for o in self.outcomes for e in o.summary()["errors"]]


class World:
    """Both sandboxes, their servers and a config; close() stops the servers."""

    def __init__(
        self,
        folder: Path,
        state_url: str | None = None,
        link_extra: str = "",
        milestone_extra: str = "",
    ) -> None:
        self.folder = folder
        self.github = GitHubSandbox(token=ENV["T_GITHUB_TOKEN"])
        self.github.add_repo(REPO)
        self.jira = JiraSandbox(email=ENV["T_JIRA_EMAIL"], token=ENV["T_JIRA_TOKEN"])
        for account_id in USERS:
            self.jira.add_user(account_id, f"User {account_id[:4]}")
        self.jira.add_project(PROJECT, "Web")
        self._stack = ExitStack()
        gh = self._stack.enter_context(SandboxServer(self.github))
        jira = self._stack.enter_context(SandboxServer(self.jira))
        self.state_url = state_url or f"sqlite:///{folder / 'state.db'}"
        self.config = folder / "trackersync.yaml"
        users = "{" + ", ".join(f'"{k}": {v}' for k, v in USERS.items()) + "}"
        self.config.write_text(
            CONFIG.format(
                state=self.state_url,
                github=gh.origin,
                jira=jira.origin,
                repo=REPO,
                project=PROJECT,
                users=users,
                link_extra=link_extra,
                milestone_extra=milestone_extra,
            )
        )

    def close(self) -> None:
        self._stack.close()

    @property
    def store(self) -> StateStore:
        return StateStore(self.state_url)

    def sync(self, *, dry_run: bool = False) -> SyncRun:
        settings = load(self.config)
        connectors = build_connectors(settings, ENV)
        marks = (self.github.log.mark(), self.jira.log.mark())
        store = StateStore(settings.state)
        try:
            pulled = pull_all(connectors, store, save=not dry_run)
            assert pulled.exit_code == 0, [str(o.error) for o in pulled.outcomes]
            outcomes = sync_links(
                settings, connectors, store, settings.links, pulled=pulled, dry_run=dry_run
            )
        finally:
            for connector in connectors.values():
                connector.close()
            store.engine.dispose()
        records = [*self.github.log.since(marks[0]), *self.jira.log.since(marks[1])]
        return SyncRun(outcomes, sum(not r.write for r in records), sum(r.write for r in records))

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start the real command against this world (the caller waits or kills it)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("TRACKERSYNC_")}
        return subprocess.Popen(
            [sys.executable, "-m", "trackersync", "--config", str(self.config), *args],
            env={**base, **ENV, "COLUMNS": "200", **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    # --- what the trackers hold ----------------------------------------------------------

    def github_issues(self) -> list[dict]:
        return [i for i in self.github.issues(REPO) if "pull_request" not in i]

    def jira_issues(self) -> list[dict]:
        return self.jira.issues(PROJECT)

    def tasks(self) -> tuple[list[Task], list[Task]]:
        """Both scopes as the state store has them after the last sync."""
        store = self.store
        try:
            return store.tasks(f"jira:{PROJECT}"), store.tasks(f"gh:{REPO}")
        finally:
            store.engine.dispose()

    def pairs(self) -> dict[str, str]:
        """Jira key -> GitHub number, as the state store pairs them."""
        store = self.store
        try:
            twins = LinkStore(store, "web").load().twins
        finally:
            store.engine.dispose()
        return {Ref.parse(s).key: Ref.parse(t).key for s, t in twins.items()}

    def marked_pairs(self) -> dict[str, str]:
        """Jira key -> GitHub number, read from the markers on both sides."""
        jira, github = self.tasks()
        pairs: dict[str, str] = {}
        for task in github:
            twin = task.twin_of
            if twin:
                pairs[twin.split("#")[1]] = task.ref.key
        for task in jira:
            twin = task.twin_of
            if twin:
                pairs[task.ref.key] = twin.split("#")[1]
        return pairs
