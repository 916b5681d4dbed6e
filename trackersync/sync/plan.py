"""`plan`: decides what to write for one link, from the state store and current items.

Pure: no I/O, no clock. Three-way per field: each side's value against the value that
side had when the pair was last in step (its base). Only one side moved: copy it. Both
moved: the link's conflict rule. What trackersync wrote itself is recorded as the base of
the side it wrote, so its own writes never come back as changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
from trackersync.sync.blocks import merge_blocks
from trackersync.sync.link import LinkSpec, Side, carry, corrected, other, same, value
from trackersync.sync.model import (
    Comment,
    Origin,
    Ref,
    Status,
    StatusCategory,
    Task,
    TaskFields,
    iso,
)
from trackersync.sync.set_merge import SET_FIELDS, merge_sets


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
    # Items trackersync created as mirrors for the other links (from their pairs).
    mirrors_elsewhere: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, order=True)
class CommentView:
    """What `plan` looks at of one stored comment when nothing changed."""

    id: str
    updated: str  # `iso(updated_at)`, as a comment twin records its origin's version
    mirror_of: str | None
    by_trackersync: bool

    @classmethod
    def of(cls, comment: Comment) -> CommentView:
        """The view of a whole comment."""
        return cls(comment.id, iso(comment.updated_at), comment.mirror_of, comment.by_trackersync)


@dataclass(frozen=True, slots=True)
class ItemView:
    """What `plan` compares of one stored item, read without building its `Task`.

    Enough to prove that a pair plans nothing (`quiet_pair`): a no-change cycle over 100k
    pairs then builds no `Task` at all. Every other pair is planned from whole Tasks.
    """

    title: str
    body: str
    status: Status
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    milestone: str | None
    fix_versions: tuple[str, ...]
    twin_of: str | None
    by_trackersync: bool
    # In id order.
    comments: tuple[CommentView, ...] = ()
    # False when a value has an unexpected shape, or an old row kept its marker in `raw`
    # (`Task` reads it from there): such an item is always planned whole.
    plain: bool = True

    @classmethod
    def of(cls, task: Task) -> ItemView:
        """The view of a whole task (what `StateStore.item_views` reads of its row)."""
        return cls(
            title=task.title,
            body=task.body,
            status=task.status,
            labels=task.labels,
            assignees=task.assignees,
            milestone=task.milestone,
            fix_versions=task.fix_versions,
            twin_of=task.twin_of,
            by_trackersync=task.by_trackersync,
            comments=tuple(sorted(CommentView.of(comment) for comment in task.comments)),
        )


def quiet_pair(
    source_ref: str,
    target_ref: str,
    views: Mapping[str, ItemView],
    bases: Mapping[str, tuple[Any, Any]],
    mirror_side: str | None,
    link: LinkSpec,
    fields: tuple[str, ...] | None = None,
    comment_twins: Mapping[str, CommentTwin] | None = None,
) -> bool:
    """Whether `plan` would plan nothing at all for this stored pair (no action, warning or
    conflict), proven from the items' views and the pair's bases (field -> values).

    True only when every synced field of each side equals that side's base exactly and the
    markers are as trackersync left them: `_winner` then finds no side moved, `merge_sets`
    nothing added or removed and no rebase, `_stranger_at_twin` and `_lost_marker` nothing;
    and every comment to mirror is mirrored at its version (`comment_twins`, the link's
    state): `_comment_action` finds nothing to do. False means "not proven": the pair is
    planned from whole Tasks as always.
    """
    source, target = views.get(source_ref), views.get(target_ref)
    if source is None or target is None or not (source.plain and target.plain):
        return False
    if any(view.twin_of and not view.by_trackersync for view in (source, target)):
        return False  # `_untrusted_markers` warns about it
    if mirror_side is not None:
        mirror, origin_ref = (
            (target, source_ref) if mirror_side == "target" else (source, target_ref)
        )
        if not (mirror.by_trackersync and mirror.twin_of == origin_ref):
            return False
    for name in link.item_fields if fields is None else fields:
        base = bases.get(name)
        if (
            base is None
            or value(source, name, link.source) != base[0]
            or value(target, name, link.target) != base[1]
        ):
            return False
    if any(c.mirror_of and not c.by_trackersync for c in (*source.comments, *target.comments)):
        return False  # `_untrusted_markers` warns about it
    if "comments" not in link.fields:
        return True
    twins = comment_twins or {}
    directions = [(source_ref, source, target)]
    if link.two_way:
        directions.append((target_ref, target, source))
    for origin_ref, origin, mirror in directions:
        mirror_ids = {c.id for c in mirror.comments}
        for comment in origin.comments:
            if comment.mirror_of and comment.by_trackersync:
                continue  # trackersync's own mirror (`_own_comment_ids`)
            marker = f"{origin_ref}/{comment.id}" if comment.id else origin_ref
            known = twins.get(marker)
            if known is None or (
                known.origin_updated != comment.updated and known.mirror_comment_id in mirror_ids
            ):
                return False
    return True


def split_quiet(
    state: LinkState,
    views: Mapping[str, ItemView],
    pair_bases: Iterable[tuple[str, dict[str, tuple[Any, Any]]]],
    link: LinkSpec,
) -> tuple[frozenset[str], dict[tuple[str, str], tuple[Any, Any]]]:
    """The refs of the quiet pairs (`quiet_pair`) and the bases of every other pair.

    `pair_bases` gives each source ref's bases (field -> values), once per ref. `plan` over
    the state with these bases and the items less the quiet refs plans exactly what it
    plans over everything: a quiet pair plans nothing, and its items, being paired, are
    never created or adopted. A ref in more than one pair of the link is never left out
    (its other pair would see it missing).
    """
    seen: dict[str, int] = {}
    for ref in (*state.twins.keys(), *state.twins.values()):
        seen[ref] = seen.get(ref, 0) + 1
    quiet: set[str] = set()
    kept: dict[tuple[str, str], tuple[Any, Any]] = {}
    fields = link.item_fields  # a property: computed once, not once a pair
    for source_ref, bases in pair_bases:
        target_ref = state.twins.get(source_ref)
        if (
            target_ref is not None
            and seen[source_ref] == 1
            and seen[target_ref] == 1
            and quiet_pair(
                source_ref,
                target_ref,
                views,
                bases,
                state.mirror_sides.get(source_ref),
                link,
                fields,
                state.comments,
            )
        ):
            quiet.update((source_ref, target_ref))
        else:
            kept.update({(source_ref, name): pair for name, pair in bases.items()})
    return frozenset(quiet), kept


@dataclass(frozen=True)
class Conflict:
    """Both sides changed a field: both values and which one the link's rule kept, so the
    losing value is never silently gone (run report, `status`)."""

    source_ref: str
    target_ref: str
    field: str
    source_value: Any
    target_value: Any
    winner: SideName
    rule: str

    def as_json(self) -> dict[str, Any]:
        """A JSON-able record (text values as they were)."""
        return {
            "source_ref": self.source_ref,
            "target_ref": self.target_ref,
            "field": self.field,
            "source_value": self.source_value,
            "target_value": self.target_value,
            "winner": self.winner,
            "rule": self.rule,
        }


@dataclass
class Plan:
    """The actions for one link, in the order to apply them, and warnings for the report."""

    actions: list[Action] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

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
    result.warnings.extend(_untrusted_markers(items.values()))
    for adopt in _adoptions(pairs, items, link):
        result.actions.append(adopt)
        pairs[adopt.source_ref] = adopt.target_ref
        bases.update({(adopt.source_ref, name): pair for name, pair in adopt.bases.items()})
    _plan_creates(state, pairs, sources, targets, link, result)
    # `quiet_pair` proves this loop plans nothing for most pairs (they are left out of
    # `items`): whatever this loop learns to do for a pair whose values all equal their
    # bases must make `quiet_pair` say False for it too.
    for source_ref, target_ref in sorted(pairs.items()):
        source, target = items.get(source_ref), items.get(target_ref)
        if source is None or target is None:
            continue  # not pulled, deleted or moved: never read as "delete the twin"
        stranger = _stranger_at_twin(source, target, state.mirror_sides.get(source_ref))
        if stranger is not None:
            result.warnings.append(stranger)
            continue
        marker = _lost_marker(source, target, state.mirror_sides.get(source_ref), link)
        _plan_pair(source, target, bases, link, result, marker)
        if "comments" in link.fields:
            _plan_comments(state, source, target, link, result)
    return result


def _stranger_at_twin(source: Task, target: Task, mirror_side: SideName | None) -> str | None:
    """Why the item at the stored twin's key is not the twin trackersync created, or None.

    A store reused against a reseeded or another instance finds other items at its keys;
    writing to either side would copy one unrelated item into another. The side
    trackersync created must carry a marker it wrote naming this origin. A marker that is
    simply gone is not such a sign (a person may rewrite a body): that is `_lost_marker`.
    """
    if mirror_side is None:
        return None  # paired by a release that did not record which side it created
    mirror, origin = (target, source) if mirror_side == "target" else (source, target)
    if mirror.twin_of is None or (mirror.by_trackersync and mirror.twin_of == str(origin.ref)):
        return None
    why = (
        f"is trackersync's twin of {mirror.twin_of}, not of {origin.ref}"
        if mirror.by_trackersync
        else "was not created by trackersync's account"
    )
    return (
        f"{source.ref} and {target.ref} are paired but not synced: {mirror.ref} {why} "
        "(another item now sits at that key?); neither side is written"
    )


def _adoptions(pairs: dict[str, str], items: dict[str, Task], link: LinkSpec) -> list[Adopt]:
    paired = set(pairs) | set(pairs.values())
    found: list[Adopt] = []
    for ref, task in sorted(items.items()):
        twin = _twin_of(task, link)
        if twin is None or ref in paired or twin in paired or not _takes_part(twin, link):
            continue
        source_ref, target_ref = (twin, ref) if link.target.owns(ref) else (ref, twin)
        source, target = items.get(source_ref), items.get(target_ref)
        bases = _current_bases(source, target, link) if source and target else {}
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
    """The item of the other side this one was created from, per its marker.

    Anyone can paste a marker into their own item: only one on an item trackersync's
    account created names a twin. Otherwise a person could pair their issue with any
    (confidential) item of the other side, receive its text and write into it.
    """
    twin = task.twin_of
    if not twin or not task.by_trackersync:
        return None
    opposite = link.source if link.target.owns(task.ref) else link.target
    try:
        return twin if opposite.owns(twin) else None
    except ValueError:
        return None  # not a ref at all: names nothing


def _takes_part(ref: str, link: LinkSpec) -> bool:
    """Whether the link's filter lets item `ref` (of either side) have a twin."""
    side = link.source if link.source.owns(ref) else link.target
    return side.takes_part is None or Ref.parse(ref).key in side.takes_part


