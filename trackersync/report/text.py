"""The status document as a terminal table or as Markdown."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from trackersync.sync.documents import Counts, Item, StatusDocument
from trackersync.sync.status import CATEGORIES

SCOPE_HEADERS = ["scope", "tasks", *CATEGORIES, "last pull"]
CONFLICT_HEADERS = ["when", "link", "conflict (both values, the one kept)"]
MILESTONE_HEADERS = [
    "milestone",
    "done",
    "work items",
    "health",
    "forecast",
    "due",
    "at risk",
    "scope change",
]


def _counts(counts: Counts) -> list[str]:
    return [str(counts.tasks), *(str(getattr(counts, c)) for c in CATEGORIES)]


def scope_rows(document: StatusDocument) -> list[list[str]]:
    """One row per scope (its own items), and the work items of all scopes (twins once)."""
    rows = [[s.ref, *_counts(s), s.last_pull or "never"] for s in document.scopes]
    rows.append(["work items (twins once)", *_counts(document.totals), ""])
    return rows


def milestone_rows(document: StatusDocument) -> list[list[str]]:
    """One row per milestone."""
    rows = []
    for m in document.milestones:
        risky = {
            name: len(getattr(m, name))
            for name in ("overdue", "blocked", "stale", "unassigned")
            if getattr(m, name)
        }
        rows.append(
            [
                m.name,
                f"{m.percent_done}%",
                str(m.counts.tasks),
                m.health.verdict,
                m.forecast.date.isoformat() if m.forecast.date else "-",
                m.due.isoformat() if m.due else "-",
                ", ".join(f"{count} {name}" for name, count in risky.items()) or "-",
                scope_change(m.scope.added, m.scope.removed),
            ]
        )
    return rows


def scope_change(added: list[Item], removed: list[Item]) -> str:
    """`+1 (Checkout faster) / −1 (Old banner)`, or `-` when nothing moved."""
    if not added and not removed:
        return "-"

    def named(sign: str, items: list[Item]) -> str:
        titles = ", ".join(item.title or item.ref for item in items[:5])
        more = f" and {len(items) - 5} more" if len(items) > 5 else ""
        return f"{sign}{len(items)}" + (f" ({titles}{more})" if items else "")

    return f"{named('+', added)} / {named('−', removed)}"


def link_rows(document: StatusDocument) -> list[list[str]]:
    """One row per link."""
    return [
        [
            link.name,
            f"{link.source} ↔ {link.target}",
            link.last_sync or "never",
            str(len(link.errors)),
        ]
        for link in document.links
    ]


def conflict_rows(document: StatusDocument) -> list[list[str]]:
    """One row per recent conflict: when, link, and both values with the one kept."""
    return [[c.at or "-", c.link, c.sentence()] for c in document.conflicts]


def markdown(document: StatusDocument) -> str:
    """The status as Markdown tables, for a wiki page or a mail."""
    parts = [f"# trackersync status\n\nGenerated {document.generated_at}.\n"]
    sections = [
        ("Milestones", MILESTONE_HEADERS, milestone_rows(document)),
        ("Scopes", SCOPE_HEADERS, scope_rows(document)),
        ("Links", ["link", "scopes", "last sync", "errors"], link_rows(document)),
        ("Recent conflicts", CONFLICT_HEADERS, conflict_rows(document)),
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


def table(document: StatusDocument) -> Group:
    """The status as rich tables for a terminal."""
    tables = []
    if document.milestones:
        tables.append(_table("milestones", MILESTONE_HEADERS, milestone_rows(document)))
    tables.append(
        _table(f"trackersync status · {document.generated_at}", SCOPE_HEADERS, scope_rows(document))
    )
    if document.links:
        tables.append(
            _table("links", ["link", "scopes", "last sync", "errors"], link_rows(document))
        )
    if document.conflicts:
        tables.append(_table("recent conflicts", CONFLICT_HEADERS, conflict_rows(document)))
    return Group(*tables)


def _table(title: str, headers: list[str], rows: list[list[str]]) -> Table:
    result = Table(*headers, title=title)
    for row in rows:
        # Trackers' text is shown as written, never read as Rich markup (`[WIP]`).
        result.add_row(*(Text(cell) for cell in row))
    return result
