"""The common task model every connector produces."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

_REF = re.compile(r"^(?P<connector>[A-Za-z0-9_.-]+):(?P<scope>[^#\s]+)(?:#(?P<key>[^#\s]+))?$")


@dataclass(frozen=True, order=True)
class Ref:
    """`CONNECTOR:SCOPE#KEY` (`gh:acme/web#12`, `jira:WEB#WEB-7`); key is empty for a scope."""

    connector: str
    scope: str
    key: str = ""

    @classmethod
    def parse(cls, text: str) -> Ref:
        """Read a ref or a scope (`gh:acme/web`) from its text form."""
        match = _REF.match(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not CONNECTOR:SCOPE or CONNECTOR:SCOPE#KEY")
        return cls(match["connector"], match["scope"], match["key"] or "")

    @property
    def scope_ref(self) -> Ref:
        """The scope this item lives in."""
        return Ref(self.connector, self.scope)

    def item(self, key: str) -> Ref:
        """The ref of item `key` in this scope."""
        return Ref(self.connector, self.scope, key)

    def __str__(self) -> str:
        return (
            f"{self.connector}:{self.scope}#{self.key}"
            if self.key
            else f"{self.connector}:{self.scope}"
        )


def iso(moment: datetime) -> str:
    """UTC ISO-8601 text that sorts like the instant it names."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _to_ref(value: Any) -> Ref:
    return value if isinstance(value, Ref) else Ref.parse(str(value))


RefField = Annotated[Ref, BeforeValidator(_to_ref), PlainSerializer(str, return_type=str)]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must carry a time zone")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class StatusCategory(StrEnum):
    """The cross-tool meaning of a status."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELED = "canceled"


CATEGORIES = tuple(category.value for category in StatusCategory)


def category_counts(tasks: Iterable[Task]) -> dict[str, int]:
    """`tasks` plus one count per status category (every category present)."""
    found = [task.status.category.value for task in tasks]
    return {"tasks": len(found), **{name: found.count(name) for name in CATEGORIES}}


class Status(BaseModel):
    """A status as the system names it, plus its category."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    category: StatusCategory


class Comment(BaseModel):
    """One comment on a task; `body` is Markdown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    author: str | None = None
    body: str = ""
    created_at: AwareDatetime
    updated_at: AwareDatetime
    # The marker as read from the comment, whoever wrote it; trusted (as a mirror of
    # that comment) only with `by_trackersync`: trackersync's own account wrote it.
    mirror_of: str | None = None
    by_trackersync: bool = False


class Task(BaseModel):
    """One issue of any tracker, normalised. `body` is Markdown; `raw` keeps system extras."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: RefField
    url: str
    title: str
    body: str = ""
    status: Status
    assignees: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    milestone: str | None = None
    due: date | None = None
    type: str | None = None
    parent: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    comments: tuple[Comment, ...] = ()
    # The marker as read from the item (the origin's ref), whoever put it there. Anyone
    # can paste a marker: it is trusted only with `by_trackersync`, which the connector
    # sets when trackersync's own account created the item (and, on Jira, the marker
    # property is present). Connectors only look authorship up for marked items.
    twin_of: str | None = None
    by_trackersync: bool = False

    @model_validator(mode="before")
    @classmethod
    def _marker_from_stored_raw(cls, data: Any) -> Any:
        # Rows stored before `twin_of` existed kept the marker in `raw`; read as None it
        # would look removed and be written back. Their author was never recorded, so
        # they stay untrusted (by_trackersync False) until the item is pulled again.
        raw = data.get("raw") if isinstance(data, dict) and "twin_of" not in data else None
        if isinstance(raw, dict) and isinstance(raw.get("twin_of"), str):
            rest = {key: value for key, value in raw.items() if key != "twin_of"}
            return {**data, "twin_of": raw["twin_of"], "raw": rest}
        return data

    # Every release the item is in (Jira fixVersions; `milestone` is only the first one).
    fix_versions: tuple[str, ...] = ()
    # The tracker marks the item blocked: a Jira flag or "is blocked by" link, a label.
    blocked: bool = False
    raw: dict[str, Any] = {}

    @model_validator(mode="before")
    @classmethod
    def _blocked_when_unset(cls, data: Any) -> Any:
        # Items stored before `blocked` existed kept the Jira flag and links in `raw`, and
        # an incremental pull never re-reads them unless they change: derive it once here.
        if isinstance(data, dict) and "blocked" not in data and says_blocked(data):
            return {**data, "blocked": True}
        return data


