"""The status document as one self-contained HTML page a TPM can open or mail.

Everything is inline (CSS, SVG burn-up charts); no fonts, scripts or images are fetched.
Every string that comes from a tracker (titles, names, refs, errors) is escaped, and only
http(s) URLs become links: issue titles are user input and a page that is mailed around
must not run or fetch anything.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import urlsplit

from trackersync.sync.documents import ConflictRecord, StatusDocument
from trackersync.sync.status import CATEGORIES

RISK_LISTS = ("overdue", "blocked", "stale", "unassigned")
MAX_LISTED = 20  # per risk list: a mail with hundreds of stale items is read by nobody
HEALTH_CLASSES = {"on track": "ok", "at risk": "warn", "off track": "bad"}
HEALTH_SIGNS = {"ok": "✔", "warn": "▲", "bad": "✖"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The chart's own coordinate system; the SVG scales to its container's width.
CHART_WIDTH = 320
CHART_HEIGHT = 180
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 34.0, 12.0, 10.0, 24.0


def render(document: StatusDocument) -> str:
    """The whole page for a status document."""
    return render_json(document.model_dump(mode="json"))


def render_json(document: Mapping[str, Any]) -> str:
    """The whole page for a status document's JSON form (README, `status --format json`)."""
    generated = _when(document.get("generated_at"))
    milestones = document.get("milestones") or []
    cards = "".join(_milestone_card(m, n) for n, m in enumerate(milestones, start=1))
    body = [
        f"<header><h1>trackersync status</h1><p class=muted>Generated {generated}</p></header>",
        _totals(document.get("totals") or {}),
        "<section><h2>Milestones</h2>",
        f"<div class=cards>{cards}</div>" if cards else "<p>No milestones configured.</p>",
        "</section>",
        _links_section(document.get("links") or []),
        _conflicts_section(document.get("conflicts") or []),
        _scopes_section(document.get("scopes") or [], document.get("totals") or {}),
        f"<footer class=muted>Generated {generated} by trackersync.</footer>",
    ]
    return _page("trackersync status", "\n".join(body))


# --- the page ------------------------------------------------------------------------

