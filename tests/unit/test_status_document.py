"""The status document, version 2: the README's example is the schema, and it is true."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from builders import make_task

from trackersync.sync.documents import ConflictRecord, LinkStatus, StatusDocument
from trackersync.sync.rollup import DayPoint, Member, RollupInput, compute
from trackersync.sync.status import build_status
from trackersync.sync.work_items import Identities, TwinPair

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> dict[str, Any]:
    section = README.read_text(encoding="utf-8").split("## `status --format json`", 1)[1]
    block = re.search(r"```json\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the README section lost its JSON example"
    return json.loads(block[1])


def keys(value: Any) -> Any:
    """The shape of a JSON value: its keys, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return {key: keys(item) for key, item in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [keys(value[0])]
    return None


def readme_release() -> StatusDocument:
    """The README's milestone, computed: 24 Jira items, WEB-7 blocked and mirrored."""
    categories = ["todo"] * 4 + ["in_progress"] * 6 + ["done"] * 12 + ["canceled"] * 2
    tasks = [
        make_task(
            f"jira:WEB#WEB-{n}",
            fix_versions=("2.0",),
            category=category,
            assignees=("acc",),
            updated_at=datetime(2026, 11, 24, tzinfo=UTC),
            blocked=n == 7,
        )
        for n, category in enumerate(categories, start=1)
    ]
    data = RollupInput(
        name="Release 2.0",
        members=[Member("jira:WEB", {"fixVersion": "2.0"})],
        tasks=tasks,
        twins=Identities([TwinPair("jira:WEB#WEB-7", "gh:acme/web#12", "target")]),
        today=date(2026, 11, 25),
        due=date(2026, 12, 15),
        history=[DayPoint(date(2026, 11, 11), 21, 6)],
        baseline=frozenset(str(t.ref) for t in tasks) - {"jira:WEB#WEB-9"},
    )
    link = LinkStatus(name="web", source="jira:WEB", target="gh:acme/web")
    now = datetime(2026, 11, 25, 18, tzinfo=UTC)
    document = build_status(tasks, {}, ["jira:WEB"], [link], now)
    conflict = ConflictRecord(
        link="web",
        at="2026-11-25T17:59:59.310000Z",
        field="title",
        source_ref="jira:WEB#WEB-7",
        target_ref="gh:acme/web#12",
        source_value="Payment provider switch",
        target_value="Switch payment provider",
        winner="target",
        rule="newest",
        systems=["Jira", "GitHub"],
    )
    return document.model_copy(update={"milestones": [compute(data)], "conflicts": [conflict]})


def test_the_readme_example_is_a_valid_version_2_document() -> None:
    example = readme_example()
    document = StatusDocument.model_validate(example)  # unknown keys are refused
    assert document.version == 2
    # Work items: never more than the scopes' own items, which count every copy.
    assert document.totals.tasks <= sum(scope.tasks for scope in document.scopes)


def test_the_readme_example_has_exactly_the_keys_a_document_has() -> None:
    produced = readme_release().model_dump(mode="json")
    assert keys(produced) == keys(readme_example())


@pytest.mark.parametrize("part", ["counts", "percent_done", "forecast", "health"])
def test_the_readme_numbers_are_what_the_rollup_computes(part: str) -> None:
    [documented] = readme_example()["milestones"]
    [computed] = readme_release().model_dump(mode="json")["milestones"]
    assert computed[part] == documented[part]


def test_version_1_documents_are_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        StatusDocument.model_validate({**readme_example(), "version": 1})