def _untrusted_markers(tasks: Iterable[Task]) -> list[str]:
    """A warning per item or comment whose marker trackersync's account did not write."""
    found = []
    for task in sorted(tasks, key=lambda t: str(t.ref)):
        if task.twin_of and not task.by_trackersync:
            found.append(
                f"{task.ref} carries a trackersync marker naming {task.twin_of} but was not "
                "created by trackersync's account: ignored"
            )
        found.extend(
            f"comment {comment.id} on {task.ref} carries a trackersync marker naming "
            f"{comment.mirror_of} but was not written by trackersync's account: "
            "treated as that person's own comment"
            for comment in task.comments
            if comment.mirror_of and not comment.by_trackersync
        )
    return found


def _current_bases(source: Task, target: Task, link: LinkSpec) -> dict[str, tuple[Any, Any]]:
    """Both sides' current values as the base of every field, for a pair found by marker.

    Nothing says which side changed while the pair was unrecorded, and conversions are
    lossy (a mirror's text never reads back byte-equal to its origin): taking today's
    values as in step makes a rebuild write nothing, and every later edit moves as usual.
    """
    return {
        name: (value(source, name, link.source), value(target, name, link.target))
        for name in link.item_fields
    }


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
            if task.twin_of and not task.by_trackersync:
                continue  # a forged marker: the item takes no part in the link
            if side.takes_part is not None and task.ref.key not in side.takes_part:
                continue
            if not link.chain and _mirror_for_another_link(task, state):
                continue
            result.actions.append(_create(state, task, side_name, link, result))


