"""`plan`: decides what to write for one link, from the state store and current items.

Pure: no I/O, no clock. Three-way per field: each side's value against the value that
side had when the pair was last in step (its base). Only one side moved: copy it. Both
moved: the link's conflict rule. What trackersync wrote itself is recorded as the base of
the side it wrote, so its own writes never come back as changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trackersync.sync.actions import (
    Action,
    Adopt,
    AdoptComment,
    CommentCopy,
    Create,
    MirrorComment,
    Rebase,
    SideName,
    Update,
)
from trackersync.sync.link import LinkSpec, carry, other, same, value
from trackersync.sync.model import Comment, Origin, StatusCategory, Task, TaskFields, iso


@dataclass(frozen=True)
class CommentTwin:
    """Where a mirrored comment lives and which version of its origin it copies."""

    mirror_ref: str
    mirror_comment_id: str
    origin_updated: str


@dataclass(frozen=True)
class LinkState:
    """What the state store knows of one link."""

    twins: Mapping[str, str] = field(default_factory=dict)
    bases: Mapping[tuple[str, str], tuple[Any, Any]] = field(default_factory=dict)
    comments: Mapping[str, CommentTwin] = field(default_factory=dict)
    intents: frozenset[str] = frozenset()
    # source ref -> the side trackersync created (where the marker must stay).
    mirror_sides: Mapping[str, SideName] = field(default_factory=dict)


@dataclass
class Plan:
    """The actions for one link, in the order to apply them, and warnings for the report."""

    actions: list[Action] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def writes(self) -> list[Action]:
        """The actions that write to a tracker."""
        return [action for action in self.actions if action.writes]


def plan(state: LinkState, sources: list[Task], targets: list[Task], link: LinkSpec) -> Plan:
    """Every action that brings the link's two scopes in step."""
    result = Plan()
    items = {str(task.ref): task for task in [*sources, *targets]}
    pairs = dict(state.twins)
    bases = dict(state.bases)
    for adopt in _adoptions(pairs, items, link):
        result.actions.append(adopt)
        pairs[adopt.source_ref] = adopt.target_ref
        bases.update({(adopt.source_ref, name): pair for name, pair in adopt.bases.items()})
    _plan_creates(state, pairs, sources, targets, link, result)
    for source_ref, target_ref in sorted(pairs.items()):
        source, target = items.get(source_ref), items.get(target_ref)
        if source is None or target is None:
            continue  # not pulled, deleted or moved: never read as "delete the twin"
        marker = _lost_marker(source, target, state.mirror_sides.get(source_ref), link)
        _plan_pair(source, target, bases, link, result, marker)
        if "comments" in link.fields:
            _plan_comments(state, source, target, link, result)
    return result


def _adoptions(pairs: dict[str, str], items: dict[str, Task], link: LinkSpec) -> list[Adopt]:
    paired = set(pairs) | set(pairs.values())
    found: list[Adopt] = []
    for ref, task in sorted(items.items()):
        twin = _twin_of(task, link)
        if twin is None or ref in paired or twin in paired:
            continue
        source_ref, target_ref = (twin, ref) if link.target.owns(ref) else (ref, twin)
        source, target = items.get(source_ref), items.get(target_ref)
        bases = _agreed(source, target, link) if source and target else {}
        reason = f"{ref} carries a marker naming {twin}"
        found.append(
            Adopt(
                link=link.name,
                reason=reason,
                source_ref=source_ref,
                target_ref=target_ref,
                bases=bases,
                mirror_side="target" if link.target.owns(ref) else "source",
            )
        )
        paired |= {source_ref, target_ref}
    return found


def _twin_of(task: Task, link: LinkSpec) -> str | None:
    """The item of the other side this one was created from, per its marker."""
    twin = task.raw.get("twin_of")
    if not isinstance(twin, str) or not twin:
        return None
    own, opposite = (
        (link.target, link.source) if link.target.owns(task.ref) else (link.source, link.target)
    )
    del own
    return twin if opposite.owns(twin) else None


def _agreed(source: Task, target: Task, link: LinkSpec) -> dict[str, tuple[Any, Any]]:
    agreed = {}
    for name in link.item_fields:
        sv, tv = value(source, name, link.source), value(target, name, link.target)
        carried, _ = carry(name, sv, link, "source", link.target, source.url)
        if same(name, carried, tv, link.target):
            agreed[name] = (sv, tv)
    return agreed


