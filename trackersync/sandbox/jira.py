"""A loopback Jira REST server (v2, some v3) that the real `jira` library can talk to.

It follows the public Atlassian REST documentation: Cloud answers the enhanced search
(`/search/jql`, `nextPageToken`, no `total`) and 410 on the removed `/search`; Server keeps
`/search` with `startAt` and `total`. Timestamps are rendered in the API user's time zone
with milliseconds, the way Jira sends them. Every real change bumps the issue's `updated`.

The "as a user would" helpers (`create_issue`, `transition`, `add_comment`, ...) are what
tests and the demo seed use; they take `self.lock` and return the JSON the API would.
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from trackersync.sandbox import jql
from trackersync.sandbox.core import Faults, SandboxApp, SandboxClock, json_response
from trackersync.sandbox.jira_workflow import (
    CATEGORIES,
    DEFAULT_STATUSES,
    Workflow,
    default_workflow,
    resolution_after,
    screen_errors,
)

API = '/rest/api/<any("2","3"):api>'
# name -> (status id, category key) of the default workflow (see `jira_workflow`: a
# project may be switched to a stricter one with `set_workflow`).
STATUSES = DEFAULT_STATUSES
RESOLUTIONS = {
    "Done": "10000",
    "Won't Do": "10001",
    "Duplicate": "10002",
    "Cannot Reproduce": "10003",
    "Won't Fix": "10004",
    "Declined": "10005",
}
ISSUE_TYPES = {
    "Epic": ("10000", False),
    "Task": ("10001", False),
    "Bug": ("10002", False),
    "Story": ("10003", False),
    "Sub-task": ("10004", True),
}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
# Jira Software's "Flagged" custom field: its id differs per site (`flagged_field`), this
# is the common default. Clients find it by name with `GET /field`.
FLAGGED_FIELD = "customfield_10021"
FLAGGED_SCHEMA = "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"
# The system fields (the site's Flagged custom field comes on top, see `every_field`).
ALL_FIELDS = (
    "summary",
    "description",
    "status",
    "resolution",
    "assignee",
    "reporter",
    "creator",
    "labels",
    "fixVersions",
    "duedate",
    "issuetype",
    "parent",
    "priority",
    "project",
    "created",
    "updated",
    "comment",
    "issuelinks",
)
NOT_NAVIGABLE = frozenset({"comment"})
SETTABLE = frozenset(
    {
        "summary",
        "description",
        "labels",
        "assignee",
        "fixVersions",
        "duedate",
        "priority",
        "parent",
        "issuetype",
    }
)
# The verbs of `update` (`FieldUpdateOperation`), and those each field takes (its edit
# metadata's `operations`; every other settable field takes only `set`).
UPDATE_VERBS = frozenset({"add", "set", "remove", "edit", "copy"})
FIELD_VERBS = {
    "labels": frozenset({"add", "set", "remove"}),
    "fixVersions": frozenset({"add", "set", "remove"}),
    "comment": frozenset({"add"}),
}
DESCRIPTION_LIMIT = 16_384
PROPERTY_LIMIT = 32_768
# Where `authenticate` notes the user a request acts as, when not the API user.
_CALLER = "trackersync.sandbox.jira.caller"
SEARCH_REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)


class ApiError(Exception):
    """A request Jira refuses: rendered with Jira's `errorMessages` / `errors` shape."""

    def __init__(
        self, status: int, messages: Sequence[str] = (), errors: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, messages, errors)
        self.status = status
        self.messages = list(messages)
        self.errors = errors or {}

    def response(self) -> Response:
        """The error as Jira renders it."""
        return json_response({"errorMessages": self.messages, "errors": self.errors}, self.status)


@dataclass
class User:
    """A Jira user."""

    account_id: str
    display_name: str
    name: str | None = None
    email: str | None = None
    # The user's own API token, when the user acts through the API too (see `add_user`).
    token: str | None = None


@dataclass
class Version:
    """A project version (fixVersion)."""

    id: int
    project_id: int
    name: str
    description: str = ""
    release_date: date | None = None
    released: bool = False
    archived: bool = False


@dataclass
class Comment:
    """One issue comment (wiki markup body)."""

    id: int
    author: str
    body: str
    created: datetime
    updated: datetime
    update_author: str


@dataclass
class Project:
    """A project and its issue counter."""

    id: int
    key: str
    name: str
    lead: str
    next_number: int = 1
    issue_keys: list[str] = field(default_factory=list)
    workflow: Workflow = field(default_factory=default_workflow)
    # Whether the API user has the Administer Projects permission (versions need it).
    admin: bool = True


@dataclass
class Issue:
    """An issue as stored; rendered to JSON on demand."""

    id: int
    key: str
    project: str
    number: int
    summary: str
    created: datetime
    updated: datetime
    reporter: str
    description: str = ""
    issuetype: str = "Task"
    status: str = "To Do"
    resolution: str | None = None
    labels: list[str] = field(default_factory=list)
    assignee: str | None = None
    fix_versions: list[int] = field(default_factory=list)
    duedate: date | None = None
    parent: str | None = None
    priority: str = "Medium"
    flagged: bool = False
    comments: list[Comment] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    remote_links: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    # Who created it (accountId); unlike the reporter, nobody can set it.
    creator: str = ""


def _rules() -> list[Rule]:
    routes = [
        ("/serverInfo", "server_info", ["GET"]),
        ("/myself", "myself", ["GET"]),
        ("/field", "list_fields", ["GET"]),
        ("/project", "list_projects", ["GET"]),
        ("/project/<project>", "get_project", ["GET"]),
        ("/project/<project>/statuses", "project_statuses", ["GET"]),
        ("/project/<project>/versions", "project_versions", ["GET"]),
        ("/issuetype", "list_issue_types", ["GET"]),
        ("/status", "list_statuses", ["GET"]),
        ("/priority", "list_priorities", ["GET"]),
        ("/resolution", "list_resolutions", ["GET"]),
        ("/search/jql", "search_jql", ["GET", "POST"]),
        ("/search/approximate-count", "approximate_count", ["POST"]),
        ("/search", "search_offset", ["GET", "POST"]),
        ("/issue", "post_issue", ["POST"]),
        ("/issue/bulk", "post_issue_bulk", ["POST"]),
        ("/issue/<key>", "get_issue", ["GET"]),
        ("/issue/<key>", "put_issue", ["PUT"]),
        ("/issue/<key>/transitions", "get_transitions", ["GET"]),
        ("/issue/<key>/transitions", "post_transition", ["POST"]),
        ("/issue/<key>/comment", "get_comments", ["GET"]),
        ("/issue/<key>/comment", "post_comment", ["POST"]),
        ("/issue/<key>/comment/<int:comment_id>", "get_comment", ["GET"]),
        ("/issue/<key>/comment/<int:comment_id>", "put_comment", ["PUT"]),
        ("/issue/<key>/properties", "list_properties", ["GET"]),
        ("/issue/<key>/properties/<prop>", "get_property", ["GET"]),
        ("/issue/<key>/properties/<prop>", "put_property", ["PUT"]),
        ("/issue/<key>/properties/<prop>", "delete_property", ["DELETE"]),
        ("/issue/<key>/remotelink", "get_remote_links", ["GET"]),
        ("/issue/<key>/remotelink", "post_remote_link", ["POST"]),
        ("/version", "post_version", ["POST"]),
        ("/version/<int:version_id>", "get_version", ["GET"]),
        ("/version/<int:version_id>", "put_version", ["PUT"]),
        ("/applicationlinks", "application_links", ["GET"]),
    ]
    rules = [Rule(API + path, endpoint=name, methods=methods) for path, name, methods in routes]
    rules.append(Rule("/rest/applinks/latest/listApplicationlinks", endpoint="application_links"))
    return rules


def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError as exc:
        raise ApiError(400, ["Unexpected character in the request body: not JSON."]) from exc
    if not isinstance(data, dict):
        raise ApiError(400, ["The request body must be a JSON object."])
    return data