def _mirror_for_another_link(task: Task, state: LinkState) -> bool:
    """Whether trackersync created `task` as the twin of an item outside this link.

    With links A-B and B-C, B holds A's items as mirrors; copying them on to C would
    multiply every item across N:M links. Only `chain: true` lets them through. Read from
    the other links' pairs and from a trusted marker (this runs after `_twin_of` found it
    names nothing in this link), so a lost state store keeps the rule.
    """
    return str(task.ref) in state.mirrors_elsewhere or bool(task.twin_of and task.by_trackersync)


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
        fields=_task_fields(
            {**written, **_typed(task, link, written), **_due(values, written, link.side(frm))}
        ),
        origin_values=values,
        comments=copies if "comments" in link.fields else (),
        resume=origin.ref in state.intents,
    )


def _own_comment_ids(task: Task) -> list[str]:
    """Comments people wrote: all but trackersync's own mirrors. A marker someone else
    wrote makes no mirror; its body comes without the marker, so a copy carries none."""
    return [c.id for c in task.comments if not (c.mirror_of and c.by_trackersync)]


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


def _typed(task: Task, link: LinkSpec, written: Mapping[str, Any]) -> dict[str, Any]:
    """The link's `types` map on a create: a typed origin (Jira) gives its twin the label
    its type maps from; an untyped one (GitHub) gives the type its first mapped label
    names."""
    if not link.types:
        return {}
    if task.type:
        labels = [label for label, kind in link.types.items() if kind == task.type]
        if not labels or "labels" not in written:
            return {}
        current = tuple(written["labels"])
        known = {label.casefold() for label in current}
        return {"labels": current + tuple(x for x in labels[:1] if x.casefold() not in known)}
    by_label = {label.casefold(): kind for label, kind in link.types.items()}
    kinds = [by_label[label.casefold()] for label in task.labels if label.casefold() in by_label]
    return {"type": kinds[0]} if kinds else {}


