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

Writes (`sync`) cost one request each: a POST per created issue (plus a PATCH to close it
when its twin is already closed), one PATCH per edited issue (plus a reopen first to turn
a done issue into a canceled one), one request per comment. Every write returns the
issue or comment mapped from GitHub's own answer, exactly as the next pull maps it.
Milestones are found by name in a per-repository list read once per run (or taken from
the pull that just listed them) and created when missing.
"""

from __future__ import annotations

import builtins
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import field_validator

from trackersync.connectors.base import (
    MARKER_AUTHORS,
    CheckReport,
    Connector,
    ConnectorConfig,
    Duration,
    HttpUrl,
    ScopeReport,
    StoredItems,
    authorship_cursor,
)
from trackersync.connectors.github.client import GitHubClient, NotVisible, Page
from trackersync.connectors.github.mapping import (
    Login,
    comment_issue_number,
    comment_text,
    footer,
    format_time,
    is_pull_request,
    issue_to_task,
    login_of,
    parse_time,
    same_login,
    split_footer,
    state_edit,
    status_of,
    to_comment,
    to_milestone,
)
from trackersync.connectors.retry import RetryPolicy
from trackersync.errors import (
    AuthRefused,
    ConfigError,
    ItemFailed,
    MalformedData,
    ScopeNotVisible,
    WriteUnanswered,
)
from trackersync.sync.model import (
    Comment,
    Milestone,
    Origin,
    PullResult,
    Task,
    TaskFields,
)

log = logging.getLogger(__name__)

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
LISTING = {"sort": "updated", "direction": "asc", "per_page": 100}
# A listing whose `since` keeps moving (heavy churn) is left for the next pull after this
# many rounds; the cursor then carries no ETag, which is always safe.
MAX_ROUNDS = 4
SECOND = timedelta(seconds=1)
# `run --every` keeps the repositories and the login for this long (`reuse`).
REUSE_FOR = timedelta(hours=1)

JSON = dict[str, Any]


class GitHubConfig(ConnectorConfig):
    """A `type: github` connector section."""

    type: Literal["github"]
    url: HttpUrl = "https://api.github.com"
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


@dataclass(frozen=True)
class Ours:
    """Issue numbers and comment ids the state store holds as trackersync's own."""

    issues: set[str] = field(default_factory=set)
    comments: set[str] = field(default_factory=set)


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
    # GitHub takes 65,536 characters per body; the rest is room for the footer / header.
    text_limit: ClassVar[int] = 65_000
    milestone_text: ClassVar[str] = "markdown"
    milestone_text_limit: ClassVar[int] = 65_000

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
        # Milestone title -> number per repository, read at most once per run.
        self._milestone_numbers: dict[str, dict[str, int]] = {}
        # Milestone titles whose create GitHub refused this run, per repository.
        self._refused_milestones: dict[str, set[str]] = {}
        # The login the token belongs to: read at most once per run, and only when an
        # item or comment carries a marker (the marker counts only if this login wrote it).
        self._login: str | None = None
        # The repositories as `check` or `identity` read them, once per run.
        self._repositories: dict[str, JSON] = {}
        # What earlier cycles of this process read (`reuse`), None outside `run --every`.
        self._kept: JSON | None = None
        # How to load the state store's tasks, by repository (`use_stored_items`).
        self._stored_items: dict[str, StoredItems] = {}

    def reuse(self, memo: dict[str, Any]) -> None:
        """The repositories (whose ids are their identity) and the login, as an earlier
        cycle of this process read them: a quiet cycle is then its three 304s. Read again
        after `REUSE_FOR`, so a repository deleted and made again is still noticed."""
        key = f"github {self.name} {self.client.url}"
        kept = memo.get(key)
        now = time.monotonic()
        if not isinstance(kept, dict) or now - kept["since"] > REUSE_FOR.total_seconds():
            kept = memo[key] = {"since": now, "repos": {}, "login": None}
        self._repositories = kept["repos"]
        self._login = self._login or kept["login"]
        self._kept = kept

    def close(self) -> None:
        """Close the HTTP connections (keeping the login for the next cycle)."""
        if self._kept is not None:
            self._kept["login"] = self._login or self._kept["login"]
        self.client.close()

    def clock_offset(self) -> timedelta | None:
        """GitHub's clock minus ours, from the `Date` of this run's last GET."""
        return self.client.clock_offset

    # ---------------------------------------------------------------- check

    def check(self) -> CheckReport:
        """`GET /user`, then each repository; the budget from the rate-limit headers."""
        login = self._me()
        scopes = [self._check_repo(repo) for repo in self.scopes]
        return CheckReport(
            connector=self.name,
            user=login,
            server=self.client.url,
            scopes=scopes,
            rate=self.client.rate_budget(),
        )

    def _me(self) -> str:
        """The login trackersync authenticates as (`GET /user`, once per run)."""
        if self._login is None:
            user = self.client.get("/user").data
            if not isinstance(user, dict) or not isinstance(user.get("login"), str):
                raise MalformedData("github", "GET /user has no login")
            self._login = str(user["login"])
        return self._login

    def _learn_login(self, created: JSON) -> None:
        """What this token just created names its login: saves the `GET /user`."""
        user = created.get("user")
        if self._login is None and isinstance(user, dict) and isinstance(user.get("login"), str):
            self._login = user["login"]

    def _check_repo(self, repo: str) -> ScopeReport:
        try:
            data = self._repository(repo)
        except ScopeNotVisible:
            return ScopeReport(scope=repo, visible=False, detail="not found or no access")
        permissions = data.get("permissions") or {}
        detail = "push access" if permissions.get("push") else "read only"
        return ScopeReport(scope=repo, visible=True, detail=detail)

    def identity(self, scope: str) -> dict[str, str]:
        """The API URL and the repository's id: a repository deleted and created again
        under the same name, or one on another server, has another id. One GET of the
        repository per run (none more after `check`, which read it already)."""
        data = self._repository(self._repo_of(scope))
        if not isinstance(data.get("id"), int):
            raise MalformedData("github", f"GET /repos/{scope} has no integer id")
        return {"api": self.client.url, "repo_id": str(data["id"])}

    def _repository(self, repo: str) -> JSON:
        """`GET /repos/{repo}`, once per run."""
        if repo not in self._repositories:
            try:
                data = self.client.get(f"/repos/{repo}").data
            except NotVisible as exc:
                raise ScopeNotVisible(f"{self.name}:{repo}") from exc
            if not isinstance(data, dict):
                raise MalformedData("github", f"GET /repos/{repo} did not answer a JSON object")
            self._repositories[repo] = data
        return self._repositories[repo]

    # ---------------------------------------------------------------- pull

    def pull(self, scope: str, cursor: Mapping[str, Any]) -> PullResult:
        """Issues, comments and milestones of `scope` changed since `cursor`."""
        repo = self._repo_of(scope)
        start = self.client.requests
        cursor = authorship_cursor(cursor)
        try:
            issues = self._read(f"/repos/{repo}/issues", {"state": "all"}, "number", cursor, None)
        except NotVisible as exc:  # the repository itself answered 404
            raise ScopeNotVisible(f"{self.name}:{repo}") from exc
        prs = set(cursor.get("prs", ())) | {
            number for number, item in issues.items.items() if is_pull_request(item)
        }
        comments = self._read(f"/repos/{repo}/issues/comments", {}, "id", cursor, issues.date)
        milestones, milestone_etag = self._milestones(repo, cursor.get("milestones") or {})
        ours = self._known_ours(repo, issues.items, comments.items) if cursor else Ours()
        return PullResult(
            scope=repo,
            tasks=self._tasks(repo, issues.items, ours),
            comments=self._comments(comments.items, prs, ours),
            milestones=milestones,
            cursor={
                "issues": issues.window.dump(),
                "comments": comments.window.dump(),
                "milestones": {"etag": milestone_etag},
                "prs": sorted(prs),
                MARKER_AUTHORS: 1,
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
        milestones = [to_milestone(self.name, repo, item) for item in self._all_items(first)]
        # The writes of this run look milestones up by name: this listing is that list.
        self._milestone_numbers[repo] = {m.name: int(m.id) for m in milestones}
        return milestones, first.etag

    def use_stored_items(self, scope: str, items: StoredItems) -> None:
        """Keep how to load the stored tasks: `_known_ours` asks it for the items listed."""
        self._stored_items[self._repo_of(scope)] = items

    def _known_ours(
        self, repo: str, issues: Mapping[int, JSON], comments: Mapping[int, JSON]
    ) -> Ours:
        """The listed issues and comments the store already holds as trackersync's own,
        opened by the login the store recorded for them.

        GitHub never changes who created an issue or comment, so for these the author
        check is already done: re-reading what the last run wrote costs no `GET /user`.
        The login must match too: after `--rebind` the same number may be someone else's
        issue on the other server. Only items carrying a marker are asked about (the only
        ones the check is for).
        """
        stored_items = self._stored_items.get(repo)
        marked = {
            str(number) for number, item in issues.items() if "trackersync" in str(item.get("body"))
        } | {
            comment_issue_number(item)
            for item in comments.values()
            if "trackersync" in str(item.get("body"))
        }
        if stored_items is None or not marked:
            return Ours()
        stored = stored_items(sorted(marked))
        listed = {str(number): login_of(item) for number, item in issues.items()}
        listed_comments = {str(cid): login_of(item) for cid, item in comments.items()}
        return Ours(
            issues={
                key
                for key, task in stored.items()
                if task.by_trackersync and same_login(task.raw.get("author"), listed.get(key))
            },
            comments={
                c.id
                for task in stored.values()
                for c in task.comments
                if c.by_trackersync and same_login(c.author, listed_comments.get(c.id))
            },
        )

    def _author_check(self, item: JSON, known: bool) -> Login:
        """Who trackersync is, for `item`'s author check: the item's own login when the
        store already holds it as ours (it cannot have changed), else `GET /user` once."""
        login = login_of(item)
        if known and login is not None:
            return lambda: login
        return self._me

    def _tasks(self, repo: str, items: Mapping[int, JSON], ours: Ours) -> list[Task]:
        ordered = sorted(items.values(), key=lambda item: (item["updated_at"], item["number"]))
        return [
            issue_to_task(
                self.name, repo, item, self._author_check(item, str(item["number"]) in ours.issues)
            )
            for item in ordered
            if not is_pull_request(item)
        ]

    def _comments(
        self, items: Mapping[int, JSON], prs: set[int], ours: Ours
    ) -> dict[str, list[Comment]]:
        grouped: dict[str, list[Comment]] = {}
        for item in sorted(items.values(), key=lambda item: (item["updated_at"], item["id"])):
            number = comment_issue_number(item)
            if int(number) not in prs:
                check = self._author_check(item, str(item["id"]) in ours.comments)
                grouped.setdefault(number, []).append(to_comment(item, check))
        return grouped

    # ---------------------------------------------------------------- writes

    def create_item(self, scope: str, fields: TaskFields, origin: Origin) -> Task:
        """One POST with every set field, the link back and the marker (+ a PATCH to close)."""
        repo = self._repo_of(scope)
        payload: JSON = {"title": fields.title or origin.ref}
        payload |= self._field_edits(repo, origin.ref, fields, None)
        if payload.get("milestone", 0) is None:
            del payload["milestone"]  # a new issue has none
        payload["body"] = (fields.body or "") + footer(origin)
        # GitHub opens every new issue; a closed twin takes a second write.
        data = self._write(origin.ref, "POST", f"/repos/{repo}/issues", payload)
        self._learn_login(data)
        target = fields.status if "status" in fields.model_fields_set else None
        if target is not None:
            state, _ = state_edit(status_of(data), target)
            if state:
                data = self._write(origin.ref, "PATCH", _issue_path(repo, data), state)
        _warn_dropped(payload, data)
        return issue_to_task(self.name, repo, data, self._me)

    def update_item(self, item: Task, changes: TaskFields, marker: Origin | None = None) -> Task:
        """One PATCH with the fields that differ from `item`; none at all when none do.

        With `marker` (a person removed the footer), the body is written with the footer
        and its marker again, in the same PATCH.
        """
        repo, ref = self._repo_of(item.ref.scope), str(item.ref)
        edits = self._field_edits(repo, ref, changes, item)
        if marker is not None and item.twin_of != marker.ref:
            body = changes.body if "body" in changes.model_fields_set else item.body
            edits["body"] = (body or "") + footer(marker)
        reopen = False
        if "status" in changes.model_fields_set and changes.status is not None:
            state, reopen = state_edit(item.status, changes.status)
            edits |= state
        if not edits:
            return item
        path = f"/repos/{repo}/issues/{item.ref.key}"
        if reopen:
            # A closed issue's reason only changes with its state: reopen, then close.
            self._write(ref, "PATCH", path, {"state": "open"})
        data = self._write(ref, "PATCH", path, edits)
        _warn_dropped(edits, data)
        ours = item.by_trackersync and same_login(item.raw.get("author"), login_of(data))
        return issue_to_task(self.name, repo, data, self._author_check(data, ours))

    def create_comment(self, item: Task, body: str, origin: Origin) -> Comment:
        """POST a comment with a header naming author and origin, and a marker."""
        repo = self._repo_of(item.ref.scope)
        path = f"/repos/{repo}/issues/{item.ref.key}/comments"
        data = self._write(str(item.ref), "POST", path, {"body": comment_text(body, origin)})
        self._learn_login(data)
        return to_comment(data, self._me)

    def update_comment(self, item: Task, comment: Comment, body: str, origin: Origin) -> Comment:
        """PATCH a mirrored comment's text; no request when it already says `body`."""
        if comment.body == body and comment.mirror_of == origin.marker_id:
            return comment
        repo = self._repo_of(item.ref.scope)
        path = f"/repos/{repo}/issues/comments/{comment.id}"
        data = self._write(str(item.ref), "PATCH", path, {"body": comment_text(body, origin)})
        ours = comment.by_trackersync and same_login(comment.author, login_of(data))
        return to_comment(data, self._author_check(data, ours))

    def find_twin(self, scope: str, origin: str) -> Task | None:
        """The issue trackersync's login opened whose marker names `origin`, among the 100
        most recently created (a pasted copy of the marker names no twin)."""
        repo = self._repo_of(scope)
        params = {"state": "all", "sort": "created", "direction": "desc", "per_page": 100}
        page = self.client.get(f"/repos/{repo}/issues", params)
        if not isinstance(page.data, list):
            raise MalformedData("github", "the issue listing did not answer a JSON array")
        for item in page.data:
            if is_pull_request(item):
                continue
            if split_footer(str(item.get("body") or "")).twin_of == origin:
                task = issue_to_task(self.name, repo, item, self._me)
                if task.by_trackersync:
                    return task
        return None

    def filter_keys(self, scope: str, query: str | dict[str, Any]) -> set[str]:
        """Numbers of the issues carrying every label of `query` (`{labels: [...]}` or `a,b`)."""
        repo = self._repo_of(scope)
        params = {**filter_params(self.name, query), "state": "all", "per_page": 100}
        first = self.client.get(f"/repos/{repo}/issues", params)
        return {str(item["number"]) for item in self._all_items(first) if not is_pull_request(item)}

    def update_milestone(self, milestone: Milestone, description: str) -> Milestone:
        """One PATCH of the milestone's description (raw: PyGithub's edit wants the title)."""
        repo = self._repo_of(milestone.scope.scope)
        path = f"/repos/{repo}/milestones/{milestone.id}"
        data = self._write(
            f"{milestone.scope}:{milestone.name}", "PATCH", path, {"description": description}
        )
        return to_milestone(self.name, repo, data)

    def update_milestone_due(self, milestone: Milestone, due: date | None) -> Milestone:
        """One PATCH of the milestone's `due_on`; null clears it (what GitHub documents and
        does, though its description types the field as a string only). A refusal (403: no
        push access; 404) is a warning and the milestone is returned as it was."""
        repo = self._repo_of(milestone.scope.scope)
        path = f"/repos/{repo}/milestones/{milestone.id}"
        body = {"due_on": None if due is None else due_on(due)}
        ref = f"{milestone.scope}:{milestone.name}"
        try:
            data = self._write(ref, "PATCH", path, body)
        except WriteUnanswered:
            raise  # may have been applied: the item is retried next cycle
        except (AuthRefused, ItemFailed) as exc:
            # The credentials were good for the reads before: this token may not edit
            # milestones. Failing every cycle would not change that.
            log.warning("%s: due date left as it is (the token needs push access): %s", ref, exc)
            return milestone
        return to_milestone(self.name, repo, data)

    def _field_edits(self, repo: str, ref: str, fields: TaskFields, item: Task | None) -> JSON:
        """The set fields of `fields` (other than status) that differ from `item`."""
        wanted = fields.model_fields_set
        edits: JSON = {}
        if "title" in wanted and fields.title is not None and _differs(fields.title, item, "title"):
            edits["title"] = fields.title
        if "body" in wanted and item is not None and (fields.body or "") != item.body:
            edits["body"] = (fields.body or "") + str(item.raw.get("footer") or "")
        for name in ("labels", "assignees"):
            values = list(getattr(fields, name) or ())
            if name in wanted and (item is None or _folded(values) != _folded(getattr(item, name))):
                edits[name] = values
        if "milestone" in wanted and _differs(fields.milestone, item, "milestone"):
            title = fields.milestone
            due = fields.milestone_due
            number = None if title is None else self._milestone_number(repo, ref, title, due)
            if title is None or number is not None:  # None: the create was refused
                edits["milestone"] = number
        return edits

    def _milestone_number(
        self, repo: str, ref: str, name: str, due: date | None = None
    ) -> int | None:
        """The number of milestone `name`, created when the repository has none by that
        name (due on `due`: the date of the Jira version it mirrors); None (a warning, once
        per run) when GitHub refuses the create (it needs push access): the rest of the
        item's change is still written."""
        known = self._milestone_numbers.get(repo)
        if known is None:
            first = self.client.get(f"/repos/{repo}/milestones", {"state": "all", "per_page": 100})
            known = {str(item["title"]): int(item["number"]) for item in self._all_items(first)}
            self._milestone_numbers[repo] = known
        refused = self._refused_milestones.setdefault(repo, set())
        if name not in known and name not in refused:
            try:
                body: JSON = {"title": name}
                if due is not None:
                    body["due_on"] = due_on(due)
                created = self._write(ref, "POST", f"/repos/{repo}/milestones", body)
            except (AuthRefused, ItemFailed) as exc:
                # 403 (no push access) or 404 (the token may not write here); the
                # credentials themselves were good for the reads before.
                refused.add(name)
                log.warning(
                    "%s: milestone %r not created in %s, so the milestone is left as it is "
                    "(the token needs push access): %s",
                    ref,
                    name,
                    repo,
                    exc,
                )
                return None
            known[name] = int(created["number"])
        return known.get(name)

    def _write(self, ref: str, verb: str, path: str, body: JSON) -> JSON:
        """One write; a refusal of this item becomes `ItemFailed` naming `ref`."""
        try:
            data = self.client.send(verb, path, body)
        except ItemFailed as exc:
            # The same kind (a lost answer stays `WriteUnanswered`), now naming the item.
            raise type(exc)(ref, f"{verb} {path}: {exc.reason}") from exc
        if not isinstance(data, dict):
            raise MalformedData("github", f"{verb} {path} did not answer a JSON object")
        return data


def filter_params(connector: str, query: str | Mapping[str, Any]) -> JSON:
    """A link filter as issue-listing parameters: every label named must be present."""
    if isinstance(query, str):
        labels = [name.strip() for name in query.split(",") if name.strip()]
    else:
        unknown = set(query) - {"labels"}
        if unknown:
            raise ConfigError(
                f"a GitHub filter takes `labels` only, not {', '.join(sorted(unknown))}",
                key=f"links.filter ({connector})",
            )
        raw = query.get("labels") or []
        labels = [str(name) for name in ([raw] if isinstance(raw, str) else raw)]
    if not labels:
        raise ConfigError("a GitHub filter names at least one label", key="links.filter")
    return {"labels": ",".join(labels)}


def due_on(day: date) -> str:
    """A due date as the timestamp `due_on` takes. GitHub keeps only the day, read in its
    own time zone: noon UTC is that same day from UTC-12 to UTC+11, so the day read back
    (the date of the `due_on` it returns) is the day sent."""
    return f"{day.isoformat()}T12:00:00Z"


def _differs(wanted: Any, item: Task | None, name: str) -> bool:
    return item is None or wanted != getattr(item, name)


def _folded(values: Any) -> list[str]:
    # GitHub compares label names and logins case-insensitively.
    return sorted(str(value).casefold() for value in values)


def _issue_path(repo: str, data: Mapping[str, Any]) -> str:
    return f"/repos/{repo}/issues/{data['number']}"


def _warn_dropped(sent: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    """GitHub silently drops labels, assignees and milestones without push access."""
    answered = {
        "labels": _folded(label["name"] for label in data.get("labels") or ()),
        "assignees": _folded(person["login"] for person in data.get("assignees") or ()),
    }
    for name, values in answered.items():
        if name in sent and _folded(sent[name]) != values:
            log.warning(
                "GitHub kept %s %s of issue #%s, not %s (no push access, or unknown users?)",
                name,
                values,
                data.get("number"),
                sent[name],
            )
    milestone = data.get("milestone")
    if "milestone" in sent and sent["milestone"] != (milestone or {}).get("number"):
        log.warning("GitHub did not set the milestone of issue #%s", data.get("number"))


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


__all__ = ["GitHubConfig", "GitHubConnector", "Window", "advance", "filter_params"]
