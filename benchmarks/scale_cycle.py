"""CPU and memory of a no-change cycle over many linked pairs, on SQLite, without network.

    .venv/bin/python benchmarks/scale_cycle.py [--pairs 100000] [--profile]

Builds a state store holding N linked pairs (2N items, their twins and bases) as a sync
leaves them, written straight into the tables for speed. Then, each in a fresh process:
`sync` (load both scopes and the link's state, plan, apply the empty plan), `status`
(the status document) and `cycle` (both, one after the other, as `run` then `status`
would). Prints CPU seconds and max RSS per phase as a Markdown table; the cycle must plan
nothing, or the benchmark fails. `--profile` prints the top of a cProfile of `cycle`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from trackersync.config.loading import build_connectors, load
from trackersync.cycle.links import sync_links
from trackersync.cycle.pull import PullReport
from trackersync.cycle.status import status_document
from trackersync.sync.state import StateStore, tables

CONFIG = """\
state: sqlite:///{db}
connectors:
  gh:
    type: github
    url: http://127.0.0.1:9/api/v3
    token_env: T_GITHUB_TOKEN
    repos: [acme/web]
  jira:
    type: jira
    url: http://127.0.0.1:9
    email_env: T_JIRA_EMAIL
    token_env: T_JIRA_TOKEN
    projects: [WEB]
links:
  - name: web
    source: jira:WEB
    target: gh:acme/web
"""
ENV = {"T_GITHUB_TOKEN": "t", "T_JIRA_EMAIL": "e@x", "T_JIRA_TOKEN": "t"}
FIELDS = ("title", "body", "status", "labels", "assignees", "milestone")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
BODY = (
    "Steps to reproduce **{n}**:\n\n- open the _settings_ page\n- press `Save`\n\n"
    "Expected: the form keeps its values. See [the spec](https://example.com/spec/{n})."
)


def _jira(n: int, title: str, twin_of: str | None, when: str) -> dict[str, Any]:
    """A Jira item's row as `save_pull` stores it (shape taken from a sandbox sync)."""
    ref = f"jira:WEB#WEB-{n}"
    data = {
        "ref": ref,
        "url": f"https://acme.atlassian.net/browse/WEB-{n}",
        "title": title,
        "body": BODY.format(n=n),
        "status": {"name": "In Progress", "category": "in_progress"},
        "assignees": [],
        "labels": ["backend"],
        "milestone": None,
        "due": None,
        "type": "Task",
        "parent": None,
        "created_at": when,
        "updated_at": when,
        "twin_of": twin_of,
        "by_trackersync": twin_of is not None,
        "fix_versions": [],
        "blocked": False,
        "raw": {
            "id": str(10000 + n),
            "key": f"WEB-{n}",
            "statusCategory": "indeterminate",
            "resolution": None,
            "issuelinks": [],
            "flagged": False,
            "description_wiki": BODY.format(n=n).replace("**", "*"),
        },
    }
    return {
        "ref": ref,
        "scope": "jira:WEB",
        "updated_at": when,
        "category": "in_progress",
        "data": data,
    }


def _github(n: int, title: str, twin_of: str | None, when: str) -> dict[str, Any]:
    """A GitHub item's row as `save_pull` stores it (shape taken from a sandbox sync)."""
    ref = f"gh:acme/web#{n}"
    raw: dict[str, Any] = {
        "number": n,
        "id": 1000 + n,
        "node_id": f"I_kwDO{n:08d}",
        "state": "open",
        "state_reason": None,
        "html_url": f"https://github.com/acme/web/issues/{n}",
    }
    if twin_of is not None:
        raw["footer"] = (
            f"\n\n---\n<sub>Mirrored by trackersync</sub>\n<!-- trackersync:twin_of={twin_of} -->"
        )
    data = {
        **_jira(n, title, twin_of, when)["data"],
        "ref": ref,
        "url": raw["html_url"],
        "status": {"name": "open", "category": "todo"},
        "type": None,
        "raw": raw,
    }
    return {
        "ref": ref,
        "scope": "gh:acme/web",
        "updated_at": when,
        "category": "todo",
        "data": data,
    }


