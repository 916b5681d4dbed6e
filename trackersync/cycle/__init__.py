"""One cycle of the product: pull every scope, sync the links, roll up the milestones.

Knows the config, the connectors and the engine, so it sits beside cli.py at the top;
`sync/` stays free of all three.
"""

from trackersync.cycle.links import LinkOutcome, link_spec, sync_links
from trackersync.cycle.pull import PullReport, ScopeOutcome, pull_all
from trackersync.cycle.rollups import RollupOutcome, compute_rollups, rollup_all

__all__ = [
    "LinkOutcome",
    "PullReport",
    "RollupOutcome",
    "ScopeOutcome",
    "compute_rollups",
    "link_spec",
    "pull_all",
    "rollup_all",
    "sync_links",
]