STYLE = """
*{box-sizing:border-box}
body{margin:0 auto;max-width:78rem;padding:1rem;font:16px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2328;background:#f6f8fa}
h1{font-size:1.5rem;margin:0 0 .2rem}h2{font-size:1.2rem;margin:1.6rem 0 .6rem}
h3{font-size:1.1rem;margin:0;overflow-wrap:anywhere}h4{font-size:.95rem;margin:.9rem 0 .3rem}
a{color:#0550ae}.muted{color:#59636e;font-size:.9rem;margin:0}
.cards{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,32rem),1fr))}
.card{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:1rem;min-width:0}
.card-head{display:flex;flex-wrap:wrap;gap:.5rem;justify-content:space-between;align-items:center}
.badge{display:inline-block;border-radius:1rem;padding:.1rem .7rem;font-weight:600;
font-size:.9rem;white-space:nowrap;border:1px solid}
.ok{background:#dafbe1;color:#116329;border-color:#4ac26b}
.warn{background:#fff8c5;color:#7d4e00;border-color:#d4a72c}
.bad{background:#ffebe9;color:#a40e26;border-color:#ff8182}
.reasons{margin:.4rem 0 0;font-size:.95rem}
.progress{display:flex;align-items:center;gap:.6rem;margin:.8rem 0}
.bar{flex:1;height:.8rem;background:#e6eaef;border-radius:.4rem;overflow:hidden}
.bar>span{display:block;height:100%;background:#1f883d}
.pct{font-weight:700;font-size:1.3rem}
.stats{display:flex;flex-wrap:wrap;gap:.4rem;margin:0;padding:0;list-style:none}
.stats li{background:#f6f8fa;border:1px solid #d1d9e0;border-radius:6px;padding:.15rem .5rem;
font-size:.9rem}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem;margin:.8rem 0;
font-size:.95rem}.facts dt{color:#59636e}.facts dd{margin:0;overflow-wrap:anywhere}
figure{margin:.8rem 0}svg.burnup{display:block;width:100%;max-width:34rem;height:auto}
figcaption{font-size:.85rem;color:#59636e}
.key{display:inline-block;width:1.4rem;vertical-align:middle;border-top:3px solid}
.key.scope{border-top:2px dashed #59636e}.key.done{border-color:#1f883d}
.risks ul,.changes{margin:0;padding-left:1.2rem;font-size:.92rem}
.risks li,.changes li{overflow-wrap:anywhere}
.ref{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;background:#fff;
border:1px solid #d1d9e0;border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{padding:.4rem .6rem;text-align:left;border-bottom:1px solid #e6eaef;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:700;border-top:2px solid #d1d9e0}
.errors{padding-left:1.2rem;font-size:.92rem;overflow-wrap:anywhere}
footer{margin-top:2rem}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
        '<meta name=viewport content="width=device-width, initial-scale=1">\n'
        "<meta name=color-scheme content=light>\n"
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _totals(totals: Mapping[str, Any]) -> str:
    if not totals:
        return ""
    stats = _stats(totals, "work items")
    note = "<p class=muted>An item and its copies in other trackers count once.</p>"
    return f'<section aria-label="Work items"><h2>Work items</h2>{stats}{note}</section>'


def _stats(counts: Mapping[str, Any], first: str = "work items") -> str:
    names = ["tasks", *CATEGORIES]
    items = "".join(
        f"<li>{_label(first if name == 'tasks' else name)} <b>{_num(counts.get(name, 0))}</b></li>"
        for name in names
    )
    return f"<ul class=stats>{items}</ul>"


# --- one milestone -------------------------------------------------------------------


def _milestone_card(rollup: Mapping[str, Any], number: int) -> str:
    name = escape(str(rollup.get("name", "")))
    parts = [
        f'<article class=card aria-labelledby="m{number}">',
        f'<div class=card-head><h3 id="m{number}">{name}</h3>',
        _health_badge(rollup.get("health") or {}),
        "</div>",
        _reasons(rollup.get("health") or {}),
        _progress(rollup.get("percent_done") or 0.0),
        _stats(rollup.get("counts") or {}),
        _facts(rollup),
        _burnup_figure(rollup, number),
        _risks(rollup),
        "</article>",
    ]
    return "\n".join(part for part in parts if part)


def _health_badge(health: Mapping[str, Any]) -> str:
    verdict = str(health.get("verdict") or "unknown")
    css = HEALTH_CLASSES.get(verdict, "warn")
    # The sign and the words carry the verdict; the colour only repeats it.
    sign = f"<span aria-hidden=true>{HEALTH_SIGNS[css]}</span>"
    return f'<span class="badge {css}">{sign} {escape(verdict)}</span>'


def _reasons(health: Mapping[str, Any]) -> str:
    # One sentence a PM can forward: "At risk: 1 blocked item; forecast 18 Dec is after ...".
    sentence = health.get("sentence") or "; ".join(str(r) for r in health.get("reasons") or [])
    return f"<p class=reasons>{escape(str(sentence))}</p>" if sentence else ""


def _progress(percent: float) -> str:
    width = min(max(float(percent), 0.0), 100.0)
    text = f"{float(percent):g}%"
    return (
        f"<div class=progress><span class=pct>{text}</span><div class=bar role=progressbar "
        f'aria-label="percent done" aria-valuemin=0 aria-valuemax=100 aria-valuenow="{width:g}">'
        f'<span style="width:{width:g}%"></span></div><span class=muted>done</span></div>'
    )


def _facts(rollup: Mapping[str, Any]) -> str:
    forecast = rollup.get("forecast") or {}
    scope = rollup.get("scope") or {}
    rows = [
        ("Due", escape(str(rollup.get("due") or "not set"))),
        ("Forecast", _forecast(forecast)),
        ("Scope change", _scope_change(scope.get("added") or [], scope.get("removed") or [])),
    ]
    cells = "".join(f"<dt>{term}</dt><dd>{value}</dd>" for term, value in rows)
    return f"<dl class=facts>{cells}</dl>"


def _forecast(forecast: Mapping[str, Any]) -> str:
    finish = forecast.get("date")
    head = f"<b>{escape(str(finish))}</b>" if finish else "<b>none yet</b>"
    # The basis says it in words ("1.7 done/day over the last 14 days → 12 Dec").
    words = [str(forecast[key]) for key in ("basis", "note") if forecast.get(key)]
    return head + (f"<br><span class=muted>{escape('; '.join(words))}</span>" if words else "")


def _scope_change(added: Sequence[Mapping[str, Any]], removed: Sequence[Mapping[str, Any]]) -> str:
    """`+1 / −1 since the first rollup`, then each work item by title."""
    if not added and not removed:
        return "none since the first rollup"
    lines = [
        f"<li>{word}: {_item(item)}</li>"
        for word, items in (("added", added), ("removed", removed))
        for item in items[:MAX_LISTED]
    ]
    more = max(len(added) - MAX_LISTED, 0) + max(len(removed) - MAX_LISTED, 0)
    lines += [f"<li>and {more} more</li>"] if more else []
    head = f"<b>+{len(added)} / −{len(removed)}</b> since the first rollup"
    return f"{head}<ul class=changes>{''.join(lines)}</ul>"


def _risks(rollup: Mapping[str, Any]) -> str:
    sections = [_risk_list(name, rollup.get(name) or []) for name in RISK_LISTS if rollup.get(name)]
    if not sections:
        return "<p class=muted>No items at risk.</p>"
    return "<div class=risks>" + "".join(sections) + "</div>"


def _risk_list(name: str, items: Sequence[Mapping[str, Any]]) -> str:
    lines = "".join(f"<li>{_item(item)}</li>" for item in items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    if more > 0:
        lines += f"<li>and {more} more (see <code>status --format json</code>)</li>"
    return f"<h4>{_label(name).capitalize()} ({len(items)})</h4><ul>{lines}</ul>"


def _item(item: Mapping[str, Any]) -> str:
    ref = f"<span class=ref>{escape(str(item.get('ref', '')))}</span>"
    url = safe_url(item.get("url"))
    if url is not None:
        ref = f'<a href="{escape(url)}">{ref}</a>'
    details = [str(item["status"])] if item.get("status") else []
    if item.get("due"):
        details.append(f"due {item['due']}")
    suffix = f" <span class=muted>({escape(', '.join(details))})</span>" if details else ""
    return f"{ref} {escape(str(item.get('title', '')))}{suffix}"


def safe_url(url: Any) -> str | None:
    """`url` when it is a plain absolute http(s) URL, else None (it is then not linked)."""
    if not isinstance(url, str) or not url:
        return None
    # Browsers drop whitespace and control characters inside a scheme ("java\tscript:");
    # refusing them outright leaves nothing for such tricks.
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


# --- the burn-up chart ----------------------------------------------------------------


@dataclass(frozen=True)
class Burnup:
    """A burn-up chart in SVG user units: two polylines, axis ticks and the plot box."""

    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    scope: list[tuple[float, float]]
    done: list[tuple[float, float]]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]


def burnup_geometry(history: Sequence[Mapping[str, Any]]) -> Burnup | None:
    """Where every point of the burn-up goes; None for an empty history.

    Days map linearly onto x (gaps in the history stay gaps); counts map onto y from 0 to a
    round maximum. A single day sits in the middle of the plot.
    """
    points = sorted(
        ((date.fromisoformat(p["day"]), int(p["total"]), int(p["done"])) for p in history),
        key=lambda point: point[0],
    )
    if not points:
        return None
    first, last = points[0][0], points[-1][0]
    top_value, step = _y_scale(max(max(total, done) for _, total, done in points))
    box = (MARGIN_LEFT, MARGIN_TOP, CHART_WIDTH - MARGIN_RIGHT, CHART_HEIGHT - MARGIN_BOTTOM)

    def x(day: date) -> float:
        span = (last - first).days
        fraction = 0.5 if span == 0 else (day - first).days / span
        return round(box[0] + fraction * (box[2] - box[0]), 1)

    def y(value: int) -> float:
        return round(box[3] - value / top_value * (box[3] - box[1]), 1)

    return Burnup(
        CHART_WIDTH,
        CHART_HEIGHT,
        *box,
        scope=[(x(day), y(total)) for day, total, _ in points],
        done=[(x(day), y(done)) for day, _, done in points],
        x_ticks=[(x(day), _short_day(day)) for day in _x_days(first, last)],
        y_ticks=[(y(value), value) for value in range(0, top_value + 1, step)],
    )


def _y_scale(largest: int) -> tuple[int, int]:
    """A round top of the y axis and a tick step giving at most five intervals."""
    if largest <= 0:
        return 1, 1
    raw = largest / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return math.ceil(largest / step) * step, step


def _x_days(first: date, last: date) -> list[date]:
    """First, last and (when there is room) the middle day as x labels."""
    span = (last - first).days
    if span == 0:
        return [first]
    if span < 4:
        return [first, last]
    return [first, date.fromordinal(first.toordinal() + span // 2), last]


def _short_day(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}"


def _burnup_figure(rollup: Mapping[str, Any], number: int) -> str:
    history = rollup.get("history") or []
    geometry = burnup_geometry(history)
    if geometry is None:
        return "<p class=muted>No burn-up history yet.</p>"
    latest = max(history, key=lambda p: p["day"])
    summary = (
        f"Burn-up of {rollup.get('name', '')}: {latest['done']} of {latest['total']} items done "
        f"on {latest['day']}, {len(history)} day(s) of history."
    )
    caption = (
        "<figcaption><span class='key scope'></span> scope (items less canceled) &nbsp; "
        "<span class='key done'></span> done</figcaption>"
    )
    return f"<figure>{burnup_svg(geometry, summary, f'chart{number}')}{caption}</figure>"


def burnup_svg(geometry: Burnup, summary: str, element_id: str) -> str:
    """The chart as an inline, accessible SVG element."""
    g = geometry
    parts = [
        f'<svg class=burnup xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {g.width} {g.height}"'
        f' role=img aria-labelledby="{element_id}-t" aria-label="{escape(summary)}">',
        f'<title id="{element_id}-t">{escape(summary)}</title>',
        *_axes(g),
        _line(g.scope, "scope", 'stroke="#59636e" stroke-width="1.5" stroke-dasharray="5 3"'),
        _line(g.done, "done", 'stroke="#1f883d" stroke-width="2.5"'),
        "</svg>",
    ]
    return "".join(parts)


def _axes(g: Burnup) -> list[str]:
    style = 'font-size="11" fill="#59636e" font-family="system-ui,sans-serif"'
    parts = []
    for y, value in g.y_ticks:
        parts.append(
            f'<line x1="{g.left}" y1="{y}" x2="{g.right}" y2="{y}" stroke="#e6eaef"/>'
            f'<text x="{g.left - 4}" y="{y + 3.5}" text-anchor="end" {style}>{value}</text>'
        )
    for x, label in g.x_ticks:
        anchor = _anchor(x, g)
        parts.append(
            f'<line x1="{x}" y1="{g.bottom}" x2="{x}" y2="{g.bottom + 4}" stroke="#8c959f"/>'
            f'<text x="{x}" y="{g.bottom + 15}" text-anchor="{anchor}" {style}>{label}</text>'
        )
    parts.append(
        f'<polyline class=axes fill="none" stroke="#8c959f" '
        f'points="{g.left},{g.top} {g.left},{g.bottom} {g.right},{g.bottom}"/>'
    )
    return parts


def _anchor(x: float, g: Burnup) -> str:
    # Labels at the plot's edges grow inwards so that they are not cut off.
    if len(g.x_ticks) > 1 and x <= g.left:
        return "start"
    if len(g.x_ticks) > 1 and x >= g.right:
        return "end"
    return "middle"


def _line(points: list[tuple[float, float]], name: str, stroke: str) -> str:
    coordinates = " ".join(f"{x:g},{y:g}" for x, y in points)
    last_x, last_y = points[-1]
    # The dot marks today's value and keeps a one-day history visible.
    return (
        f'<polyline class="{name}" fill="none" {stroke} stroke-linejoin="round" '
        f'points="{coordinates}"/>'
        f'<circle class="{name}-end" cx="{last_x:g}" cy="{last_y:g}" r="3" '
        f'fill="{"#1f883d" if name == "done" else "#59636e"}"/>'
    )


# --- links and scopes ----------------------------------------------------------------


def _links_section(links: Sequence[Mapping[str, Any]]) -> str:
    if not links:
        return "<section><h2>Links</h2><p>No links configured.</p></section>"
    headers = ["link", "scopes", "last sync", "errors"]
    table = _table(headers, [_link_row(link) for link in links], numeric={3})
    return f"<section><h2>Links</h2>{table}{_link_errors(links)}</section>"


def _link_row(link: Mapping[str, Any]) -> list[str]:
    last = link.get("last_sync")
    if isinstance(last, Mapping):  # {"at": ..., "errors": [...]} as the run log keeps it
        last = last.get("at")
    return [
        escape(str(link.get("name", ""))),
        f"<span class=ref>{escape(str(link.get('source', '')))}</span> ↔ "
        f"<span class=ref>{escape(str(link.get('target', '')))}</span>",
        _when(last) if last else "never",
        str(len(link.get("errors") or [])),
    ]


def _link_errors(links: Sequence[Mapping[str, Any]]) -> str:
    """The last sync's errors under the table, where a phone shows them without scrolling."""
    lines = [
        f"<li><b>{escape(str(link.get('name', '')))}</b>: {escape(str(error))}</li>"
        for link in links
        for error in (link.get("errors") or [])[:MAX_LISTED]
    ]
    if not lines:
        return ""
    return f"<h4>Errors of the last sync</h4><ul class=errors>{''.join(lines)}</ul>"


