"""`apply`: performs a plan's actions, recording each write right after it happens.

A create records its intent first, so a crash between the tracker's write and our record
of it is reconciled by marker on the next run. What a tracker returns from a write is
recorded as that side's base, so the write never comes back as a user's edit. One failing
action never stops the others; a refused, unreachable or exhausted system stops the link.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from trackersync.errors import (
    AuthRefused,
    RateLimited,
    TrackersyncError,
    Unreachable,
    WriteUnanswered,
)
from trackersync.sync.actions import (
    Action,
    Adopt,
    AdoptComment,
    Create,
    MirrorComment,
    Rebase,
    SideName,
    Update,
)
from trackersync.sync.link import LinkSpec, other, value
from trackersync.sync.model import Comment, Origin, Ref, Task, TaskFields
from trackersync.sync.state.links import LinkStore

log = logging.getLogger(__name__)
STOPPING = (AuthRefused, Unreachable, RateLimited)


class ItemWriter(Protocol):
    """The writing half of a connector, as the engine needs it."""

    def create_item(self, scope: str, fields: TaskFields, origin: Origin) -> Task: ...  # noqa: D102

    def update_item(  # noqa: D102
        self, item: Task, changes: TaskFields, marker: Origin | None = None
    ) -> Task: ...

    def create_comment(self, item: Task, body: str, origin: Origin) -> Comment: ...  # noqa: D102

    def update_comment(
        self, item: Task, comment: Comment, body: str, origin: Origin
    ) -> Comment: ...  # noqa: D102

    def find_twin(self, scope: str, origin: str) -> Task | None: ...  # noqa: D102


@dataclass
class ApplyReport:
    """What applying one link's plan did."""

    applied: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    stopped: TrackersyncError | None = None
    # Comments posted or rewritten, by the side written to (the run report's counts).
    comments: Counter[SideName] = field(default_factory=Counter)

    @property
    def writes(self) -> int:
        """How many applied actions wrote to a tracker."""
        return sum(1 for action in self.applied if action.writes)


@dataclass(frozen=True)
class _Context:
    link: LinkSpec
    writers: Mapping[SideName, ItemWriter]
    store: LinkStore
    now: Callable[[], datetime]
    comments: Counter[SideName]
    # (source ref, field) -> side -> the value that side read back after this run's write.
    written: dict[tuple[str, str], dict[SideName, Any]] = field(default_factory=dict)


def apply(
    actions: list[Action],
    writers: Mapping[SideName, ItemWriter],
    link: LinkSpec,
    store: LinkStore,
    now: Callable[[], datetime],
) -> ApplyReport:
    """Perform `actions` in order; failures are collected, not raised."""
    report = ApplyReport()
    context = _Context(link, writers, store, now, report.comments)
    for action in actions:
        try:
            _apply_one(action, context)
        except STOPPING as exc:
            report.stopped = exc
            report.failed.append((action, str(exc)))
            break
        except TrackersyncError as exc:
            report.failed.append((action, str(exc)))
            continue
        except Exception as exc:  # one broken item must not abort the run
            log.exception("applying %s failed", action.reason)
            report.failed.append((action, f"internal error: {exc!r}"))
            continue
        report.applied.append(action)
    return report


def _apply_one(action: Action, context: _Context) -> None:
    if isinstance(action, Adopt):
        context.store.record_twin(
            action.source_ref, action.target_ref, action.bases, None, action.mirror_side
        )
    elif isinstance(action, Rebase):
        context.store.record_bases(action.source_ref, action.bases, None)
    elif isinstance(action, Create):
        _create(action, context)
    elif isinstance(action, Update):
        _update(action, context)
    elif isinstance(action, MirrorComment):
        _comment(action, context)
    elif isinstance(action, AdoptComment):
        context.store.record_comment(
            action.origin_id, action.mirror_ref, action.mirror_comment_id, action.origin_updated
        )
    else:
        raise TypeError(f"unknown action {type(action).__name__}")


def _create(action: Create, context: _Context) -> None:
    writer = context.writers[action.side]
    scope = Ref.parse(action.scope).scope  # connectors name scopes without their own name
    created = writer.find_twin(scope, action.origin.ref) if action.resume else None
    if created is None:
        context.store.record_intent(action.origin.ref, action.scope, context.now())
        created = _create_once(writer, scope, action)
    side = context.link.side(action.side)
    bases = {
        name: _oriented(action.side, value(created, name, side), kept)
        for name, kept in action.origin_values.items()
    }
    source_ref, target_ref = _oriented(action.side, str(created.ref), action.origin.ref)
    context.store.record_twin(source_ref, target_ref, bases, created, action.side)
    mirrored = {c.mirror_of for c in created.comments if c.by_trackersync}
    for copy in action.comments:
        if copy.origin.marker_id in mirrored:
            continue
        comment = writer.create_comment(created, copy.body, copy.origin)
        context.comments[action.side] += 1
        context.store.record_comment(
            copy.origin.marker_id, str(created.ref), comment, copy.origin_updated
        )


def _create_once(writer: ItemWriter, scope: str, action: Create) -> Task:
    """Create the twin; when the create got a 5xx or no answer it may exist all the same,
    so it is looked for by its marker before being sent once more."""
    try:
        return writer.create_item(scope, action.fields, action.origin)
    except WriteUnanswered as exc:
        log.warning("%s; looking for the twin by its marker before creating again", exc)
    found = writer.find_twin(scope, action.origin.ref)
    return found if found is not None else writer.create_item(scope, action.fields, action.origin)


def _update(action: Update, context: _Context) -> None:
    written = context.writers[action.side].update_item(action.item, action.changes, action.marker)
    side = context.link.side(action.side)
    bases = {}
    for name, kept in action.kept.items():
        # A set merge may write both sides: the other side's base is what its own write
        # read back (Jira keeps one assignee of several), not what was asked for.
        mine = value(written, name, side)
        seen = context.written.setdefault((action.source_ref, name), {})
        seen[action.side] = mine
        bases[name] = _oriented(action.side, mine, seen.get(other(action.side), kept))
    context.store.record_bases(action.source_ref, bases, written)


def _comment(action: MirrorComment, context: _Context) -> None:
    writer = context.writers[action.side]
    copy = action.copy_
    if action.existing is not None:
        comment = writer.update_comment(action.item, action.existing, copy.body, copy.origin)
    else:
        comment = writer.create_comment(action.item, copy.body, copy.origin)
    context.comments[action.side] += 1
    context.store.record_comment(
        copy.origin.marker_id, str(action.item.ref), comment, copy.origin_updated
    )


def _oriented(written_side: SideName, written: Any, other: Any) -> tuple[Any, Any]:
    """(source value, target value) from the written side's value and the other one."""
    return (written, other) if written_side == "source" else (other, written)
