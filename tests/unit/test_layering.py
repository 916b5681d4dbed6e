"""Imports point one way: sync/ never imports connectors/ or the CLI; connectors/ imports
only the task model, errors, the pure text modules and themselves.

The text modules (`sync/markup.py`: what makes mirrored text inert and how it is cut;
`sync/blocks.py`: how Markdown splits into blocks) are shared by the engine and the Jira
connector so both sides agree on one definition; they must stay leaves (no engine
decisions, nothing but the model), which the last test checks."""

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


TEXT = ("trackersync.sync.markup", "trackersync.sync.blocks")


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
    allowed = ("trackersync.connectors", "trackersync.sync.model", "trackersync.errors", *TEXT)
    assert {m for m in imported_modules(path) if not m.startswith(allowed)} == set()


@pytest.mark.parametrize("module", TEXT)
def test_text_modules_are_leaves(module: str) -> None:
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    allowed = ("trackersync.sync.model", *TEXT)
    assert {m for m in imported_modules(path) if not m.startswith(allowed)} == set()
