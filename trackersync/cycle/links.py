"""Syncing the configured links: the engine's view of each link, locks, plan and apply."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from trackersync.config.loading import Settings
from trackersync.config.models import LinkConfig
from trackersync.connectors.base import Connector
from trackersync.cycle.pull import PullReport
from trackersync.errors import TrackersyncError
from trackersync.sync.actions import SideName, Update
from trackersync.sync.apply import ApplyReport, apply
from trackersync.sync.link import LinkSpec, Side
from trackersync.sync.milestone_dates import DatePlan, apply_dates, plan_dates
from trackersync.sync.model import Milestone, Ref
from trackersync.sync.plan import Plan, plan, split_quiet
from trackersync.sync.state import StateStore
from trackersync.sync.state.links import LinkStore
from trackersync.sync.state.locks import link_lock
from trackersync.sync.state.milestone_dates import MilestoneDates


@dataclass
class LinkOutcome:
    """What syncing one link did (or, in a dry run, would do)."""

    name: str
    plan: Plan
    report: ApplyReport | None = None
    skipped: str | None = None
    error: TrackersyncError | None = None
    # The systems of the link's source and target, to name comment directions.
    systems: tuple[str, str] = ("source", "target")

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

    def summary(self) -> dict[str, Any]:
        """A JSON-able record for the runs table and the status report."""
        failed = self.report.failed if self.report else []
        return {
            "planned": len(self.plan.actions),
            "writes": self.report.writes if self.report else 0,
            "conflicts": [
                a.reason for a in self.plan.actions if isinstance(a, Update) and a.conflicts
            ],
            # Both values of every conflict and which won: `status` lists the recent ones.
            "conflict_records": [
                {"link": self.name, "systems": list(self.systems), **c.as_json()}
                for c in self.plan.conflicts
            ],
            "warnings": self.plan.warnings,
            "errors": [f"{action.reason}: {reason}" for action, reason in failed]
            + ([str(self.error)] if self.error else []),
            "skipped": self.skipped,
            "comments": {f"{frm} → {to}": n for frm, to, n in self.comments_mirrored()},
        }

    def comments_mirrored(self) -> list[tuple[str, str, int]]:
        """(from system, to system, comments posted or rewritten), both directions."""
        written = self.report.comments if self.report else {}
        source, target = self.systems
        return [
            (source, target, written.get("target", 0)),
            (target, source, written.get("source", 0)),
        ]


def link_spec(settings: Settings, link: LinkConfig, connectors: dict[str, Connector]) -> LinkSpec:
    """The engine's view of a configured link."""
    names = _milestone_names(settings, link)
    mapped = {"source": frozenset(names), "target": frozenset(names.values())}
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
            milestones=mapped[side_name],
            clock_offset=_clock_offset(connectors[scope.connector]),
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
        milestones=names,
        chain=link.chain,
        types=dict(link.types),
    )


def _clock_offset(connector: Connector) -> timedelta:
    """The connector's measured clock offset; none known (or the system unreachable,
    which its pull reports) counts as in step."""
    try:
        return connector.clock_offset() or timedelta(0)
    except TrackersyncError:
        return timedelta(0)


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
        # A dry run writes nothing, not even a lock file: it needs no lock.
        lock = nullcontext(True) if dry_run else link_lock(store, link.name)
        with lock as held:
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
    milestones = pulled.milestones(store)
    spec = _with_milestone_dues(spec, milestones)
    decided = _plan(store, links, pulled, (link.source, link.target), spec)
    # Milestone dates are planned apart from the item pairs, from the stored milestones.
    agreed = MilestoneDates(store, link.name)
    dates = plan_dates(milestones, agreed.load(), spec)
    systems = (spec.source.system, spec.target.system)
    if dry_run:
        return LinkOutcome(link.name, _with_dates(decided, dates), systems=systems)
    writers: dict[SideName, Connector] = {
        "source": connectors[spec.source.scope.connector],
        "target": connectors[spec.target.scope.connector],
    }
    report = apply(decided.actions, writers, spec, links, now)
    apply_dates(dates.actions, writers, agreed, report, store.save_milestone)
    return LinkOutcome(link.name, _with_dates(decided, dates), report, systems=systems)


def _with_dates(decided: Plan, dates: DatePlan) -> Plan:
    """The link's plan as reported: the item actions, then the milestone-date writes (the
    record-only agreements are bookkeeping, applied but not listed)."""
    return replace(
        decided,
        actions=[*decided.actions, *(a for a in dates.actions if a.writes)],
        conflicts=[*decided.conflicts, *dates.conflicts],
    )


def _plan(
    store: StateStore,
    links: LinkStore,
    pulled: PullReport,
    scopes: tuple[str, str],
    spec: LinkSpec,
) -> Plan:
    """`plan` over the link's stored state and items, building Tasks only for the items
    of pairs that may have changed (`split_quiet`): the same plan as over every item."""
    source, target = scopes
    if pulled.unsaved.keys() & {source, target}:
        # A dry run's unsaved pull overlays the store: plan over every item, as always.
        return plan(links.load(), pulled.tasks(store, source), pulled.tasks(store, target), spec)
    state = links.load(with_bases=False)
    source_views, target_views = store.item_views(source), store.item_views(target)
    views = {**source_views, **target_views}
    quiet, bases = split_quiet(state, views, links.pair_bases(), spec)
    sources, targets = source_views.keys() - quiet, target_views.keys() - quiet
    del views, source_views, target_views  # most of the memory of this plan
    state = replace(state, bases=bases)
    return plan(state, store.tasks(source, only=sources), store.tasks(target, only=targets), spec)


def _with_milestone_dues(spec: LinkSpec, milestones: list[Milestone]) -> LinkSpec:
    """Each side with its milestones' due dates by name (as last pulled), so that a
    milestone created on the other side for one of them carries its date."""
    dues: dict[str, dict[str, date]] = {}
    for milestone in milestones:
        if milestone.due is not None:
            dues.setdefault(str(milestone.scope), {})[milestone.name] = milestone.due
    return replace(
        spec,
        source=replace(spec.source, milestone_dues=dues.get(str(spec.source.scope), {})),
        target=replace(spec.target, milestone_dues=dues.get(str(spec.target.scope), {})),
    )


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
    return replace(spec, source=sides["source"], target=sides["target"])
