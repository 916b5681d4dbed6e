"""`Task.twin_of` / `by_trackersync`: rows stored before they existed still load."""

from __future__ import annotations

from builders import make_task

from trackersync.sync.model import Task

J1 = "jira:WEB#WEB-1"


def test_a_row_stored_before_the_fields_keeps_its_marker_untrusted() -> None:
    stored = make_task("gh:acme/web#1").model_dump(mode="json")
    for name in ("twin_of", "by_trackersync"):
        del stored[name]
    stored["raw"] = {"twin_of": J1, "footer": "<!-- footer -->"}
    task = Task.model_validate(stored)
    assert (task.twin_of, task.by_trackersync) == (J1, False)
    assert task.raw == {"footer": "<!-- footer -->"}


def test_a_row_with_the_fields_round_trips() -> None:
    task = make_task("gh:acme/web#1", twin_of=J1, by_trackersync=True)
    assert Task.model_validate(task.model_dump(mode="json")) == task