def _due(origin: Mapping[str, Any], written: Mapping[str, Any], frm: Side) -> dict[str, Any]:
    """`milestone_due` beside a written milestone: the due date of the milestone it comes
    from (`origin` holds side `frm`'s own name), for the connector to give a milestone it
    creates. An existing milestone keeps its date."""
    name = origin.get("milestone")
    due = frm.milestone_dues.get(name) if written.get("milestone") and name else None
    return {} if due is None else {"milestone_due": due}


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
    # Each side's synced milestone (of several Jira fixVersions, see `_kept_milestones`).
    milestones: dict[SideName, Any] = field(default_factory=dict)


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
        if name == "milestone" and base is not None:
            current = pair.milestones = _kept_milestones(current, base, tasks, link)
        if name in SET_FIELDS and link.two_way:
            _merge_pair_set(name, current, base, tasks, link, pair, result)
            continue
        winner = _winner(name, current, base, tasks, link, pair)
        if winner is None:
            continue
        loser = other(winner)
        if name in pair.conflicts:
            refs = str(source.ref), str(target.ref)
            values = current["source"], current["target"]
            rule = link.conflict if link.two_way else "source"
            result.conflicts.append(Conflict(*refs, name, *values, winner, rule))
        carried, warnings = carry(
            name, current[winner], link, winner, link.side(loser), tasks[winner].url, current[loser]
        )
        result.warnings.extend(warnings)
        if name == "body" and base is not None and name not in pair.conflicts:
            carried = _merge_body(base, winner, current, carried, tasks, result, link)
        if same(name, carried, current[loser], link.side(loser)):
            pair.agreed[name] = (current["source"], current["target"])
        else:
            pair.writes[loser][name] = carried
            pair.kept[loser][name] = current[winner]
    _emit_pair(source, target, pair, link, result, lost)


def _merge_body(
    base: tuple[Any, Any],
    winner: SideName,
    current: dict[SideName, Any],
    carried: str,
    tasks: dict[SideName, Task],
    result: Plan,
    link: LinkSpec,
) -> str:
    """The loser's body with only the blocks the winner edited replaced (`blocks`); the
    whole carried body when the two cannot be aligned block by block or the merged body
    would pass the side's limit (the carried one is already cut to it)."""
    loser = other(winner)
    origin_base = base[0 if winner == "source" else 1] or ""
    mirror = current[loser] or ""
    merged = merge_blocks(origin_base, current[winner] or "", mirror, carried)
    if merged is not None and len(merged) <= link.side(loser).text_limit:
        return merged
    if mirror.strip():
        result.warnings.append(
            f"{tasks[loser].ref}: its body no longer lines up block by block with "
            f"{tasks[winner].ref}; rewritten whole from it"
        )
    return carried


