"""Requests of a two-way `sync` against the sandbox servers, next to their lower bound.

    .venv/bin/python benchmarks/sync_cost.py [--items 1000] [--edits N]
    .venv/bin/python benchmarks/sync_cost.py --items 1000 --latency-ms 50 --initial-only

Seeds N Jira and N GitHub issues (one link, none linked yet), then syncs: initial, the
cycle after it (nothing changed but what the initial wrote), a quiet cycle, a cycle after
1% of the issues were edited on each side, and the cycle after that. For each cycle and
system it prints reads and writes (from the sandbox request logs) next to the lower
bound of tests/request_bound.py (benchmarks/README.md explains it) and actual/bound.
`--latency-ms` delays every answer of both servers (the sandboxes' `Faults.latency`);
with `--initial-only` the wall time of the initial sync is the figure to read.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from request_bound import SYSTEMS, Cycle, Scenario  # noqa: E402
from world import World  # noqa: E402


def ratio(actual: int, bound: int) -> str:
    """actual/bound, as the issue's ≤ 1.5× target reads it."""
    if bound == 0:
        return "-" if actual == 0 else "∞"
    return f"{actual / bound:.2f}"


def table(cycles: list[Cycle]) -> None:
    print(
        "| cycle | system | reads | bound | × | writes | bound | × | CPU s | wall s | top requests |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for c in cycles:
        for system in SYSTEMS:
            a, b = c.actual[system], c.bound[system]
            top = ", ".join(f"{n}× {k}" for k, n in c.endpoints[system].most_common(3))
            print(
                f"| {c.label} | {system} | {a.reads} | {b.reads} | {ratio(a.reads, b.reads)} "
                f"| {a.writes} | {b.writes} | {ratio(a.writes, b.writes)} "
                f"| {c.cpu_s:.1f} | {c.wall_s:.1f} | {top} |"
            )
        if c.failures:
            print(f"\n{c.label}: {len(c.failures)} failures, first: {c.failures[0]}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1000, help="issues per side")
    parser.add_argument("--edits", type=int, help="issues edited per side (default 1%%)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay of every answer")
    parser.add_argument("--initial-only", action="store_true", help="measure the first sync only")
    args = parser.parse_args()
    edits = args.edits if args.edits is not None else max(1, args.items // 100)
    with tempfile.TemporaryDirectory() as folder:
        world = World(Path(folder))
        try:
            scenario = Scenario(world, args.items)
            scenario.seed()
            world.github.faults.latency = world.jira.faults.latency = args.latency_ms / 1000
            cycles = [scenario.initial()]
            if not args.initial_only:
                cycles.append(scenario.unchanged("after initial (echo)"))
                cycles.append(scenario.unchanged("no change (quiet)"))
                scenario.edit(edits)
                cycles.append(scenario.edited(f"after {edits} edits per side"))
                cycles.append(scenario.unchanged("after that (echo)"))
        finally:
            world.close()
    print(f"{args.items} issues per side, {args.latency_ms:g} ms latency per request\n")
    table(cycles)
    if args.latency_ms:
        first = cycles[0]
        sent = sum(c.reads + c.writes for c in first.actual.values())
        floor = sum(c.reads + c.writes for c in first.bound.values())
        print(
            f"\ninitial sync: {first.wall_s:.1f} s wall for {sent} requests; "
            f"{sent * args.latency_ms / 1000:.1f} s of it is latency if sent one at a time "
            f"(the bound's {floor} requests: {floor * args.latency_ms / 1000:.1f} s)"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmax RSS of the whole benchmark process (both sandboxes included): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
