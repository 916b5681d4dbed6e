"""What an incremental Jira pull reads again: only what is really uncertain.

Request counts come from the sandbox's request log, so they are exact: a regression that
re-reads the last burst every cycle, or maps unchanged issues again, fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jira_fixtures import connector, make_sandbox, seed, serve

from trackersync.connectors.jira.window import Window


def searches(sandbox, mark: int) -> int:
    return sum("/search" in r.path for r in sandbox.log.since(mark))


def test_quiet_cycles_stop_re_reading_the_last_burst() -> None:
    sandbox = make_sandbox()
    # A burst of 250 issues sharing one minute, pulled while it is still fresh: the next
    # pull must read it again (the search may not have shown all of it yet)...
    seed(sandbox, 250)
    with serve(sandbox) as origin:
        first = connector(origin).pull("WEB", {})
        sandbox.clock.advance(timedelta(minutes=15))
        mark = sandbox.log.mark()
        second = connector(origin).pull("WEB", first.cursor)
        assert searches(sandbox, mark) >= 3
        # ...but no pull after that: nothing changed since, the burst is settled.
        for _cycle in range(3):
            sandbox.clock.advance(timedelta(minutes=15))
            mark = sandbox.log.mark()
            later = connector(origin).pull("WEB", second.cursor)
            assert searches(sandbox, mark) == 1
            assert later.tasks == []
            second = later
    assert len(first.tasks) == 250
    # Re-read while uncertain, but known unchanged: not mapped again.
    assert second.tasks == []
    assert later.cursor["seen"] == []


def test_an_edit_after_the_burst_is_read_once_and_nothing_more() -> None:
    sandbox = make_sandbox()
    seed(sandbox, 120)
    with serve(sandbox) as origin:
        cursor = connector(origin).pull("WEB", {}).cursor
        sandbox.clock.advance(timedelta(minutes=15))
        cursor = connector(origin).pull("WEB", cursor).cursor
        sandbox.clock.advance(timedelta(minutes=15))
        sandbox.edit_issue("WEB-7", summary="Renamed")
        mark = sandbox.log.mark()
        edited = connector(origin).pull("WEB", cursor)
        assert searches(sandbox, mark) == 1
        sandbox.clock.advance(timedelta(minutes=15))
        quiet = connector(origin).pull("WEB", edited.cursor)
    assert [t.title for t in edited.tasks] == ["Renamed"]
    assert quiet.tasks == []


def test_an_old_cursor_without_settled_still_reaches_back_from_the_newest() -> None:
    old = {"updated": "2026-11-29T10:00:00.000+00:00", "seen": []}
    window = Window.load(old)
    assert window.settled is None
    now = window.newest + timedelta(minutes=30)  # type: ignore[operator]
    assert window.minutes_back(now) == 32
    nxt = window.advance([], fallback=now)
    assert nxt.settled == now - timedelta(minutes=2)
    assert Window.load(nxt.dump()) == nxt


def test_the_window_reaches_back_to_an_issue_that_changed_while_paging() -> None:
    start = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    pairs = [("WEB-1", start - timedelta(hours=3)), ("WEB-2", start - timedelta(minutes=1))]
    # Read completely only up to an hour ago: the next pull reaches back there.
    held = start - timedelta(hours=1)
    window = Window().advance(pairs, fallback=start, held=held)
    assert window.settled == held
    assert window.minutes_back(start + timedelta(minutes=15)) == 75
    # Without it: back to the pull's start less the search's consistency lag.
    assert Window().advance(pairs, fallback=start).settled == start - timedelta(minutes=2)
    assert Window().advance(pairs, fallback=start).seen == {
        ("WEB-2", "2026-11-29T09:59:00.000+00:00")
    }