def _merge_pair_set(
    name: str,
    current: dict[SideName, Any],
    base: tuple[Any, Any] | None,
    tasks: dict[SideName, Task],
    link: LinkSpec,
    pair: _PairPlan,
    result: Plan,
) -> None:
    """Labels and assignees: both sides' additions and removals survive (`set_merge`)."""
    urls: dict[SideName, str] = {"source": tasks["source"].url, "target": tasks["target"].url}
    merge = merge_sets(name, current, base, link, urls)
    result.warnings.extend(merge.warnings)
    written = [side for side in merge.results if merge.changed(side, current[side], name)]
    for side in written:
        pair.writes[side][name] = merge.results[side]
        # The other side's value once this run is done: its merged set if written too.
        theirs = other(side)
        pair.kept[side][name] = merge.results[theirs] if theirs in written else current[theirs]
    if not written and (base is None or tuple(base) != (current["source"], current["target"])):
        pair.agreed[name] = (current["source"], current["target"])


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
    # Two servers' clocks disagree (by 44 s, seen in the field): each side's timestamp is
    # corrected by its clock's measured offset before "newest" is decided.
    target = corrected(tasks["target"].updated_at, link.target)
    return "target" if target > corrected(tasks["source"].updated_at, link.source) else "source"


def _lost_marker(
    source: Task, target: Task, mirror_side: SideName | None, link: LinkSpec
) -> tuple[SideName, Origin] | None:
    """The mirror side and its origin, when a person removed the mirror's marker."""
    if mirror_side is None:
        return None
    mirror, origin = (target, source) if mirror_side == "target" else (source, target)
    if mirror.twin_of == str(origin.ref):
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
                item=_as_synced(item, link.side(side), pair.milestones.get(side)),
                changes=_task_fields(
                    {**writes, **_due(pair.kept[side], writes, link.side(other(side)))}
                ),
                kept=pair.kept[side],
                conflicts=conflicts,
                source_ref=source_ref,
                target_ref=target_ref,
                marker=marker,
            )
        )


def _kept_milestones(
    current: dict[SideName, Any],
    base: tuple[Any, Any],
    tasks: dict[SideName, Task],
    link: LinkSpec,
) -> dict[SideName, Any]:
    """Each side's synced milestone. Of several fixVersions none of which the link's
    milestones map, `value` takes the first; but Jira orders them its own way, and a
    version added by a person (or appended by our own `add`) may come first. The version
    the pair last agreed on, while the issue still has it, is still the synced one: the
    others are the Jira team's own and never read as a milestone change."""
    kept = dict(current)
    order: tuple[SideName, SideName] = ("source", "target")
    for index, side in enumerate(order):
        task, was = tasks[side], base[index]
        mapped = any(v in link.side(side).milestones for v in task.fix_versions)
        if current[side] != was and was in task.fix_versions and not mapped:
            kept[side] = was
    return kept


def _as_synced(item: Task, side: Side, synced: Any = None) -> Task:
    """`item` whose `milestone` is the one of its fixVersions the link syncs, so that the
    connector replaces that version and keeps the others (the Jira team's own)."""
    synced = value(item, "milestone", side) if synced is None else synced
    return item if synced == item.milestone else item.model_copy(update={"milestone": synced})


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
    # Only trackersync's own comment can be the mirror: adopting a pasted marker would
    # stop the real mirroring and let someone else's text stand in for the origin's.
    found = next(
        (c for c in mirror_task.comments if c.mirror_of == marker and c.by_trackersync), None
    )

    def mirror(reason: str, existing: Comment | None = None) -> MirrorComment:
        return MirrorComment(
            link=link.name, reason=reason, side=to, item=mirror_task, copy_=copy, existing=existing
        )

    if known is None and found is None:
        return mirror(f"comment {marker} is not on {mirror_task.ref} yet")
    if known is None and found is not None:
        # Adopted as it stands, like a pair's fields (`_current_bases`): a mirror's text
        # never reads back byte-equal to its origin, so comparing them would rewrite
        # every mirror after a lost store. A later edit of the origin moves as usual.
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