def _plan_creates(
    state: LinkState,
    pairs: dict[str, str],
    sources: list[Task],
    targets: list[Task],
    link: LinkSpec,
    result: Plan,
) -> None:
    paired = set(pairs) | set(pairs.values())
    directions: list[tuple[SideName, list[Task]]] = [("source", sources)]
    if link.two_way:
        directions.append(("target", targets))
    for side_name, tasks in directions:
        side = link.side(side_name)
        for task in sorted(tasks, key=lambda t: str(t.ref)):
            ref = str(task.ref)
            if ref in paired or _twin_of(task, link) is not None:
                continue
            if side.takes_part is not None and task.ref.key not in side.takes_part:
                continue
            result.actions.append(_create(state, task, side_name, link, result))


def _create(state: LinkState, task: Task, frm: SideName, link: LinkSpec, result: Plan) -> Create:
    to = link.side(other(frm))
    origin = Origin(ref=str(task.ref), url=task.url, system=link.side(frm).system)
    values, written = {}, {}
    for name in link.item_fields:
        values[name] = value(task, name, link.side(frm))
        written[name], warnings = carry(name, values[name], link, frm, to, task.url)
        result.warnings.extend(warnings)
    copies = tuple(_copy(task, comment_id, link, frm) for comment_id in _own_comment_ids(task))
    return Create(
        link=link.name,
        reason=f"{origin.ref} has no twin in {to.scope}",
        side=other(frm),
        scope=str(to.scope),
        origin_item=task,
        origin=origin,
        fields=_task_fields(written),
        origin_values=values,
        comments=copies if "comments" in link.fields else (),
        resume=origin.ref in state.intents,
    )


def _own_comment_ids(task: Task) -> list[str]:
    return [comment.id for comment in task.comments if not comment.mirror_of]


def _copy(task: Task, comment_id: str, link: LinkSpec, frm: SideName) -> CommentCopy:
    comment = next(c for c in task.comments if c.id == comment_id)
    to = link.side(other(frm))
    body, _ = carry("body", comment.body, link, frm, to, task.url)
    origin = Origin(
        ref=str(task.ref),
        url=task.url,
        system=link.side(frm).system,
        comment_id=comment.id,
        author=comment.author,
    )
    return CommentCopy(body=body, origin=origin, origin_updated=iso(comment.updated_at))


def _task_fields(values: Mapping[str, Any]) -> TaskFields:
    data = dict(values)
    if "status" in data:
        data["status"] = StatusCategory(data["status"])
    for name in ("labels", "assignees"):
        if name in data:
            data[name] = tuple(data[name])
    return TaskFields(**data)


@dataclass
class _PairPlan:
    writes: dict[SideName, dict[str, Any]] = field(
        default_factory=lambda: {"source": {}, "target": {}}
    )
    kept: dict[SideName, dict[str, Any]] = field(
        default_factory=lambda: {"source": {}, "target": {}}
    )
    agreed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)


def _plan_pair(
    source: Task,
    target: Task,
    bases: Mapping[tuple[str, str], tuple[Any, Any]],
    link: LinkSpec,
    result: Plan,
    lost: tuple[SideName, Origin] | None = None,
) -> None:
    pair = _PairPlan()
    tasks: dict[SideName, Task] = {"source": source, "target": target}
    for name in link.item_fields:
        current: dict[SideName, Any] = {
            "source": value(source, name, link.source),
            "target": value(target, name, link.target),
        }
        base = bases.get((str(source.ref), name))
        winner = _winner(name, current, base, tasks, link, pair)
        if winner is None:
            continue
        loser = other(winner)
        carried, warnings = carry(
            name, current[winner], link, winner, link.side(loser), tasks[winner].url, current[loser]
        )
        result.warnings.extend(warnings)
        if same(name, carried, current[loser], link.side(loser)):
            pair.agreed[name] = (current["source"], current["target"])
        else:
            pair.writes[loser][name] = carried
            pair.kept[loser][name] = current[winner]
    _emit_pair(source, target, pair, link, result, lost)


def _winner(
    name: str,
    current: dict[SideName, Any],
    base: tuple[Any, Any] | None,
    tasks: dict[SideName, Task],
    link: LinkSpec,
    pair: _PairPlan,
) -> SideName | None:
    order: tuple[SideName, SideName] = ("source", "target")
    moved = {
        side: base is None or not same(name, current[side], base[index], link.side(side))
        for index, side in enumerate(order)
    }
    if moved["source"] and moved["target"]:
        carried, _ = carry(
            name, current["source"], link, "source", link.target, tasks["source"].url
        )
        if same(name, carried, current["target"], link.target):
            pair.agreed[name] = (current["source"], current["target"])
            return None
        if base is not None:
            pair.conflicts.append(name)
        return _by_rule(tasks, link)
    if moved["source"]:
        return "source"
    if moved["target"] and link.two_way:
        return "target"
    return None


