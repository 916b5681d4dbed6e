"""The Jira connector: configuration, `check`, the incremental `pull` and the writes."""

from __future__ import annotations

import builtins
import logging
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, Literal

from trackersync.connectors.base import (
    MARKER_AUTHORS,
    CheckReport,
    Connector,
    ConnectorConfig,
    Duration,
    HttpUrl,
    RateBudget,
    ScopeReport,
    StoredItems,
    StoredUpdates,
    authorship_cursor,
)
from trackersync.connectors.jira import fingerprint, mapping, workflow, written
from trackersync.connectors.jira.client import JiraClient, ServerInfo
from trackersync.connectors.jira.markup import fit, to_markdown, to_wiki
from trackersync.connectors.jira.wiki_blocks import merge_wiki
from trackersync.connectors.jira.window import (
    Reading,
    Window,
    build_jql,
    key_and_updated,
    local_minute,
    quote_project,
    stamp,
)
from trackersync.connectors.retry import RetryPolicy
from trackersync.errors import (
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
    Ref,
    StatusCategory,
    Task,
    TaskFields,
)

log = logging.getLogger(__name__)

# Jira refuses descriptions and comments over 32,767 characters; Markdown → wiki grows a
# little (escapes), so the engine cuts Markdown to `text_limit` and we cut wiki here.
WIKI_LIMIT = 32_000
WIKI_CUT_NOTE = "\n\n_(cut by trackersync: the original is longer)_"
# `find_twin` looks at items created this recently: a crash is reconciled on the next run.
RECENT = "-60m"
# Keys in a row that must be missing before `find_twin` stops reading keys one by one
# (a deleted or moved issue leaves a gap).
PROBE_MISSES = 3
# Jira Software's "Flagged" field: a checkbox custom field whose id differs per site, so
# it is found by name (`GET /field`) and its id kept in the cursor under SITE_FIELDS.
FLAGGED_NAME = "Flagged"
FLAGGED_SCHEMA = "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"
SITE_FIELDS = "site_fields"
# A site found without a Flagged field is asked again after this long.
FIELD_RECHECK = timedelta(days=1)


# `run --every` keeps serverInfo, the projects and the API user for this long (`reuse`),
# then reads them again: a project deleted and created again under its key is noticed.
REUSE_FOR = timedelta(hours=1)


@dataclass
class Kept:
    """What one process's successive connectors share (`reuse`): read once an hour."""

    since: float
    info: ServerInfo | None = None
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    myself: dict[str, Any] | None = None


class JiraConfig(ConnectorConfig):
    """A `type: jira` connector section."""

    type: Literal["jira"]
    url: HttpUrl
    email_env: str | None = None
    token_env: str
    projects: list[str]
    api: Literal["auto", "cloud", "server"] = "auto"
    # Where an issue trackersync creates shows its link back to the origin: the
    # description's last line (no extra request) or a remote link (one more write per
    # create, which doubles the writes of a first sync).
    back_link: Literal["remote_link", "description"] = "description"
    write_interval: Duration = timedelta(0)
    timeout: Duration = timedelta(seconds=30)

    def scope_names(self) -> list[str]:
        """The configured project keys."""
        return list(self.projects)


