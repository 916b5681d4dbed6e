"""One pull cycle over every configured scope: connectors in, state store out.

Knows both the connectors and the state store, so it sits beside cli.py at the top.
A scope that fails keeps its old cursor; one failing scope never stops the others, and a
connector that refuses the credentials or cannot be reached is not asked again this run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from trackersync.config.loading import Settings
from trackersync.config.models import LinkConfig, MilestoneConfig
from trackersync.connectors.base import Connector
from trackersync.errors import AuthRefused, ItemFailed, RateLimited, TrackersyncError, Unreachable
from trackersync.sync.actions import SideName, Update
from trackersync.sync.apply import ApplyReport, ItemWriter, apply
from trackersync.sync.link import LinkSpec, Side
from trackersync.sync.model import Milestone, PullResult, Ref, Task, TaskFields
from trackersync.sync.plan import Plan, plan
from trackersync.sync.publish import (
    Publish,
    PublishIssue,
    TextKind,
    plan_issue_publish,
    plan_publish,
)
from trackersync.sync.rollup import MILESTONE_KEYS, DayPoint, Member, RollupInput, compute
from trackersync.sync.state import StateStore
from trackersync.sync.state import rollups as rollup_store
from trackersync.sync.state.links import LinkStore, all_twins
from trackersync.sync.state.locks import link_lock

log = logging.getLogger(__name__)


@dataclass
class ScopeOutcome:
    """What pulling one scope did."""

    scope: str
    changed: int = 0
    comments: int = 0
    requests: int = 0
    error: TrackersyncError | None = None

    @property
    def ok(self) -> bool:
        """Whether the scope was pulled and stored."""
        return self.error is None


@dataclass
class PullReport:
    """Every scope's outcome, in config order."""

    outcomes: list[ScopeOutcome] = field(default_factory=list)
    unsaved: dict[str, PullResult] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 all pulled; 3 a system refused or was unreachable; else 1."""
        codes = [o.error.exit_code for o in self.outcomes if o.error is not None]
        return max(codes, default=0)

    def tasks(self, store: StateStore, scope: str) -> list[Task]:
        """A scope's items: the store's, overlaid with what an unsaved pull found."""
        result = self.unsaved.get(scope)
        stored = store.tasks(scope)
        if result is None:
            return stored
        items = {str(task.ref): task for task in stored}
        items.update({str(task.ref): task for task in result.tasks})
        scope_ref = Ref.parse(scope)
        for key, comments in result.comments.items():
            task = items.get(str(scope_ref.item(key)))
            if task is not None:
                merged = {c.id: c for c in task.comments} | {c.id: c for c in comments}
                items[str(task.ref)] = task.model_copy(update={"comments": tuple(merged.values())})
        return [items[ref] for ref in sorted(items)]

    def milestones(self, store: StateStore) -> list[Milestone]:
        """The store's milestones, with those an unsaved pull re-read in their scope's place."""
        fresh = {
            scope: r.milestones for scope, r in self.unsaved.items() if r.milestones is not None
        }
        kept = [m for m in store.milestones() if str(m.scope) not in fresh]
        return kept + [m for found in fresh.values() for m in found]

    def summary(self) -> dict[str, object]:
        """A JSON-able record for the runs table."""
        return {
            o.scope: {"changed": o.changed, "requests": o.requests, "error": _text(o.error)}
            for o in self.outcomes
        }


def _text(error: TrackersyncError | None) -> str | None:
    return str(error) if error is not None else None


def pull_all(
    connectors: dict[str, Connector],
    store: StateStore,
    *,
    on_scope: Callable[[str], None] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    save: bool = True,
) -> PullReport:
    """Pull every scope of every connector into the store (or, unsaved, into the report)."""
    report = PullReport()
    for name, connector in connectors.items():
        refused: TrackersyncError | None = None
        for scope in connector.scopes:
            ref = f"{name}:{scope}"
            if on_scope is not None:
                on_scope(ref)
            if refused is not None:
                outcome = ScopeOutcome(ref, error=refused)
            else:
                outcome = _pull_one(connector, scope, ref, store, now, None if save else report)
            if isinstance(outcome.error, AuthRefused | Unreachable):
                refused = outcome.error
            report.outcomes.append(outcome)
    return report


def _pull_one(
    connector: Connector,
    scope: str,
    ref: str,
    store: StateStore,
    now: Callable[[], datetime],
    unsaved: PullReport | None,
) -> ScopeOutcome:
    try:
        result = connector.pull(scope, store.cursor(ref))
    except TrackersyncError as exc:
        log.warning("pull failed: %s", exc)
        return ScopeOutcome(ref, error=exc)
    except Exception as exc:  # one broken scope must not abort the run
        log.exception("pull of %s failed unexpectedly", ref)
        return ScopeOutcome(ref, error=ItemFailed(ref, f"internal error: {exc!r}"))
    result = result.model_copy(update={"scope": ref})
    if unsaved is None:
        store.save_pull(result, pulled_at=now())
    else:
        unsaved.unsaved[ref] = result
    comments = sum(len(items) for items in result.comments.values())
    log.info("pulled %s: %d changed, %d requests", ref, len(result.tasks), result.requests)
    return ScopeOutcome(ref, changed=len(result.tasks), comments=comments, requests=result.requests)


# --- sync ------------------------------------------------------------------------------


@dataclass
class LinkOutcome:
    """What syncing one link did (or, in a dry run, would do)."""

    name: str
    plan: Plan
    report: ApplyReport | None = None
    skipped: str | None = None
    error: TrackersyncError | None = None

    @property
    def exit_code(self) -> int:
        """0 clean; 1 some items failed; 3 a system stopped the link."""
        if self.error is not None:
            return self.error.exit_code
        if self.report is None:
            return 0
        if self.report.stopped is not None:
            return self.report.stopped.exit_code
        return 1 if self.report.failed else 0

    def summary(self) -> dict[str, object]:
        """A JSON-able record for the runs table and the status report."""
        failed = self.report.failed if self.report else []
        return {
            "planned": len(self.plan.actions),
            "writes": self.report.writes if self.report else 0,
            "conflicts": [
                a.reason for a in self.plan.actions if isinstance(a, Update) and a.conflicts
            ],
            "warnings": self.plan.warnings,
            "errors": [f"{action.reason}: {reason}" for action, reason in failed]
            + ([str(self.error)] if self.error else []),
            "skipped": self.skipped,
        }


def link_spec(settings: Settings, link: LinkConfig, connectors: dict[str, Connector]) -> LinkSpec:
    """The engine's view of a configured link."""
    sides = {}
    for side_name in ("source", "target"):
        scope = Ref.parse(getattr(link, side_name))
        cls = type(connectors[scope.connector])
        overrides = getattr(link.status, side_name) if link.status else {}
        sides[side_name] = Side(
            scope=scope,
            system=cls.display_name,
            labels_allow_spaces=cls.labels_allow_spaces,
            distinct_open_statuses=cls.distinct_open_statuses,
            at_mentions=cls.at_mentions,
            renders_html=cls.renders_html,
            text_limit=cls.text_limit,
            status_overrides=overrides,
        )
    source_type = settings.connectors[sides["source"].scope.connector].type
    # The config's `users` map is keyed by Jira user: orient it source -> target.
    users = link.users if source_type == "jira" else {v: k for k, v in link.users.items()}
    return LinkSpec(
        name=link.name,
        source=sides["source"],
        target=sides["target"],
        two_way=link.direction == "two-way",
        fields=tuple(link.fields),
        conflict=link.conflict,
        users=users,
        milestones=_milestone_names(settings, link),
    )