def _by_rule(tasks: dict[SideName, Task], link: LinkSpec) -> SideName:
    if not link.two_way or link.conflict == "source":
        return "source"
    if link.conflict == "target":
        return "target"
    return "target" if tasks["target"].updated_at > tasks["source"].updated_at else "source"


def _lost_marker(
    source: Task, target: Task, mirror_side: SideName | None, link: LinkSpec
) -> tuple[SideName, Origin] | None:
    """The mirror side and its origin, when a person removed the mirror's marker."""
    if mirror_side is None:
        return None
    mirror, origin = (target, source) if mirror_side == "target" else (source, target)
    if mirror.raw.get("twin_of") == str(origin.ref):
        return None
    system = link.side(other(mirror_side)).system
    return mirror_side, Origin(ref=str(origin.ref), url=origin.url, system=system)


def _emit_pair(
    source: Task,
    target: Task,
    pair: _PairPlan,
    link: LinkSpec,
    result: Plan,
    lost: tuple[SideName, Origin] | None = None,
) -> None:
    source_ref, target_ref = str(source.ref), str(target.ref)
    if pair.agreed:
        reason = "both sides agree"
        result.actions.append(
            Rebase(
                link=link.name,
                reason=reason,
                bases=pair.agreed,
                source_ref=source_ref,
                target_ref=target_ref,
            )
        )
    sides: tuple[tuple[SideName, Task], ...] = (("target", target), ("source", source))
    for side, item in sides:
        writes = pair.writes[side]
        marker = lost[1] if lost is not None and lost[0] == side else None
        if not writes and marker is None:
            continue
        conflicts = tuple(name for name in pair.conflicts if name in writes)
        origin = source if side == "target" else target
        reason = f"{', '.join(sorted(writes))} changed on {origin.ref}" if writes else ""
        if conflicts:
            reason += f" (conflict on {', '.join(conflicts)}: {link.conflict} wins)"
        if marker is not None:
            reason += ("; " if reason else "") + f"its marker naming {marker.ref} was removed"
        result.actions.append(
            Update(
                link=link.name,
                reason=reason,
                side=side,
                item=item,
                changes=_task_fields(writes),
                kept=pair.kept[side],
                conflicts=conflicts,
                source_ref=source_ref,
                target_ref=target_ref,
                marker=marker,
            )
        )


def _plan_comments(
    state: LinkState, source: Task, target: Task, link: LinkSpec, result: Plan
) -> None:
    directions: list[tuple[SideName, Task, Task]] = [("source", source, target)]
    if link.two_way:
        directions.append(("target", target, source))
    for frm, origin_task, mirror_task in directions:
        for comment_id in _own_comment_ids(origin_task):
            copy = _copy(origin_task, comment_id, link, frm)
            action = _comment_action(state, copy, mirror_task, link, other(frm))
            if action is not None:
                result.actions.append(action)


def _comment_action(
    state: LinkState, copy: CommentCopy, mirror_task: Task, link: LinkSpec, to: SideName
) -> Action | None:
    """Post, rewrite or adopt the mirror of one comment; None when it is in step."""
    marker = copy.origin.marker_id
    known = state.comments.get(marker)
    by_id = {c.id: c for c in mirror_task.comments}
    found = next((c for c in mirror_task.comments if c.mirror_of == marker), None)

    def mirror(reason: str, existing: Comment | None = None) -> MirrorComment:
        return MirrorComment(
            link=link.name, reason=reason, side=to, item=mirror_task, copy_=copy, existing=existing
        )

    if known is None and found is None:
        return mirror(f"comment {marker} is not on {mirror_task.ref} yet")
    if known is None and found is not None:
        if not same("body", found.body, copy.body, link.side(to)):
            return mirror(f"comment {marker} changed before its mirror was recorded", found)
        return AdoptComment(
            link=link.name,
            reason=f"comment {found.id} on {mirror_task.ref} is a mirror of {marker}",
            origin_id=marker,
            mirror_ref=str(mirror_task.ref),
            mirror_comment_id=found.id,
            origin_updated=copy.origin_updated,
        )
    if (
        known is not None
        and known.origin_updated != copy.origin_updated
        and known.mirror_comment_id in by_id
    ):
        return mirror(f"comment {marker} was edited", by_id[known.mirror_comment_id])
    return None
