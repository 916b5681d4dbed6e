"""A cycle that raised: what `run` does so that the next cycle still comes.

`run` ends only on SIGTERM, a configuration error or a lost identity (both ConfigError:
they need a person). Anything else raised inside a cycle (a database that was away, a
constraint a bug broke, an API that answered nonsense) is logged in one line, recorded
in the runs table when the store can take it, and the loop goes on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from trackersync.errors import TrackersyncError
from trackersync.report.runs import CYCLE_COMMAND
from trackersync.sync.state import StateStore

log = logging.getLogger(__name__)


def record_failure(state: str, started: datetime, error: Exception) -> int:
    """Log and record a cycle that raised `error`; returns the cycle's exit code."""
    known = isinstance(error, TrackersyncError)
    text = str(error) if known else f"internal error: {error!r}"
    log.error("cycle failed: %s", text.splitlines()[0] if text else type(error).__name__)
    # The traceback only with -vv: one line on stderr is the rule, even for our own bugs.
    log.debug("the failed cycle's traceback", exc_info=error)
    try:
        store = StateStore(state)
        store.record_run(CYCLE_COMMAND, started, datetime.now(UTC), "error", {"error": text})
    except Exception as exc:  # the store may be what failed; the log line is then all
        log.warning("could not record the failed cycle: %s", str(exc).splitlines()[0])
    return error.exit_code if isinstance(error, TrackersyncError) else 1
