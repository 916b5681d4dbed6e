"""A loopback GitHub REST v3 server (GitHub Enterprise style: every route under `/api/v3`).

It follows the public REST documentation for the endpoints trackersync and PyGithub use:
issues (pull requests mixed in, recognised by their `pull_request` key), comments, labels,
milestones, the authenticated user and the rate limit. Listings page with a `Link` header,
every GET answers with an `ETag` and honours `If-None-Match` (a 304 costs no budget), and
every response carries the `x-ratelimit-*` headers of the token's hourly budget.

Clients use `base_url = server.origin + "/api/v3"`. The "as a user would" helpers at the
bottom (`create_issue`, `edit_issue`, `add_comment`, ...) change the data directly, taking
the lock, so a seed or a test can set a scene without going through HTTP.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from trackersync.sandbox.core import (
    WRITE_METHODS,
    Faults,
    SandboxApp,
    SandboxClock,
    json_response,
)

API = "/api/v3"
DOCS = "https://docs.github.com/rest"
STAMP = "%Y-%m-%dT%H:%M:%SZ"
CLOSE_REASONS = frozenset({"completed", "not_planned", "duplicate"})
ANONYMOUS_LIMIT = 60
WINDOW = 3600
SECONDARY_WINDOW = 60.0
_REFUSED = "sandbox.github.refused"
BODY_LIMIT = 65_536
_NOT_ON_CREATE = frozenset({"state", "state_reason"})
_PUSH_ONLY = frozenset({"labels", "assignees", "assignee", "milestone"})

JSONDict = dict[str, Any]


class ApiError(Exception):
    """An error answer: status plus GitHub's JSON message."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        if "errors" in extra:  # GitHub's validation errors always name a `code`
            extra["errors"] = [
                {"code": "custom" if "message" in e else "invalid", **e} for e in extra["errors"]
            ]
        self.payload: JSONDict = {"message": message, **extra, "documentation_url": DOCS}

    def response(self) -> Response:
        """The JSON error response."""
        return json_response(self.payload, self.status)


@dataclass
class _Repo:
    """One repository's data. Issues and comments are kept as internal records."""

    id: int
    owner: str
    name: str
    created_at: str
    issues: dict[int, JSONDict] = field(default_factory=dict)
    comments: dict[int, JSONDict] = field(default_factory=dict)
    labels: dict[str, JSONDict] = field(default_factory=dict)
    milestones: dict[int, JSONDict] = field(default_factory=dict)
    next_number: int = 1
    next_milestone: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class _Budget:
    """A token's primary rate-limit window."""

    limit: int
    used: int = 0
    window_start: int = 0

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def reset(self) -> int:
        return self.window_start + WINDOW


# simple-user's link fields (`{name}_url`), with the URI-template tail GitHub appends.
_USER_LINKS = {
    "followers": "",
    "following": "{/other_user}",
    "gists": "{/gist_id}",
    "starred": "{/owner}{/repo}",
    "subscriptions": "",
    "organizations": "",
    "repos": "",
    "events": "{/privacy}",
    "received_events": "",
}


# The rest of the REST description's required full-repository fields: API links trackersync
# never follows, counts and flags of a plain repository.
_REPO_LINKS = (
    "archive", "assignees", "blobs", "branches", "collaborators", "comments", "commits",
    "compare", "contents", "contributors", "deployments", "downloads", "events", "forks",
    "git_commits", "git_refs", "git_tags", "hooks", "issue_comment", "issue_events", "keys",
    "languages", "merges", "notifications", "pulls", "releases", "stargazers", "statuses",
    "subscribers", "subscription", "tags", "teams", "trees",
)
_REPO_COUNTS = (
    "forks", "forks_count", "size", "stargazers_count", "watchers", "watchers_count",
    "network_count", "subscribers_count",
)
_REPO_FLAGS = (
    "has_projects", "has_wiki", "has_pages", "has_discussions", "archived", "disabled",
)


def _repo_extras(url: str, origin: str, full_name: str, open_count: int) -> JSONDict:
    host = origin.split("://", 1)[-1]
    return {
        **{f"{name}_url": f"{url}/{name.replace('_', '/')}" for name in _REPO_LINKS},
        **dict.fromkeys(_REPO_COUNTS, 0),
        **dict.fromkeys(_REPO_FLAGS, False),
        **dict.fromkeys(("homepage", "language", "mirror_url", "license")),
        "open_issues": open_count,
        "clone_url": f"{origin}/{full_name}.git",
        "git_url": f"git://{host}/{full_name}.git",
        "ssh_url": f"git@{host}:{full_name}.git",
        "svn_url": f"{origin}/{full_name}",
    }


def _repo_rules() -> list[Rule]:
    base = f"{API}/repos/<owner>/<repo>"
    return [
        Rule(base, endpoint="get_repo", methods=["GET"]),
        Rule(f"{base}/issues", endpoint="list_issues", methods=["GET"]),
        Rule(f"{base}/issues", endpoint="post_issue", methods=["POST"]),
        Rule(f"{base}/issues/<int:number>", endpoint="get_issue", methods=["GET"]),
        Rule(f"{base}/issues/<int:number>", endpoint="patch_issue", methods=["PATCH"]),
        Rule(f"{base}/issues/<int:number>/comments", endpoint="list_comments", methods=["GET"]),
        Rule(f"{base}/issues/<int:number>/comments", endpoint="post_comment", methods=["POST"]),
        Rule(f"{base}/issues/comments", endpoint="list_repo_comments", methods=["GET"]),
        Rule(f"{base}/issues/comments/<int:cid>", endpoint="get_comment", methods=["GET"]),
        Rule(f"{base}/issues/comments/<int:cid>", endpoint="patch_comment", methods=["PATCH"]),
        Rule(f"{base}/issues/<int:number>/labels", endpoint="add_labels", methods=["POST"]),
        Rule(f"{base}/labels", endpoint="list_labels", methods=["GET"]),
        Rule(f"{base}/labels", endpoint="post_label", methods=["POST"]),
        Rule(f"{base}/milestones", endpoint="list_milestones", methods=["GET"]),
        Rule(f"{base}/milestones", endpoint="post_milestone", methods=["POST"]),
        Rule(f"{base}/milestones/<int:number>", endpoint="get_milestone", methods=["GET"]),
        Rule(f"{base}/milestones/<int:number>", endpoint="patch_milestone", methods=["PATCH"]),
    ]


