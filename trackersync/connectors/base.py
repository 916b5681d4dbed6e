"""The `Connector` interface a tracker plugin implements.

A plugin ships a `Connector` subclass with a `type` name and a pydantic `Config`, and
registers it under the `trackersync.connectors` entry-point group.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from trackersync.errors import ConfigError
from trackersync.sync.model import Comment, Milestone, Task

__all__ = [
    "CheckReport",
    "Connector",
    "ConnectorConfig",
    "Duration",
    "PullResult",
    "RateBudget",
    "ScopeReport",
    "parse_duration",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> timedelta:
    """Read `1s`, `250ms`, `15m`, `2h`, `1d` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError("expected a duration such as 1s, 250ms, 15m or 2h")
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class ConnectorConfig(BaseModel):
    """Keys every connector section has; subclasses add their scopes and options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    url: str
    token_env: str
    timeout: Duration = timedelta(seconds=30)

    def secret(self, env: Mapping[str, str], variable: str, *, key: str) -> str:
        """Read a secret from the environment variable the config names."""
        value = env.get(variable, "")
        if not value:
            raise ConfigError(
                f"environment variable {variable} is not set; export it with the secret "
                f"(named by `{key}`)",
            )
        return value


class RateBudget(BaseModel):
    """What is left of an API budget (None where the system does not say)."""

    remaining: int | None = None
    limit: int | None = None
    resets_at: str | None = None


class ScopeReport(BaseModel):
    """One configured scope as `check` saw it."""

    scope: str
    visible: bool
    detail: str = ""


class CheckReport(BaseModel):
    """The outcome of `Connector.check()`."""

    connector: str
    user: str
    server: str = ""
    scopes: list[ScopeReport] = Field(default_factory=list)
    rate: RateBudget = Field(default_factory=RateBudget)


class PullResult(BaseModel):
    """What one incremental pull of a scope found.

    `tasks` are the items that changed since `cursor` (already de-duplicated: an item the
    previous pull saw with the same `updated_at` is left out). `comments` are comments
    that changed, keyed by the item key they belong to, for items that may not be in
    `tasks`. `milestones` is None when they were not re-read (unchanged, e.g. a 304).
    `cursor` is the opaque, JSON-serialisable state the next pull starts from.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    scope: str
    tasks: list[Task] = Field(default_factory=list)
    comments: dict[str, list[Comment]] = Field(default_factory=dict)
    milestones: list[Milestone] | None = None
    cursor: dict[str, Any] = Field(default_factory=dict)
    requests: int = 0


class Connector(ABC):
    """A tracker. One instance per configured connector section, used for one run."""

    type: ClassVar[str]
    Config: ClassVar[type[ConnectorConfig]]

    def __init__(self, name: str, config: ConnectorConfig, env: Mapping[str, str]) -> None:
        self.name = name
        self.config = config
        self.env = env

    @property
    @abstractmethod
    def scopes(self) -> list[str]:
        """The scopes (repos, projects) this connector is configured for."""

    @abstractmethod
    def check(self) -> CheckReport:
        """Authenticate, list what the configured scopes look like, report the budget.

        Raises `AuthRefused` or `Unreachable` when the system cannot be used.
        """

    @abstractmethod
    def pull(self, scope: str, cursor: Mapping[str, Any]) -> PullResult:
        """Fetch what changed in `scope` since `cursor` ({} for a first pull)."""

    def close(self) -> None:  # noqa: B027 - optional hook, most connectors hold nothing
        """Release sessions; called once at the end of a run."""
