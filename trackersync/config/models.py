"""The configuration file's shape (PRODUCT.md §3). Connector sections are validated by the
connector's own `Config` in a second pass (see loading.py)."""

from __future__ import annotations

import shlex
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trackersync.connectors.base import Duration
from trackersync.sync.model import Ref, StatusCategory

MEMBER_KEYS = ("milestone", "fixVersion", "epic", "label", "jql")
SyncField = Literal["title", "body", "status", "labels", "assignees", "milestone", "comments"]
SYNC_FIELDS: tuple[SyncField, ...] = (
    "title",
    "body",
    "status",
    "labels",
    "assignees",
    "milestone",
    "comments",
)


def parse_scope(text: str) -> Ref:
    """`CONNECTOR:SCOPE` with no item key."""
    ref = Ref.parse(text)
    if ref.key:
        raise ValueError(f"expected CONNECTOR:SCOPE without #KEY, got {text!r}")
    return ref


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LinkFilter(_Strict):
    """Which items take part: JQL text for Jira; a label list or query for GitHub."""

    source: str | dict[str, Any] | None = None
    target: str | dict[str, Any] | None = None


class StatusOverrides(_Strict):
    """Per-status-name overrides of the category mapping, per side of a link."""

    source: dict[str, StatusCategory] = Field(default_factory=dict)
    target: dict[str, StatusCategory] = Field(default_factory=dict)


class LinkConfig(_Strict):
    """A pair of scopes whose items are mirrored."""

    name: str
    source: str
    target: str
    direction: Literal["two-way", "one-way"] = "two-way"
    filter: LinkFilter | None = None
    fields: list[SyncField] = Field(default_factory=lambda: list(SYNC_FIELDS))
    conflict: Literal["newest", "source", "target"] = "newest"
    status: StatusOverrides | None = None
    users: dict[str, str] = Field(default_factory=dict)
    # GitHub label -> Jira issue type of created twins (`{bug: Bug}`); the type of a Jira
    # item comes to GitHub as the label it maps from.
    types: dict[str, str] = Field(default_factory=dict)
    # Whether items another link created as mirrors get twins here too (A -> B -> C).
    chain: bool = False

    @field_validator("source", "target")
    @classmethod
    def _scope(cls, value: str) -> str:
        return str(parse_scope(value))

    @property
    def source_ref(self) -> Ref:
        """The source scope."""
        return Ref.parse(self.source)

    @property
    def target_ref(self) -> Ref:
        """The target scope."""
        return Ref.parse(self.target)


class MilestoneMember(_Strict):
    """`gh:acme/web milestone="v2.0"`: a scope and what selects its items."""

    scope: str
    selector: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> MilestoneMember:
        """Read `SCOPE key="value" ...`."""
        try:
            words = shlex.split(text)
        except ValueError as exc:
            raise ValueError(f"{text!r}: {exc}") from exc
        if not words:
            raise ValueError("empty milestone member")
        selector: dict[str, str] = {}
        for word in words[1:]:
            key, sep, value = word.partition("=")
            if not sep or not key:
                raise ValueError(f'{text!r}: expected key="value" after the scope, got {word!r}')
            if key not in MEMBER_KEYS:
                allowed = ", ".join(MEMBER_KEYS)
                raise ValueError(f"{text!r}: unknown selector {key!r}; use one of {allowed}")
            selector[key] = value
        if not selector:
            raise ValueError(f'{text!r}: name what selects the items, e.g. milestone="v2.0"')
        return cls(scope=str(parse_scope(words[0])), selector=selector)


class MilestoneConfig(_Strict):
    """One release tracked across tools."""

    name: str
    members: list[str]
    due: date | None = None
    publish: list[str] = Field(default_factory=lambda: ["members"])
    stale_after: Duration = timedelta(days=14)

    @field_validator("publish")
    @classmethod
    def _publish(cls, value: list[str]) -> list[str]:
        for target in value:
            if target != "members" and not Ref.parse(target).key:
                raise ValueError(
                    f"{target!r}: expected `members` or a status issue, e.g. jira:WEB#WEB-42"
                )
        return value

    @property
    def status_issues(self) -> list[str]:
        """The items the full rollup is also written into (besides the members)."""
        return [target for target in self.publish if target != "members"]

    @field_validator("members")
    @classmethod
    def _members(cls, value: list[str]) -> list[str]:
        for text in value:
            MilestoneMember.parse(text)
        return value

    @property
    def parsed_members(self) -> list[MilestoneMember]:
        """The members, parsed."""
        return [MilestoneMember.parse(text) for text in self.members]
