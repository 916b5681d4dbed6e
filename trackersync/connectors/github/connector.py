"""The GitHub connector: configuration, `check` and the incremental `pull` of a repository.

A pull makes three listings per repository, each conditional on the ETag the previous
pull stored, so an unchanged repository costs three 304s (free of rate-limit budget):

- issues: `/issues?state=all&sort=updated&direction=asc&per_page=100[&since=...]`
  (pull requests are in it and are skipped by their `pull_request` key);
- comments: the repo-wide `/issues/comments?sort=updated&direction=asc&per_page=100[&since]`
  instead of one request per issue;
- milestones: `/milestones?state=all&per_page=100` (no `since` exists; the ETag does it).

`since` is read off the server's clock only: the largest `updated_at` seen, moved one
second on when that second is safely in the past by the server's `Date`, otherwise kept
inclusive with the items seen at that boundary remembered for de-duplication. A listing
is read again from the new `since` until it stops moving, so the ETag stored in the
cursor always belongs to the exact URL the next pull requests.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import field_validator

from trackersync.connectors.base import (
    CheckReport,
    Connector,
    ConnectorConfig,
    Duration,
    ScopeReport,
)
from trackersync.connectors.github.client import GitHubClient, NotVisible, Page
from trackersync.connectors.github.mapping import (
    comment_issue_number,
    format_time,
    is_pull_request,
    issue_to_task,
    parse_time,
    to_comment,
    to_milestone,
)
from trackersync.connectors.retry import RetryPolicy
from trackersync.errors import ConfigError, MalformedData
from trackersync.sync.model import Comment, Milestone, PullResult, Task

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
LISTING = {"sort": "updated", "direction": "asc", "per_page": 100}
# A listing whose `since` keeps moving (heavy churn) is left for the next pull after this
# many rounds; the cursor then carries no ETag, which is always safe.
MAX_ROUNDS = 4
SECOND = timedelta(seconds=1)

JSON = dict[str, Any]


class GitHubConfig(ConnectorConfig):
    """A `type: github` connector section."""

    type: Literal["github"]
    url: str = "https://api.github.com"
    token_env: str
    repos: list[str]
    write_interval: Duration = timedelta(seconds=1)
    timeout: Duration = timedelta(seconds=30)

    @field_validator("repos")
    @classmethod
    def _owner_slash_name(cls, repos: list[str]) -> list[str]:
        for repo in repos:
            if not _REPO.match(repo):
                raise ValueError(f"{repo!r} is not owner/name (e.g. acme/web)")
        if not repos:
            raise ValueError("name at least one repository as owner/name")
        return repos

    def scope_names(self) -> list[str]:
        """The configured repositories, `owner/name`."""
        return list(self.repos)


@dataclass(frozen=True)
class Window:
    """One listing's incremental state: `since`, the ETag of that URL, boundary items."""

    since: str | None = None
    etag: str | None = None
    seen: frozenset[tuple[int, str]] = frozenset()

    @classmethod
    def load(cls, data: Mapping[str, Any] | None) -> Window:
        """Read it back from a cursor (tolerating {} for a first pull)."""
        data = data or {}
        seen = frozenset((int(key), str(stamp)) for key, stamp in data.get("seen", ()))
        return cls(data.get("since"), data.get("etag"), seen)

    def dump(self) -> JSON:
        """JSON-serialisable form for the cursor."""
        return {"since": self.since, "etag": self.etag, "seen": sorted(map(list, self.seen))}


@dataclass
class Harvest:
    """What reading one listing found: new items by key, and the window to store."""

    window: Window
    items: dict[int, JSON] = field(default_factory=dict)
    date: datetime | None = None


