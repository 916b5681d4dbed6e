"""The status document as a terminal table or as Markdown."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table

from trackersync.sync.status import CATEGORIES

SCOPE_HEADERS = ["scope", "tasks", *CATEGORIES, "last pull"]
MILESTONE_HEADERS = ["milestone", "done", "items", "health", "forecast", "due", "at risk"]


def scope_rows(document: dict[str, Any]) -> list[list[str]]:
    """One row per scope and a total."""
    rows = [
        [s["ref"], str(s["tasks"]), *(str(s[c]) for c in CATEGORIES), s["last_pull"] or "never"]
        for s in document["scopes"]
    ]
    totals = document["totals"]
    rows.append(["total", str(totals["tasks"]), *(str(totals[c]) for c in CATEGORIES), ""])
    return rows


def milestone_rows(document: dict[str, Any]) -> list[list[str]]:
    """One row per milestone."""
    rows = []
    for m in document["milestones"]:
        risky = {
            name: len(m[name]) for name in ("overdue", "blocked", "stale", "unassigned") if m[name]
        }
        rows.append(
            [
                m["name"],
                f"{m['percent_done']}%",
                str(m["counts"]["tasks"]),
                m["health"]["verdict"],
                m["forecast"]["date"] or "-",
                m["due"] or "-",
                ", ".join(f"{count} {name}" for name, count in risky.items()) or "-",
            ]
        )
    return rows


def link_rows(document: dict[str, Any]) -> list[list[str]]:
    """One row per link."""
    return [
        [
            link["name"],
            f"{link['source']} ↔ {link['target']}",
            link["last_sync"] or "never",
            str(len(link["errors"])),
        ]
        for link in document["links"]
    ]


def markdown(document: dict[str, Any]) -> str:
    """The status as Markdown tables, for a wiki page or a mail."""
    parts = [f"# trackersync status\n\nGenerated {document['generated_at']}.\n"]
    sections = [
        ("Milestones", MILESTONE_HEADERS, milestone_rows(document)),
        ("Scopes", SCOPE_HEADERS, scope_rows(document)),
        ("Links", ["link", "scopes", "last sync", "errors"], link_rows(document)),
    ]
    for title, headers, rows in sections:
        if not rows:
            continue
        lines = [f"## {title}\n", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += [
            "| " + " | ".join(cell.replace("|", "\\\\|") for cell in row) + " |" for row in rows
        ]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def table(document: dict[str, Any]) -> Group:
    """The status as rich tables for a terminal."""
    tables = []
    if document["milestones"]:
        tables.append(_table("milestones", MILESTONE_HEADERS, milestone_rows(document)))
    tables.append(
        _table(
            f"trackersync status · {document['generated_at']}", SCOPE_HEADERS, scope_rows(document)
        )
    )
    if document["links"]:
        tables.append(
            _table("links", ["link", "scopes", "last sync", "errors"], link_rows(document))
        )
    return Group(*tables)


def _table(title: str, headers: list[str], rows: list[list[str]]) -> Table:
    result = Table(*headers, title=title)
    for row in rows:
        result.add_row(*row)
    return result