def _split(values: Iterable[Any]) -> list[str]:
    """Comma-separated or repeated parameters (`fields=a,b` or `fields=a&fields=b`)."""
    items: list[str] = []
    for value in values:
        parts = value if isinstance(value, list) else str(value).split(",")
        items.extend(str(part).strip() for part in parts if str(part).strip())
    return items


class JiraSandbox(SandboxApp):
    """A Jira Cloud or Server instance on loopback with a realistic workflow."""

    url_map = Map(_rules())
    read_only_posts = frozenset({"search_jql", "search_offset", "approximate_count"})

    def __init__(
        self,
        *,
        email: str = "pm@example.com",
        token: str = "sandbox-token",  # noqa: S107 - a loopback sandbox's fake token
        pat: str | None = None,
        deployment: Literal["Cloud", "Server"] = "Cloud",
        time_zone: str = "Europe/Berlin",
        account_id: str = "5b10a2844c20165700ede21g",
        display_name: str = "Pat Manager",
        clock: SandboxClock | None = None,
        faults: Faults | None = None,
        server_title: str = "Jira",
        flagged_field: str | None = FLAGGED_FIELD,
    ) -> None:
        super().__init__(clock or SandboxClock(resolution=timedelta(milliseconds=1)), faults)
        # What serverInfo calls the instance (its administrators name it; "Jira" unless
        # changed): with the base URL, what tells one instance from another.
        self.server_title = server_title
        # The id of this site's "Flagged" custom field (None: the site has none, as on
        # Jira Work Management): sites differ, so clients must look it up by name.
        self.flagged_field = flagged_field
        self.email = email
        self.token = token
        self.pat = pat
        self.deployment = deployment
        self.zone = ZoneInfo(time_zone)
        self.time_zone = time_zone
        self.account_id = account_id
        self.base_url = "http://127.0.0.1"
        self.rate_headers: dict[str, str] = {}
        self.queries: list[str] = []  # every JQL searched, for tests to inspect
        # Search is not read-after-write consistent on the real service (Atlassian says so
        # for /search/jql): an issue created or changed less than `search_lag` ago is not
        # in search results yet. GET /issue is always current. Off by default.
        self.search_lag = timedelta(0)
        # Jira cuts the comment page inline in an issue short (`total` says how many there
        # are; `GET /issue/{key}/comment` pages the rest): at most this many inline when
        # set. Off (all inline) by default.
        self.inline_comments = 0
        self.users: dict[str, User] = {}
        self.projects: dict[str, Project] = {}
        self.issues_by_key: dict[str, Issue] = {}
        self.issues_by_id: dict[int, Issue] = {}
        self.versions_by_id: dict[int, Version] = {}
        # Every status of every workflow (statuses are instance-wide in Jira).
        self.statuses: dict[str, tuple[str, str]] = dict(DEFAULT_STATUSES)
        self._ids = {
            "project": 10000,
            "issue": 10000,
            "comment": 10000,
            "version": 10000,
            "link": 10000,
        }
        self.add_user(account_id, display_name, name="pat", email=email)

    # ---- plumbing -------------------------------------------------------------------

    @property
    def cloud(self) -> bool:
        """Whether this instance behaves as Jira Cloud."""
        return self.deployment == "Cloud"

    def every_field(self) -> tuple[str, ...]:
        """The ids of every field an issue has on this site: the system ones, Flagged."""
        return ALL_FIELDS + ((self.flagged_field,) if self.flagged_field else ())

    def _next_id(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def authenticate(self, request: Request) -> Response | None:
        """Basic (email + API token) or Bearer PAT; anonymous only for serverInfo.

        The API user's credentials, or those of a user added with a `token`; the request
        then acts as that user (`_caller`).
        """
        header = request.headers.get("Authorization", "")
        pat = self.pat
        if pat and header.startswith("Bearer ") and hmac.compare_digest(header[7:], pat):
            return None
        if request.authorization is not None and request.authorization.type == "basic":
            user = request.authorization.username or ""
            secret = request.authorization.password or ""
            if user in (self.email, "pat") and hmac.compare_digest(secret, self.token):
                return None
        other = self._person(request)
        if other is not None:
            request.environ[_CALLER] = other.account_id
            return None
        if not header and request.path.endswith("/serverInfo"):
            return None
        response = ApiError(
            401,
            ["You are not authenticated. Authentication required to perform this operation."],
        ).response()
        response.headers["WWW-Authenticate"] = 'Basic realm="protected-area"'
        response.headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED"
        return response

    def _person(self, request: Request) -> User | None:
        """The added user whose own token (Bearer, or Basic with email or name) this is."""
        header = request.headers.get("Authorization", "")
        basic = request.authorization if request.authorization is not None else None
        for person in self.users.values():
            if not person.token or person.account_id == self.account_id:
                continue
            if hmac.compare_digest(header, f"Bearer {person.token}"):
                return person
            if basic is not None and basic.type == "basic":
                names = {person.email, person.name} - {None}
                secret = basic.password or ""
                if basic.username in names and hmac.compare_digest(secret, person.token):
                    return person
        return None

    def _caller(self, request: Request) -> str:
        """The accountId the request acts as: the API user unless another user's token."""
        return str(request.environ.get(_CALLER, self.account_id))

    def pre_dispatch(self, request: Request, endpoint: str) -> Response | None:  # noqa: ARG002
        """Remember the origin clients use, for the `self` links of helper results."""
        self.base_url = request.host_url.rstrip("/")
        return None

    def finish(self, request: Request, response: Response) -> Response:  # noqa: ARG002
        """Add the rate-limit headers a test configured (none by default)."""
        for name, value in self.rate_headers.items():
            response.headers[name] = value
        return response

    def _respond(self, request: Request) -> tuple[Response, str]:
        try:
            return super()._respond(request)
        except ApiError as error:
            return error.response(), ""

    # ---- rendering -------------------------------------------------------------------

    def stamp(self, moment: datetime | None) -> str | None:
        """A timestamp as Jira sends it: `2026-11-25T19:08:40.123+0100` in the user's zone."""
        if moment is None:
            return None
        local = moment.astimezone(self.zone)
        return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond // 1000:03d}{local:%z}"

    def _api(self, path: str) -> str:
        return f"{self.base_url}/rest/api/2/{path}"

    def user_json(self, account_id: str | None) -> dict[str, Any] | None:
        """A user as Jira renders it (`name` and `key` too on Server)."""
        if account_id is None:
            return None
        user = self.users.get(account_id) or User(account_id, account_id)
        data: dict[str, Any] = {
            "self": self._api(f"user?accountId={user.account_id}"),
            "accountId": user.account_id,
            "displayName": user.display_name,
            "active": True,
            "timeZone": self.time_zone,
            "accountType": "atlassian",
        }
        if not self.cloud:
            # Data Center users have a name and a key; accountId is Cloud's alone.
            del data["accountId"]
            data["name"] = data["key"] = user.name or user.account_id
            data["self"] = self._api(f"user?username={data['name']}")
        return data

    def status_json(self, name: str) -> dict[str, Any]:
        """A status with its category."""
        status_id, category = self.statuses[name]
        return {
            "self": self._api(f"status/{status_id}"),
            "description": "",
            "iconUrl": f"{self.base_url}/images/icons/statuses/generic.png",
            "name": name,
            "id": status_id,
            "statusCategory": {
                "self": self._api(f"statuscategory/{CATEGORIES[category]['id']}"),
                **CATEGORIES[category],
            },
        }

    def issue_type_json(self, name: str) -> dict[str, Any]:
        """An issue type."""
        type_id, subtask = ISSUE_TYPES[name]
        return {
            "self": self._api(f"issuetype/{type_id}"),
            "id": type_id,
            "name": name,
            "description": "",
            "subtask": subtask,
            "hierarchyLevel": -1 if subtask else 0,
        }

    def version_json(self, version: Version) -> dict[str, Any]:
        """A version as `/project/{key}/versions` lists it."""
        data: dict[str, Any] = {
            "self": self._api(f"version/{version.id}"),
            "id": str(version.id),
            "name": version.name,
            "description": version.description,
            "archived": version.archived,
            "released": version.released,
            "projectId": version.project_id,
        }
        if version.release_date is not None:
            data["releaseDate"] = version.release_date.isoformat()
            data["overdue"] = not version.released and version.release_date < self._today()
        return data

    def _today(self) -> date:
        return self.clock.now().astimezone(self.zone).date()

    def comment_json(self, issue: Issue, comment: Comment) -> dict[str, Any]:
        """A comment with its authors and times."""
        return {
            "self": self._api(f"issue/{issue.id}/comment/{comment.id}"),
            "id": str(comment.id),
            "author": self.user_json(comment.author),
            "body": comment.body,
            "updateAuthor": self.user_json(comment.update_author),
            "created": self.stamp(comment.created),
            "updated": self.stamp(comment.updated),
            "jsdPublic": True,
        }

    def project_json(self, project: Project) -> dict[str, Any]:
        """A project with its issue types."""
        return {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": self._api(f"project/{project.id}"),
            "id": str(project.id),
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
            "style": "classic",
            "lead": self.user_json(project.lead),
            "issueTypes": [self.issue_type_json(name) for name in ISSUE_TYPES],
        }

    def _field_values(self, issue: Issue, api: str) -> dict[str, Any]:
        description: Any = issue.description or None
        if api == "3" and description is not None:
            description = _adf(description)
        return {
            "summary": issue.summary,
            "description": description,
            "status": self.status_json(issue.status),
            "resolution": self._resolution_json(issue.resolution),
            "resolutiondate": None,
            "assignee": self.user_json(issue.assignee),
            "reporter": self.user_json(issue.reporter),
            "creator": self.user_json(issue.creator or issue.reporter),
            "labels": list(issue.labels),
            "fixVersions": [self.version_json(self.versions_by_id[v]) for v in issue.fix_versions],
            "duedate": issue.duedate.isoformat() if issue.duedate else None,
            "issuetype": self.issue_type_json(issue.issuetype),
            "parent": self._parent_json(issue.parent),
            "priority": {
                "self": self._api(f"priority/{PRIORITIES[issue.priority]}"),
                "id": PRIORITIES[issue.priority],
                "name": issue.priority,
            },
            "project": {
                "self": self._api(f"project/{self.projects[issue.project].id}"),
                "id": str(self.projects[issue.project].id),
                "key": issue.project,
                "name": self.projects[issue.project].name,
            },
            "created": self.stamp(issue.created),
            "updated": self.stamp(issue.updated),
            "comment": self._comment_page(issue, api),
            "issuelinks": list(issue.links),
        } | self._flagged_value(issue)

    def _flagged_value(self, issue: Issue) -> dict[str, Any]:
        """The site's Flagged field as Jira renders a checkbox: its one option, or null."""
        if not self.flagged_field:
            return {}
        option = {
            "self": self._api("customFieldOption/10019"),
            "value": "Impediment",
            "id": "10019",
        }
        return {self.flagged_field: [option] if issue.flagged else None}

    def _comment_page(self, issue: Issue, api: str) -> dict[str, Any]:
        shown = issue.comments[: self.inline_comments] if self.inline_comments else issue.comments
        comments = [self.comment_json(issue, c) for c in shown]
        if api == "3":
            for comment in comments:
                comment["body"] = _adf(comment["body"])
        return {
            "comments": comments,
            "self": self._api(f"issue/{issue.id}/comment"),
            "maxResults": len(comments),
            "total": len(issue.comments),
            "startAt": 0,
        }

    def _resolution_json(self, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return None
        return {
            "self": self._api(f"resolution/{RESOLUTIONS[name]}"),
            "id": RESOLUTIONS[name],
            "description": "",
            "name": name,
        }

    def _parent_json(self, key: str | None) -> dict[str, Any] | None:
        parent = self.issues_by_key.get(key) if key else None
        if parent is None:
            return None
        return {
            "id": str(parent.id),
            "key": parent.key,
            "self": self._api(f"issue/{parent.id}"),
            "fields": {
                "summary": parent.summary,
                "status": self.status_json(parent.status),
                "issuetype": self.issue_type_json(parent.issuetype),
            },
        }

    def issue_json(
        self,
        issue: Issue,
        fields: set[str] | None = None,
        *,
        expand: Sequence[str] = (),
        properties: Sequence[str] = (),
        api: str = "2",
    ) -> dict[str, Any]:
        """An issue with the selected fields (None = all), expansions and properties."""
        every = self.every_field()
        wanted = set(every) if fields is None else fields
        data: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
            "versionedRepresentations",
            "id": str(issue.id),
            "self": self._api(f"issue/{issue.id}"),
            "key": issue.key,
        }
        if wanted - {"id", "key"}:
            values = self._field_values(issue, api)
            data["fields"] = {name: values[name] for name in every if name in wanted}
        if "transitions" in expand:
            data["transitions"] = self._transitions_json(issue, with_fields=False)
        if properties:
            data["properties"] = {
                k: v for k, v in issue.properties.items() if k in properties or "*all" in properties
            }
        return data

    def _transitions_json(self, issue: Issue, *, with_fields: bool) -> list[dict[str, Any]]:
        """What the issue's workflow allows from its status (screens listed with fields)."""
        result = []
        for transition in self.projects[issue.project].workflow.available(issue.status):
            item: dict[str, Any] = {
                "id": transition.id,
                "name": transition.name,
                "to": self.status_json(transition.to),
                "hasScreen": transition.screen,
                "isGlobal": transition.sources is None,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "isLooped": False,
            }
            if with_fields:
                item["fields"] = self._transition_fields() if transition.screen else {}
            result.append(item)
        return result

    def _transition_fields(self) -> dict[str, Any]:
        return {
            "resolution": {
                "required": False,
                "name": "Resolution",
                "key": "resolution",
                "operations": ["set"],
                "schema": {"type": "resolution"},
                "allowedValues": [self._resolution_json(n) for n in RESOLUTIONS],
            }
        }

    # ---- look-ups ----------------------------------------------------------------------

    def _issue(self, key: str) -> Issue:
        issue = self.issues_by_key.get(key.upper())
        if issue is None and key.isdigit():
            issue = self.issues_by_id.get(int(key))
        if issue is None:
            raise ApiError(404, ["Issue does not exist or you do not have permission to see it."])
        return issue

    def _project(self, key_or_id: str) -> Project:
        project = self.projects.get(key_or_id.upper())
        if project is None:
            project = next((p for p in self.projects.values() if str(p.id) == key_or_id), None)
        if project is None:
            raise ApiError(404, [f"No project could be found with key '{key_or_id}'."])
        return project

    def _user_ref(self, value: Any) -> str | None:
        """An accountId from `{"accountId"}`, `{"name"}`, `{"id"}` or None (unassign)."""
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ApiError(400, errors={"assignee": "Specify a valid value for assignee"})
        wanted = value.get("accountId") or value.get("id")
        name = value.get("name")
        for user in self.users.values():
            if user.account_id == wanted or (name is not None and user.name == name):
                return user.account_id
        if wanted is None and name is None:
            return None
        raise ApiError(400, errors={"assignee": f"User '{wanted or name}' does not exist."})

    def _version_ref(self, project: Project, value: Any) -> int:
        ref = value if isinstance(value, dict) else {"name": value}
        for version in self.versions_by_id.values():
            if version.project_id != project.id:
                continue
            if str(version.id) == str(ref.get("id")) or version.name == ref.get("name"):
                return version.id
        raise ApiError(400, errors={"fixVersions": f"Version '{ref}' is not valid"})

    # ---- field writes --------------------------------------------------------------------

    def _set_field(self, issue: Issue, name: str, value: Any) -> bool:
        """Apply one REST field value; return whether anything changed."""
        if name == self.flagged_field:
            was = issue.flagged
            self._set_flagged(issue, value)
            return issue.flagged != was
        if name not in SETTABLE:
            raise ApiError(
                400,
                errors={
                    name: f"Field '{name}' cannot be set. It is not on the appropriate "
                    "screen, or unknown."
                },
            )
        before = _snapshot(issue)
        _FIELD_SETTERS[name](self, issue, value)
        return _snapshot(issue) != before

    def _set_summary(self, issue: Issue, value: Any) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ApiError(400, errors={"summary": "You must specify a summary of the issue."})
        if "\n" in value:
            raise ApiError(
                400,
                errors={
                    "summary": "The summary is invalid because it contains newline characters."
                },
            )
        if len(value) > 255:
            raise ApiError(400, errors={"summary": "Summary must be less than 255 characters."})
        issue.summary = value

    def _set_description(self, issue: Issue, value: Any) -> None:
        if value is not None and not isinstance(value, str):
            raise ApiError(400, errors={"description": "Operation value must be a string"})
        issue.description = value or ""

    def _set_labels(self, issue: Issue, value: Any) -> None:
        labels = list(value or [])
        bad = next((label for label in labels if not isinstance(label, str) or " " in label), None)
        if bad is not None:
            raise ApiError(
                400, errors={"labels": f"The label '{bad}' contains spaces which is invalid."}
            )
        issue.labels = list(dict.fromkeys(labels))

    def _set_assignee(self, issue: Issue, value: Any) -> None:
        issue.assignee = self._user_ref(value)

    def _set_fix_versions(self, issue: Issue, value: Any) -> None:
        project = self.projects[issue.project]
        issue.fix_versions = list(dict.fromkeys(self._version_ref(project, v) for v in value or []))

    def _set_duedate(self, issue: Issue, value: Any) -> None:
        try:
            issue.duedate = date.fromisoformat(value) if value else None
        except (TypeError, ValueError) as exc:
            raise ApiError(
                400, errors={"duedate": "Error parsing date string: " + str(value)}
            ) from exc

    def _set_priority(self, issue: Issue, value: Any) -> None:
        ref = value if isinstance(value, dict) else {"name": value}
        name = ref.get("name") or next(
            (n for n, i in PRIORITIES.items() if i == str(ref.get("id"))), None
        )
        if name not in PRIORITIES:
            raise ApiError(400, errors={"priority": "The priority selected is invalid."})
        issue.priority = name

    def _set_parent(self, issue: Issue, value: Any) -> None:
        if value is None:
            issue.parent = None
            return
        ref = value if isinstance(value, dict) else {"key": value}
        parent = self._issue(str(ref.get("key") or ref.get("id")))
        issue.parent = parent.key

    def _set_issuetype(self, issue: Issue, value: Any) -> None:
        ref = value if isinstance(value, dict) else {"name": value}
        name = ref.get("name") or next(
            (n for n, (i, _) in ISSUE_TYPES.items() if i == str(ref.get("id"))), None
        )
        if name not in ISSUE_TYPES:
            raise ApiError(400, errors={"issuetype": "Specify a valid issue type"})
        issue.issuetype = name

    def _set_flagged(self, issue: Issue, value: Any) -> None:
        issue.flagged = bool(value)

    def _apply_update_ops(self, issue: Issue, update: dict[str, Any]) -> bool:
        """Jira's `update` verbs: add / remove / set per field, `comment: [{add: ...}]`."""
        changed = False
        for name, operations in update.items():
            for operation in operations:
                if name == "comment" and "add" in operation:
                    self._append_comment(issue, operation["add"].get("body", ""), self.account_id)
                    changed = True
                    continue
                changed |= self._apply_operation(issue, name, operation)
        return changed

    def _apply_operation(self, issue: Issue, name: str, operation: Any) -> bool:
        """One `{verb: value}` of `update`: the verbs Jira knows (`FieldUpdateOperation`),
        each only on a field whose edit metadata lists it (others: 400, as Jira answers).
        `add` and `remove` change one value of a list and leave the others, even those
        added since the caller read the issue."""
        if not isinstance(operation, dict) or not operation:
            raise ApiError(400, errors={name: f"Operation on '{name}' must be an object."})
        unknown = sorted(set(operation) - UPDATE_VERBS)
        if unknown:
            raise ApiError(
                400, errors={name: f"Unknown operation '{unknown[0]}' on field '{name}'."}
            )
        refused = sorted(set(operation) - FIELD_VERBS.get(name, {"set"}))
        if refused:
            raise ApiError(
                400,
                errors={name: f"Operation '{refused[0]}' is not supported on field '{name}'."},
            )
        changed = False
        for verb, value in operation.items():
            if verb == "set":
                changed |= self._set_field(issue, name, value)
            elif name == "labels":
                labels = [x for x in issue.labels if verb == "add" or x != value]
                changed |= self._set_field(issue, name, labels + [value] * (verb == "add"))
            else:
                changed |= self._change_fix_version(issue, verb, value)
        return changed

    def _change_fix_version(self, issue: Issue, verb: str, value: Any) -> bool:
        """`add` / `remove` one fixVersion (by id or name); the others stay."""
        version = self._version_ref(self.projects[issue.project], value)
        wanted = [v for v in issue.fix_versions if v != version]
        if verb == "add":
            # Appended, or left where it is when the issue has it already.
            wanted = [*issue.fix_versions] + [version] * (version not in issue.fix_versions)
        return self._set_field(issue, "fixVersions", [{"id": v} for v in wanted])

    def _touch(self, issue: Issue) -> None:
        issue.updated = self.clock.stamp()

    # ---- issues ----------------------------------------------------------------------

    def _new_issue(self, fields: dict[str, Any], by: str | None = None) -> Issue:
        """Create an issue from REST `fields` (project and issuetype by id, key or name),
        as user `by` (an accountId; the API user by default)."""
        project_ref = fields.get("project")
        if not isinstance(project_ref, dict):
            raise ApiError(400, errors={"project": "Specify a valid project ID or key"})
        project = self._project(str(project_ref.get("key") or project_ref.get("id")))
        if "summary" not in fields:
            raise ApiError(400, errors={"summary": "You must specify a summary of the issue."})
        now = self.clock.stamp()
        number = project.next_number
        issue = Issue(
            self._next_id("issue"),
            f"{project.key}-{number}",
            project.key,
            number,
            "-",
            now,
            now,
            by or self.account_id,
            status=project.workflow.initial,
            creator=by or self.account_id,
        )
        self._set_issuetype(issue, fields.get("issuetype") or {"name": "Task"})
        for name, value in fields.items():
            if name not in ("project", "issuetype", "reporter"):
                self._set_field(issue, name, value)
        project.next_number += 1
        project.issue_keys.append(issue.key)
        self.issues_by_key[issue.key] = issue
        self.issues_by_id[issue.id] = issue
        return issue

    def _create_from_payload(self, payload: dict[str, Any], by: str | None = None) -> Issue:
        issue = self._new_issue(dict(payload.get("fields") or {}), by)
        for prop in payload.get("properties") or []:
            self._store_property(issue, str(prop.get("key")), prop.get("value"))
        update = payload.get("update") or {}
        if update:
            self._apply_update_ops(issue, update)
        return issue

    def _created_json(self, issue: Issue) -> dict[str, Any]:
        return {"id": str(issue.id), "key": issue.key, "self": self._api(f"issue/{issue.id}")}

    def post_issue(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`POST /issue`: 201 with `{id, key, self}`; properties accepted inline."""
        issue = self._create_from_payload(_body(request), self._caller(request))
        return json_response(self._created_json(issue), 201)

    def post_issue_bulk(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`POST /issue/bulk`: up to 50 issues; failures reported per element."""
        updates = _body(request).get("issueUpdates") or []
        if len(updates) > 50:
            raise ApiError(400, ["The number of issues to create cannot exceed 50."])
        created, errors = [], []
        for index, payload in enumerate(updates):
            try:
                issue = self._create_from_payload(payload, self._caller(request))
                created.append(self._created_json(issue))
            except ApiError as error:
                errors.append(
                    {
                        "status": error.status,
                        "failedElementNumber": index,
                        "elementErrors": {"errorMessages": error.messages, "errors": error.errors},
                    }
                )
        status = 400 if updates and not created else 201
        return json_response({"issues": created, "errors": errors}, status)

    def get_issue(self, request: Request, api: str, key: str) -> Response:
        """`GET /issue/{key}` with `fields`, `expand` and `properties`."""
        issue = self._issue(key)
        fields = _select_fields(
            request.args.getlist("fields"), default="*all", every=self.every_field()
        )
        return json_response(
            self.issue_json(
                issue,
                fields,
                expand=_split(request.args.getlist("expand")),
                properties=_split(request.args.getlist("properties")),
                api=api,
            )
        )

    def put_issue(self, request: Request, api: str, key: str) -> Response:  # noqa: ARG002
        """`PUT /issue/{key}` with `fields` and `update`; 204."""
        issue = self._issue(key)
        body = _body(request)
        fields, update = body.get("fields") or {}, body.get("update") or {}
        both = sorted(set(fields) & set(update))
        if both:
            # The official description: "fields included in [update] cannot be included
            # in `fields`".
            raise ApiError(
                400, errors={n: f"Field '{n}' is in both 'fields' and 'update'." for n in both}
            )
        changed = False
        for name, value in fields.items():
            changed |= self._set_field(issue, name, value)
        changed |= self._apply_update_ops(issue, update)
        if changed:
            self._touch(issue)
        return Response(status=204)

    # ---- transitions ---------------------------------------------------------------------

    def get_transitions(self, request: Request, api: str, key: str) -> Response:  # noqa: ARG002
        """`GET /issue/{key}/transitions` (`expand=transitions.fields` adds the screen)."""
        issue = self._issue(key)
        with_fields = "transitions.fields" in _split(request.args.getlist("expand"))
        transitions = self._transitions_json(issue, with_fields=with_fields)
        wanted = request.args.get("transitionId")
        if wanted:
            transitions = [t for t in transitions if t["id"] == wanted]
        return json_response({"expand": "transitions", "transitions": transitions})

    def post_transition(self, request: Request, api: str, key: str) -> Response:  # noqa: ARG002
        """`POST /issue/{key}/transitions`: move, set or clear the resolution; 204."""
        issue = self._issue(key)
        body = _body(request)
        transition_id = str((body.get("transition") or {}).get("id"))
        workflow = self.projects[issue.project].workflow
        transition = workflow.transition(issue.status, transition_id)
        if transition is None:
            raise ApiError(400, [f"Transition id '{transition_id}' is not valid for this issue."])
        fields = dict(body.get("fields") or {})
        refused = screen_errors(transition, fields)
        if refused:
            raise ApiError(400, errors=refused)
        sent = (fields.get("resolution") or {}).get("name")
        if sent is not None and sent not in RESOLUTIONS:
            raise ApiError(400, errors={"resolution": f"Resolution '{sent}' is invalid."})
        issue.status = transition.to
        issue.resolution = resolution_after(workflow, transition, sent)
        self._apply_update_ops(issue, body.get("update") or {})
        self._touch(issue)
        return Response(status=204)

    def _move(self, issue: Issue, target: str, resolution: str | None) -> None:
        if resolution is not None and resolution not in RESOLUTIONS:
            raise ApiError(400, errors={"resolution": f"Resolution '{resolution}' is invalid."})
        if target not in self.projects[issue.project].workflow.statuses:
            raise ValueError(f"status {target!r} is not in {issue.project}'s workflow")
        issue.status = target
        done = self.statuses[target][1] == "done"
        issue.resolution = (resolution or "Done") if done else None

    # ---- comments ------------------------------------------------------------------------

    def _append_comment(self, issue: Issue, body: str, author: str) -> Comment:
        now = self.clock.stamp()
        comment = Comment(self._next_id("comment"), author, body, now, now, author)
        issue.comments.append(comment)
        issue.updated = now
        return comment

    def get_comments(self, request: Request, api: str, key: str) -> Response:  # noqa: ARG002
        """`GET /issue/{key}/comment` paged by `startAt` / `maxResults` (≤ 100)."""
        issue = self._issue(key)
        start = _int_arg(request.args.get("startAt"), 0)
        size = min(_int_arg(request.args.get("maxResults"), 100), 100)
        page = issue.comments[start : start + size]
        return json_response(
            {
                "startAt": start,
                "maxResults": size,
                "total": len(issue.comments),
                "comments": [self.comment_json(issue, c) for c in page],
            }
        )

    def post_comment(self, request: Request, api: str, key: str) -> Response:  # noqa: ARG002
        """`POST /issue/{key}/comment`: 201 with the comment."""
        issue = self._issue(key)
        body = _body(request).get("body")
        if not isinstance(body, str) or not body.strip():
            raise ApiError(400, errors={"comment": "Comment body can not be empty!"})
        comment = self._append_comment(issue, body, self._caller(request))
        return json_response(self.comment_json(issue, comment), 201)

    def _comment(self, issue: Issue, comment_id: int) -> Comment:
        found = next((c for c in issue.comments if c.id == comment_id), None)
        if found is None:
            raise ApiError(404, [f"Can not find a comment for the id: {comment_id}."])
        return found

    def get_comment(self, request: Request, api: str, key: str, comment_id: int) -> Response:  # noqa: ARG002
        """`GET /issue/{key}/comment/{id}`."""
        issue = self._issue(key)
        return json_response(self.comment_json(issue, self._comment(issue, comment_id)))

    def put_comment(self, request: Request, api: str, key: str, comment_id: int) -> Response:  # noqa: ARG002
        """`PUT /issue/{key}/comment/{id}`: 200 with the edited comment."""
        issue = self._issue(key)
        comment = self._comment(issue, comment_id)
        body = _body(request).get("body")
        if isinstance(body, str) and body != comment.body:
            self._edit_comment(issue, comment, body, self._caller(request))
        return json_response(self.comment_json(issue, comment))

    def _edit_comment(
        self, issue: Issue, comment: Comment, body: str, by: str | None = None
    ) -> None:
        comment.body = body
        comment.updated = issue.updated = self.clock.stamp()
        comment.update_author = by or self.account_id

    # ---- properties and remote links ----------------------------------------------------

    def _store_property(self, issue: Issue, key: str, value: Any) -> bool:
        if len(json.dumps(value).encode()) > PROPERTY_LIMIT:
            raise ApiError(400, ["The property value exceeds the maximum size of 32768 bytes."])
        created = key not in issue.properties
        issue.properties[key] = value
        return created

    def list_properties(self, request: Request, api: str, key: str) -> Response:  # noqa: ARG002
        """`GET /issue/{key}/properties`: the keys."""
        issue = self._issue(key)
        keys = [
            {"self": self._api(f"issue/{issue.id}/properties/{k}"), "key": k}
            for k in issue.properties
        ]
        return json_response({"keys": keys})

    def get_property(self, request: Request, api: str, key: str, prop: str) -> Response:  # noqa: ARG002
        """`GET /issue/{key}/properties/{k}`."""
        issue = self._issue(key)
        if prop not in issue.properties:
            raise ApiError(404, [f"The property with key '{prop}' does not exist."])
        return json_response({"key": prop, "value": issue.properties[prop]})

    def put_property(self, request: Request, api: str, key: str, prop: str) -> Response:  # noqa: ARG002
        """`PUT /issue/{key}/properties/{k}`: 201 created, 200 updated."""
        issue = self._issue(key)
        try:
            value = json.loads(request.get_data(as_text=True))
        except ValueError as exc:
            raise ApiError(400, ["The property value must be valid JSON."]) from exc
        created = self._store_property(issue, prop, value)
        return Response(status=201 if created else 200)

    def delete_property(self, request: Request, api: str, key: str, prop: str) -> Response:  # noqa: ARG002
        """`DELETE /issue/{key}/properties/{k}`: 204."""
        issue = self._issue(key)
        if issue.properties.pop(prop, None) is None:
            raise ApiError(404, [f"The property with key '{prop}' does not exist."])
        return Response(status=204)

    def get_remote_links(self, request: Request, api: str, key: str) -> Response:  # noqa: ARG002
        """`GET /issue/{key}/remotelink` (optionally `globalId=`)."""
        links = self._issue(key).remote_links
        wanted = request.args.get("globalId")
        if wanted is not None:
            links = [link for link in links if link.get("globalId") == wanted]
        return json_response(links)

    def post_remote_link(self, request: Request, api: str, key: str) -> Response:  # noqa: ARG002
        """`POST /issue/{key}/remotelink`: a known `globalId` updates that link (200)."""
        issue = self._issue(key)
        body = _body(request)
        target = body.get("object") or {}
        if not target.get("url") or not target.get("title"):
            raise ApiError(400, errors={"object": "Remote link object needs a url and a title."})
        global_id = body.get("globalId")
        existing = next(
            (link for link in issue.remote_links if global_id and link["globalId"] == global_id),
            None,
        )
        if existing is not None:
            existing.update({k: v for k, v in body.items() if k != "globalId"})
            return json_response({"id": existing["id"], "self": existing["self"]}, 200)
        link_id = self._next_id("link")
        link = {
            "id": link_id,
            "self": self._api(f"issue/{issue.key}/remotelink/{link_id}"),
            "globalId": global_id,
            "application": body.get("application") or {},
            "relationship": body.get("relationship"),
            "object": target,
        }
        issue.remote_links.append(link)
        return json_response({"id": link_id, "self": link["self"]}, 201)

    def application_links(self, request: Request, api: str = "2") -> Response:  # noqa: ARG002
        """Application links need admin rights: a normal API user gets 403."""
        raise ApiError(403, ["You do not have the permission to see the specified resource."])

    # ---- versions ------------------------------------------------------------------------

    def project_versions(self, request: Request, api: str, project: str) -> Response:  # noqa: ARG002
        """`GET /project/{key}/versions`: every version of the project."""
        found = self._project(project)
        return json_response(
            [self.version_json(v) for v in self.versions_by_id.values() if v.project_id == found.id]
        )

    def post_version(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`POST /version` with `project` (key) or `projectId`: 201."""
        body = _body(request)
        project = self._project(str(body.get("project") or body.get("projectId") or ""))
        if not project.admin:
            # Administer Projects is required; the official description answers 404 for
            # both an unknown project and a missing permission.
            raise ApiError(
                404,
                [
                    f"Project with key '{project.key}' either does not exist or you do not "
                    "have permission to create versions in it."
                ],
            )
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, errors={"name": "You must specify a valid version name"})
        version = Version(self._next_id("version"), project.id, name)
        self._check_version_name(version, name)
        self._update_version(version, body)
        self.versions_by_id[version.id] = version
        return json_response(self.version_json(version), 201)

    def _check_version_name(self, version: Version, name: str) -> None:
        clash = any(
            other.project_id == version.project_id and other.id != version.id and other.name == name
            for other in self.versions_by_id.values()
        )
        if clash:
            raise ApiError(
                400, errors={"name": "A version with this name already exists in this project."}
            )

    def _update_version(self, version: Version, body: dict[str, Any]) -> None:
        description = body.get("description", version.description) or ""
        if len(description.encode()) > DESCRIPTION_LIMIT:
            raise ApiError(
                400, errors={"description": "The description must not exceed 16384 characters."}
            )
        if "name" in body:
            self._check_version_name(version, body["name"])
            version.name = body["name"]
        version.description = description
        if "releaseDate" in body:
            version.release_date = (
                date.fromisoformat(body["releaseDate"]) if body["releaseDate"] else None
            )
        version.released = bool(body.get("released", version.released))
        version.archived = bool(body.get("archived", version.archived))

    def _version(self, version_id: int) -> Version:
        version = self.versions_by_id.get(version_id)
        if version is None:
            raise ApiError(404, [f"Could not find version for id '{version_id}'"])
        return version

    def get_version(self, request: Request, api: str, version_id: int) -> Response:  # noqa: ARG002
        """`GET /version/{id}`."""
        return json_response(self.version_json(self._version(version_id)))

    def put_version(self, request: Request, api: str, version_id: int) -> Response:  # noqa: ARG002
        """`PUT /version/{id}`: 200 with the version; 404 without Administer Projects (the
        description's answer for a version not found or not editable)."""
        version = self._version(version_id)
        if not next(p for p in self.projects.values() if p.id == version.project_id).admin:
            raise ApiError(404, [f"Could not find version for id '{version_id}'"])
        self._update_version(version, _body(request))
        return json_response(self.version_json(version))

    # ---- instance metadata ------------------------------------------------------------------

    def server_info(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`GET /serverInfo`: deployment type, version, base URL, server time."""
        cloud = self.cloud
        version = "1001.0.0-SNAPSHOT" if cloud else "9.12.15"
        numbers = [1001, 0, 0] if cloud else [9, 12, 15]
        return json_response(
            {
                "baseUrl": self.base_url,
                "version": version,
                "versionNumbers": numbers,
                "deploymentType": self.deployment,
                "buildNumber": 100275 if cloud else 9120015,
                "buildDate": "2026-11-01T00:00:00.000+0000",
                "serverTime": self.stamp(self.clock.now()),
                "scmInfo": "sandbox",
                "serverTitle": self.server_title,
            }
        )

    def myself(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`GET /myself`: the user the credentials belong to, with `timeZone`."""
        caller = self._caller(request)
        data = dict(self.user_json(caller) or {})
        email = self.email if caller == self.account_id else self.users[caller].email
        data.update({"emailAddress": email, "locale": "en_US", "groups": {"size": 1, "items": []}})
        return json_response(data)

    def list_fields(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`GET /field`: the system fields the sandbox knows and the site's Flagged custom
        field, shaped as Jira's `FieldDetails` (id, key, name, custom, schema, clauses)."""
        fields = [_field_def(name) for name in ALL_FIELDS]
        if self.flagged_field:
            fields.append(_flagged_def(self.flagged_field))
        return json_response(fields)

    def list_projects(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`GET /project`."""
        return json_response([self.project_json(p) for p in self.projects.values()])

    def get_project(self, request: Request, api: str, project: str) -> Response:  # noqa: ARG002
        """`GET /project/{key or id}`."""
        return json_response(self.project_json(self._project(project)))

    def project_statuses(self, request: Request, api: str, project: str) -> Response:  # noqa: ARG002
        """`GET /project/{key}/statuses`: the workflow's statuses per issue type."""
        statuses = [self.status_json(name) for name in self._project(project).workflow.statuses]
        # IssueTypeWithStatus: the type's id, name, self and subtask flag, its statuses.
        keys = ("self", "id", "name", "subtask")
        return json_response(
            [
                {**{k: self.issue_type_json(name)[k] for k in keys}, "statuses": statuses}
                for name in ISSUE_TYPES
            ]
        )

    def list_issue_types(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`GET /issuetype`."""
        return json_response([self.issue_type_json(name) for name in ISSUE_TYPES])

    def list_statuses(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`GET /status`."""
        return json_response([self.status_json(name) for name in self.statuses])

    def list_priorities(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`GET /priority`."""
        return json_response(
            [
                {"self": self._api(f"priority/{i}"), "id": i, "name": n}
                for n, i in PRIORITIES.items()
            ]
        )

    def list_resolutions(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`GET /resolution`."""
        return json_response([self._resolution_json(name) for name in RESOLUTIONS])

    # ---- search --------------------------------------------------------------------------

    def _search_params(self, request: Request) -> dict[str, Any]:
        if request.method == "POST":
            return _body(request)
        args = request.args
        params: dict[str, Any] = {k: args.get(k) for k in args}
        for name in ("fields", "expand", "properties"):
            params[name] = args.getlist(name)
        return params

    def _run_query(self, text: str, *, bounded: bool) -> list[Issue]:
        self.queries.append(text)
        try:
            query = jql.parse(text or "")
        except jql.JqlError as error:
            raise ApiError(400, [str(error)]) from error
        if bounded and query.where is None:
            raise ApiError(
                400,
                [
                    "Unbounded JQL queries are not allowed here. Please add a "
                    "search restriction to your query."
                ],
            )
        context = jql.DateContext(self.zone, self.clock.now())
        try:
            matches = jql.compile_where(query.where, context, self._jql_values)
        except jql.JqlError as error:
            raise ApiError(400, [str(error)]) from error
        indexed = self.clock.now() - self.search_lag
        found = [
            issue
            for issue in self.issues_by_id.values()
            if matches(issue) and (not self.search_lag or issue.updated <= indexed)
        ]
        return _order(found, query.order or (("created", True),))

    def _jql_values(self, issue: Issue, name: str) -> Sequence[Any]:
        return _JQL_VALUES[name](self, issue)

    def _render_page(
        self, issues: Sequence[Issue], params: dict[str, Any], api: str, default: str
    ) -> list[dict[str, Any]]:
        fields = _select_fields(
            _split(_listify(params.get("fields"))), default=default, every=self.every_field()
        )
        expand = _split(_listify(params.get("expand")))
        properties = _split(_listify(params.get("properties")))
        return [
            self.issue_json(i, fields, expand=expand, properties=properties, api=api)
            for i in issues
        ]

    def search_jql(self, request: Request, api: str) -> Response:
        """Enhanced search (Cloud): `nextPageToken` paging, no `total`, fields default id."""
        if not self.cloud:
            raise ApiError(404, ["null for uri: " + request.url])
        params = self._search_params(request)
        jql_text = str(params.get("jql") or "")
        found = self._run_query(jql_text, bounded=True)
        start = _decode_token(params.get("nextPageToken"), jql_text)
        fields = _select_fields(
            _split(_listify(params.get("fields"))), default="id", every=self.every_field()
        )
        cap = 5000 if fields is not None and fields <= {"id", "key"} else 100
        size = max(0, min(_int_arg(params.get("maxResults"), 50), cap))
        page = found[start : start + size]
        data: dict[str, Any] = {"issues": self._render_page(page, params, api, "id")}
        last = start + size >= len(found)
        if not last:
            data["nextPageToken"] = _encode_token(start + size, jql_text)
        data["isLast"] = last
        return json_response(data)

    def approximate_count(self, request: Request, api: str) -> Response:  # noqa: ARG002
        """`POST /search/approximate-count` (Cloud)."""
        if not self.cloud:
            raise ApiError(404, ["null for uri: " + request.url])
        found = self._run_query(str(_body(request).get("jql") or ""), bounded=True)
        return json_response({"count": len(found)})

    def search_offset(self, request: Request, api: str) -> Response:
        """The classic `/search` with `startAt` and `total`: 410 Gone on Cloud since 2025."""
        if self.cloud:
            raise ApiError(410, [SEARCH_REMOVED])
        params = self._search_params(request)
        found = self._run_query(str(params.get("jql") or ""), bounded=False)
        start = max(0, _int_arg(params.get("startAt"), 0))
        size = max(0, min(_int_arg(params.get("maxResults"), 50), 100))
        page = found[start : start + size]
        return json_response(
            {
                "expand": "schema,names",
                "startAt": start,
                "maxResults": size,
                "total": len(found),
                "issues": self._render_page(page, params, api, "*navigable"),
            }
        )

    # ---- "as a user would" helpers ----------------------------------------------------------

    def add_user(  # noqa: PLR0913 - a user's attributes
        self,
        account_id: str,
        display_name: str,
        name: str | None = None,
        email: str | None = None,
        *,
        token: str | None = None,
    ) -> dict[str, Any]:
        """Register a user that issues can be assigned to.

        With `token` the user can also use the API as themselves: Bearer `token`, or Basic
        with their email (or name) and `token`.
        """
        with self.lock:
            self.users[account_id] = User(account_id, display_name, name, email, token)
            return self.user_json(account_id) or {}

    def add_project(self, key: str, name: str) -> dict[str, Any]:
        """Create a project with the standard workflow."""
        with self.lock:
            project = Project(self._next_id("project"), key.upper(), name, self.account_id)
            self.projects[project.key] = project
            return self.project_json(project)

    def set_workflow(self, project: str, workflow: Workflow, *, admin: bool = True) -> None:
        """Give `project` another workflow (every issue type); issues in a status it lacks
        go to its initial status. `admin=False`: the API user may not administer the
        project (creating a version is then refused with 403, as Jira does)."""
        with self.lock:
            clash = {
                name
                for name, (status_id, _) in workflow.statuses.items()
                if name in self.statuses and self.statuses[name][0] != status_id
            }
            if clash:
                raise ValueError(f"statuses {sorted(clash)} exist with other ids")
            self.statuses.update(workflow.statuses)
            found = self._project(project)
            found.workflow, found.admin = workflow, admin
            for key in found.issue_keys:
                issue = self.issues_by_key[key]
                if issue.status not in workflow.statuses:
                    issue.status, issue.resolution = workflow.initial, None

    def create_issue(
        self,
        project: str,
        summary: str,
        description: str = "",
        *,
        issuetype: str = "Task",
        status: str | None = None,
        resolution: str | None = None,
        labels: Iterable[str] = (),
        assignee: str | None = None,
        fix_versions: Iterable[str] = (),
        parent: str | None = None,
        duedate: date | None = None,
        creator: str | None = None,
    ) -> dict[str, Any]:
        """Create an issue as a user would (in any status); return its JSON.

        `creator` is the accountId of the user creating it (the API user by default).
        """
        with self.lock:
            fields: dict[str, Any] = {
                "project": {"key": project},
                "summary": summary,
                "issuetype": {"name": issuetype},
                "description": description,
                "labels": list(labels),
                "fixVersions": [{"name": v} for v in fix_versions],
            }
            if assignee is not None:
                fields["assignee"] = {"accountId": assignee}
            if parent is not None:
                fields["parent"] = {"key": parent}
            if duedate is not None:
                fields["duedate"] = duedate.isoformat()
            issue = self._new_issue(fields, creator)
            if (status or issue.status) != issue.status or resolution is not None:
                self._move(issue, status or issue.status, resolution)
            return self.issue_json(issue)

    def edit_issue(self, key: str, **fields: Any) -> dict[str, Any]:
        """Edit summary, description, labels, assignee, fix_versions, duedate or flagged."""
        with self.lock:
            issue = self._issue(key)
            changed = False
            for name, value in fields.items():
                if name == "flagged":
                    # A person flags an issue on any site, whatever its field's id.
                    changed |= bool(value) != issue.flagged
                    issue.flagged = bool(value)
                    continue
                rest_name, rest_value = _helper_field(name, value)
                changed |= self._set_field(issue, rest_name, rest_value)
            if changed:
                self._touch(issue)
            return self.issue_json(issue)

    def transition(self, key: str, status: str, *, resolution: str | None = None) -> dict[str, Any]:
        """Move an issue to `status` (Done sets the resolution, leaving Done clears it)."""
        with self.lock:
            issue = self._issue(key)
            known = self.projects[issue.project].workflow.statuses
            if status not in known:
                raise ValueError(f"unknown status {status!r}; known: {sorted(known)}")
            self._move(issue, status, resolution)
            self._touch(issue)
            return self.issue_json(issue)

    def add_comment(self, key: str, body: str, *, author: str | None = None) -> dict[str, Any]:
        """Comment on an issue (as `author`, an accountId, or the API user)."""
        with self.lock:
            issue = self._issue(key)
            return self.comment_json(
                issue, self._append_comment(issue, body, author or self.account_id)
            )

    def edit_comment(self, key: str, comment_id: str | int, body: str) -> dict[str, Any]:
        """Change a comment's body."""
        with self.lock:
            issue = self._issue(key)
            comment = self._comment(issue, int(comment_id))
            self._edit_comment(issue, comment, body)
            return self.comment_json(issue, comment)

    def create_version(
        self,
        project: str,
        name: str,
        *,
        description: str = "",
        release_date: date | None = None,
        released: bool = False,
    ) -> dict[str, Any]:
        """Create a version (fixVersion) in a project."""
        with self.lock:
            found = self._project(project)
            version = Version(self._next_id("version"), found.id, name)
            self._check_version_name(version, name)
            body = {
                "description": description,
                "released": released,
                "releaseDate": release_date.isoformat() if release_date else None,
            }
            self._update_version(version, body)
            self.versions_by_id[version.id] = version
            return self.version_json(version)

    def issue(self, key: str) -> dict[str, Any]:
        """One issue's full JSON."""
        with self.lock:
            return self.issue_json(self._issue(key))

    def issues(self, project: str) -> list[dict[str, Any]]:
        """Every issue of a project, oldest first."""
        with self.lock:
            found = self._project(project)
            return [self.issue_json(self.issues_by_key[key]) for key in found.issue_keys]

    def versions(self, project: str) -> list[dict[str, Any]]:
        """Every version of a project."""
        with self.lock:
            found = self._project(project)
            return [
                self.version_json(v)
                for v in self.versions_by_id.values()
                if v.project_id == found.id
            ]


_FIELD_SETTERS = {
    "summary": JiraSandbox._set_summary,
    "description": JiraSandbox._set_description,
    "labels": JiraSandbox._set_labels,
    "assignee": JiraSandbox._set_assignee,
    "fixVersions": JiraSandbox._set_fix_versions,
    "duedate": JiraSandbox._set_duedate,
    "priority": JiraSandbox._set_priority,
    "parent": JiraSandbox._set_parent,
    "issuetype": JiraSandbox._set_issuetype,
}

_HELPER_FIELDS = {
    "summary": "summary",
    "description": "description",
    "labels": "labels",
    "assignee": "assignee",
    "fix_versions": "fixVersions",
    "duedate": "duedate",
}


def _helper_field(name: str, value: Any) -> tuple[str, Any]:
    """Translate a helper keyword (Python values) into the REST field and value."""
    if name not in _HELPER_FIELDS:
        raise TypeError(f"edit_issue() cannot edit {name!r}; use one of {sorted(_HELPER_FIELDS)}")
    if name == "assignee":
        return "assignee", {"accountId": value} if value else None
    if name == "fix_versions":
        return "fixVersions", [{"name": v} for v in value]
    if name == "labels":
        return "labels", list(value)
    if name == "duedate":
        return "duedate", value.isoformat() if value else None
    return _HELPER_FIELDS[name], value


def _snapshot(issue: Issue) -> tuple[Any, ...]:
    return (
        issue.summary,
        issue.description,
        tuple(issue.labels),
        issue.assignee,
        tuple(issue.fix_versions),
        issue.duedate,
        issue.priority,
        issue.parent,
        issue.issuetype,
        issue.flagged,
    )


_JQL_VALUES: dict[str, Any] = {
    "project": lambda sandbox, i: (
        i.project,
        str(sandbox.projects[i.project].id),
        sandbox.projects[i.project].name,
    ),
    "key": lambda _s, i: (i.key, str(i.id)),
    "labels": lambda _s, i: i.labels,
    "fixversion": lambda s, i: [
        n for v in i.fix_versions for n in (s.versions_by_id[v].name, str(v))
    ],
    "status": lambda s, i: (i.status, s.statuses[i.status][0]),
    "statuscategory": lambda s, i: (
        s.statuses[i.status][1],
        CATEGORIES[s.statuses[i.status][1]]["name"],
    ),
    "updated": lambda _s, i: (i.updated,),
    "created": lambda _s, i: (i.created,),
    "duedate": lambda _s, i: (i.duedate,) if i.duedate else (),
    "resolution": lambda _s, i: (i.resolution,) if i.resolution else (),
    "assignee": lambda s, i: _assignee_values(s, i),
    "issuetype": lambda _s, i: (i.issuetype, ISSUE_TYPES[i.issuetype][0]),
    "parent": lambda _s, i: (i.parent,) if i.parent else (),
    "summary": lambda _s, i: (i.summary,),
    "description": lambda _s, i: (i.description,) if i.description else (),
}


def _assignee_values(sandbox: JiraSandbox, issue: Issue) -> tuple[str, ...]:
    if issue.assignee is None:
        return ()
    user = sandbox.users.get(issue.assignee)
    return (issue.assignee, user.name or "") if user else (issue.assignee,)


def _sort_key(field_name: str) -> Any:
    if field_name == "key":
        return lambda i: (i.project, i.number)
    if field_name in ("updated", "created"):
        return lambda i: getattr(i, field_name)
    if field_name == "duedate":
        return lambda i: (i.duedate is None, i.duedate or date.min)
    if field_name == "project":
        return lambda i: i.project
    return lambda i: str(getattr(i, field_name, "") or "").lower()


def _order(issues: list[Issue], order: Sequence[tuple[str, bool]]) -> list[Issue]:
    """Stable multi-key sort: apply the last key first."""
    result = sorted(issues, key=lambda i: i.id)
    for field_name, descending in reversed(order):
        result.sort(key=_sort_key(field_name), reverse=descending)
    return result


def _select_fields(
    spec: Sequence[str], *, default: str, every: Sequence[str] = ALL_FIELDS
) -> set[str] | None:
    """Which fields to render: `*all`, `*navigable`, names, `-name` exclusions (`every`:
    the site's fields; a name the site lacks is ignored, as Jira does)."""
    items = _split(spec) or [default]
    selected: set[str] = set()
    for item in items:
        if item == "*all":
            selected |= set(every)
        elif item == "*navigable":
            selected |= set(every) - NOT_NAVIGABLE
        elif item.startswith("-"):
            selected.discard(item[1:])
        else:
            selected.add(item)
    return selected


def _listify(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _int_arg(value: Any, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError) as exc:
        raise ApiError(400, [f"'{value}' is not a valid number."]) from exc


def _encode_token(offset: int, jql_text: str) -> str:
    raw = json.dumps({"o": offset, "q": jql_text}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: Any, jql_text: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError(400, ["The provided next page token is invalid."]) from exc
    if data.get("q") != jql_text:
        raise ApiError(400, ["The next page token does not belong to this query."])
    return offset


# How `GET /field` describes each system field: name, schema and JQL clause names, as a
# Jira Cloud site answers (checked against the official description's `FieldDetails`).
_SYSTEM_FIELDS: dict[str, tuple[str, dict[str, str] | None, list[str]]] = {
    "summary": ("Summary", {"type": "string"}, ["summary"]),
    "description": ("Description", {"type": "string"}, ["description"]),
    "status": ("Status", {"type": "status"}, ["status"]),
    "resolution": ("Resolution", {"type": "resolution"}, ["resolution"]),
    "assignee": ("Assignee", {"type": "user"}, ["assignee"]),
    "reporter": ("Reporter", {"type": "user"}, ["reporter"]),
    "creator": ("Creator", {"type": "user"}, ["creator"]),
    "labels": ("Labels", {"type": "array", "items": "string"}, ["labels"]),
    "fixVersions": ("Fix versions", {"type": "array", "items": "version"}, ["fixVersion"]),
    "duedate": ("Due date", {"type": "date"}, ["due", "duedate"]),
    "issuetype": ("Issue Type", {"type": "issuetype"}, ["issuetype", "type"]),
    "parent": ("Parent", None, ["parent"]),
    "priority": ("Priority", {"type": "priority"}, ["priority"]),
    "project": ("Project", {"type": "project"}, ["project"]),
    "created": ("Created", {"type": "datetime"}, ["created", "createdDate"]),
    "updated": ("Updated", {"type": "datetime"}, ["updated", "updatedDate"]),
    "comment": ("Comment", {"type": "comments-page"}, ["comment"]),
    "issuelinks": ("Linked Issues", {"type": "array", "items": "issuelinks"}, ["issueLink"]),
}


def _field_def(name: str) -> dict[str, Any]:
    """A system field as `GET /field` lists it."""
    label, schema, clauses = _SYSTEM_FIELDS[name]
    data: dict[str, Any] = {
        "id": name,
        "key": name,
        "name": label,
        "custom": False,
        "orderable": name not in ("created", "updated", "creator", "parent", "comment"),
        "navigable": name not in NOT_NAVIGABLE,
        "searchable": True,
        "clauseNames": clauses,
    }
    if schema is not None:
        data["schema"] = {**schema, "system": name}
    return data


def _flagged_def(field_id: str) -> dict[str, Any]:
    """The site's Flagged custom field as `GET /field` lists it (a checkbox field)."""
    number = field_id.removeprefix("customfield_")
    schema: dict[str, Any] = {"type": "array", "items": "option", "custom": FLAGGED_SCHEMA}
    if number.isdigit():
        schema["customId"] = int(number)
    return {
        "id": field_id,
        "key": field_id,
        "name": "Flagged",
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{number}]", "Flagged", "Flagged[Checkboxes]"],
        "schema": schema,
    }


def _adf(text: str) -> dict[str, Any]:
    """Plain text as a minimal Atlassian Document Format document (v3 bodies)."""
    paragraphs = [p for p in text.split("\n\n") if p]
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs
        ],
    }
