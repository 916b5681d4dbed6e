"""Imports point one way: sync/ never imports connectors/ or the CLI; connectors/ imports
only the task model, errors and themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "trackersync"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("trackersync")}


def modules_under(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules_under("sync"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_sync_does_not_import_connectors_or_cli(path: Path) -> None:
    forbidden = {
        m
        for m in imported_modules(path)
        if m.startswith(("trackersync.connectors", "trackersync.cli", "trackersync.config"))
    }
    assert forbidden == set()


@pytest.mark.parametrize(
    "path", modules_under("connectors"), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_connectors_import_only_model_errors_and_themselves(path: Path) -> None:
    allowed = ("trackersync.connectors", "trackersync.sync.model", "trackersync.errors")
    assert {m for m in imported_modules(path) if not m.startswith(allowed)} == set()
