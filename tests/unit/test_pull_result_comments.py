"""`PullResult.comments` is the one path comments travel by, whichever way a connector
hands them over."""

from __future__ import annotations

from datetime import timedelta

from builders import T0, make_comment, make_task

from trackersync.sync.model import PullResult


def test_comments_left_on_tasks_are_folded_into_comments() -> None:
    task = make_task("jira:WEB#WEB-1", comments=(make_comment("10"), make_comment("11")))
    result = PullResult(scope="jira:WEB", tasks=[task], comments={"WEB-2": [make_comment("20")]})
    assert {key: [c.id for c in cs] for key, cs in result.comments.items()} == {
        "WEB-2": ["20"],
        "WEB-1": ["10", "11"],
    }


def test_a_comment_on_both_paths_is_listed_once_in_its_latest_edit() -> None:
    old = make_comment("10", "old")
    new = make_comment("10", "new", updated_at=T0 + timedelta(minutes=1))
    on_task = PullResult(
        scope="jira:WEB",
        tasks=[make_task("jira:WEB#WEB-1", comments=(new,))],
        comments={"WEB-1": [old]},
    )
    listed = PullResult(
        scope="jira:WEB",
        tasks=[make_task("jira:WEB#WEB-1", comments=(old,))],
        comments={"WEB-1": [new]},
    )
    assert on_task.comments == listed.comments == {"WEB-1": [new]}
