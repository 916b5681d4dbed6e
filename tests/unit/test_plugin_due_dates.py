"""A connector written before due dates were synced (a third party's plugin) keeps
working: the contract's default writes nothing, says so, and the pair is then quiet."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pytest
from builders import make_link

from trackersync.connectors.base import CheckReport, Connector, ConnectorConfig
from trackersync.sync.apply import ApplyReport
from trackersync.sync.milestone_dates import apply_dates, plan_dates
from trackersync.sync.model import Milestone, PullResult, Ref
from trackersync.sync.state import StateStore
from trackersync.sync.state.milestone_dates import MilestoneDates

OLD, NEW = date(2026, 12, 1), date(2027, 1, 1)


class OldConfig(ConnectorConfig):
    type: Literal["old"]


class OldConnector(Connector):
    """Implements only what the contract required before `update_milestone_due`."""

    type = "old"
    Config = OldConfig

    def check(self) -> CheckReport:
        raise NotImplementedError

    def pull(self, scope: str, cursor: Mapping[str, Any]) -> PullResult:
        raise NotImplementedError


def test_the_default_writes_nothing_warns_and_the_next_plan_is_quiet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    agreed = MilestoneDates(store, "web")
    agreed.record(("2.0", "v2.0"), (OLD, OLD))
    milestones = [
        Milestone(scope=Ref("jira", "WEB"), id="10", name="2.0", due=NEW),
        Milestone(scope=Ref("gh", "acme/web"), id="1", name="v2.0", due=OLD),
    ]
    link = make_link(milestones={"2.0": "v2.0"})
    old = OldConnector("gh", OldConfig(type="old", url="https://old.example", token_env="T"), {})
    report, saved = ApplyReport(), []
    with caplog.at_level(logging.WARNING):
        planned = plan_dates(milestones, agreed.load(), link)
        apply_dates(planned.actions, {"source": old, "target": old}, agreed, report, saved.append)
    assert report.failed == []
    assert len(report.applied) == 1
    assert "old connector cannot set due dates: gh:acme/web:v2.0" in caplog.text
    assert [m.due for m in saved] == [OLD]
    assert plan_dates(milestones, agreed.load(), link).actions == []
    store.engine.dispose()