def _conflicts_section(conflicts: Sequence[Mapping[str, Any]]) -> str:
    """Recent conflicts with both values: the one overwritten is never silently gone."""
    if not conflicts:
        return ""
    rows = []
    for record in conflicts[:MAX_LISTED]:
        sentence = ConflictRecord.model_validate(record).sentence()
        rows.append([_when(record.get("at")) if record.get("at") else "-", escape(sentence)])
    table = _table(["when", "conflict (both values, the one kept)"], rows, numeric=set())
    return f"<section><h2>Recent conflicts</h2>{table}</section>"


def _scopes_section(scopes: Sequence[Mapping[str, Any]], totals: Mapping[str, Any]) -> str:
    if not scopes:
        return "<section><h2>Scopes</h2><p>No scopes configured.</p></section>"
    headers = ["scope", "tasks", *CATEGORIES, "last pull"]
    rows = [
        [
            f"<span class=ref>{escape(str(s.get('ref', '')))}</span>",
            *(_num(s.get(name, 0)) for name in ["tasks", *CATEGORIES]),
            _when(s.get("last_pull")) if s.get("last_pull") else "never",
        ]
        for s in scopes
    ]
    # Each scope counts its own copies; the last row counts work items (twins once).
    total = ["work items", *(_num(totals.get(name, 0)) for name in ["tasks", *CATEGORIES]), ""]
    numeric = set(range(1, 2 + len(CATEGORIES)))
    table = _table(headers, rows, numeric=numeric, total=total)
    return f"<section><h2>Scopes</h2>{table}</section>"