def _key_number(key: str) -> int | None:
    """42 for `WEB-42`."""
    _, _, number = key.rpartition("-")
    return int(number) if number.isdigit() else None


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
        # Per-run caches: version ids by name per project (and the names whose create was
        # refused), the workflow graph learned per (project, issue type) with the statuses
        # no issue is in, what a new issue of each (project, type) starts with
        # (`written.learn`: status, creator, default assignee).
        self._versions: dict[str, dict[str, str]] = {}
        self._refused_versions: dict[str, set[str]] = {}
        self._graphs: dict[tuple[str, str], dict[str, list[workflow.Transition]]] = {}
        self._unlearnable: dict[tuple[str, str], set[str]] = {}
        self._templates: dict[tuple[str, str], dict[str, Any]] = {}
        # `GET /myself`, read at most once per run: by `check`, or when an item or
        # comment carries a marker (the marker counts only if this user wrote it).
        self._myself: dict[str, Any] | None = None
        self._identity: mapping.Identity | None = None
        # The projects as `check` or `identity` read them.
        self._projects: dict[str, dict[str, Any]] = {}
        # The state store's `updated` per item, by scope (`use_stored`).
        self._stored: dict[str, StoredUpdates] = {}
        # The state store's tasks by key, by scope (`use_stored_items`).
        self._stored_items: dict[str, StoredItems] = {}
        # What earlier cycles of this process read (`reuse`), None outside `run --every`.
        self._kept: Kept | None = None
        # The id of this site's "Flagged" field (None: unknown, or the site has none), as
        # the pull found it (`_site_fields`): ids differ per site.
        self.flagged_field: str | None = None
        # What `_site_fields` found or took from a cursor this run (every scope's pull
        # reuses it: one site, one field list).
        self._site_entry: dict[str, Any] = {}

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
            if self._kept is not None and self._kept.info is not None:
                self._client.adopt(self._kept.info)
        return self._client

    def reuse(self, memo: dict[str, Any]) -> None:
        """serverInfo (its clock runs on), the projects (whose ids are their identity)
        and the API user, as an earlier cycle of this process read them: a quiet cycle
        then costs its search and the versions. Read again after `REUSE_FOR`."""
        key = f"jira {self.name} {self.jira_config.url}"
        kept = memo.get(key)
        now = time.monotonic()
        if not isinstance(kept, Kept) or now - kept.since > REUSE_FOR.total_seconds():
            kept = memo[key] = Kept(since=now)
        self._kept = kept
        self._projects = kept.projects
        self._myself = self._myself or kept.myself

    def clock_offset(self) -> timedelta | None:
        """Jira's clock minus ours, from `serverInfo` (read once per run, by the pull)."""
        return self.client.server_info().now() - datetime.now(UTC)

    def _cloud(self) -> bool:
        api = self.jira_config.api
        if api != "auto":
            return api == "cloud"
        return self.client.server_info().cloud

    def pull(self, scope: str, cursor: Mapping[str, Any]) -> PullResult:
        """Everything in project `scope` that changed since `cursor`, plus its versions.

        Comments come inline in the search and stay on the tasks; `PullResult` folds them
        into its `comments`. A new or edited comment bumps its issue's `updated`, so the
        issue (with every comment) is re-read even when nothing else about it changed.
        """
        client = self.client
        first_request = client.requests
        info = client.server_info()
        site_fields = self._site_fields(cursor, info)
        window = Window.load(authorship_cursor(cursor))
        started = info.now()
        jql = build_jql(scope, window.minutes_back(started))
        reading = self._changed_tasks(scope, jql, window)
        versions, _headers = client.get(f"project/{scope}/versions")
        self._versions[scope] = _version_ids(versions)
        milestones = self._milestones(scope, versions)
        return PullResult(
            scope=str(Ref(self.name, scope)),
            tasks=list(reading.tasks.values()),
            milestones=milestones,
            cursor={
                **window.advance(reading.pairs, fallback=started, held=reading.held).dump(),
                MARKER_AUTHORS: 1,
                SITE_FIELDS: site_fields,
            },
            requests=client.requests - first_request,
        )

    def _milestones(self, scope: str, versions: Any) -> list[Milestone]:
        """The project's versions; one that cannot be read is skipped with a warning."""
        milestones: list[Milestone] = []
        for version in versions if isinstance(versions, list) else []:
            try:
                milestones.append(
                    mapping.milestone_from_version(version, connector=self.name, project=scope)
                )
            except (MalformedData, TypeError, ValueError, AttributeError) as exc:
                log.warning(
                    "%s: a version of %s skipped, it cannot be read: %s", self.name, scope, exc
                )
        return milestones

    def _changed_tasks(self, scope: str, jql: str, window: Window) -> Reading:
        """Page through `jql`. A relative window (`-Nm`) moves with the server clock from
        page to page, and issues leaving its front would shift unread ones past a page
        boundary; so after the first page the query is pinned to an absolute start (the
        local minute of the newest issue read) and paged to the end."""
        reading = Reading({}, [], {})
        pages = self._search_pages(jql)
        issues, more = next(pages, ([], False))
        self._take(issues, scope, window, reading)
        if more and window.newest is not None and issues:
            pages.close()
            since = local_minute(str(issues[-1]["fields"]["updated"]))
            pages = self._search_pages(build_jql(scope, None, since))
        for issues, _more in pages:
            self._take(issues, scope, window, reading)
        return reading

    def _search_pages(self, jql: str) -> Generator[tuple[list[dict[str, Any]], bool], None, None]:
        return self.client.search_pages(
            jql, self._fields(), cloud=self._cloud(), properties=[mapping.PROPERTY]
        )

    def _take(
        self, issues: list[dict[str, Any]], scope: str, window: Window, reading: Reading
    ) -> None:
        known = self._known(issues, scope, window)
        held = self._held(issues, scope, window, known)
        for raw in issues:
            key, updated = key_and_updated(raw, self.name)
            before = reading.read.get(key)
            if before == updated:
                continue  # read again by the pinned query's first minute
            if before is not None:
                # Changed while we paged: it moved to the end of the ascending order, so
                # the issues after its old place moved up and one may have slid past a
                # page boundary unread. The cursor stops where the old place was.
                reading.held = min(reading.held or before, before)
            reading.read[key] = updated
            reading.pairs.append((key, updated))
            reading.tasks.pop(key, None)
            if (key, stamp(updated)) in window.seen or known.get(key) == updated:
                # Re-read by the overlap window, or our own write of the last cycle, and
                # the store holds this very version: not mapped again (no wiki → Markdown
                # conversion, no comment look-ups, no `GET /myself` for its marker).
                continue
            # Read again exactly as stored (our own write, above all): the stored task
            # with the times read now, no mapping (see `fingerprint`).
            task = fingerprint.reused(
                raw,
                held.get(key),
                flagged_field=self.flagged_field,
                base_url=self.jira_config.url,
            )
            if task is None:
                vouched = fingerprint.vouched_creator(
                    raw, held.get(key), base_url=self.jira_config.url
                )
                task = self._readable(raw, scope, vouched)
            if task is not None:
                reading.tasks[key] = task

    def _known(
        self, issues: list[dict[str, Any]], scope: str, window: Window
    ) -> dict[str, datetime]:
        """The `updated` the state store holds for this page's issues (one query a page).
        Not on a first or full pull: that one maps everything (say, to check who wrote
        the stored markers)."""
        stored = self._stored.get(scope)
        if stored is None or window.newest is None:
            return {}
        keys = [str(raw.get("key")) for raw in issues if isinstance(raw, dict)]
        known: dict[str, datetime] = {}
        for key, text in stored(keys).items():
            try:
                moment = datetime.fromisoformat(text)
            except (TypeError, ValueError):
                continue  # unreadable: mapped again, which is always safe
            # Jira stamps `updated` in whole milliseconds; a write recorded without
            # reading the issue back (`written`) carries the server clock's estimate
            # (microseconds, or the whole second of `Date`): never taken for Jira's own.
            if moment.microsecond % 1000 == 0 and moment.microsecond:
                known[key] = moment
        return known

    def _held(
        self,
        issues: list[dict[str, Any]],
        scope: str,
        window: Window,
        known: Mapping[str, datetime],
    ) -> Mapping[str, Task]:
        """The stored tasks of this page's issues that `_take` would map (one look-up a
        page), to take one re-read unchanged from there. Not on a first or full pull (as
        `_known`)."""
        lookup = self._stored_items.get(scope)
        if lookup is None or window.newest is None:
            return {}
        keys = []
        for raw in issues:
            key, updated = key_and_updated(raw, self.name)
            if (key, stamp(updated)) not in window.seen and known.get(key) != updated:
                keys.append(key)
        return lookup(keys) if keys else {}

    def use_stored_items(self, scope: str, items: StoredItems) -> None:
        """Keep the store's look-up of tasks for `scope`'s next pull (see `_held`)."""
        self._stored_items[scope] = items

    def use_stored(self, scope: str, stored: StoredUpdates) -> None:
        """Keep the store's look-up for `scope`'s next pull (see `_known`)."""
        self._stored[scope] = stored

    def _readable(
        self, raw: dict[str, Any], scope: str, vouched: mapping.Identity | None = None
    ) -> Task | None:
        """The task, or None with a warning when this one issue cannot be read: the rest
        of the project is still pulled (it is read again when it changes).

        `vouched`: the API user's identity as the stored issue already proves it
        (`fingerprint.vouched_creator`), which spares the `GET /myself`."""
        try:
            self._complete_comments(raw)
            return self._task(raw, scope, vouched)
        except (MalformedData, TypeError, ValueError, KeyError, AttributeError) as exc:
            log.warning("%s: issue %s skipped, it cannot be read: %s", self.name, raw["key"], exc)
            return None

    def _fields(self) -> list[str]:
        # Without a pull this run the Flagged field is unknown: left out, the issue reads
        # as not flagged until the next pull reads it again (our write bumps `updated`).
        return [*mapping.FIELDS, *([self.flagged_field] if self.flagged_field else [])]

    def _site_fields(self, cursor: Mapping[str, Any], info: ServerInfo) -> dict[str, Any]:
        """The site's field ids the pull needs (today: Flagged), as kept in `cursor` (or
        found by an earlier pull of this run), else looked up with one `GET /field`: when
        neither has them for this site, or they found no Flagged field over a day ago (a
        site may add Jira Software). Quiet cycles make no request for it. Sets
        `flagged_field`; returns the entry for the next cursor."""
        site = f"{info.base_url} {info.title}"
        kept = cursor.get(SITE_FIELDS)
        kept = kept if isinstance(kept, dict) and kept.get("site") == site else self._site_entry
        checked = _parse_moment(kept.get("checked"))
        flagged = kept.get("flagged")
        fresh = (
            kept.get("site") == site
            and checked is not None
            and (isinstance(flagged, str) or info.now() - checked < FIELD_RECHECK)
        )
        if not fresh:
            data, _headers = self.client.get("field")
            flagged = flagged_field_of(data)
            kept = {"site": site, "flagged": flagged, "checked": stamp(info.now())}
        self.flagged_field = flagged if isinstance(flagged, str) and flagged else None
        self._site_entry = dict(kept)
        return dict(kept)

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
        me = self._myself_json()
        scopes = [self._check_project(key) for key in self.jira_config.projects]
        user = me.get("displayName") or me.get("accountId") or me.get("name") or "?"
        return CheckReport(
            connector=self.name,
            user=f"{user} (time zone {me.get('timeZone', 'unknown')})",
            server=f"Jira {info.deployment} {info.version} at {info.base_url}",
            scopes=scopes,
            rate=_budget(client.last_headers),
        )

    def _myself_json(self) -> dict[str, Any]:
        if self._myself is None:
            data, _headers = self.client.get("myself")
            if not isinstance(data, dict):
                raise MalformedData(self.name, "GET /myself did not answer a user")
            self._myself = data
        return self._myself

    def _me(self) -> mapping.Identity | None:
        """The API user's identity (accountId on Cloud, key or name on Server)."""
        if self._identity is None:
            self._identity = mapping.identity(self._myself_json())
        return self._identity

    def _check_project(self, key: str) -> ScopeReport:
        try:
            project = self._project(key)
        except ConfigError as exc:
            return ScopeReport(scope=key, visible=False, detail=str(exc))
        return ScopeReport(scope=key, visible=True, detail=str(project.get("name", "")))

    def identity(self, scope: str) -> dict[str, str]:
        """The base URL and title serverInfo reports, and the project's id: a project
        deleted and created again under its key, or one on another instance, differs.
        serverInfo is read once per run anyway; the project costs one GET (none more
        after `check`, which read it already)."""
        info = self.client.server_info()
        project_id = self._project(scope).get("id")
        if project_id in (None, ""):
            raise MalformedData(self.name, f"GET /project/{scope} has no id")
        return {"url": info.base_url, "server": info.title, "project_id": str(project_id)}

    def _project(self, key: str) -> dict[str, Any]:
        """`GET /project/{key}`, once per run."""
        if key not in self._projects:
            try:
                project, _headers = self.client.get(f"project/{key}")
            except ConfigError as exc:  # 404: no such project, or the user cannot see it
                raise ScopeNotVisible(f"{self.name}:{key}") from exc
            if not isinstance(project, dict):
                raise MalformedData(self.name, f"GET /project/{key} did not answer an object")
            self._projects[key] = project
        return self._projects[key]

    # ---------------------------------------------------------------- writes

    def create_item(self, scope: str, fields: TaskFields, origin: Origin) -> Task:
        """POST the issue with its marker property, the link back (a remote link, or the
        description's last line with `back_link: description`), a transition.

        The marker rides inline in the create (`properties`), so an issue never exists
        without it (crash recovery finds twins by it); the remote link's `globalId` makes
        repeating that POST harmless.
        """
        ref = origin.ref
        kind = self._issue_type(scope, fields.type, ref)
        rest = {
            "project": {"key": scope},
            "issuetype": {"name": kind},
            "summary": mapping.short_title(fields.title or origin.ref),
            **self._field_values(scope, ref, fields, None),
        }
        if self.jira_config.back_link == "description":
            label = (f"{origin.system} {origin_label(origin.ref)}", origin.url)
            rest["description"] = mapping.back_link_wiki(rest.get("description") or "", label)
        marker = [{"key": mapping.PROPERTY, "value": {"twin_of": origin.ref}}]
        created = self.client.write(
            "POST", "issue", {"fields": rest, "properties": marker}, ref=ref
        )
        key = created.get("key") if isinstance(created, dict) else None
        if not key:
            raise MalformedData(self.name, f"POST /issue answered no key: {created!r}")
        if self.jira_config.back_link == "remote_link":
            self.client.write("POST", f"issue/{key}/remotelink", remote_link(origin), ref=ref)
        template = self._templates.setdefault((scope, kind), {})
        raw = written.created_issue(
            created,
            rest,
            origin.ref,
            template,
            self._version_names(scope),
            self._written_at(),
            self.flagged_field,
        )
        if raw is None:
            # The first create of the run (per type) is read back once (see `written`):
            # it shows the status new issues start in, their creator, the default assignee.
            raw = self._read_raw(key, created=True)
            written.learn(template, raw.get("fields") or {}, assigned="assignee" in rest)
        task = self._task(raw, scope)
        wanted = fields.status if "status" in fields.model_fields_set else None
        if wanted is None or task.status.category is wanted:
            return task
        steps = self._move(key, (scope, kind, task.status.name), wanted, ref)
        after = written.status_after(steps)
        if after is None:
            return self._read_issue(key, scope)
        return self._task(written.moved(raw, after, self._written_at()), scope)

    def _issue_type(self, scope: str, wanted: str | None, ref: str) -> str:
        """The type of a new issue: `wanted` (the link's `types` map) when the project has
        it, else Task when it has that, else the project's first type. The project is read
        once per run anyway (`identity`); without a wanted type and unread, it is not read
        just for this: Task, as before."""
        if not wanted and scope not in self._projects:
            return self.issue_type
        project = self._project(scope)
        kinds = [
            str(t["name"])
            for t in project.get("issueTypes") or []
            if isinstance(t, dict) and t.get("name") and not t.get("subtask")
        ]
        if wanted and wanted in kinds:
            return wanted
        fallback = self.issue_type if self.issue_type in kinds or not kinds else kinds[0]
        if wanted:
            log.warning(
                "%s: project %s has no issue type %r (it has %s), so the twin is a %s",
                ref,
                scope,
                wanted,
                ", ".join(kinds) or "none listed",
                fallback,
            )
        return fallback

    def update_item(self, item: Task, changes: TaskFields, marker: Origin | None = None) -> Task:
        """One PUT with the fields that differ, the route of transitions if the category
        changes (see `workflow`).

        With `marker` (the marker property was deleted), the property is written again.
        """
        scope, key, ref = item.ref.scope, item.ref.key, str(item.ref)
        edits = self._field_values(scope, ref, changes, item)
        verbs = self._fix_version_verbs(scope, ref, changes, item)
        wanted = changes.status if "status" in changes.model_fields_set else None
        move = wanted is not None and item.status.category is not wanted
        restore = marker is not None and item.twin_of != marker.ref
        if not edits and not verbs and not move and not restore:
            return item
        # The whole route is known before anything is written; without one, the other
        # fields are still written and the item fails once, its status untouched.
        steps: tuple[tuple[workflow.Transition, dict[str, Any]], ...] = ()
        stuck: ItemFailed | None = None
        if move and wanted is not None:
            where = (scope, item.type or self.issue_type, item.status.name)
            try:
                steps = self._route(key, where, wanted, ref)
            except ItemFailed as exc:
                stuck = exc
        if marker is not None and restore:
            path = f"issue/{key}/properties/{mapping.PROPERTY}"
            self.client.write("PUT", path, {"twin_of": marker.ref}, ref=ref)
        if edits or verbs:
            self.client.write("PUT", f"issue/{key}", _edit_body(edits, verbs), ref=ref)
        for transition, fields in steps:
            self._post_transition(key, transition, fields, ref)
        if stuck is not None:
            raise stuck
        # Whether a restored marker counts depends on the creator, which `item` lacks.
        # After fixVersion verbs, versions others added since our read are on the issue
        # too: only reading it back shows them (milestone changes are rare).
        after = written.status_after(steps) if steps else None
        task = (
            None
            if restore or verbs or (steps and after is None)
            else written.edited(
                item,
                edits,
                after=after,
                moment=self._written_at(),
                version_names=self._version_names(scope),
                base_url=self.jira_config.url,
                flagged_field=self.flagged_field,
            )
        )
        task = self._read_issue(key, scope) if task is None else task
        return _mirroring(task, changes.milestone) if verbs else task

    def create_comment(self, item: Task, body: str, origin: Origin) -> Comment:
        """POST a comment: header naming author and origin, the body, the marker line."""
        wiki = self._comment_wiki(body, origin)
        path = f"issue/{item.ref.key}/comment"
        data = self.client.write("POST", path, {"body": wiki}, ref=str(item.ref))
        return mapping.comment_from(data, self._me, self.jira_config.url)

    def update_comment(self, item: Task, comment: Comment, body: str, origin: Origin) -> Comment:
        """PUT a mirrored comment's new text; no request when a pull would show no change."""
        if comment.mirror_of == origin.marker_id and comment.body == to_markdown(
            to_wiki(body), None, self.jira_config.url
        ):
            return comment
        wiki = self._comment_wiki(body, origin)
        path = f"issue/{item.ref.key}/comment/{comment.id}"
        data = self.client.write("PUT", path, {"body": wiki}, ref=str(item.ref))
        return mapping.comment_from(data, self._me, self.jira_config.url)

    def find_twin(self, scope: str, origin: str) -> Task | None:
        """The issue the API user created whose marker names `origin`, among the newest
        created this last hour (a marker someone else set names no twin)."""
        jql = f'project = {quote_project(scope)} AND created >= "{RECENT}" ORDER BY created DESC'
        found = list(
            self.client.search(
                jql, self._fields(), cloud=self._cloud(), properties=[mapping.PROPERTY], max_pages=1
            )
        )
        for raw in found:
            task = self._twin_in(raw, scope, origin)
            if task is not None:
                return task
        # Search is not read-after-write consistent: the issues created last may not be
        # in it yet. Keys count up per project, so the keys after the newest one found
        # are read directly (GET /issue is always current) until a few do not exist.
        numbers = [_key_number(str(raw.get("key") or "")) for raw in found]
        newest = max((n for n in numbers if n is not None), default=None)
        if newest is None:
            newest = self._newest_number(scope)
        return self._probe_after(scope, newest, origin)

    def _twin_in(self, raw: dict[str, Any], scope: str, origin: str) -> Task | None:
        if mapping.twin_of(raw) != origin:
            return None
        self._complete_comments(raw)
        task = self._task(raw, scope)
        return task if task.by_trackersync else None

    def _newest_number(self, scope: str) -> int:
        """The number of the newest issue search knows in `scope` (0: none)."""
        jql = f"project = {quote_project(scope)} ORDER BY key DESC"
        found = self.client.search(jql, ["key"], cloud=self._cloud(), page_size=1, max_pages=1)
        return next((n for raw in found if (n := _key_number(str(raw.get("key")))) is not None), 0)

    def _probe_after(self, scope: str, newest: int, origin: str) -> Task | None:
        params = {"fields": ",".join(self._fields()), "properties": mapping.PROPERTY}
        number, misses = newest, 0
        while misses < PROBE_MISSES:
            number += 1
            try:
                raw, _headers = self.client.get(f"issue/{scope}-{number}", params)
            except ConfigError:  # 404: no such key (yet, or deleted)
                misses += 1
                continue
            misses = 0
            task = self._twin_in(raw, scope, origin) if isinstance(raw, dict) else None
            if task is not None:
                return task
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

    def update_milestone_due(self, milestone: Milestone, due: date | None) -> Milestone:
        """One PUT of the version's `releaseDate` (null clears it); Jira answers with the
        whole version. A refusal (404: no Administer Projects permission, or the version
        is gone) is a warning and the version is returned as it was."""
        path = f"version/{milestone.id}"
        ref = f"{milestone.scope}:{milestone.name}"
        body = {"releaseDate": None if due is None else due.isoformat()}
        try:
            data = self.client.write("PUT", path, body, ref=ref)
        except WriteUnanswered:
            raise  # may have been applied: retried next cycle
        except ItemFailed as exc:
            log.warning(
                "%s: release date left as it is (the API user needs the Administer "
                "Projects permission): %s",
                ref,
                exc.reason,
            )
            return milestone
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
        out |= self._summary_and_description(fields, item)
        if "labels" in wanted and fields.labels is not None:
            labels = list(dict.fromkeys(fields.labels))
            if sorted(labels) != sorted(item.labels if item else ()):
                out["labels"] = labels
        if "assignees" in wanted and fields.assignees is not None:
            who = fields.assignees[0] if fields.assignees else None
            if who != (item.assignees[0] if item and item.assignees else None):
                out["assignee"] = self._user(who)
        if "milestone" in wanted and item is None and fields.milestone is not None:
            # A new issue: its one fixVersion in `fields`. An existing one's change goes
            # by `update` verbs (`_fix_version_verbs`), never as a whole list.
            versions = self._fix_versions(scope, ref, fields.milestone, fields.milestone_due)
            if versions is not None:
                out["fixVersions"] = versions
        return out

    def _fix_version_verbs(
        self, scope: str, ref: str, changes: TaskFields, item: Task
    ) -> list[dict[str, Any]]:
        """Jira `update` verbs that swap the mirrored fixVersion (`item.milestone`) for
        `changes.milestone`: only that version changes, so a version someone adds in Jira
        after our read and before our write survives (a whole list in `fields` would
        overwrite it). Empty when nothing changes or the new version cannot be created."""
        name = changes.milestone
        if "milestone" not in changes.model_fields_set or name == item.milestone:
            return []
        verbs: list[dict[str, Any]] = []
        if name is not None:
            version = self._version(scope, ref, name, changes.milestone_due)
            if version is None:
                return []  # the create was refused: the fixVersions stay as they are
            verbs.append({"add": {"id": version}})
        if item.milestone is not None:
            known = self._versions.get(scope)
            if known is None:
                versions, _headers = self.client.get(f"project/{scope}/versions")
                known = self._versions[scope] = _version_ids(versions)
            # By id when known; a version deleted since is on no issue any more.
            if item.milestone in known:
                verbs.append({"remove": {"id": known[item.milestone]}})
        return verbs

    def _summary_and_description(self, fields: TaskFields, item: Task | None) -> dict[str, Any]:
        """`summary` and `description` where they differ. A title over Jira's limit is cut
        with an ellipsis and kept whole on top of the description (the pull takes it off
        again), so it is neither refused nor written again every run."""
        wanted = fields.model_fields_set
        out: dict[str, Any] = {}
        title = fields.title if "title" in wanted and fields.title else None
        if title and (item is None or mapping.short_title(title) != item.title):
            out["summary"] = mapping.short_title(title)
        cut = title is not None and mapping.short_title(title) != title
        was_cut = item is not None and "full_title" in item.raw
        if "body" in wanted or cut or (title and was_cut):
            stored = str(item.raw.get("description_wiki") or "") if item else ""
            # The link back trackersync put at the end (`back_link: description`) stays.
            current, back_link = mapping.split_back_link(stored)
            body = fields.body if "body" in wanted else (item.body if item else "")
            whole = title or (str(item.raw.get("full_title") or item.title) if item else "")
            text = mapping.with_full_title(whole, body or "")
            # Blocks whose text is unchanged keep their wiki (mentions, colours, panels).
            wiki = _fit(merge_wiki(current, text, self._converter(item))) + back_link
            if wiki != stored:
                out["description"] = wiki or None
        return out

    def _converter(self, item: Task | None) -> Callable[[str], str]:
        """Wiki → Markdown as a pull of `item` converts (its people and attachments)."""
        raw = item.raw if item is not None else {}
        people, files = raw.get("people") or {}, raw.get("files") or {}
        url = self.jira_config.url
        return lambda wiki: to_markdown(wiki, people, url, files)

    def _fix_versions(
        self, scope: str, ref: str, name: str, due: date | None
    ) -> list[dict[str, str]] | None:
        """A new issue's fixVersions: version `name`; None when it cannot be created."""
        version = self._version(scope, ref, name, due)
        return None if version is None else [{"id": version}]

    def _user(self, who: str | None) -> dict[str, str] | None:
        """Cloud names users by accountId, Server/Data Center by user name."""
        if who is None:
            return None
        return {"accountId": who} if self._cloud() else {"name": who}

    def _version(self, scope: str, ref: str, name: str, due: date | None = None) -> str | None:
        """The id of version `name`, created when the project has none by that name (with
        `due` as its release date: the date of the milestone it mirrors); None (a warning,
        once per run) when Jira refuses the create: versions need the Administer Projects
        permission, and the rest of the item's change still goes."""
        known = self._versions.get(scope)
        if known is None:
            versions, _headers = self.client.get(f"project/{scope}/versions")
            known = self._versions[scope] = _version_ids(versions)
        refused = self._refused_versions.setdefault(scope, set())
        if name not in known and name not in refused:
            # POST /version directly: the library's create_version sleeps a second after.
            # `projectId`, not the deprecated `project` key (the project is read once per
            # run, and usually already: `identity` and `check` read it too).
            body: dict[str, Any] = {"name": name, "projectId": int(self._project(scope)["id"])}
            if due is not None:
                body["releaseDate"] = due.isoformat()
            try:
                made = self.client.write("POST", "version", body, ref=ref)
            except ItemFailed as exc:
                refused.add(name)
                log.warning(
                    "%s: version %r not created in %s, so the fixVersion is left as it is "
                    "(the API user needs the Administer Projects permission): %s",
                    ref,
                    name,
                    scope,
                    exc.reason,
                )
                return None
            known[name] = str(made["id"])
        return known.get(name)

    def _move(
        self, key: str, where: tuple[str, str, str], wanted: StatusCategory, ref: str
    ) -> tuple[tuple[workflow.Transition, dict[str, Any]], ...]:
        """Transition `key` (at `where` = project, type, status) to a `wanted` status;
        the steps taken."""
        steps = self._route(key, where, wanted, ref)
        for transition, fields in steps:
            self._post_transition(key, transition, fields, ref)
        return steps

    def _route(
        self, key: str, where: tuple[str, str, str], wanted: StatusCategory, ref: str
    ) -> tuple[tuple[workflow.Transition, dict[str, Any]], ...]:
        """The whole route to a `wanted` status, learned before any step is taken (see
        `workflow`): `ItemFailed` naming the statuses when none is known."""
        project, kind, status = where
        graph = self._graphs.setdefault((project, kind), {})
        unlearnable = self._unlearnable.setdefault((project, kind), set())
        if status not in graph:
            graph[status] = self._transitions_of(key)
        while True:
            found = workflow.route(graph, status, wanted)
            if found.steps:
                return found.steps
            todo = workflow.worth_learning(graph, found.unexplored - unlearnable)
            if not todo:
                reached = sorted(found.unexplored)
                raise ItemFailed(ref, workflow.no_route(graph, status, wanted, reached))
            for name in todo:
                sample = self._issue_in(project, kind, name)
                if sample is None:
                    unlearnable.add(name)
                else:
                    graph[name] = self._transitions_of(sample)

    def _transitions_of(self, key: str) -> list[workflow.Transition]:
        params = {"expand": "transitions.fields"}
        data, _headers = self.client.get(f"issue/{key}/transitions", params)
        return workflow.parse_transitions(data)

    def _issue_in(self, project: str, kind: str, status: str) -> str | None:
        """The key of one issue of type `kind` in `status`, to learn that status's
        transitions from (a one-key search)."""
        jql = (
            f"project = {quote_project(project)} AND issuetype = {quote_project(kind)} "
            f"AND status = {quote_project(status)} ORDER BY updated DESC"
        )
        found = self.client.search(jql, ["key"], cloud=self._cloud(), page_size=1, max_pages=1)
        return next((str(raw["key"]) for raw in found if raw.get("key")), None)

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
        """The issue as a pull shows it: one GET, only where a write's outcome is Jira's
        to decide (see `written`)."""
        return self._task(self._read_raw(key), scope)

    def _read_raw(self, key: str, *, created: bool = False) -> dict[str, Any]:
        """`GET /issue/{key}` with the fields and the marker property a pull reads.

        An issue this run `created` names the API user as its creator: that spares the
        `GET /myself` its marker would otherwise need.
        """
        params = {"fields": ",".join(self._fields()), "properties": mapping.PROPERTY}
        data, _headers = self.client.get(f"issue/{key}", params)
        if not isinstance(data, dict):
            raise MalformedData(self.name, f"GET /issue/{key} did not answer an issue")
        if created and self._identity is None:
            self._identity = mapping.identity(mapping.creator_of(data.get("fields") or {}))
        self._complete_comments(data)
        return data

    def _written_at(self) -> datetime:
        """The server clock just after the last write (Jira's `updated`, within the time
        the answer took): serverInfo's clock (milliseconds; read once per run), never
        before the answer's `Date` header (whole seconds)."""
        now = self.client.server_info().now()
        answered = written.answered_at(self.client.last_headers)
        return now if answered is None else max(now, answered)

    def _version_names(self, scope: str) -> dict[str, str]:
        """Version names by id, as far as this run knows them."""
        return {version: name for name, version in self._versions.get(scope, {}).items()}

    def _task(
        self, raw: dict[str, Any], scope: str, vouched: mapping.Identity | None = None
    ) -> Task:
        task = mapping.task_from_issue(
            raw,
            connector=self.name,
            project=scope,
            base_url=self.jira_config.url,
            flagged_field=self.flagged_field,
            me=self._me if vouched is None else lambda: vouched,
        )
        # What it was made from: reading it again unchanged then costs no mapping.
        seen = fingerprint.parts(
            raw, flagged_field=self.flagged_field, base_url=self.jira_config.url
        )
        if seen is None:
            return task
        return task.model_copy(update={"raw": {**task.raw, fingerprint.SEEN: seen}})

    def close(self) -> None:
        """Close the HTTP session (keeping what the next cycle may reuse)."""
        if self._kept is not None:
            self._kept.myself = self._myself or self._kept.myself
            if self._client is not None:
                self._kept.info = self._client.known_info or self._kept.info
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


