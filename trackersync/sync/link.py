"""A link as the engine sees it, and how field values are read and carried across it.

Values are compared per side: each side's value is compared with the value that side had
when the pair was last in step. Text conversions are lossy (wiki markup is not Markdown),
so a value is never compared with the other side's value except to avoid needless writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol
from urllib.parse import unquote

from trackersync.sync.markup import fit, normalize
from trackersync.sync.model import Ref, Status, StatusCategory

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
    # This side's milestone names the link's milestones map: of several Jira fixVersions,
    # the one among these is the one synced; the others are the Jira team's own.
    milestones: frozenset[str] = frozenset()
    # The due dates of this side's milestones by name, as pulled: a milestone created on
    # the other side for one of them gets its date.
    milestone_dues: Mapping[str, date] = field(default_factory=dict)
    # How far this system's clock ran ahead of ours this run (its `Date` header): its
    # timestamps minus this are comparable with the other side's for "newest wins".
    clock_offset: timedelta = timedelta(0)

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
    # Mirrors another link created get twins through this link too (`chain: true`).
    chain: bool = False
    # Label (on the side without issue types) -> issue type of created twins.
    types: Mapping[str, str] = field(default_factory=dict)

    def side(self, name: SideName) -> Side:
        """The source or the target side."""
        return self.source if name == "source" else self.target

    @property
    def item_fields(self) -> tuple[str, ...]:
        """The synced fields other than comments."""
        return tuple(f for f in self.fields if f != "comments")


def corrected(moment: datetime, side: Side) -> datetime:
    """A timestamp `side`'s server wrote, on this machine's clock."""
    return moment - side.clock_offset


def other(name: SideName) -> SideName:
    """The opposite side."""
    return "target" if name == "source" else "source"


class Compared(Protocol):
    """What `value` reads of an item: a `Task`, or the slim view `plan`'s fast path loads
    instead of a whole `Task` (`plan.ItemView`)."""

    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def status(self) -> Status: ...
    @property
    def labels(self) -> tuple[str, ...]: ...
    @property
    def assignees(self) -> tuple[str, ...]: ...
    @property
    def milestone(self) -> str | None: ...
    @property
    def fix_versions(self) -> tuple[str, ...]: ...


def value(task: Compared, name: str, side: Side) -> Any:
    """A field's value as JSON-able data, as this side shows it."""
    if name == "status":
        override = side.status_overrides.get(task.status.name)
        return (override or task.status.category).value
    if name in ("labels", "assignees"):
        return sorted(getattr(task, name))
    if name == "milestone":
        return next((v for v in task.fix_versions if v in side.milestones), task.milestone)
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
        # One place cuts and neutralises, in that order, for bodies and comments alike.
        text = _mapped_mentions(data or "", link, frm)
        return fit(text, to.text_limit, url, at_mentions=to.at_mentions, html=to.renders_html), []
    if name == "labels":
        spelled = {_label_key(label): label for label in existing or ()}
        return sorted({spelled.get(_label_key(label), _label(label, to)) for label in data}), []
    if name == "assignees":
        return _users(data, link, frm)
    if name == "milestone" and data is not None:
        names = link.milestones if frm == "source" else {v: k for k, v in link.milestones.items()}
        return names.get(data, data), []
    return data, []


# A Jira mention as the Jira connector writes it: the name linked to the person's profile.
_PROFILE_MENTION = re.compile(
    r"\[@(?:[^\]\\\n]|\\.){1,200}\]"
    r"\([^)\s]{1,300}/secure/ViewProfile\.jspa\?(?:accountId|name)=([^)\s&]{1,200})\)"
)


def _mapped_mentions(text: str, link: LinkSpec, frm: SideName) -> str:
    """Mentions of people the link's `users` map knows, as their login on the other side
    (`@login`, neutralised by `fit` like any mention); others stay names."""
    if "ViewProfile.jspa" not in text:
        return text
    mapping = link.users if frm == "source" else {v: k for k, v in link.users.items()}

    def login(match: re.Match[str]) -> str:
        user = mapping.get(unquote(match[1]))
        return match[0] if user is None else f"@{user}"

    return _PROFILE_MENTION.sub(login, text)


def _label(label: str, to: Side) -> str:
    return label if to.labels_allow_spaces else "-".join(label.split())


def member_key(name: str, member: str) -> str:
    """What makes two members of a set-valued field one member (labels ignore spelling)."""
    return _label_key(member) if name == "labels" else member


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
