"""A link as the engine sees it, and how field values are read and carried across it.

Values are compared per side: each side's value is compared with the value that side had
when the pair was last in step. Text conversions are lossy (wiki markup is not Markdown),
so a value is never compared with the other side's value except to avoid needless writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from trackersync.sync.markup import cut, neutralize, normalize
from trackersync.sync.model import Ref, StatusCategory, Task

SideName = Literal["source", "target"]
OPEN_CATEGORIES = frozenset({StatusCategory.TODO.value, StatusCategory.IN_PROGRESS.value})


@dataclass(frozen=True)
class Side:
    """One scope of a link and what its system can represent."""

    scope: Ref
    system: str = "tracker"
    labels_allow_spaces: bool = True
    distinct_open_statuses: bool = True
    at_mentions: bool = False
    renders_html: bool = False
    text_limit: int = 65_536
    status_overrides: Mapping[str, StatusCategory] = field(default_factory=dict)
    takes_part: frozenset[str] | None = None

    def owns(self, ref: str | Ref) -> bool:
        """Whether an item ref lives in this side's scope."""
        parsed = ref if isinstance(ref, Ref) else Ref.parse(ref)
        return parsed.scope_ref == self.scope


@dataclass(frozen=True)
class LinkSpec:
    """Everything `plan` needs to know about a link; built from the config."""

    name: str
    source: Side
    target: Side
    two_way: bool = True
    fields: tuple[str, ...] = (
        "title",
        "body",
        "status",
        "labels",
        "assignees",
        "milestone",
        "comments",
    )
    conflict: Literal["newest", "source", "target"] = "newest"
    users: Mapping[str, str] = field(default_factory=dict)
    milestones: Mapping[str, str] = field(default_factory=dict)

    def side(self, name: SideName) -> Side:
        """The source or the target side."""
        return self.source if name == "source" else self.target

    @property
    def item_fields(self) -> tuple[str, ...]:
        """The synced fields other than comments."""
        return tuple(f for f in self.fields if f != "comments")


def other(name: SideName) -> SideName:
    """The opposite side."""
    return "target" if name == "source" else "source"


def value(task: Task, name: str, side: Side) -> Any:
    """A field's value as JSON-able data, as this side shows it."""
    if name == "status":
        override = side.status_overrides.get(task.status.name)
        return (override or task.status.category).value
    if name in ("labels", "assignees"):
        return sorted(getattr(task, name))
    return getattr(task, name)


def carry(
    name: str,
    data: Any,
    link: LinkSpec,
    frm: SideName,
    to: Side,
    url: str,
    existing: Any = None,
) -> tuple[Any, list[str]]:
    """`data` of side `frm` in the representation of side `to`, plus warnings.

    `existing` is side `to`'s current value: a label it already has under another
    spelling (`needs review` for Jira's `needs-review`) keeps that spelling.
    """
    if name == "body":
        safe = neutralize(data or "", at_mentions=to.at_mentions, html=to.renders_html)
        return cut(safe, to.text_limit, url), []
    if name == "labels":
        spelled = {_label_key(label): label for label in existing or ()}
        return sorted({spelled.get(_label_key(label), _label(label, to)) for label in data}), []
    if name == "assignees":
        return _users(data, link, frm)
    if name == "milestone" and data is not None:
        names = link.milestones if frm == "source" else {v: k for k, v in link.milestones.items()}
        return names.get(data, data), []
    return data, []


def _label(label: str, to: Side) -> str:
    return label if to.labels_allow_spaces else "-".join(label.split())


def _label_key(label: str) -> str:
    """Labels that differ only by case, spaces or dashes are one label across systems."""
    return "-".join(label.lower().replace("-", " ").split())


def _users(data: list[str], link: LinkSpec, frm: SideName) -> tuple[list[str], list[str]]:
    mapping = link.users if frm == "source" else {v: k for k, v in link.users.items()}
    mapped = sorted({mapping[user] for user in data if user in mapping})
    warnings = [
        f"user {user!r} has no entry in links.{link.name}.users; left out"
        for user in data
        if user not in mapping
    ]
    return mapped, warnings


def same(name: str, left: Any, right: Any, side: Side) -> bool:
    """Whether two values of one side mean the same (so writing would change nothing)."""
    if name == "body":
        return normalize(left or "") == normalize(right or "")
    if name == "status" and not side.distinct_open_statuses:
        return left == right or {left, right} <= OPEN_CATEGORIES
    return bool(left == right)
