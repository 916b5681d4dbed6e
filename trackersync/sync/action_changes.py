"""What an action changes, field by field: what `sync --dry-run` shows and the JSON plan
lists, so a person can judge a plan before it writes (old → new, text shortened)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trackersync.sync.actions import Action, Create, MilestoneDue, MirrorComment, Update
from trackersync.sync.model import Task

TEXT_LIMIT = 60


@dataclass(frozen=True)
class FieldChange:
    """One field an action writes: its value now (None for a new item) and after."""

    name: str
    old: Any
    new: Any

    def as_json(self, limit: int = TEXT_LIMIT) -> dict[str, Any]:
        """`{"name", "old", "new"}` with long text shortened."""
        return {"name": self.name, "old": shorten(self.old, limit), "new": shorten(self.new, limit)}

    def as_text(self, limit: int = TEXT_LIMIT) -> str:
        """`title: 'Old' → 'New'`."""
        return f"{self.name}: {_show(self.old, limit)} → {_show(self.new, limit)}"


def item_title(action: Action) -> str:
    """The title of the item the action is about ("" for the record-only actions)."""
    if isinstance(action, Create):
        return action.origin_item.title
    if isinstance(action, Update | MirrorComment):
        return action.item.title
    return ""


def field_changes(action: Action) -> list[FieldChange]:
    """The fields `action` writes, in name order, each with its current and new value."""
    if isinstance(action, Create):
        # A new item's empty fields change nothing worth reading.
        new = action.fields.model_dump(mode="json", exclude_unset=True)
        return [FieldChange(name, None, new[name]) for name in sorted(new) if new[name]]
    if isinstance(action, Update):
        new = action.changes.model_dump(mode="json", exclude_unset=True)
        return [FieldChange(name, _current(action.item, name), new[name]) for name in sorted(new)]
    if isinstance(action, MirrorComment):
        old = action.existing.body if action.existing is not None else None
        return [FieldChange("comment", old, action.copy_.body)]
    if isinstance(action, MilestoneDue):
        due = None if action.due is None else action.due.isoformat()
        was = None if action.milestone.due is None else action.milestone.due.isoformat()
        return [FieldChange("due", was, due)]
    return []


def _current(item: Task, name: str) -> Any:
    if name == "status":
        return item.status.category.value
    if name in ("labels", "assignees"):
        return sorted(getattr(item, name))
    # `milestone_due` is no field of the item: the date a created milestone gets.
    return getattr(item, name, None)


def shorten(value: Any, limit: int = TEXT_LIMIT) -> Any:
    """Text cut to `limit` characters (with `…`) on one line; other values as they are."""
    if isinstance(value, str):
        line = " ".join(value.split())
        return line if len(line) <= limit else line[: limit - 1] + "…"
    if isinstance(value, list | tuple):
        return [shorten(member, limit) for member in value]
    return value


def _show(value: Any, limit: int) -> str:
    short = shorten(value, limit)
    if short is None:
        return "-"
    return repr(short) if isinstance(short, str) else str(short)