def _table(
    headers: list[str],
    rows: Iterable[list[str]],
    numeric: set[int],
    total: list[str] | None = None,
) -> str:
    """A table of already escaped cells, in a box that scrolls sideways on a narrow screen."""

    def cells(row: list[str], tag: str) -> str:
        return "".join(
            f"<{tag}{' class=num' if n in numeric else ''}>{cell}</{tag}>"
            for n, cell in enumerate(row)
        )

    head = f"<thead><tr>{cells([_label(h) for h in headers], 'th')}</tr></thead>"
    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    if total is not None:
        body += f"<tr class=total>{cells(total, 'td')}</tr>"
    return f"<div class=scroll><table>{head}<tbody>{body}</tbody></table></div>"


# --- small formatting ----------------------------------------------------------------


def _label(name: str) -> str:
    return escape(name.replace("_", " "))


def _num(value: Any) -> str:
    return escape(str(value))


def _when(value: Any) -> str:
    """A timestamp as a readable UTC time inside <time>; anything else escaped as it is."""
    if not isinstance(value, str) or not value:
        return escape(str(value or "unknown"))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return escape(value)
    zone = " UTC" if moment.utcoffset() == timedelta(0) else ""
    readable = moment.strftime("%Y-%m-%d %H:%M") + zone
    return f'<time datetime="{escape(value)}">{escape(readable)}</time>'
