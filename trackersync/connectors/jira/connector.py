"""The Jira connector: configuration, `check`, the incremental `pull` and the writes."""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

from trackersync.connectors.base import (
    CheckReport,
    Connector,
    ConnectorConfig,
    Duration,
    RateBudget,
    ScopeReport,
)
from trackersync.connectors.jira import mapping, workflow
from trackersync.connectors.jira.client import JiraClient
from trackersync.connectors.jira.markup import to_markdown, to_wiki
from trackersync.connectors.retry import RetryPolicy
from trackersync.errors import ConfigError, ItemFailed, MalformedData
from trackersync.sync.model import (
    Comment,
    Milestone,
    Origin,
    PullResult,
    Ref,
    Status,
    StatusCategory,
    Task,
    TaskFields,
)

# Jira's JQL dates have minute granularity and search is eventually consistent: every
# incremental query reaches this far behind the newest `updated` already seen.
OVERLAP = timedelta(minutes=2)
# The (key, updated) pairs kept in the cursor cover the whole re-read window: the overlap,
# plus rounding the window up to whole minutes, plus Jira flooring the bound to a minute.
SEEN_WINDOW = OVERLAP + timedelta(minutes=3)
# Jira refuses descriptions and comments over 32,767 characters; Markdown → wiki grows a
# little (escapes), so the engine cuts Markdown to `text_limit` and we cut wiki here.
WIKI_LIMIT = 32_000
WIKI_CUT_NOTE = "\n\n_(cut by trackersync: the original is longer)_"
# `find_twin` looks at items created this recently: a crash is reconciled on the next run.
RECENT = "-60m"


class JiraConfig(ConnectorConfig):
    """A `type: jira` connector section."""

    type: Literal["jira"]
    url: str
    email_env: str | None = None
    token_env: str
    projects: list[str]
    api: Literal["auto", "cloud", "server"] = "auto"
    write_interval: Duration = timedelta(0)
    timeout: Duration = timedelta(seconds=30)

    def scope_names(self) -> list[str]:
        """The configured project keys."""
        return list(self.projects)


@dataclass(frozen=True)
class Window:
    """The incremental cursor: the newest `updated` seen and the pairs at the top of it."""

    newest: datetime | None = None
    seen: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def load(cls, cursor: Mapping[str, Any]) -> Window:
        """Read a cursor written by `dump` ({} = first pull)."""
        if not cursor.get("updated"):
            return cls()
        try:
            newest = datetime.fromisoformat(cursor["updated"])
            seen = frozenset((str(k), str(u)) for k, u in cursor.get("seen", []))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"the stored Jira cursor is unreadable: {cursor!r}") from exc
        return cls(newest, seen)

    def minutes_back(self, server_now: datetime) -> int | None:
        """N for `updated >= "-Nm"`: from the server clock back past the overlap window."""
        if self.newest is None:
            return None
        span = (server_now - self.newest + OVERLAP).total_seconds()
        return max(1, math.ceil(span / 60))

    def advance(self, pairs: Iterable[tuple[str, datetime]], fallback: datetime) -> Window:
        """The next window after seeing `pairs` (key, updated); never moves backwards."""
        pairs = list(pairs)
        candidates = [moment for _, moment in pairs] + ([self.newest] if self.newest else [])
        # Nothing seen yet: start from the server clock at the start of this pull.
        newest = max(candidates) if candidates else fallback
        floor = newest - SEEN_WINDOW
        seen = {(key, _stamp(moment)) for key, moment in pairs if moment >= floor}
        seen |= {(k, u) for k, u in self.seen if datetime.fromisoformat(u) >= floor}
        return Window(newest, frozenset(seen))

    def dump(self) -> dict[str, Any]:
        """The JSON-serialisable cursor."""
        if self.newest is None:
            return {}
        return {"updated": _stamp(self.newest), "seen": sorted([k, u] for k, u in self.seen)}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def quote_project(project: str) -> str:
    """A project key as a JQL string literal."""
    escaped = project.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def build_jql(project: str, minutes_back: int | None) -> str:
    """The pull query: the project, optionally the relative window, a stable order."""
    window = f' AND updated >= "-{minutes_back}m"' if minutes_back is not None else ""
    return f"project = {quote_project(project)}{window} ORDER BY updated ASC, key ASC"


