"""Shared builders for the Jira sandbox tests: servers, clients, seeded projects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from jira import JIRA

from trackersync.connectors.jira.connector import JiraConfig, JiraConnector
from trackersync.connectors.retry import RetryPolicy
from trackersync.sandbox.core import SandboxServer
from trackersync.sandbox.jira import JiraSandbox
from trackersync.sync.model import Task

EMAIL = "pm@example.com"
TOKEN = "sandbox-token"
PAT = "server-pat-123"
NO_SLEEP = RetryPolicy(sleep=lambda _seconds: None)


def make_sandbox(deployment: str = "Cloud", **options: Any) -> JiraSandbox:
    """A sandbox with project WEB (and a PAT on Server)."""
    if deployment == "Server":
        options.setdefault("pat", PAT)
    sandbox = JiraSandbox(deployment=deployment, **options)  # type: ignore[arg-type]
    sandbox.add_project("WEB", "Web Platform")
    return sandbox


@contextmanager
def serve(sandbox: JiraSandbox) -> Iterator[str]:
    """Serve the sandbox on 127.0.0.1:0 and yield its origin."""
    with SandboxServer(sandbox) as server:
        yield server.origin


def library_client(origin: str, sandbox: JiraSandbox) -> JIRA:
    """The real `jira` client as a user would configure it (no library retries)."""
    if sandbox.deployment == "Server":
        return JIRA(server=origin, token_auth=PAT, timeout=10, max_retries=0)
    return JIRA(server=origin, basic_auth=(EMAIL, TOKEN), timeout=10, max_retries=0)


def seed(sandbox: JiraSandbox, count: int, *, comments_every: int = 0) -> None:
    """`count` issues in WEB; every `comments_every`-th one gets a comment."""
    for index in range(count):
        issue = sandbox.create_issue("WEB", f"Issue {index}", f"Body of *issue* {index}")
        if comments_every and index % comments_every == 0:
            sandbox.add_comment(issue["key"], f"Comment on {index}")


def connector(
    origin: str,
    *,
    api: str = "auto",
    server: bool = False,
    env: dict[str, str] | None = None,
    back_link: str = "description",
) -> JiraConnector:
    """A Jira connector pointed at the sandbox (no-sleep retry policy)."""
    section: dict[str, Any] = {
        "type": "jira",
        "url": origin,
        "token_env": "JIRA_TOKEN",
        "projects": ["WEB"],
        "api": api,
        "back_link": back_link,
    }
    if not server:
        section["email_env"] = "JIRA_EMAIL"
    environment = (
        env if env is not None else {"JIRA_EMAIL": EMAIL, "JIRA_TOKEN": PAT if server else TOKEN}
    )
    config = JiraConfig.model_validate(section)
    return JiraConnector("jira", config, environment, retry_policy=NO_SLEEP)


def as_pulled(jira: JiraConnector, task: Task, scope: str = "WEB") -> None:
    """What a write returned is what a fresh pull shows, but for what Jira stamps itself
    (the updated and created times: the server clock at the answer, within a second) and
    the display name of a new assignee (only mentions read it; a description with one is
    read back): no GET after the write, and no echo on the next cycle."""
    shown = next(t for t in jira.pull(scope, {}).tasks if t.ref == task.ref)
    for moment in ("updated_at", "created_at"):
        assert abs(getattr(task, moment) - getattr(shown, moment)) <= timedelta(seconds=1)

    def comparable(item: Task) -> Task:
        raw = {name: found for name, found in item.raw.items() if name != "people"}
        stamps = {"updated_at": shown.updated_at, "created_at": shown.created_at}
        return item.model_copy(update={**stamps, "raw": raw})

    assert comparable(task) == comparable(shown)