def advance(window: Window, batch: list[JSON], key: str, date: datetime | None) -> Window:
    """The window after `batch` was read (its ETag is set by the caller when still valid).

    A second is closed when it lies before the server's `Date` by more than a second (the
    margin covers a change landing between a page being built and its `Date` stamped);
    then nothing more can carry it and `since` moves past it.
    """
    if not batch:
        return Window(window.since, None, window.seen)
    top = max(parse_time(item["updated_at"]) for item in batch)
    if window.since is not None:
        top = max(top, parse_time(window.since))
    top_text = format_time(top)
    if date is not None and top + SECOND < date.replace(microsecond=0):
        return Window(format_time(top + SECOND))
    at_top = {(int(item[key]), top_text) for item in batch if item["updated_at"] == top_text}
    kept = window.seen if window.since == top_text else frozenset()
    return Window(top_text, None, kept | at_top)


class GitHubConnector(Connector):
    """Issues, comments and milestones of GitHub (or GitHub Enterprise) repositories."""

    type: ClassVar[str] = "github"
    # builtins.type: inside this class body `type` is the connector's name attribute.
    Config: ClassVar[builtins.type[ConnectorConfig]] = GitHubConfig

    display_name: ClassVar[str] = "GitHub"
    # Only open/closed: "in progress" is not a state of its own on GitHub.
    distinct_open_statuses: ClassVar[bool] = False
    # @user and @org/team in a body notify people; Markdown renders inline HTML.
    at_mentions: ClassVar[bool] = True
    renders_html: ClassVar[bool] = True
    text_limit: ClassVar[int] = 65_536  # characters in an issue or comment body

    def __init__(
        self,
        name: str,
        config: ConnectorConfig,
        env: Mapping[str, str],
        *,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        if not isinstance(config, GitHubConfig):
            config = GitHubConfig.model_validate(config.model_dump())
        super().__init__(name, config, env)
        self.settings: GitHubConfig = config
        token = config.secret(env, config.token_env, key=f"connectors.{name}.token_env")
        self.client = GitHubClient(
            url=config.url,
            token=token,
            token_env=config.token_env,
            timeout=config.timeout,
            write_interval=config.write_interval,
            retry_policy=retry_policy,
        )

    @property
    def scopes(self) -> list[str]:
        """The configured repositories, `owner/name`."""
        return self.settings.scope_names()

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    # ---------------------------------------------------------------- check

    def check(self) -> CheckReport:
        """`GET /user`, then each repository; the budget from the rate-limit headers."""
        user = self.client.get("/user").data
        if not isinstance(user, dict) or "login" not in user:
            raise MalformedData("github", "GET /user has no login")
        scopes = [self._check_repo(repo) for repo in self.scopes]
        return CheckReport(
            connector=self.name,
            user=str(user["login"]),
            server=self.client.url,
            scopes=scopes,
            rate=self.client.rate_budget(),
        )

    def _check_repo(self, repo: str) -> ScopeReport:
        try:
            data = self.client.get(f"/repos/{repo}").data
        except NotVisible:
            return ScopeReport(scope=repo, visible=False, detail="not found or no access")
        permissions = (data.get("permissions") or {}) if isinstance(data, dict) else {}
        detail = "push access" if permissions.get("push") else "read only"
        return ScopeReport(scope=repo, visible=True, detail=detail)

    # ---------------------------------------------------------------- pull

    def pull(self, scope: str, cursor: Mapping[str, Any]) -> PullResult:
        """Issues, comments and milestones of `scope` changed since `cursor`."""
        repo = self._repo_of(scope)
        start = self.client.requests
        issues = self._read(f"/repos/{repo}/issues", {"state": "all"}, "number", cursor, None)
        prs = set(cursor.get("prs", ())) | {
            number for number, item in issues.items.items() if is_pull_request(item)
        }
        comments = self._read(f"/repos/{repo}/issues/comments", {}, "id", cursor, issues.date)
        milestones, milestone_etag = self._milestones(repo, cursor.get("milestones") or {})
        return PullResult(
            scope=repo,
            tasks=self._tasks(repo, issues.items),
            comments=self._comments(comments.items, prs),
            milestones=milestones,
            cursor={
                "issues": issues.window.dump(),
                "comments": comments.window.dump(),
                "milestones": {"etag": milestone_etag},
                "prs": sorted(prs),
            },
            requests=self.client.requests - start,
        )

    def _repo_of(self, scope: str) -> str:
        for repo in self.scopes:
            if repo.lower() == scope.lower():
                return repo
        raise ConfigError(f"{scope!r} is not one of connectors.{self.name}.repos")

    def _read(
        self, path: str, params: JSON, key: str, cursor: Mapping[str, Any], date: datetime | None
    ) -> Harvest:
        kind = path.rsplit("/", 1)[1]
        harvest = Harvest(Window.load(cursor.get(kind)), date=date)
        for number in range(MAX_ROUNDS):
            last = number == MAX_ROUNDS - 1
            if self._round(harvest, path, {**params, **LISTING}, key, first=number == 0, last=last):
                return harvest
        harvest.window = Window(harvest.window.since, None, harvest.window.seen)
        return harvest

    def _round(  # noqa: PLR0913
        self, harvest: Harvest, path: str, params: JSON, key: str, *, first: bool, last: bool
    ) -> bool:
        """Read the listing from `harvest.window.since`; True when `since` stopped moving."""
        window = harvest.window
        since = {"since": window.since} if window.since else {}
        page = self.client.get(path, {**params, **since}, etag=window.etag if first else None)
        harvest.date = harvest.date or page.date
        if page.not_modified:
            return True
        batch = self._all_items(page, key)
        keys = [int(item[key]) for item in batch]
        for item in batch:
            if (int(item[key]), item["updated_at"]) not in window.seen:
                _keep_newest(harvest.items, int(item[key]), item)
        if len(set(keys)) != len(keys) and not last:
            # An item changed while we paged (it moved to the end of an ascending list),
            # so another may have slid past a page boundary: read this window once more.
            # The last round accepts what it has, so a busy repository still progresses.
            harvest.window = Window(window.since, None, window.seen)
            return False
        harvest.window = advance(window, batch, key, harvest.date)
        if harvest.window.since == window.since:
            harvest.window = Window(window.since, page.etag, harvest.window.seen)
            return True
        return False

    def _all_items(self, first: Page, key: str = "number") -> list[JSON]:
        items: list[JSON] = []
        for page in self.client.pages(first):
            if not isinstance(page.data, list):
                raise MalformedData("github", "a listing did not answer a JSON array")
            items.extend(page.data)
        for item in items:
            if not _listable(item, key):
                raise MalformedData("github", f"a listed item lacks an integer {key!r}/updated_at")
        return items

    def _milestones(
        self, repo: str, state: Mapping[str, Any]
    ) -> tuple[list[Milestone] | None, str | None]:
        etag = state.get("etag")
        params = {"state": "all", "per_page": 100}
        first = self.client.get(f"/repos/{repo}/milestones", params, etag=etag)
        if first.not_modified:
            return None, etag
        items = self._all_items(first)
        return [to_milestone(self.name, repo, item) for item in items], first.etag

    def _tasks(self, repo: str, items: Mapping[int, JSON]) -> list[Task]:
        ordered = sorted(items.values(), key=lambda item: (item["updated_at"], item["number"]))
        return [
            issue_to_task(self.name, repo, item) for item in ordered if not is_pull_request(item)
        ]

    @staticmethod
    def _comments(items: Mapping[int, JSON], prs: set[int]) -> dict[str, list[Comment]]:
        grouped: dict[str, list[Comment]] = {}
        for item in sorted(items.values(), key=lambda item: (item["updated_at"], item["id"])):
            number = comment_issue_number(item)
            if int(number) not in prs:
                grouped.setdefault(number, []).append(to_comment(item))
        return grouped


def _listable(item: Any, key: str) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get(key), int)
        and isinstance(item.get("updated_at"), str)
    )


def _keep_newest(items: dict[int, JSON], key: int, item: JSON) -> None:
    current = items.get(key)
    if current is None or current["updated_at"] <= item["updated_at"]:
        items[key] = item


__all__ = ["GitHubConfig", "GitHubConnector", "Window", "advance"]
