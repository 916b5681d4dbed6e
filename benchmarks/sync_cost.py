"""Requests, CPU time and memory of `sync` against the sandbox servers.

    .venv/bin/python benchmarks/sync_cost.py [--items 500] [--edits 20]

Seeds N Jira and N GitHub issues, then measures: the first sync (one twin each), a
second sync with nothing new, and a sync after K edits on each side. Prints a Markdown
table; the README quotes its output. Request counts come from the sandbox request logs.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from world import PROJECT, REPO, World  # noqa: E402


def measure(world: World, label: str) -> dict[str, object]:
    marks = world.github.log.mark(), world.jira.log.mark()
    cpu, wall = time.process_time(), time.perf_counter()
    run = world.sync()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    records = [*world.github.log.since(marks[0]), *world.jira.log.since(marks[1])]
    kinds = Counter(f"{r.method} {_endpoint(r.path)}" for r in records if r.write)
    return {
        "label": label,
        "reads": sum(not r.write for r in records),
        "writes": sum(r.write for r in records),
        "failures": len(run.failures),
        "cpu_s": round(cpu, 1),
        "wall_s": round(wall, 1),
        "top_writes": ", ".join(f"{n}× {k}" for k, n in kinds.most_common(4)),
    }


def _endpoint(path: str) -> str:
    parts = [p if not p.isdigit() and "-" not in p else "{id}" for p in path.split("/")]
    return "/".join(parts[-3:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        world = World(Path(folder))
        try:
            for n in range(args.items):
                world.jira.create_issue(PROJECT, f"Jira {n}", f"Body *{n}*", labels=("backend",))
                world.github.create_issue(
                    REPO, f"GitHub {n}", f"Body **{n}**", labels=("frontend",)
                )
            rows = [measure(world, f"first sync ({args.items} + {args.items} items)")]
            rows.append(measure(world, "second sync, nothing new"))
            pairs = sorted(world.pairs().items())
            for key, _number in pairs[: args.edits]:
                world.jira.edit_issue(key, summary=f"{key} edited in Jira")
            for _key, number in pairs[args.edits : 2 * args.edits]:
                world.github.edit_issue(REPO, int(number), title=f"#{number} edited on GitHub")
            rows.append(measure(world, f"after {args.edits} edits on each side"))
            rows.append(measure(world, "the sync after that"))
        finally:
            world.close()
    print("| sync | reads | writes | failures | CPU s | wall s | writes by endpoint |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['label']} | {r['reads']} | {r['writes']} | {r['failures']} | {r['cpu_s']} | {r['wall_s']} | {r['top_writes']} |"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmax RSS of the whole benchmark process (both sandboxes included): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
