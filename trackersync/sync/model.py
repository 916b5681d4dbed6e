"""The common task model every connector produces."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

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
    mirror_of: str | None = None


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
    raw: dict[str, Any] = {}


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
    previous pull saw with the same `updated_at` is left out). `comments` are comments
    that changed, keyed by the item key they belong to, for items that may not be in
    `tasks`. `milestones` is None when they were not re-read (unchanged, e.g. a 304).
    `cursor` is the opaque, JSON-serialisable state the next pull starts from.
    """

    scope: str
    tasks: list[Task] = Field(default_factory=list)
    comments: dict[str, list[Comment]] = Field(default_factory=dict)
    milestones: list[Milestone] | None = None
    cursor: dict[str, Any] = Field(default_factory=dict)
    requests: int = 0


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