class JiraConnector(Connector):
    """Jira Cloud (enhanced search) or Server/Data Center (offset search) via `jira`."""

    type: ClassVar[str] = "jira"
    # builtins.type: inside this class body `type` is the connector's name attribute.
    Config: ClassVar[builtins.type[ConnectorConfig]] = JiraConfig
    display_name: ClassVar[str] = "Jira"
    labels_allow_spaces: ClassVar[bool] = False
    distinct_open_statuses: ClassVar[bool] = True
    at_mentions: ClassVar[bool] = False
    renders_html: ClassVar[bool] = False
    text_limit: ClassVar[int] = 30_000
    issue_type: ClassVar[str] = "Task"
    # Jira Software's "Flagged" field; its id differs per site, this is the common one.
    flagged_field: ClassVar[str] = "customfield_10021"

    def __init__(
        self,
        name: str,
        config: ConnectorConfig,
        env: Mapping[str, str],
        *,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(name, config, env)
        if not isinstance(config, JiraConfig):
            raise ConfigError(f"connector {name} needs a jira configuration section")
        self.jira_config = config
        self.retry_policy = retry_policy
        token = config.secret(env, config.token_env, key=f"connectors.{name}.token_env")
        self._credentials: tuple[str, str] | str = token
        if config.email_env is not None:
            email = config.secret(env, config.email_env, key=f"connectors.{name}.email_env")
            self._credentials = (email, token)
        self._client: JiraClient | None = None
        # Per-run caches: version ids by name per project, the transitions available per
        # (project, issue type, from-status), the status a new issue starts in.
        self._versions: dict[str, dict[str, str]] = {}
        self._transitions: dict[tuple[str, str, str], list[workflow.Transition]] = {}
        self._initial: dict[tuple[str, str], Status] = {}

    @property
    def client(self) -> JiraClient:
        """The HTTP client, made on first use (the constructor does no network)."""
        if self._client is None:
            config = self.jira_config
            variables = " and ".join(v for v in (config.email_env, config.token_env) if v)
            self._client = JiraClient(
                system=self.name,
                url=config.url,
                credentials=self._credentials,
                auth_hint=f"check the credentials in {variables}",
                timeout=config.timeout.total_seconds(),
                policy=self.retry_policy,
            )
        return self._client

    def _cloud(self) -> bool:
        api = self.jira_config.api
        if api != "auto":
            return api == "cloud"
        return self.client.server_info().cloud

    def pull(self, scope: str, cursor: Mapping[str, Any]) -> PullResult:
        """Everything in project `scope` that changed since `cursor`, plus its versions."""
        client = self.client
        first_request = client.requests
        info = client.server_info()
        window = Window.load(cursor)
        started = info.now()
        jql = build_jql(scope, window.minutes_back(started))
        tasks, pairs = self._changed_tasks(scope, jql, window)
        versions, _headers = client.get(f"project/{scope}/versions")
        self._versions[scope] = _version_ids(versions)
        milestones = [
            mapping.milestone_from_version(v, connector=self.name, project=scope) for v in versions
        ]
        return PullResult(
            scope=str(Ref(self.name, scope)),
            tasks=tasks,
            milestones=milestones,
            cursor=window.advance(pairs, fallback=started).dump(),
            requests=client.requests - first_request,
        )

    def _changed_tasks(
        self, scope: str, jql: str, window: Window
    ) -> tuple[list[Task], list[tuple[str, datetime]]]:
        tasks: list[Task] = []
        pairs: list[tuple[str, datetime]] = []
        found = self.client.search(
            jql, self._fields(), cloud=self._cloud(), properties=[mapping.PROPERTY]
        )
        for raw in found:
            task = self._task(raw, scope)
            key = task.ref.key
            pairs.append((key, task.updated_at))
            if (key, _stamp(task.updated_at)) in window.seen:
                continue  # re-read by the overlap window, unchanged: no comment look-ups
            if self._complete_comments(raw):
                task = self._task(raw, scope)
            tasks.append(task)
        return tasks, pairs

    def _fields(self) -> list[str]:
        return [*mapping.FIELDS, self.flagged_field]

    def _complete_comments(self, raw: dict[str, Any]) -> bool:
        """Fetch the rest when Jira cut the inline comment page short (rare, costs GETs);
        whether anything was added."""
        page = (raw.get("fields") or {}).get("comment") or {}
        inline = page.get("comments") or []
        if int(page.get("total") or 0) <= len(inline):
            return False
        inline.extend(self.client.comments(raw["key"], len(inline)))
        page["comments"] = inline
        return True

    def check(self) -> CheckReport:
        """serverInfo, the API user and time zone, each project's visibility, the budget."""
        client = self.client
        info = client.server_info()
        me, _headers = client.get("myself")
        scopes = [self._check_project(key) for key in self.jira_config.projects]
        user = me.get("displayName") or me.get("accountId") or me.get("name") or "?"
        return CheckReport(
            connector=self.name,
            user=f"{user} (time zone {me.get('timeZone', 'unknown')})",
            server=f"Jira {info.deployment} {info.version} at {info.base_url}",
            scopes=scopes,
            rate=_budget(client.last_headers),
        )

    def _check_project(self, key: str) -> ScopeReport:
        try:
            project, _headers = self.client.get(f"project/{key}")
        except ConfigError as exc:
            return ScopeReport(scope=key, visible=False, detail=str(exc))
        return ScopeReport(scope=key, visible=True, detail=str(project.get("name", "")))

    # ---------------------------------------------------------------- writes

    def create_item(self, scope: str, fields: TaskFields, origin: Origin) -> Task:
        """POST the issue with its marker property, the remote link back, a transition.

        The marker rides inline in the create (`properties`), so an issue never exists
        without it; the remote link's `globalId` makes repeating that POST harmless.
        """
        ref = origin.ref
        rest = {
            "project": {"key": scope},
            "issuetype": {"name": self.issue_type},
            "summary": fields.title or origin.ref,
            **self._field_values(scope, ref, fields, None),
        }
        marker = [{"key": mapping.PROPERTY, "value": {"twin_of": origin.ref}}]
        created = self.client.write(
            "POST", "issue", {"fields": rest, "properties": marker}, ref=ref
        )
        key = created.get("key") if isinstance(created, dict) else None
        if not key:
            raise MalformedData(self.name, f"POST /issue answered no key: {created!r}")
        self.client.write("POST", f"issue/{key}/remotelink", remote_link(origin), ref=ref)
        wanted = fields.status if "status" in fields.model_fields_set else None
        initial = self._initial.get((scope, self.issue_type))
        if wanted is not None and initial is not None:
            if initial.category is not wanted:
                self._move(key, (scope, self.issue_type, initial.name), wanted, ref)
            return self._read_issue(key, scope)
        # The first create of the run learns the status new issues start in.
        task = self._read_issue(key, scope)
        self._initial[(scope, self.issue_type)] = task.status
        if wanted is not None and task.status.category is not wanted:
            self._move(key, (scope, self.issue_type, task.status.name), wanted, ref)
            task = self._read_issue(key, scope)
        return task

    def update_item(self, item: Task, changes: TaskFields, marker: Origin | None = None) -> Task:
        """One PUT with the fields that differ, a transition if the category changes.

        With `marker` (the marker property was deleted), the property is written again.
        """
        scope, key, ref = item.ref.scope, item.ref.key, str(item.ref)
        edits = self._field_values(scope, ref, changes, item)
        wanted = changes.status if "status" in changes.model_fields_set else None
        move = wanted is not None and item.status.category is not wanted
        restore = marker is not None and item.raw.get("twin_of") != marker.ref
        if not edits and not move and not restore:
            return item
        if marker is not None and restore:
            path = f"issue/{key}/properties/{mapping.PROPERTY}"
            self.client.write("PUT", path, {"twin_of": marker.ref}, ref=ref)
        if edits:
            self.client.write("PUT", f"issue/{key}", {"fields": edits}, ref=ref)
        if move and wanted is not None:
            kind = item.type or self.issue_type
            self._move(key, (scope, kind, item.status.name), wanted, ref)
        return self._read_issue(key, scope)

    def create_comment(self, item: Task, body: str, origin: Origin) -> Comment:
        """POST a comment: header naming author and origin, the body, the marker line."""
        wiki = self._comment_wiki(body, origin)
        path = f"issue/{item.ref.key}/comment"
        data = self.client.write("POST", path, {"body": wiki}, ref=str(item.ref))
        return mapping.comment_from(data)

    def update_comment(self, item: Task, comment: Comment, body: str, origin: Origin) -> Comment:
        """PUT a mirrored comment's new text; no request when a pull would show no change."""
        if comment.mirror_of == origin.marker_id and comment.body == to_markdown(to_wiki(body)):
            return comment
        wiki = self._comment_wiki(body, origin)
        path = f"issue/{item.ref.key}/comment/{comment.id}"
        data = self.client.write("PUT", path, {"body": wiki}, ref=str(item.ref))
        return mapping.comment_from(data)

    def find_twin(self, scope: str, origin: str) -> Task | None:
        """The issue whose marker names `origin`, among the newest created this last hour."""
        jql = f'project = {quote_project(scope)} AND created >= "{RECENT}" ORDER BY created DESC'
        found = self.client.search(
            jql, self._fields(), cloud=self._cloud(), properties=[mapping.PROPERTY], max_pages=1
        )
        for raw in found:
            if mapping.twin_of(raw) == origin:
                self._complete_comments(raw)
                return self._task(raw, scope)
        return None

    def update_milestone(self, milestone: Milestone, description: str) -> Milestone:
        """One PUT of the version's description; Jira answers with the whole version."""
        path = f"version/{milestone.id}"
        ref = f"{milestone.scope}:{milestone.name}"
        data = self.client.write("PUT", path, {"description": description}, ref=ref)
        if not isinstance(data, dict):
            raise MalformedData("jira", f"PUT {path} did not answer a version")
        return mapping.milestone_from_version(
            data, connector=self.name, project=milestone.scope.scope
        )

    def filter_keys(self, scope: str, query: str | dict[str, Any]) -> set[str]:
        """The keys of the issues in project `scope` that the JQL `query` selects."""
        if not isinstance(query, str) or not query.strip():
            raise ConfigError(f"{self.name}: a Jira link filter is JQL text, got {query!r}")
        jql = f"project = {quote_project(scope)} AND ({query})"
        # Key-only searches may ask for big pages (Cloud allows 5,000 when only ids/keys).
        found = self.client.search(jql, ["key"], cloud=self._cloud(), page_size=1000)
        return {str(raw["key"]) for raw in found}

    # ---------------------------------------------------------------- write helpers

    def _field_values(
        self, scope: str, ref: str, fields: TaskFields, item: Task | None
    ) -> dict[str, Any]:
        """REST `fields` for the set values of `fields` that differ from `item` (None: new)."""
        wanted = fields.model_fields_set
        out: dict[str, Any] = {}
        if "title" in wanted and fields.title and (item is None or fields.title != item.title):
            out["summary"] = fields.title
        if "body" in wanted:
            wiki = _fit(to_wiki(fields.body))
            current = str(item.raw.get("description_wiki") or "") if item else ""
            if wiki != current:
                out["description"] = wiki or None
        if "labels" in wanted and fields.labels is not None:
            labels = list(dict.fromkeys(fields.labels))
            if sorted(labels) != sorted(item.labels if item else ()):
                out["labels"] = labels
        if "assignees" in wanted and fields.assignees is not None:
            who = fields.assignees[0] if fields.assignees else None
            if who != (item.assignees[0] if item and item.assignees else None):
                out["assignee"] = self._user(who)
        if "milestone" in wanted and fields.milestone != (item.milestone if item else None):
            name = fields.milestone
            out["fixVersions"] = [] if name is None else [{"id": self._version(scope, ref, name)}]
        return out

    def _user(self, who: str | None) -> dict[str, str] | None:
        """Cloud names users by accountId, Server/Data Center by user name."""
        if who is None:
            return None
        return {"accountId": who} if self._cloud() else {"name": who}

    def _version(self, scope: str, ref: str, name: str) -> str:
        """The id of version `name`, created when the project has none by that name."""
        known = self._versions.get(scope)
        if known is None:
            versions, _headers = self.client.get(f"project/{scope}/versions")
            known = self._versions[scope] = _version_ids(versions)
        if name not in known:
            # POST /version directly: the library's create_version sleeps a second after.
            made = self.client.write("POST", "version", {"name": name, "project": scope}, ref=ref)
            known[name] = str(made["id"])
        return known[name]

    def _move(
        self, key: str, where: tuple[str, str, str], wanted: StatusCategory, ref: str
    ) -> None:
        """Transition `key` (at `where` = project, type, status) to a `wanted` status."""
        options = self._options(key, where)
        choice = workflow.choose(options, wanted)
        if choice is None:
            # Done → canceled (and back) has no direct step in most workflows: go through
            # an open status first, then choose again from there.
            step = workflow.detour(options)
            if step is None:
                raise ItemFailed(ref, f"no transition from {where[2]!r} to a {wanted} status")
            self._post_transition(key, step, {}, ref)
            options = self._options(key, (where[0], where[1], step.to_name))
            choice = workflow.choose(options, wanted)
            if choice is None:
                raise ItemFailed(ref, f"no transition from {where[2]!r} to a {wanted} status")
        self._post_transition(key, *choice, ref)

    def _options(self, key: str, where: tuple[str, str, str]) -> list[workflow.Transition]:
        if where not in self._transitions:
            params = {"expand": "transitions.fields"}
            data, _headers = self.client.get(f"issue/{key}/transitions", params)
            self._transitions[where] = workflow.parse_transitions(data)
        return self._transitions[where]

    def _post_transition(
        self, key: str, transition: workflow.Transition, fields: dict[str, Any], ref: str
    ) -> None:
        body: dict[str, Any] = {"transition": {"id": transition.id}}
        if fields:
            body["fields"] = fields
        self.client.write("POST", f"issue/{key}/transitions", body, ref=ref)

    def _comment_wiki(self, body: str, origin: Origin) -> str:
        label = f"{origin.system} {origin_label(origin.ref)}"
        return mapping.comment_wiki(body, origin.author, (label, origin.url), origin.marker_id)

    def _read_issue(self, key: str, scope: str) -> Task:
        """The issue as a pull shows it. Jira's write answers carry no issue (POST /issue:
        id and key; PUT and transitions: 204), so a write ends with this one GET."""
        params = {"fields": ",".join(self._fields()), "properties": mapping.PROPERTY}
        data, _headers = self.client.get(f"issue/{key}", params)
        self._complete_comments(data)
        return self._task(data, scope)

    def _task(self, raw: dict[str, Any], scope: str) -> Task:
        return mapping.task_from_issue(
            raw,
            connector=self.name,
            project=scope,
            base_url=self.jira_config.url,
            flagged_field=self.flagged_field,
        )

    def close(self) -> None:
        """Close the HTTP session."""
        if self._client is not None:
            self._client.close()
            self._client = None


def _budget(headers: Mapping[str, str]) -> RateBudget:
    def number(name: str) -> int | None:
        value = headers.get(name)
        return int(value) if value and value.strip().lstrip("-").isdigit() else None

    return RateBudget(
        remaining=number("X-RateLimit-Remaining"),
        limit=number("X-RateLimit-Limit"),
        resets_at=headers.get("X-RateLimit-Reset"),
    )


def _version_ids(versions: Any) -> dict[str, str]:
    return {str(v["name"]): str(v["id"]) for v in versions or [] if isinstance(v, dict)}


def _fit(wiki: str) -> str:
    """Wiki within Jira's field limit (the engine already cut the Markdown)."""
    if len(wiki) <= WIKI_LIMIT:
        return wiki
    return wiki[: WIKI_LIMIT - len(WIKI_CUT_NOTE)].rstrip() + WIKI_CUT_NOTE


def origin_label(ref_text: str) -> str:
    """How people name an item: `WEB-7` for Jira keys, `acme/web#12` otherwise."""
    ref = Ref.parse(ref_text)
    return ref.key if ref.key.startswith(f"{ref.scope}-") else f"{ref.scope}#{ref.key}"


def remote_link(origin: Origin) -> dict[str, Any]:
    """The visible link back; its `globalId` makes a repeated POST update, not add."""
    return {
        "globalId": f"trackersync:{origin.ref}",
        "application": {"type": "trackersync", "name": "trackersync"},
        "relationship": "mirrors",
        "object": {
            "url": origin.url,
            "title": f"{origin.system} {origin_label(origin.ref)}",
            "summary": "Mirrored by trackersync",
        },
    }