def flagged_field_of(fields: Any) -> str | None:
    """The id of the "Flagged" field in a `GET /field` answer: Jira Software's checkbox
    custom field by that name, else any field by that name; None when the site has none."""
    every = fields if isinstance(fields, list) else []
    named = [
        f
        for f in every
        if isinstance(f, dict) and f.get("name") == FLAGGED_NAME and isinstance(f.get("id"), str)
    ]
    checkbox = [f for f in named if (f.get("schema") or {}).get("custom") == FLAGGED_SCHEMA]
    found = (checkbox or named)[:1]
    return str(found[0]["id"]) if found else None


def _parse_moment(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _mirroring(task: Task, name: str | None) -> Task:
    """`task` naming version `name` (just added) as its milestone: Jira lists fixVersions
    in its own order, so the first one may be the team's own; the engine records this
    one as the synced version, and finds it again among the others on later pulls."""
    if name is None or name not in task.fix_versions or task.milestone == name:
        return task
    return task.model_copy(update={"milestone": name})


def _edit_body(fields: dict[str, Any], verbs: list[dict[str, Any]]) -> dict[str, Any]:
    """The `PUT /issue` body: plain `fields`, the fixVersions change as `update` verbs
    (a field may not be in both)."""
    body: dict[str, Any] = {"fields": fields} if fields else {}
    if verbs:
        body["update"] = {"fixVersions": verbs}
    return body


def _version_ids(versions: Any) -> dict[str, str]:
    return {str(v["name"]): str(v["id"]) for v in versions or [] if isinstance(v, dict)}


def _fit(wiki: str) -> str:
    """Wiki within Jira's field limit (the engine already cut the Markdown)."""
    return fit(wiki, WIKI_LIMIT, WIKI_CUT_NOTE)


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