def says_blocked(data: dict[str, Any]) -> bool:
    """A "blocked" label, or in a Jira `raw` the flag or an "is blocked by" link."""
    raw = data.get("raw")
    raw = raw if isinstance(raw, dict) else {}
    inward = any(
        isinstance(link, dict)
        and link.get("type") == "Blocks"
        and link.get("direction") == "inward"
        for link in raw.get("issuelinks") or []
    )
    labelled = any(str(label).lower() == "blocked" for label in data.get("labels") or ())
    return bool(raw.get("flagged")) or inward or labelled


class Milestone(BaseModel):
    """A GitHub milestone or a Jira version, as the scope reports it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scope: RefField
    id: str
    name: str
    description: str = ""
    due: date | None = None
    state: str = "open"
    raw: dict[str, Any] = {}


class PullResult(BaseModel):
    """What one incremental pull of a scope found.

    `tasks` are the items that changed since `cursor` (already de-duplicated: an item the
    previous pull saw with the same `updated_at` is left out). `comments` is the one path
    comments travel by: every comment that changed (new or edited), keyed by the item key
    it belongs to, whether or not that item is in `tasks`. A connector whose API returns
    comments inside the items may leave them on `Task.comments` instead: building the
    result folds them into `comments`, so the store and the engine read `comments` only.
    `milestones` is None when they were not re-read (unchanged, e.g. a 304).
    `cursor` is the opaque, JSON-serialisable state the next pull starts from.
    """

    scope: str
    tasks: list[Task] = Field(default_factory=list)
    comments: dict[str, list[Comment]] = Field(default_factory=dict)
    milestones: list[Milestone] | None = None
    cursor: dict[str, Any] = Field(default_factory=dict)
    requests: int = 0

    @model_validator(mode="after")
    def _fold_task_comments(self) -> PullResult:
        # Runs on construction (not on model_copy): rebuilding `tasks` with a copy would
        # skip it, which no caller does.
        self.comments = fold_comments(self.tasks, self.comments)
        return self


def fold_comments(
    tasks: Iterable[Task], comments: dict[str, list[Comment]]
) -> dict[str, list[Comment]]:
    """`comments` plus those carried on `tasks`, one per (item key, comment id).

    The same comment found on both paths keeps the later edit (the explicit list on a tie).
    """
    merged = {key: {c.id: c for c in items} for key, items in comments.items()}
    for task in tasks:
        if not task.comments:
            continue
        found = merged.setdefault(task.ref.key, {})
        for comment in task.comments:
            kept = found.get(comment.id)
            if kept is None or comment.updated_at > kept.updated_at:
                found[comment.id] = comment
    return {key: list(found.values()) for key, found in merged.items() if found}


class TaskFields(BaseModel):
    """Field values the engine asks a connector to write.

    Only the fields explicitly set are written (`model_fields_set`): `milestone=None`
    clears the milestone, an absent `milestone` leaves it alone. Text is Markdown (the
    connector converts); `status` is a category (the connector finds the transition or the
    state); `assignees` are already mapped to the target system's user ids; `milestone`
    is a name (the connector creates a missing milestone / version).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str | None = None
    body: str | None = None
    status: StatusCategory | None = None
    labels: tuple[str, ...] | None = None
    assignees: tuple[str, ...] | None = None
    milestone: str | None = None
    # The due date of `milestone` where it comes from (a GitHub milestone's `due_on`, a
    # Jira version's `releaseDate`): a milestone the connector creates for it gets it.
    milestone_due: date | None = None
    # The issue type of a created twin, where the system has types (a create only).
    type: str | None = None


class Origin(BaseModel):
    """Where a mirrored item or comment comes from: the durable marker and the link back.

    `ref` is the origin item's ref text (`jira:WEB#WEB-7`); `comment_id` is set for a
    mirrored comment. `system` names the origin system for people ("Jira", "GitHub"),
    `url` is the visible link back, `author` the origin comment's author.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: str
    url: str
    system: str
    comment_id: str | None = None
    author: str | None = None

    @property
    def marker_id(self) -> str:
        """The identity a marker carries: the item ref, plus `/comment_id` for comments."""
        return f"{self.ref}/{self.comment_id}" if self.comment_id else self.ref