def _pair_rows(n: int) -> Iterator[tuple[sa.Table, dict[str, Any]]]:
    """One linked pair: even pairs start on Jira, odd ones on GitHub (as both kinds do)."""
    when = (T0 + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
    jira_ref, gh_ref = f"jira:WEB#WEB-{n}", f"gh:acme/web#{n}"
    origin_jira = n % 2 == 0
    title = f"Item {n}"
    yield tables.tasks, _jira(n, title, None if origin_jira else gh_ref, when)
    yield tables.tasks, _github(n, title, jira_ref if origin_jira else None, when)
    side = "target" if origin_jira else "source"
    yield (
        tables.twins,
        {"link": "web", "source_ref": jira_ref, "target_ref": gh_ref, "mirror_side": side},
    )
    values = {
        "title": (title, title),
        "body": (BODY.format(n=n), BODY.format(n=n)),
        "status": ("in_progress", "todo"),
        "labels": (["backend"], ["backend"]),
        "assignees": ([], []),
        "milestone": (None, None),
    }
    for field in FIELDS:
        source_value, target_value = values[field]
        row = {"link": "web", "source_ref": jira_ref, "field": field}
        yield tables.bases, {**row, "source_value": source_value, "target_value": target_value}


def build(folder: Path, pairs: int) -> Path:
    """The config of a store holding `pairs` linked pairs; returns its path."""
    db = folder / "state.db"
    config = folder / "trackersync.yaml"
    config.write_text(CONFIG.format(db=db))
    store = StateStore(f"sqlite:///{db}")
    store.migrate()
    chunk = 5000
    for start in range(1, pairs + 1, chunk):
        rows: dict[sa.Table, list[dict[str, Any]]] = {}
        for n in range(start, min(start + chunk, pairs + 1)):
            for table, row in _pair_rows(n):
                rows.setdefault(table, []).append(row)
        with store.begin() as conn:
            for table, batch in rows.items():
                conn.execute(table.insert(), batch)
    store.engine.dispose()
    return config


def run_phase(config: Path, phase: str) -> dict[str, Any]:
    """Run one phase in this process; CPU and max RSS are this process's own."""
    settings = load(config)
    cpu = time.process_time()
    planned = 0
    if phase in ("sync", "cycle"):
        connectors = build_connectors(settings, ENV)
        store = StateStore(settings.state)
        outcomes = sync_links(
            settings, connectors, store, settings.links, pulled=PullReport(), dry_run=False
        )
        planned = sum(len(o.plan.actions) + len(o.plan.warnings) for o in outcomes)
        errors = [e for o in outcomes for e in o.summary()["errors"]]
        assert not errors, errors
        assert planned == 0, [o.plan.actions[:3] for o in outcomes]
    if phase in ("status", "cycle"):
        document = status_document(settings, datetime.now(UTC))
        assert document.totals.tasks > 0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "phase": phase,
        "cpu_s": round(time.process_time() - cpu, 2),
        "process_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "max_rss_mib": round(usage.ru_maxrss / 1024),
    }


def _fresh(config: Path, phase: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--config", str(config)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the cycle in-process")
    parser.add_argument(
        "--store", type=Path, help="keep the built store in this folder and reuse it next time"
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(Path(args.config), args.phase)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.store or Path(scratch)
        config = folder / "trackersync.yaml"
        if not config.exists():
            folder.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            build(folder, args.pairs)
            print(f"stored in {time.perf_counter() - started:.0f} s")
        print(f"{args.pairs} linked pairs ({2 * args.pairs} items)\n")
        measure(config, args.profile)


def measure(config: Path, profile: bool) -> None:
    """Print the table (or, with `profile`, the top of the cycle's profile)."""
    if profile:
        output = str(config.parent / "cycle.prof")
        cProfile.runctx("run_phase(config, 'cycle')", globals(), {"config": config}, output)
        pstats.Stats(output).sort_stats("cumulative").print_stats(30)
        return
    print("| phase (fresh process) | CPU s | process CPU s (with imports) | max RSS MiB |")
    print("|---|---|---|---|")
    for phase in ("sync", "status", "cycle"):
        figures = _fresh(config, phase)
        print(
            f"| {phase} | {figures['cpu_s']} | {figures['process_cpu_s']} "
            f"| {figures['max_rss_mib']} |"
        )


if __name__ == "__main__":
    main()