def _stamp_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STAMP)


def _parse_since(value: str) -> str:
    """A `since` parameter as a whole-second UTC stamp, rounded up (items are whole seconds)."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, f"Invalid value for since: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return _stamp_text(moment)


def _due_on(value: Any) -> str | None:
    """A milestone `due_on` (date, ISO date or timestamp) as the timestamp GitHub returns."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return _stamp_text(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00Z"
    text = str(value).strip()
    try:
        if len(text) == 10:
            return f"{date.fromisoformat(text).isoformat()}T00:00:00Z"
        return _stamp_text(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ApiError(422, "Validation Failed", errors=[{"field": "due_on"}]) from None


def _checked_body(body: Any) -> Any:
    """GitHub refuses issue and comment bodies over 65,536 characters."""
    if isinstance(body, str) and len(body) > BODY_LIMIT:
        message = f"body is too long (maximum is {BODY_LIMIT} characters)"
        raise ApiError(422, "Validation Failed", errors=[{"field": "body", "message": message}])
    return body


def _int_arg(request: Request, name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        raise ApiError(422, f"Invalid value for {name}") from None


def _etag(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()}"'


def _etag_matches(header: str, etag: str) -> bool:
    def opaque(tag: str) -> str:
        return tag.strip().removeprefix("W/")

    return any(opaque(tag) == opaque(etag) or tag.strip() == "*" for tag in header.split(","))


class GitHubSandbox(SandboxApp):
    """A GitHub REST v3 server for one authenticated user, on `/api/v3`."""

    url_map = Map(
        [
            Rule(f"{API}/user", endpoint="get_user", methods=["GET"]),
            Rule(f"{API}/rate_limit", endpoint="get_rate_limit", methods=["GET"]),
            *_repo_rules(),
        ]
    )

    def __init__(
        self,
        *,
        token: str = "sandbox-token",  # noqa: S107 - the sandbox's one well-known test token
        login: str = "octocat",
        clock: SandboxClock | None = None,
        faults: Faults | None = None,
        rate_limit: int = 5000,
        people: dict[str, str] | None = None,
    ) -> None:
        super().__init__(clock=clock, faults=faults)
        self.token = token
        self.login = login
        # More accounts, token -> login: other people acting through the API as
        # themselves (their issues and comments carry their login, not `login`).
        self.people = dict(people or {})
        # Logins with read access only: GitHub silently drops the labels, assignees and
        # milestone they send with an issue, and refuses their milestone creates.
        self.without_push: set[str] = set()
        self.rate_limit = rate_limit
        self.origin = "http://127.0.0.1"
        self._repos: dict[str, _Repo] = {}
        self._users: dict[str, int] = {}
        self._ids = itertools.count(1001)
        self._budgets: dict[str, _Budget] = {}
        self._writes: deque[float] = deque()
        self._user_id(login)
        for person in self.people.values():
            self._user_id(person)

    # ---------------------------------------------------------------- plumbing

    @property
    def api(self) -> str:
        """The API root clients talk to (`origin/api/v3`)."""
        return f"{self.origin}{API}"

    def authenticate(self, request: Request) -> Response | None:
        """401 unless `Authorization: token X` / `Bearer X` carries the sandbox token."""
        if self._token_of(request) is not None:
            return None
        payload = {"message": "Bad credentials", "documentation_url": DOCS}
        return json_response(payload, 401)

    def pre_dispatch(self, request: Request, endpoint: str) -> Response | None:
        """Learn the origin; refuse on an exhausted budget or a burst of writes."""
        self.origin = request.host_url.rstrip("/")
        if endpoint == "get_rate_limit":
            return None
        with self.lock:
            if self._budget(request).remaining <= 0:
                request.environ[_REFUSED] = True
                message = "API rate limit exceeded for user. (But here's the good news: ...)"
                return json_response({"message": message, "documentation_url": DOCS}, 403)
            if request.method in WRITE_METHODS and self._secondary_exceeded():
                request.environ[_REFUSED] = True
                message = (
                    "You have exceeded a secondary rate limit. Please wait a few minutes "
                    "before you try again."
                )
                payload = {"message": message, "documentation_url": DOCS}
                return json_response(payload, 403, headers={"retry-after": "60"})
        return None

    def finish(self, request: Request, response: Response) -> Response:
        """Add ETag/304 handling and the rate-limit headers; charge the budget."""
        if request.method == "GET" and response.status_code == 200:
            response = self._conditional(request, response)
        with self.lock:
            budget = self._budget(request)
            counted = response.status_code != 304 and not request.environ.get(_REFUSED)
            if counted and not request.path.endswith("/rate_limit"):
                budget.used += 1
            response.headers["x-ratelimit-limit"] = str(budget.limit)
            response.headers["x-ratelimit-remaining"] = str(budget.remaining)
            response.headers["x-ratelimit-used"] = str(min(budget.used, budget.limit))
            response.headers["x-ratelimit-reset"] = str(budget.reset)
            response.headers["x-ratelimit-resource"] = "core"
        response.headers["X-GitHub-Media-Type"] = "github.v3; format=json"
        return response

    def _conditional(self, request: Request, response: Response) -> Response:
        etag = _etag(response.get_data())
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "private, max-age=60, s-maxage=60"
        match = request.headers.get("If-None-Match")
        if not match or not _etag_matches(match, etag):
            return response
        not_modified = Response(status=304)
        for name in ("Date", "ETag", "Cache-Control", "Link"):
            if name in response.headers:
                not_modified.headers[name] = response.headers[name]
        return not_modified

    def _token_of(self, request: Request) -> str | None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        value = value.strip()
        if scheme.lower() in ("token", "bearer") and (value == self.token or value in self.people):
            return value
        return None

    def _login_of(self, request: Request) -> str:
        """The login the request's token belongs to."""
        return self.people.get(self._token_of(request) or "", self.login)

    def _budget(self, request: Request) -> _Budget:
        key = self._token_of(request) or ""
        limit = self.rate_limit if key else ANONYMOUS_LIMIT
        now = int(self.clock.now().timestamp())
        budget = self._budgets.setdefault(key, _Budget(limit=limit, window_start=now))
        budget.limit = limit
        if now >= budget.reset:
            budget.used, budget.window_start = 0, now
        return budget

    def _secondary_exceeded(self) -> bool:
        now = self.clock.now().timestamp()
        while self._writes and self._writes[0] <= now - SECONDARY_WINDOW:
            self._writes.popleft()
        limit = self.faults.secondary_limit
        if limit and len(self._writes) >= limit:
            return True
        self._writes.append(now)
        return False

    def _respond(self, request: Request) -> tuple[Response, str]:
        # Handlers raise ApiError for GitHub's error answers; turn them into responses here.
        try:
            return super()._respond(request)
        except ApiError as exc:
            return exc.response(), ""

    def _stamp(self) -> str:
        return _stamp_text(self.clock.stamp())

    def _user_id(self, login: str) -> int:
        return self._users.setdefault(login, next(self._ids))

    def _repo(self, owner: str, name: str) -> _Repo:
        repo = self._repos.get(f"{owner}/{name}".lower())
        if repo is None:
            raise ApiError(404, "Not Found")
        return repo

    def _named_repo(self, full_name: str) -> _Repo:
        repo = self._repos.get(full_name.lower())
        if repo is None:
            raise KeyError(f"no repository {full_name!r}; call add_repo() first")
        return repo

    @staticmethod
    def _body(request: Request) -> JSONDict:
        if not request.get_data():
            return {}
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON")
        return data

    # ---------------------------------------------------------------- JSON shapes

    def _user_json(self, login: str | None) -> JSONDict | None:
        if login is None:
            return None
        uid = self._user_id(login)
        return {
            "login": login,
            "id": uid,
            "node_id": f"U_kgDO{uid:08d}",
            "avatar_url": f"{self.origin}/avatars/u/{uid}",
            "gravatar_id": "",
            "url": f"{self.api}/users/{login}",
            "html_url": f"{self.origin}/{login}",
            **{  # every link the REST description requires of a simple-user
                f"{name}_url": f"{self.api}/users/{login}/{name}{suffix}"
                for name, suffix in _USER_LINKS.items()
            },
            "type": "User",
            "site_admin": False,
            "user_view_type": "public",
        }

    def _repo_json(self, repo: _Repo) -> JSONDict:
        url = f"{self.api}/repos/{repo.full_name}"
        open_count = sum(1 for rec in repo.issues.values() if rec["state"] == "open")
        return {
            "id": repo.id,
            "node_id": f"R_kgDO{repo.id:08d}",
            "name": repo.name,
            "full_name": repo.full_name,
            "private": False,
            "owner": self._user_json(repo.owner),
            "html_url": f"{self.origin}/{repo.full_name}",
            "description": None,
            "fork": False,
            "url": url,
            "issues_url": f"{url}/issues{{/number}}",
            "labels_url": f"{url}/labels{{/name}}",
            "milestones_url": f"{url}/milestones{{/number}}",
            "created_at": repo.created_at,
            "updated_at": repo.created_at,
            "pushed_at": repo.created_at,
            "has_issues": True,
            "open_issues_count": open_count,
            "default_branch": "main",
            "permissions": {
                "admin": True,
                "maintain": True,
                "push": True,
                "triage": True,
                "pull": True,
            },
            **_repo_extras(url, self.origin, repo.full_name, open_count),
        }

    def _label_json(self, repo: _Repo, name: str) -> JSONDict:
        return repo.labels[name.lower()]

    def _milestone_counts(self, repo: _Repo) -> dict[int, list[int]]:
        counts: dict[int, list[int]] = {number: [0, 0] for number in repo.milestones}
        for rec in repo.issues.values():
            if rec["milestone"] is not None:
                counts[rec["milestone"]][0 if rec["state"] == "open" else 1] += 1
        return counts

    def _milestone_json(
        self, repo: _Repo, number: int, counts: dict[int, list[int]] | None = None
    ) -> JSONDict:
        rec = repo.milestones[number]
        open_issues, closed_issues = (counts or self._milestone_counts(repo))[number]
        url = f"{self.api}/repos/{repo.full_name}/milestones/{number}"
        return {
            "url": url,
            "html_url": f"{self.origin}/{repo.full_name}/milestone/{number}",
            "labels_url": f"{url}/labels",
            "id": rec["id"],
            "node_id": f"MI_kwDO{rec['id']:08d}",
            "number": number,
            "state": rec["state"],
            "title": rec["title"],
            "description": rec["description"],
            "creator": self._user_json(rec["creator"]),
            "open_issues": open_issues,
            "closed_issues": closed_issues,
            "created_at": rec["created_at"],
            "updated_at": rec["updated_at"],
            "closed_at": rec["closed_at"],
            "due_on": rec["due_on"],
        }

    def _issue_json(
        self, repo: _Repo, rec: JSONDict, counts: dict[int, list[int]] | None = None
    ) -> JSONDict:
        repo_url = f"{self.api}/repos/{repo.full_name}"
        url = f"{repo_url}/issues/{rec['number']}"
        kind = "pull" if rec["pull_request"] else "issues"
        assignees = [self._user_json(login) for login in rec["assignees"]]
        milestone = rec["milestone"]
        data: JSONDict = {
            "url": url,
            "repository_url": repo_url,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"{self.origin}/{repo.full_name}/{kind}/{rec['number']}",
            "id": rec["id"],
            "node_id": f"I_kwDO{rec['id']:08d}",
            "number": rec["number"],
            "title": rec["title"],
            "user": self._user_json(rec["user"]),
            "labels": [self._label_json(repo, name) for name in rec["labels"]],
            "state": rec["state"],
            "locked": False,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None
            if milestone is None
            else self._milestone_json(repo, milestone, counts),
            "comments": rec["comments"],
            "created_at": rec["created_at"],
            "updated_at": rec["updated_at"],
            "closed_at": rec["closed_at"],
            "author_association": "OWNER" if rec["user"] == repo.owner else "NONE",
            "active_lock_reason": None,
            "body": rec["body"],
            "closed_by": self._user_json(rec["closed_by"]),
            "timeline_url": f"{url}/timeline",
            "state_reason": rec["state_reason"],
        }
        if rec["pull_request"]:
            data["draft"] = False
            data["pull_request"] = self._pull_request_json(repo_url, rec, data["html_url"])
        return data

    @staticmethod
    def _pull_request_json(repo_url: str, rec: JSONDict, html: str) -> JSONDict:
        return {
            "url": f"{repo_url}/pulls/{rec['number']}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": None,
        }

    def _comment_json(self, repo: _Repo, rec: JSONDict) -> JSONDict:
        repo_url = f"{self.api}/repos/{repo.full_name}"
        return {
            "url": f"{repo_url}/issues/comments/{rec['id']}",
            "html_url": (
                f"{self.origin}/{repo.full_name}/issues/{rec['issue']}#issuecomment-{rec['id']}"
            ),
            "issue_url": f"{repo_url}/issues/{rec['issue']}",
            "id": rec["id"],
            "node_id": f"IC_kwDO{rec['id']:08d}",
            "user": self._user_json(rec["user"]),
            "created_at": rec["created_at"],
            "updated_at": rec["updated_at"],
            "author_association": "OWNER" if rec["user"] == repo.owner else "NONE",
            "body": rec["body"],
        }

    # ---------------------------------------------------------------- paging

    def _page(self, request: Request, items: list[Any], render: Callable[[Any], Any]) -> Response:
        """One page of `items` (rendered lazily) with GitHub's `Link` header."""
        per_page = min(100, max(1, _int_arg(request, "per_page", 30)))
        page = max(1, _int_arg(request, "page", 1))
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        response = json_response([render(item) for item in chunk])
        links = self._links(request, page, last)
        if links:
            response.headers["Link"] = links
        return response

    def _links(self, request: Request, page: int, last: int) -> str:
        def url(number: int) -> str:
            args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
            return f"{request.base_url}?{urlencode([*args, ('page', str(number))])}"

        rels: list[tuple[str, int]] = []
        if page > 1:
            rels += [("prev", min(page - 1, last)), ("first", 1)]
        if page < last:
            rels += [("next", page + 1), ("last", last)]
        return ", ".join(f'<{url(number)}>; rel="{rel}"' for rel, number in rels)

    # ---------------------------------------------------------------- user, limits, repos

    def get_user(self, request: Request) -> Response:
        """`GET /user`: the account the token belongs to."""
        login = self._login_of(request)
        data = self._user_json(login) or {}
        stamp = _stamp_text(datetime(2020, 1, 1, tzinfo=UTC))
        profile = dict.fromkeys(("bio", "blog", "company", "email", "hireable", "location"))
        counts = dict.fromkeys(("followers", "following", "public_gists", "public_repos"), 0)
        # public-user's required fields, as GitHub answers for an account without a profile
        extra = {"name": login, "created_at": stamp, "updated_at": stamp}
        return json_response({**data, **profile, **counts, **extra})

    def get_rate_limit(self, request: Request) -> Response:
        """`GET /rate_limit` (free of charge, as on GitHub)."""
        budget = self._budget(request)
        core = {
            "limit": budget.limit,
            "used": min(budget.used, budget.limit),
            "remaining": budget.remaining,
            "reset": budget.reset,
        }
        other = {"limit": 30, "used": 0, "remaining": 30, "reset": budget.reset}
        resources = {"core": core, "search": other, "graphql": {**core, "limit": 5000}}
        return json_response({"resources": resources, "rate": core})

    def get_repo(self, request: Request, owner: str, repo: str) -> Response:  # noqa: ARG002
        """`GET /repos/{o}/{r}` (`permissions` as the token has them)."""
        data = self._repo_json(self._repo(owner, repo))
        if self._login_of(request) in self.without_push:
            data["permissions"] = {**data["permissions"], "admin": False, "maintain": False}
            data["permissions"] |= {"push": False, "triage": False}
        return json_response(data)

    # ---------------------------------------------------------------- issues

    def list_issues(self, request: Request, owner: str, repo: str) -> Response:
        """`GET /repos/{o}/{r}/issues` with GitHub's filters, sorting and paging."""
        store = self._repo(owner, repo)
        keep = self._issue_filter(store, request)
        items = [rec for rec in store.issues.values() if keep(rec)]
        items.sort(key=self._issue_sort_key(request), reverse=self._descending(request))
        counts = self._milestone_counts(store)
        return self._page(request, items, lambda rec: self._issue_json(store, rec, counts))

    @staticmethod
    def _descending(request: Request, default: str = "desc") -> bool:
        return request.args.get("direction", default).lower() != "asc"

    @staticmethod
    def _issue_sort_key(request: Request) -> Callable[[JSONDict], tuple[Any, ...]]:
        sort = request.args.get("sort", "created")
        if sort == "updated":
            return lambda rec: (rec["updated_at"], rec["number"])
        if sort == "comments":
            return lambda rec: (rec["comments"], rec["number"])
        return lambda rec: (rec["created_at"], rec["number"])

    def _issue_filter(self, store: _Repo, request: Request) -> Callable[[JSONDict], bool]:
        args = request.args
        checks: list[Callable[[JSONDict], bool]] = []
        state = args.get("state", "open")
        if state != "all":
            checks.append(lambda rec: rec["state"] == state)
        if "since" in args:
            since = _parse_since(args["since"])
            checks.append(lambda rec: rec["updated_at"] >= since)
        if args.get("labels"):
            wanted = {name.strip().lower() for name in args["labels"].split(",") if name.strip()}
            checks.append(lambda rec: wanted <= {name.lower() for name in rec["labels"]})
        if "milestone" in args:
            checks.append(self._milestone_filter(store, args["milestone"]))
        if "assignee" in args:
            checks.append(self._assignee_filter(args["assignee"]))
        return lambda rec: all(check(rec) for check in checks)

    @staticmethod
    def _milestone_filter(store: _Repo, value: str) -> Callable[[JSONDict], bool]:
        if value == "*":
            return lambda rec: rec["milestone"] is not None
        if value == "none":
            return lambda rec: rec["milestone"] is None
        if not value.isdigit() or int(value) not in store.milestones:
            raise ApiError(404, "Not Found")
        number = int(value)
        return lambda rec: rec["milestone"] == number

    @staticmethod
    def _assignee_filter(value: str) -> Callable[[JSONDict], bool]:
        if value == "*":
            return lambda rec: bool(rec["assignees"])
        if value == "none":
            return lambda rec: not rec["assignees"]
        return lambda rec: value.lower() in (login.lower() for login in rec["assignees"])

    def get_issue(self, request: Request, owner: str, repo: str, number: int) -> Response:  # noqa: ARG002
        """`GET /repos/{o}/{r}/issues/{n}`."""
        store = self._repo(owner, repo)
        return json_response(self._issue_json(store, self._issue(store, number)))

    def post_issue(self, request: Request, owner: str, repo: str) -> Response:
        """`POST /repos/{o}/{r}/issues` (201)."""
        store = self._repo(owner, repo)
        # GitHub's create takes no `state`: every new issue is open.
        fields = {k: v for k, v in self._body(request).items() if k not in _NOT_ON_CREATE}
        fields = self._pushable(request, fields)
        rec = self._create_issue(store, fields, user=self._login_of(request))
        data = self._issue_json(store, rec)
        return json_response(data, 201, headers={"Location": data["url"]})

    def patch_issue(self, request: Request, owner: str, repo: str, number: int) -> Response:
        """`PATCH /repos/{o}/{r}/issues/{n}`."""
        store = self._repo(owner, repo)
        fields = self._pushable(request, self._body(request))
        rec = self._edit_issue(store, self._issue(store, number), fields)
        return json_response(self._issue_json(store, rec))

    def _pushable(self, request: Request, fields: JSONDict) -> JSONDict:
        """The fields GitHub applies for this token: without push access, labels,
        assignees and milestone are dropped silently (the answer shows what was kept)."""
        if self._login_of(request) not in self.without_push:
            return fields
        return {k: v for k, v in fields.items() if k not in _PUSH_ONLY}

    def add_labels(self, request: Request, owner: str, repo: str, number: int) -> Response:
        """`POST /repos/{o}/{r}/issues/{n}/labels` (a name list, or `{"labels": [...]}`):
        adds labels, answers the issue's labels (what PyGithub's `add_to_labels` sends)."""
        store = self._repo(owner, repo)
        rec = self._issue(store, number)
        data = request.get_json(silent=True)
        names = data.get("labels") if isinstance(data, dict) else data
        if not isinstance(names, list):
            raise ApiError(422, "Invalid request.", errors=[{"field": "labels"}])
        fields = self._pushable(request, {"labels": [*rec["labels"], *names]})
        self._edit_issue(store, rec, fields)
        return json_response([self._label_json(store, name) for name in rec["labels"]])

    @staticmethod
    def _issue(store: _Repo, number: int) -> JSONDict:
        rec = store.issues.get(number)
        if rec is None:
            raise ApiError(404, "Not Found")
        return rec

    def _create_issue(
        self, store: _Repo, fields: JSONDict, *, user: str, pull_request: bool = False
    ) -> JSONDict:
        title = fields.get("title")
        if not isinstance(title, str) or not title:
            raise ApiError(422, 'Invalid request.\n\n"title" wasn\'t supplied.')
        stamp = self._stamp()
        rec: JSONDict = {
            "number": store.next_number,
            "id": next(self._ids),
            "title": title,
            "body": fields.get("body"),
            "user": user,
            "labels": [],
            "assignees": [],
            "milestone": None,
            "state": "open",
            "state_reason": None,
            "comments": 0,
            "created_at": stamp,
            "updated_at": stamp,
            "closed_at": None,
            "closed_by": None,
            "pull_request": pull_request,
        }
        self._apply_issue_fields(store, rec, {k: v for k, v in fields.items() if k != "title"})
        store.issues[rec["number"]] = rec
        store.next_number += 1
        return rec

    def _edit_issue(self, store: _Repo, rec: JSONDict, fields: JSONDict) -> JSONDict:
        before = dict(rec)
        self._apply_issue_fields(store, rec, fields)
        if rec != before:
            self._touch(rec, self._stamp(), was_open=before["state"] == "open")
        return rec

    @staticmethod
    def _touch(rec: JSONDict, stamp: str, *, was_open: bool) -> None:
        # One change, one time: a close stamps closed_at with the same second as updated_at.
        rec["updated_at"] = stamp
        if was_open and rec["state"] == "closed":
            rec["closed_at"] = stamp

    def _apply_issue_fields(self, store: _Repo, rec: JSONDict, fields: JSONDict) -> None:
        if "title" in fields:
            rec["title"] = str(fields["title"])
        if "body" in fields:
            rec["body"] = _checked_body(fields["body"])
        if "labels" in fields:
            rec["labels"] = self._ensure_labels(store, fields["labels"] or [])
        if "assignees" in fields or "assignee" in fields:
            rec["assignees"] = self._assignees(fields)
        if "milestone" in fields:
            rec["milestone"] = self._milestone_number(store, fields["milestone"])
        if "state" in fields:
            self._apply_state(rec, str(fields["state"]), fields.get("state_reason"))

    @staticmethod
    def _assignees(fields: JSONDict) -> list[str]:
        if "assignees" in fields:
            return list(dict.fromkeys(str(login) for login in fields["assignees"] or []))
        return [str(fields["assignee"])] if fields["assignee"] else []

    def _apply_state(self, rec: JSONDict, state: str, reason: Any) -> None:
        """Change state; `state_reason` only counts when the state changes (as on GitHub)."""
        if state not in ("open", "closed"):
            raise ApiError(422, "Validation Failed", errors=[{"field": "state"}])
        if state == rec["state"]:
            return
        if state == "closed":
            reason = reason or "completed"
            if reason not in CLOSE_REASONS:
                raise ApiError(422, "Validation Failed", errors=[{"field": "state_reason"}])
            rec.update(state="closed", state_reason=reason, closed_by=self.login)
        else:
            rec.update(state="open", state_reason="reopened", closed_at=None, closed_by=None)

    def _ensure_labels(self, store: _Repo, labels: Iterable[Any]) -> list[str]:
        names: list[str] = []
        for label in labels:
            name = str(label["name"] if isinstance(label, dict) else label)
            if name.lower() not in store.labels:
                self._create_label(store, name)
            names.append(store.labels[name.lower()]["name"])
        return list(dict.fromkeys(names))

    def _create_label(
        self, store: _Repo, name: str, color: str = "ededed", description: str | None = None
    ) -> JSONDict:
        if not name or name.lower() in store.labels:
            raise ApiError(422, "Validation Failed", errors=[{"code": "already_exists"}])
        label_id = next(self._ids)
        label = {
            "id": label_id,
            "node_id": f"LA_kwDO{label_id:08d}",
            "url": f"{self.api}/repos/{store.full_name}/labels/{quote(name)}",
            "name": name,
            "color": color.lstrip("#"),
            "default": False,
            "description": description,
        }
        store.labels[name.lower()] = label
        return label

    @staticmethod
    def _milestone_number(store: _Repo, value: Any) -> int | None:
        if value is None or value == "":  # PyGithub's edit(milestone=None) sends ""
            return None
        if isinstance(value, int) and value in store.milestones:
            return value
        if isinstance(value, str):
            for number, rec in store.milestones.items():
                if rec["title"] == value:
                    return number
        raise ApiError(422, "Validation Failed", errors=[{"field": "milestone"}])

    # ---------------------------------------------------------------- comments

    def list_comments(self, request: Request, owner: str, repo: str, number: int) -> Response:
        """`GET /repos/{o}/{r}/issues/{n}/comments` (oldest first, `since`, paging)."""
        store = self._repo(owner, repo)
        self._issue(store, number)
        since = _parse_since(request.args["since"]) if "since" in request.args else ""
        items = [
            rec
            for rec in store.comments.values()
            if rec["issue"] == number and rec["updated_at"] >= since
        ]
        return self._page(request, items, lambda rec: self._comment_json(store, rec))

    def list_repo_comments(self, request: Request, owner: str, repo: str) -> Response:
        """`GET /repos/{o}/{r}/issues/comments` with `since`, `sort`, `direction`, paging."""
        store = self._repo(owner, repo)
        since = _parse_since(request.args["since"]) if "since" in request.args else ""
        items = [rec for rec in store.comments.values() if rec["updated_at"] >= since]
        column = "updated_at" if request.args.get("sort") == "updated" else "created_at"
        items.sort(
            key=lambda rec: (rec[column], rec["id"]),
            reverse=self._descending(request, default="asc"),
        )
        return self._page(request, items, lambda rec: self._comment_json(store, rec))

    def post_comment(self, request: Request, owner: str, repo: str, number: int) -> Response:
        """`POST /repos/{o}/{r}/issues/{n}/comments` (201)."""
        store = self._repo(owner, repo)
        body = self._body(request).get("body")
        issue = self._issue(store, number)
        rec = self._add_comment(store, issue, body, user=self._login_of(request))
        data = self._comment_json(store, rec)
        return json_response(data, 201, headers={"Location": data["url"]})

    def get_comment(self, request: Request, owner: str, repo: str, cid: int) -> Response:  # noqa: ARG002
        """`GET /repos/{o}/{r}/issues/comments/{id}`."""
        store = self._repo(owner, repo)
        return json_response(self._comment_json(store, self._comment(store, cid)))

    def patch_comment(self, request: Request, owner: str, repo: str, cid: int) -> Response:
        """`PATCH /repos/{o}/{r}/issues/comments/{id}`."""
        store = self._repo(owner, repo)
        body = self._body(request).get("body")
        rec = self._edit_comment(store, self._comment(store, cid), body)
        return json_response(self._comment_json(store, rec))

    @staticmethod
    def _comment(store: _Repo, cid: int) -> JSONDict:
        rec = store.comments.get(cid)
        if rec is None:
            raise ApiError(404, "Not Found")
        return rec

    def _add_comment(self, store: _Repo, issue: JSONDict, body: Any, *, user: str) -> JSONDict:
        if not isinstance(body, str) or not body:
            raise ApiError(422, "Validation Failed", errors=[{"field": "body"}])
        _checked_body(body)
        stamp = self._stamp()
        rec = {
            "id": next(self._ids),
            "issue": issue["number"],
            "body": body,
            "user": user,
            "created_at": stamp,
            "updated_at": stamp,
        }
        store.comments[rec["id"]] = rec
        # A new comment bumps its issue's updated_at and comment count, as on GitHub.
        issue["comments"] += 1
        issue["updated_at"] = stamp
        return rec

    def _edit_comment(self, store: _Repo, rec: JSONDict, body: Any) -> JSONDict:
        if not isinstance(body, str) or not body:
            raise ApiError(422, "Validation Failed", errors=[{"field": "body"}])
        _checked_body(body)
        if body != rec["body"]:
            stamp = self._stamp()
            rec.update(body=body, updated_at=stamp)
            store.issues[rec["issue"]]["updated_at"] = stamp
        return rec

    # ---------------------------------------------------------------- labels

    def list_labels(self, request: Request, owner: str, repo: str) -> Response:
        """`GET /repos/{o}/{r}/labels`."""
        store = self._repo(owner, repo)
        return self._page(request, list(store.labels.values()), lambda label: label)

    def post_label(self, request: Request, owner: str, repo: str) -> Response:
        """`POST /repos/{o}/{r}/labels` (201)."""
        store = self._repo(owner, repo)
        body = self._body(request)
        label = self._create_label(
            store,
            str(body.get("name") or ""),
            str(body.get("color") or "ededed"),
            body.get("description"),
        )
        return json_response(label, 201, headers={"Location": label["url"]})

    # ---------------------------------------------------------------- milestones

    def list_milestones(self, request: Request, owner: str, repo: str) -> Response:
        """`GET /repos/{o}/{r}/milestones` with `state`, `sort`, `direction`, paging."""
        store = self._repo(owner, repo)
        state = request.args.get("state", "open")
        counts = self._milestone_counts(store)
        numbers = [n for n, rec in store.milestones.items() if state in ("all", rec["state"])]
        numbers.sort(key=self._milestone_sort_key(request, store, counts))
        if self._descending(request, default="asc"):
            numbers.reverse()
        return self._page(request, numbers, lambda n: self._milestone_json(store, n, counts))

    @staticmethod
    def _milestone_sort_key(
        request: Request, store: _Repo, counts: dict[int, list[int]]
    ) -> Callable[[int], tuple[Any, ...]]:
        if request.args.get("sort") == "completeness":

            def completeness(number: int) -> tuple[Any, ...]:
                opened, closed = counts[number]
                return (closed / (opened + closed) if opened + closed else 0.0, number)

            return completeness

        # due_on (the default): milestones without a due date sort last.
        def due(number: int) -> tuple[Any, ...]:
            due_on = store.milestones[number]["due_on"]
            return (due_on is None, due_on or "", number)

        return due

    def get_milestone(self, request: Request, owner: str, repo: str, number: int) -> Response:  # noqa: ARG002
        """`GET /repos/{o}/{r}/milestones/{n}`."""
        store = self._repo(owner, repo)
        self._milestone(store, number)
        return json_response(self._milestone_json(store, number))

    def post_milestone(self, request: Request, owner: str, repo: str) -> Response:
        """`POST /repos/{o}/{r}/milestones` (201)."""
        store = self._repo(owner, repo)
        if self._login_of(request) in self.without_push:
            raise ApiError(403, "Must have admin rights to Repository.")
        number = self._create_milestone(store, self._body(request))
        data = self._milestone_json(store, number)
        return json_response(data, 201, headers={"Location": data["url"]})

    def patch_milestone(self, request: Request, owner: str, repo: str, number: int) -> Response:
        """`PATCH /repos/{o}/{r}/milestones/{n}`."""
        store = self._repo(owner, repo)
        self._edit_milestone(store, self._milestone(store, number), self._body(request))
        return json_response(self._milestone_json(store, number))

    @staticmethod
    def _milestone(store: _Repo, number: int) -> JSONDict:
        rec = store.milestones.get(number)
        if rec is None:
            raise ApiError(404, "Not Found")
        return rec

    def _create_milestone(self, store: _Repo, fields: JSONDict) -> int:
        title = fields.get("title")
        if not isinstance(title, str) or not title:
            raise ApiError(422, "Validation Failed", errors=[{"field": "title"}])
        if any(rec["title"] == title for rec in store.milestones.values()):
            raise ApiError(422, "Validation Failed", errors=[{"code": "already_exists"}])
        stamp = self._stamp()
        number = store.next_milestone
        store.milestones[number] = {
            "id": next(self._ids),
            "title": title,
            "description": None,
            "creator": self.login,
            "state": "open",
            "created_at": stamp,
            "updated_at": stamp,
            "closed_at": None,
            "due_on": None,
        }
        store.next_milestone += 1
        self._apply_milestone_fields(store.milestones[number], fields)
        return number

    def _edit_milestone(self, store: _Repo, rec: JSONDict, fields: JSONDict) -> None:
        title = fields.get("title", rec["title"])
        clash = any(
            other is not rec and other["title"] == title for other in store.milestones.values()
        )
        if clash:
            raise ApiError(422, "Validation Failed", errors=[{"code": "already_exists"}])
        before = dict(rec)
        self._apply_milestone_fields(rec, fields)
        if rec != before:
            rec["updated_at"] = self._stamp()

    def _apply_milestone_fields(self, rec: JSONDict, fields: JSONDict) -> None:
        if "title" in fields:
            rec["title"] = str(fields["title"])
        if "description" in fields:
            rec["description"] = fields["description"]
        if "due_on" in fields:
            rec["due_on"] = _due_on(fields["due_on"])
        state = fields.get("state", rec["state"])
        if state not in ("open", "closed"):
            raise ApiError(422, "Validation Failed", errors=[{"field": "state"}])
        if state != rec["state"]:
            rec["state"] = state
            rec["closed_at"] = self._stamp() if state == "closed" else None

    # ---------------------------------------------------------------- as a user would

    def add_repo(self, full_name: str) -> JSONDict:
        """Create an (empty) repository `owner/name`; returns its JSON."""
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"{full_name!r} is not owner/name")
        with self.lock:
            key = full_name.lower()
            if key not in self._repos:
                self._repos[key] = _Repo(next(self._ids), owner, name, self._stamp())
            return self._repo_json(self._repos[key])

    def add_person(self, login: str, token: str) -> None:
        """Another account, using the API with its own `token`: what it opens or comments
        carries `login` (a second person next to the one `token`/`login` name)."""
        with self.lock:
            self.people[token] = login
            self._user_id(login)

    def delete_repo(self, full_name: str) -> None:
        """Delete a repository with its issues; `add_repo` of that name then makes a new
        one with another id, its issue numbers starting at 1 again (a reseeded repository)."""
        with self.lock:
            self._repos.pop(self._named_repo(full_name).full_name.lower())

    def create_issue(  # noqa: PLR0913 - mirrors the fields a user fills in
        self,
        repo: str,
        title: str,
        body: str = "",
        *,
        user: str = "octocat",
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        milestone: str | int | None = None,
        state: str = "open",
        state_reason: str | None = None,
        pull_request: bool = False,
    ) -> JSONDict:
        """Open an issue (or a pull request) as `user` would; closed if `state="closed"`."""
        fields: JSONDict = {"title": title, "body": body, "labels": list(labels)}
        fields["assignees"] = list(assignees)
        if milestone is not None:
            fields["milestone"] = milestone
        with self.lock:
            store = self._named_repo(repo)
            rec = self._create_issue(store, fields, user=user, pull_request=pull_request)
            if state != "open":
                self._apply_state(rec, state, state_reason)
                self._touch(rec, rec["created_at"], was_open=True)
            return self._issue_json(store, rec)

    def edit_issue(self, repo: str, number: int, **fields: Any) -> JSONDict:
        """Change an issue with the PATCH body's field names (title, state, labels, ...)."""
        with self.lock:
            store = self._named_repo(repo)
            if isinstance(fields.get("milestone"), str):
                fields["milestone"] = self._milestone_number(store, fields["milestone"])
            rec = self._edit_issue(store, self._issue(store, number), fields)
            return self._issue_json(store, rec)

    def add_comment(self, repo: str, number: int, body: str, *, user: str = "octocat") -> JSONDict:
        """Comment on issue `number` as `user`."""
        with self.lock:
            store = self._named_repo(repo)
            rec = self._add_comment(store, self._issue(store, number), body, user=user)
            return self._comment_json(store, rec)

    def edit_comment(self, repo: str, comment_id: int, body: str) -> JSONDict:
        """Change a comment's body."""
        with self.lock:
            store = self._named_repo(repo)
            rec = self._edit_comment(store, self._comment(store, comment_id), body)
            return self._comment_json(store, rec)

    def create_milestone(
        self,
        repo: str,
        title: str,
        *,
        description: str = "",
        due_on: date | str | None = None,
        state: str = "open",
    ) -> JSONDict:
        """Create a milestone; `due_on` is a date (or ISO text)."""
        fields: JSONDict = {"title": title, "description": description, "state": state}
        fields["due_on"] = due_on
        with self.lock:
            store = self._named_repo(repo)
            number = self._create_milestone(store, fields)
            return self._milestone_json(store, number)

    def issue(self, repo: str, number: int) -> JSONDict:
        """One issue's JSON as the API returns it."""
        with self.lock:
            store = self._named_repo(repo)
            return self._issue_json(store, self._issue(store, number))

    def comments(self, repo: str, number: int) -> list[JSONDict]:
        """Issue `number`'s comments as the API lists them, oldest first."""
        with self.lock:
            store = self._named_repo(repo)
            self._issue(store, number)
            found = [c for c in store.comments.values() if c["issue"] == number]
            return [self._comment_json(store, c) for c in sorted(found, key=lambda c: c["id"])]

    def issues(self, repo: str) -> list[JSONDict]:
        """Every issue and pull request of `repo`, by number."""
        with self.lock:
            store = self._named_repo(repo)
            counts = self._milestone_counts(store)
            return [self._issue_json(store, store.issues[n], counts) for n in sorted(store.issues)]

    def milestones(self, repo: str) -> list[JSONDict]:
        """Every milestone of `repo`, by number."""
        with self.lock:
            store = self._named_repo(repo)
            counts = self._milestone_counts(store)
            return [self._milestone_json(store, n, counts) for n in sorted(store.milestones)]
