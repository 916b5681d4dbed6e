"""What `plan` decides and `apply` performs. Every action says why (`reason`), which is
what the dry-run and the run report print."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from trackersync.sync.model import Comment, Milestone, Origin, Task, TaskFields

SideName = Literal["source", "target"]


class Action(BaseModel):
    """Base of every action: the link it belongs to and the reason for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    link: str
    reason: str

    # Whether applying it writes to a tracker (else only to the state store).
    writes: ClassVar[bool] = True


class Adopt(Action):
    """Record a pair found by its marker (a lost state store, or a create whose answer
    was lost); no tracker is written."""

    kind: Literal["adopt"] = "adopt"
    source_ref: str
    target_ref: str
    bases: dict[str, tuple[Any, Any]]
    mirror_side: SideName

    writes: ClassVar[bool] = False


class Create(Action):
    """Create the twin of `origin_item` on side `side`, then mirror its comments."""

    kind: Literal["create"] = "create"
    side: SideName
    scope: str
    origin_item: Task
    origin: Origin
    fields: TaskFields
    origin_values: dict[str, Any]
    comments: tuple[CommentCopy, ...] = ()
    resume: bool = False


class Update(Action):
    """Write changed fields to one item of a pair in one edit."""

    kind: Literal["update"] = "update"
    side: SideName
    source_ref: str
    target_ref: str
    item: Task
    changes: TaskFields
    kept: dict[str, Any]
    conflicts: tuple[str, ...] = ()
    marker: Origin | None = None


class Rebase(Action):
    """Both sides agree already: remember the values as in step; no tracker is written."""

    kind: Literal["rebase"] = "rebase"
    source_ref: str
    target_ref: str
    bases: dict[str, tuple[Any, Any]]

    writes: ClassVar[bool] = False


class CommentCopy(BaseModel):
    """A comment to mirror: the text to post and where it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    body: str
    origin: Origin
    origin_updated: str


class MirrorComment(Action):
    """Post a new mirrored comment, or rewrite one whose origin was edited."""

    kind: Literal["comment"] = "comment"
    side: SideName
    item: Task
    copy_: CommentCopy
    existing: Comment | None = None


class AdoptComment(Action):
    """Record a mirrored comment found by its marker; no tracker is written."""

    kind: Literal["adopt-comment"] = "adopt-comment"
    origin_id: str
    mirror_ref: str
    mirror_comment_id: str
    origin_updated: str

    writes: ClassVar[bool] = False


class MilestoneDue(Action):
    """Set (or clear, `due` None) the due date of a milestone on side `side`, whose pair
    `pair` (source name, target name) changed its date on the other side."""

    kind: Literal["milestone_due"] = "milestone_due"
    side: SideName
    pair: tuple[str, str]
    milestone: Milestone
    # The winner's date; recorded with what the written side answered as the agreement.
    due: date | None


class AgreeDues(Action):
    """Remember a milestone pair's due dates as agreed (first seen, or both moved alike);
    no tracker is written."""

    kind: Literal["agree_dues"] = "agree_dues"
    pair: tuple[str, str]
    dues: tuple[date | None, date | None]

    writes: ClassVar[bool] = False


AnyAction = Adopt | Create | Update | Rebase | MirrorComment | AdoptComment
Create.model_rebuild()
