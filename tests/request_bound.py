"""The request cost of a two-way sync, next to its lower bound from first principles.

One seeding, one set of cycles and one formula, shared by benchmarks/sync_cost.py (which
prints them at 1k and 10k issues per side) and tests/integration/test_request_cost.py
(which pins the counts at small scale so a regression fails CI). benchmarks/README.md
explains the formula; in short, for each system and cycle:

    reads  = pages(items changed there since the last pull) + MILESTONE_READS
             + COMMENT_READS[system]
    writes = one create per item mirrored into it, plus one more write per mirrored item
             that is closed (neither API creates an issue closed), plus one write per item
             whose twin changed (one PATCH / PUT carries every changed field)

where pages(m) = max(1, ceil(m / PAGE_SIZE)): even a cycle where nothing changed needs one
read (conditional on GitHub, limited on Jira) to learn that.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from world import PROJECT, REPO, World

# The largest listing page both APIs serve with the fields a pull needs: GitHub's
# `per_page` and Jira's `maxResults` (Jira allows 5,000 only for key/id-only searches).
PAGE_SIZE = 100
# World's config declares a milestone: GitHub milestones and Jira versions must be read
# each cycle, because neither tracker marks an issue changed when its milestone changes.
MILESTONE_READS = 1
# GitHub lists comments apart from issues, and an edited comment does not change its
# issue's `updated_at`: one more (conditional) listing per cycle to mirror comments. Jira
# returns an issue's comments inside it, and a comment bumps the issue's `updated`.
COMMENT_READS = {"github": 1, "jira": 0}
# Every CLOSED_EVERY-th seeded issue is closed (GitHub) or Done (Jira): its mirror needs
# a second write, since GitHub opens every new issue and Jira creates in "To Do".
CLOSED_EVERY = 10
# Server time between two cycles (`run --every`'s default); people edit half-way. Fixed
# steps of both sandbox clocks, so what a pull's overlap window re-reads does not depend
# on how fast this machine runs the cycles.
CYCLE_GAP = timedelta(minutes=15)
SYSTEMS = ("github", "jira")


@dataclass(frozen=True)
class Cost:
    """Requests of one system in one cycle."""

    reads: int
    writes: int


@dataclass
class Cycle:
    """One measured `sync`: actual requests and the lower bound, per system."""

    label: str
    actual: dict[str, Cost]
    bound: dict[str, Cost]
    endpoints: dict[str, Counter[str]]  # system -> "METHOD path shape status" -> requests
    failures: list[str]
    cpu_s: float
    wall_s: float


def pages(changed: int) -> int:
    """Listing pages to read `changed` items; one read even when nothing changed."""
    return max(1, math.ceil(changed / PAGE_SIZE))


def lower_bound(changed: Mapping[str, int], writes: Mapping[str, int]) -> dict[str, Cost]:
    """The fewest requests per system for a cycle that must list `changed[system]` items
    and make `writes[system]` writes there."""
    return {
        s: Cost(pages(changed[s]) + MILESTONE_READS + COMMENT_READS[s], writes[s]) for s in SYSTEMS
    }


def endpoint(method: str, path: str, status: int) -> str:
    """`POST issue/{id}/remotelink 201`: ids and keys folded, API prefixes cut, to group."""
    parts = [p if not p.isdigit() and "-" not in p else "{id}" for p in path.split("/")]
    shape = "/".join(p for p in parts if p)
    for prefix in (f"api/v3/repos/{REPO}/", "api/v3/", "rest/api/{id}/"):
        shape = shape.removeprefix(prefix)
    return f"{method} {shape} {status}"


class Scenario:
    """N issues on each side of one link, then the cycles the benchmark and test measure.

    Each cycle's bound comes from what the scenario did (seeded, edited) and what the
    previous cycle had to write, never from the requests the sync actually made.
    """

    def __init__(self, world: World, items: int) -> None:
        self.world = world
        self.items = items
        # Items trackersync had to write in each system in the previous cycle: the next
        # pull lists them again (they changed since its cursor).
        self._written = dict.fromkeys(SYSTEMS, 0)
        self._edited = 0
        self._waited = timedelta(0)

    def wait(self, span: timedelta) -> None:
        """Move both servers' clocks on by `span`."""
        self.world.github.clock.advance(span)
        self.world.jira.clock.advance(span)
        self._waited += span

    def seed(self) -> None:
        """N Jira and N GitHub issues, every CLOSED_EVERY-th one closed; none linked."""
        for n in range(self.items):
            done = (n + 1) % CLOSED_EVERY == 0
            self.world.jira.create_issue(
                PROJECT,
                f"Jira {n}",
                f"Body *{n}*",
                labels=("backend",),
                status="Done" if done else None,
                resolution="Done" if done else None,
            )
            self.world.github.create_issue(
                REPO,
                f"GitHub {n}",
                f"Body **{n}**",
                labels=("frontend",),
                state="closed" if done else "open",
            )

    def closed(self) -> int:
        """Seeded issues per side that are closed."""
        return self.items // CLOSED_EVERY

    def initial(self) -> Cycle:
        """The first sync: list N per side, create N mirrors each way (+ close some)."""
        mirrored = dict.fromkeys(SYSTEMS, self.items)
        writes = dict.fromkeys(SYSTEMS, self.items + self.closed())
        return self._measure("initial", mirrored, writes, written=mirrored)

    def unchanged(self, label: str) -> Cycle:
        """A sync where nobody changed anything since the last one."""
        return self._measure(label, self._written, dict.fromkeys(SYSTEMS, 0), written=None)

    def edit(self, count: int) -> None:
        """People edit `count` linked issues' titles on each side (distinct pairs)."""
        self.wait(CYCLE_GAP / 2)
        pairs = sorted(self.world.pairs().items())
        for key, _number in pairs[:count]:
            self.world.jira.edit_issue(key, summary=f"{key} edited in Jira")
        for _key, number in pairs[count : 2 * count]:
            self.world.github.edit_issue(REPO, int(number), title=f"#{number} edited on GitHub")
        self._edited = count

    def edited(self, label: str) -> Cycle:
        """The sync after `edit(k)`: list k changes per side, one update per twin."""
        changed = {s: self._edited + self._written[s] for s in SYSTEMS}
        writes = dict.fromkeys(SYSTEMS, self._edited)
        return self._measure(label, changed, writes, written=writes)

    def _measure(
        self,
        label: str,
        changed: Mapping[str, int],
        writes: Mapping[str, int],
        written: Mapping[str, int] | None,
    ) -> Cycle:
        logs = {"github": self.world.github.log, "jira": self.world.jira.log}
        self.wait(CYCLE_GAP - self._waited)
        self._waited = timedelta(0)
        marks = {s: log.mark() for s, log in logs.items()}
        cpu, wall = time.process_time(), time.perf_counter()
        run = self.world.sync()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        actual: dict[str, Cost] = {}
        endpoints: dict[str, Counter[str]] = {}
        for system, log in logs.items():
            records = log.since(marks[system])
            writes_made = sum(r.write for r in records)
            actual[system] = Cost(len(records) - writes_made, writes_made)
            endpoints[system] = Counter(endpoint(r.method, r.path, r.status) for r in records)
        bound = lower_bound(changed, writes)
        self._written = dict(written) if written is not None else dict.fromkeys(SYSTEMS, 0)
        return Cycle(label, actual, bound, endpoints, run.failures, cpu, wall)
