"""The Jira connector: configuration, `check` and the incremental `pull`."""

from __future__ import annotations

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
from trackersync.connectors.jira import mapping
from trackersync.connectors.jira.client import JiraClient
from trackersync.connectors.retry import RetryPolicy
from trackersync.errors import ConfigError
from trackersync.sync.model import PullResult, Ref, Task

# Jira's JQL dates have minute granularity and search is eventually consistent: every
# incremental query reaches this far behind the newest `updated` already seen.
OVERLAP = timedelta(minutes=2)
# The (key, updated) pairs kept in the cursor cover the whole re-read window: the overlap,
# plus rounding the window up to whole minutes, plus Jira flooring the bound to a minute.
SEEN_WINDOW = OVERLAP + timedelta(minutes=3)


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


def build_jql(project: str, minutes_back: int | None) -> str:
    """The pull query: the project, optionally the relative window, a stable order."""
    escaped = project.replace("\\", "\\\\").replace('"', '\\"')
    window = f' AND updated >= "-{minutes_back}m"' if minutes_back is not None else ""
    return f'project = "{escaped}"{window} ORDER BY updated ASC, key ASC'


class JiraConnector(Connector):
    """Jira Cloud (enhanced search) or Server/Data Center (offset search) via `jira`."""

    type: ClassVar[str] = "jira"
    Config: ClassVar[type[ConnectorConfig]] = JiraConfig
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

    @property
    def scopes(self) -> list[str]:
        """The configured project keys."""
        return list(self.jira_config.projects)

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
        base_url = self.jira_config.url
        for raw in self.client.search(jql, self._fields(), cloud=self._cloud()):
            self._complete_comments(raw)
            task = mapping.task_from_issue(
                raw,
                connector=self.name,
                project=scope,
                base_url=base_url,
                flagged_field=self.flagged_field,
            )
            key = task.ref.key
            pairs.append((key, task.updated_at))
            if (key, _stamp(task.updated_at)) not in window.seen:
                tasks.append(task)
        return tasks, pairs

    def _fields(self) -> list[str]:
        return [*mapping.FIELDS, self.flagged_field]

    def _complete_comments(self, raw: dict[str, Any]) -> None:
        """Fetch the rest when Jira cut the inline comment page short (rare, costs GETs)."""
        page = (raw.get("fields") or {}).get("comment") or {}
        inline = page.get("comments") or []
        if int(page.get("total") or 0) > len(inline):
            inline.extend(self.client.comments(raw["key"], len(inline)))
            page["comments"] = inline

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
