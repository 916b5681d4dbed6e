"""Reads the YAML config, applies `TRACKERSYNC_*` overrides, validates in two passes.

Pass one checks the top level with pydantic-settings; pass two finds each connector's
class by `type` and validates its section with that class's own `Config`. Every mistake
becomes one `ConfigError` naming the file, the key path and what was expected.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from trackersync.config.models import LinkConfig, MilestoneConfig, parse_scope
from trackersync.connectors.base import Connector, ConnectorConfig
from trackersync.connectors.registry import available
from trackersync.errors import ConfigError
from trackersync.sync.model import Ref

DEFAULT_PATH = "trackersync.yaml"


class TopLevel(BaseSettings):
    """The file's top level; `TRACKERSYNC_STATE` etc. override what the file says."""

    model_config = SettingsConfigDict(env_prefix="TRACKERSYNC_", extra="forbid", frozen=True)

    state: str = "sqlite:///trackersync.db"
    connectors: dict[str, dict[str, Any]]
    links: list[LinkConfig] = []
    milestones: list[MilestoneConfig] = []

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment wins over the file; no dotenv or secret files."""
        return env_settings, init_settings


@dataclass(frozen=True)
class Settings:
    """A validated configuration."""

    path: Path
    state: str
    connectors: dict[str, ConnectorConfig]
    links: list[LinkConfig] = field(default_factory=list)
    milestones: list[MilestoneConfig] = field(default_factory=list)

    def scopes(self) -> list[str]:
        """Every configured scope as `CONNECTOR:SCOPE`, in config order."""
        return [
            f"{name}:{scope}"
            for name, section in self.connectors.items()
            for scope in section.scope_names()
        ]


def config_path(option: str | None, env: Mapping[str, str]) -> Path:
    """`--config`, else `$TRACKERSYNC_CONFIG`, else `./trackersync.yaml`."""
    return Path(option or env.get("TRACKERSYNC_CONFIG") or DEFAULT_PATH)


def load(path: Path) -> Settings:
    """Read and validate the config at `path`; raises `ConfigError`."""
    raw = _read_yaml(path)
    try:
        top = TopLevel(**raw)
    except ValidationError as exc:
        raise _config_error(path, exc) from None
    except SettingsError:
        raise _environment_error(path) from None
    _check_state(path, top.state)
    connectors = {
        name: _connector_config(path, name, section) for name, section in top.connectors.items()
    }
    settings = Settings(path, top.state, connectors, list(top.links), list(top.milestones))
    _check_references(settings)
    return settings


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text: byte {exc.object[exc.start]:#04x} at offset {exc.start}; "
            "save the file as UTF-8",
            path=str(path),
        ) from None
    except FileNotFoundError:
        raise ConfigError(
            "config file not found; create one with `trackersync init` or pass --config",
            path=str(path),
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the config file: {exc.strerror}", path=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{where}malformed YAML: {problem}", path=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping with a `connectors:` section", path=str(path))
    return data


def _connector_config(path: Path, name: str, section: Mapping[str, Any]) -> ConnectorConfig:
    key = f"connectors.{name}"
    classes = available()
    kinds = ", ".join(sorted(classes))
    type_name = section.get("type")
    if not type_name:
        raise ConfigError(f"missing; expected one of: {kinds}", path=str(path), key=f"{key}.type")
    cls = classes.get(str(type_name))
    if cls is None:
        raise ConfigError(
            f"unknown connector type {type_name!r}; installed: {kinds}",
            path=str(path),
            key=f"{key}.type",
        )
    try:
        return cls.Config(**section)
    except ValidationError as exc:
        raise _config_error(path, exc, prefix=key) from None


def _environment_error(path: Path) -> ConfigError:
    """pydantic-settings says which field, not which variable: name the variable."""
    for name in ("connectors", "links", "milestones"):
        variable = f"TRACKERSYNC_{name.upper()}"
        value = os.environ.get(variable)
        if value is None:
            continue
        try:
            json.loads(value)
        except ValueError:
            return ConfigError(f"environment variable {variable} is not valid JSON", path=str(path))
    return ConfigError("a TRACKERSYNC_* environment variable is not valid JSON", path=str(path))


# The databases the state store is built and tested for.
STATE_BACKENDS = ("sqlite", "postgresql")


def _check_state(path: Path, url: str) -> None:
    """`state:` is a SQLite file or a PostgreSQL database; anything else fails later."""
    example = "sqlite:///trackersync.db or postgresql+psycopg://user@host/db"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        message = f"not a database URL; use {example}"
        raise ConfigError(message, path=str(path), key="state") from None
    backend = parsed.get_backend_name()
    if backend not in STATE_BACKENDS:
        raise ConfigError(
            f"{backend!r} is not supported; use {example}", path=str(path), key="state"
        )
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ConfigError(
            "an in-memory SQLite database forgets everything between runs; name a file, "
            "e.g. sqlite:///trackersync.db",
            path=str(path),
            key="state",
        )


def _check_references(settings: Settings) -> None:
    scopes = set(settings.scopes())
    pairs: dict[frozenset[str], int] = {}
    for index, link in enumerate(settings.links):
        for side in ("source", "target"):
            _check_scope(settings, scopes, getattr(link, side), f"links[{index}].{side}")
        _check_link_pair(settings, pairs, index, link)
    names = [link.name for link in settings.links]
    for index, name in enumerate(names):
        if names.index(name) != index:
            raise ConfigError(
                f"link name {name!r} is used twice; names must be unique",
                path=str(settings.path),
                key=f"links[{index}].name",
            )
    for index, milestone in enumerate(settings.milestones):
        for number, member in enumerate(milestone.parsed_members):
            key = f"milestones[{index}].members[{number}]"
            _check_scope(settings, scopes, member.scope, key)
        for number, target in enumerate(milestone.publish):
            if target != "members":
                scope = str(Ref.parse(target).scope_ref)
                _check_scope(settings, scopes, scope, f"milestones[{index}].publish[{number}]")


def _check_link_pair(
    settings: Settings, pairs: dict[frozenset[str], int], index: int, link: LinkConfig
) -> None:
    """A link mirrors two different scopes, and no two links the same two: either would
    mirror every item into a scope that already holds it (issues multiply each run)."""
    if link.source == link.target:
        raise ConfigError(
            f"is the same scope as the source ({link.source}); a link joins two scopes",
            path=str(settings.path),
            key=f"links[{index}].target",
        )
    pair = frozenset((link.source, link.target))
    if pair in pairs:
        raise ConfigError(
            f"links {link.source} and {link.target}, as links[{pairs[pair]}] does already; "
            "keep one link per pair of scopes",
            path=str(settings.path),
            key=f"links[{index}]",
        )
    pairs[pair] = index


def _check_scope(settings: Settings, scopes: set[str], scope: str, key: str) -> None:
    ref = parse_scope(scope)
    if ref.connector not in settings.connectors:
        known = ", ".join(settings.connectors) or "none"
        raise ConfigError(
            f"names connector {ref.connector!r}, which is not configured (connectors: {known})",
            path=str(settings.path),
            key=key,
        )
    if str(ref) not in scopes:
        configured = ", ".join(settings.connectors[ref.connector].scope_names())
        raise ConfigError(
            f"connector {ref.connector!r} has no scope {ref.scope!r} (configured: {configured})",
            path=str(settings.path),
            key=key,
        )


def check_secrets(settings: Settings, env: Mapping[str, str] | None = None) -> None:
    """Every `*_env` key of every connector names a variable that is set and not empty."""
    env = os.environ if env is None else env
    for name, section in settings.connectors.items():
        for field_name in type(section).model_fields:
            variable = getattr(section, field_name)
            if field_name.endswith("_env") and variable and not env.get(variable):
                raise ConfigError(
                    f"environment variable {variable} is not set; export it with the secret",
                    path=str(settings.path),
                    key=f"connectors.{name}.{field_name}",
                )


def build_connectors(
    settings: Settings, env: Mapping[str, str] | None = None
) -> dict[str, Connector]:
    """Instantiate every configured connector (no network); secrets must be set."""
    env = dict(os.environ if env is None else env)
    check_secrets(settings, env)
    classes = available()
    return {
        name: classes[section.type](name, section, env)
        for name, section in settings.connectors.items()
    }


def _location(loc: tuple[str | int, ...], prefix: str) -> str:
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _config_error(path: Path, exc: ValidationError, prefix: str = "") -> ConfigError:
    messages = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            message = "unknown key (see `trackersync init` for every allowed key)"
        elif error["type"] == "missing":
            message = "required key is missing"
        else:
            message = error["msg"]
            given = error.get("input")
            if isinstance(given, str | int | float | bool):
                message += f" (got {given!r})"
        messages.append(f"{_location(loc, prefix)}: {message}")
    return ConfigError("; ".join(messages), path=str(path))
