"""Rolling up the configured milestones and publishing them into every tool."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from trackersync.config.loading import Settings
from trackersync.config.models import MilestoneConfig
from trackersync.connectors.base import Connector
from trackersync.cycle.pull import PullReport
from trackersync.errors import AuthRefused, RateLimited, TrackersyncError, Unreachable
from trackersync.sync.documents import Rollup
from trackersync.sync.model import Milestone, Ref, Task, TaskFields
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
from trackersync.sync.state.links import work_item_identities


@dataclass
class RollupOutcome:
    """One milestone's rollup and what publishing it did (or would do)."""

    name: str
    rollup: Rollup
    publishes: list[Publish | PublishIssue]
    published: int = 0
    errors: list[str] = field(default_factory=list)


def compute_rollups(
    settings: Settings,
    store: StateStore,
    today: date,
    tasks: list[Task] | None = None,
    queried: Mapping[str, Mapping[str, frozenset[str]]] | None = None,
) -> list[tuple[MilestoneConfig, Rollup]]:
    """Every configured milestone's rollup from the state store (no network, no writes).

    `tasks` replaces the store's items (a dry run's unsaved pull); `queried` gives, per
    milestone and member, what a `jql` member matched just now (else the last rollup's).
    """
    if not settings.milestones:
        return []  # nothing to read: a store of 200k items is not loaded for no rollup
    twins = work_item_identities(store)
    tasks = store.tasks() if tasks is None else tasks
    milestones = store.milestones()
    result = []
    for config in settings.milestones:
        found = (queried or {}).get(config.name) or rollup_store.member_keys(store, config.name)
        members = [
            Member(m.scope, m.selector, keys=found.get(text, frozenset()))
            for text, m in zip(config.members, config.parsed_members, strict=True)
        ]
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
    queried, query_errors = _run_queries(settings, connectors)
    for config, rollup in compute_rollups(settings, store, today, tasks, queried):
        targets = (
            _publish_targets(config, connectors, stored) if "members" in config.publish else []
        )
        issues = _status_issues(config, tasks, store)
        # A Jira version fits one line: it links the status issue that has the rest.
        status_url = issues[0][0].url if issues else None
        actions: list[Publish | PublishIssue] = [*plan_publish(rollup, targets, status_url)]
        actions += plan_issue_publish(rollup, issues)
        outcome = RollupOutcome(config.name, rollup, actions)
        missing = set(config.status_issues) - {str(item.ref) for item, _ in issues}
        outcome.errors += [
            f"status issue {ref} was not found in the last pull" for ref in sorted(missing)
        ]
        outcome.errors += query_errors.get(config.name, [])
        if not dry_run:
            for member, keys in queried.get(config.name, {}).items():
                rollup_store.record_member_keys(store, config.name, member, keys)
            _record_day(store, config, rollup, today)
            _publish(outcome, connectors, store)
        outcomes.append(outcome)
    return outcomes


def _run_queries(
    settings: Settings, connectors: dict[str, Connector]
) -> tuple[dict[str, dict[str, frozenset[str]]], dict[str, list[str]]]:
    """What each `jql` member matches now, asked of its connector; and what failed."""
    found: dict[str, dict[str, frozenset[str]]] = {}
    errors: dict[str, list[str]] = {}
    for config in settings.milestones:
        for text, member in zip(config.members, config.parsed_members, strict=True):
            if "jql" not in member.selector:
                continue
            scope = Ref.parse(member.scope)
            try:
                keys = connectors[scope.connector].filter_keys(scope.scope, member.selector["jql"])
            except TrackersyncError as exc:
                # The last rollup's answer stands in; the report says why.
                errors.setdefault(config.name, []).append(f"member {text!r}: {exc}")
                continue
            found.setdefault(config.name, {})[text] = frozenset(keys)
    return found, errors


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
                kind: TextKind = (
                    "markdown" if type(connector).milestone_text == "markdown" else "plain"
                )
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


def _record_day(store: StateStore, config: MilestoneConfig, rollup: Rollup, today: date) -> None:
    point = DayPoint(today, rollup.counts.scope, rollup.counts.done)
    rollup_store.record(store, config.name, point, frozenset(rollup.items))


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