def _milestone_names(settings: Settings, link: LinkConfig) -> dict[str, str]:
    """Source milestone name -> target name, from milestones listing both scopes."""
    names = {}
    for milestone in settings.milestones:
        selected = {m.scope: next(iter(m.selector.values())) for m in milestone.parsed_members}
        if link.source in selected and link.target in selected:
            names[selected[link.source]] = selected[link.target]
    return names


def sync_links(
    settings: Settings,
    connectors: dict[str, Connector],
    store: StateStore,
    links: list[LinkConfig],
    *,
    pulled: PullReport,
    dry_run: bool,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[LinkOutcome]:
    """Plan every link from the pulled items; apply unless `dry_run`."""
    outcomes = []
    for link in links:
        with link_lock(store, link.name) as held:
            if not held:
                skipped = "another process is syncing this link"
                outcomes.append(LinkOutcome(link.name, Plan(), skipped=skipped))
                continue
            outcomes.append(
                _sync_link(
                    settings, connectors, store, link, pulled=pulled, dry_run=dry_run, now=now
                )
            )
    return outcomes


def _sync_link(
    settings: Settings,
    connectors: dict[str, Connector],
    store: StateStore,
    link: LinkConfig,
    *,
    pulled: PullReport,
    dry_run: bool,
    now: Callable[[], datetime],
) -> LinkOutcome:
    spec = link_spec(settings, link, connectors)
    try:
        spec = _with_filters(spec, link, connectors)
    except TrackersyncError as exc:
        return LinkOutcome(link.name, Plan(), error=exc)
    links = LinkStore(store, link.name)
    failed = {o.scope for o in pulled.outcomes if not o.ok}
    if failed & {link.source, link.target}:
        # Planning over a scope that failed to pull would act on stale items.
        return LinkOutcome(link.name, Plan(), skipped="a scope of this link failed to pull")
    source, target = pulled.tasks(store, link.source), pulled.tasks(store, link.target)
    decided = plan(links.load(), source, target, spec)
    if dry_run:
        return LinkOutcome(link.name, decided)
    writers: dict[SideName, ItemWriter] = {
        "source": connectors[spec.source.scope.connector],
        "target": connectors[spec.target.scope.connector],
    }
    report = apply(decided.actions, writers, spec, links, now)
    return LinkOutcome(link.name, decided, report)


def _with_filters(spec: LinkSpec, link: LinkConfig, connectors: dict[str, Connector]) -> LinkSpec:
    if link.filter is None:
        return spec
    sides = {}
    for side_name in ("source", "target"):
        side: Side = getattr(spec, side_name)
        query = getattr(link.filter, side_name)
        if query is not None:
            keys = connectors[side.scope.connector].filter_keys(side.scope.scope, query)
            side = replace(side, takes_part=frozenset(keys))
        sides[side_name] = side
    return replace(spec, **sides)


# --- rollups ---------------------------------------------------------------------------


@dataclass
class RollupOutcome:
    """One milestone's rollup and what publishing it did (or would do)."""

    name: str
    rollup: dict[str, Any]
    publishes: list[Publish | PublishIssue]
    published: int = 0
    errors: list[str] = field(default_factory=list)


def compute_rollups(
    settings: Settings, store: StateStore, today: date, tasks: list[Task] | None = None
) -> list[tuple[MilestoneConfig, dict[str, Any]]]:
    """Every configured milestone's rollup from the state store (no network, no writes);
    `tasks` replaces the store's items (a dry run's unsaved pull)."""
    twins = all_twins(store)
    tasks = store.tasks() if tasks is None else tasks
    milestones = store.milestones()
    result = []
    for config in settings.milestones:
        members = [Member(m.scope, m.selector) for m in config.parsed_members]
        data = RollupInput(
            name=config.name,
            members=members,
            tasks=tasks,
            twins=twins,
            today=today,
            due=config.due,
            milestones=[
                m for m in milestones if any(str(m.scope) == member.scope for member in members)
            ],
            history=rollup_store.history(store, config.name),
            baseline=rollup_store.baseline(store, config.name),
            stale_after=config.stale_after,
        )
        result.append((config, compute(data)))
    return result


def rollup_all(
    settings: Settings,
    connectors: dict[str, Connector],
    store: StateStore,
    *,
    pulled: PullReport,
    dry_run: bool,
    today: date,
) -> list[RollupOutcome]:
    """Compute every rollup; unless `dry_run`, record its day and publish what changed."""
    outcomes = []
    stored = pulled.milestones(store)
    tasks = [task for scope in settings.scopes() for task in pulled.tasks(store, scope)]
    for config, rollup in compute_rollups(settings, store, today, tasks):
        targets = (
            _publish_targets(config, connectors, stored) if "members" in config.publish else []
        )
        actions: list[Publish | PublishIssue] = [*plan_publish(rollup, targets)]
        issues = _status_issues(config, tasks, store)
        actions += plan_issue_publish(rollup, issues)
        outcome = RollupOutcome(config.name, rollup, actions)
        missing = set(config.status_issues) - {str(item.ref) for item, _ in issues}
        outcome.errors += [
            f"status issue {ref} was not found in the last pull" for ref in sorted(missing)
        ]
        if not dry_run:
            _record_day(store, config, rollup, today)
            _publish(outcome, connectors, store)
        outcomes.append(outcome)
    return outcomes


def _publish_targets(
    config: MilestoneConfig, connectors: dict[str, Connector], stored: list[Milestone]
) -> list[tuple[Milestone, TextKind, int]]:
    targets = []
    for member in config.parsed_members:
        names = [v for k, v in member.selector.items() if k in MILESTONE_KEYS]
        connector = connectors.get(Ref.parse(member.scope).connector)
        for milestone in stored:
            if (
                connector is not None
                and str(milestone.scope) == member.scope
                and milestone.name in names
            ):
                kind = "markdown" if type(connector).milestone_text == "markdown" else "plain"
                targets.append((milestone, kind, type(connector).milestone_text_limit))
    return targets


def _status_issues(
    config: MilestoneConfig, tasks: list[Task], store: StateStore
) -> list[tuple[Task, str | None]]:
    """Each configured status issue as pulled, with the block last written into it."""
    by_ref = {str(task.ref): task for task in tasks}
    return [
        (by_ref[ref], rollup_store.published_block(store, ref))
        for ref in config.status_issues
        if ref in by_ref
    ]


def _record_day(
    store: StateStore, config: MilestoneConfig, rollup: dict[str, Any], today: date
) -> None:
    counts = rollup["counts"]
    point = DayPoint(today, counts["tasks"] - counts["canceled"], counts["done"])
    rollup_store.record(store, config.name, point, frozenset(rollup["items"]))


def _publish(outcome: RollupOutcome, connectors: dict[str, Connector], store: StateStore) -> None:
    for action in outcome.publishes:
        try:
            _publish_one(action, connectors, store)
        except (AuthRefused, Unreachable, RateLimited) as exc:
            outcome.errors.append(str(exc))
            return
        except TrackersyncError as exc:
            outcome.errors.append(str(exc))
            continue
        outcome.published += 1


def _publish_one(
    action: Publish | PublishIssue, connectors: dict[str, Connector], store: StateStore
) -> None:
    if isinstance(action, PublishIssue):
        connector = connectors[action.item.ref.connector]
        written = connector.update_item(action.item, TaskFields(body=action.body))
        rollup_store.record_published(store, str(action.item.ref), action.block, written)
        return
    milestone = connectors[action.milestone.scope.connector].update_milestone(
        action.milestone, action.description
    )
    store.save_milestone(milestone)
