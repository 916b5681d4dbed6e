"""Finds connector classes through the `trackersync.connectors` entry-point group.

The built-in connectors register through our own pyproject.toml, the same way a third
party's `pip install trackersync-linear` would.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from trackersync.connectors.base import Connector

GROUP = "trackersync.connectors"


@cache
def available() -> dict[str, type[Connector]]:
    """Every installed connector class by its `type` name."""
    found: dict[str, type[Connector]] = {}
    for entry in entry_points(group=GROUP):
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise TypeError(f"entry point {entry.name} = {entry.value} is not a Connector")
        found[entry.name] = cls
    return found


def connector_class(type_name: str) -> type[Connector] | None:
    """The connector class for a config `type`, or None if none is installed."""
    return available().get(type_name)
