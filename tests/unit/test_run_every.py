"""`run --every` has a floor of one minute; `--once` never waits, so it takes any value."""

from __future__ import annotations

import pytest

from trackersync.cli import MIN_EVERY, _every
from trackersync.errors import ConfigError


@pytest.mark.parametrize(("every", "seconds"), [("1m", 60), ("60s", 60), ("15m", 900), ("2h", 7200)])
def test_a_pause_of_a_minute_or_more_is_taken(every: str, seconds: float) -> None:
    assert _every(every, once=False) == seconds


@pytest.mark.parametrize("every", ["0s", "0", "30s", "59.9s", "59999ms"])
def test_a_shorter_pause_is_refused_naming_the_floor(every: str) -> None:
    with pytest.raises(ConfigError, match="floor of 1 minute") as raised:
        _every(every, once=False)
    assert raised.value.exit_code == 2
    assert MIN_EVERY.total_seconds() == 60


def test_once_is_unaffected_by_the_floor() -> None:
    assert _every("0s", once=True) == 0
