"""Honest conflicts end to end: Jira's clock runs 44 s ahead, yet the edit made last wins,
and the run report and every `status` format show both values and which one was kept."""

from __future__ import annotations

import email
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from world import PROJECT, REPO, World

from trackersync.cli import StatusFormat, _render_status
from trackersync.config.loading import load
from trackersync.cycle.status import status_document


def finish(proc) -> tuple[int, str, str]:
    stdout, stderr = proc.communicate(timeout=300)
    return proc.returncode, stdout, stderr


def rendered(world: World, format: StatusFormat) -> str:
    document = status_document(load(world.config), datetime.now(UTC))
    result = _render_status(document, format)
    if format is StatusFormat.email:
        message = email.message_from_string(result)
        return "".join(
            part.get_payload(decode=True).decode()
            for part in message.walk()
            if part.get_content_maintype() == "text"
        )
    if not isinstance(result, str):
        console = Console(record=True, width=400, file=io.StringIO())
        console.print(result)
        return console.export_text()
    return result


def test_skewed_clocks_do_not_decide_and_the_loser_is_listed(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        world.jira.clock.advance(timedelta(seconds=44))  # Jira's clock runs 44 s ahead
        key = world.jira.create_issue(PROJECT, "Old")["key"]
        assert world.sync().failures == []
        number = int(world.pairs()[key])
        world.jira.edit_issue(key, summary="from Jira")
        for sandbox in (world.jira, world.github):  # 20 s pass on both servers
            sandbox.clock.advance(timedelta(seconds=20))
        world.github.edit_issue(REPO, number, title="from GitHub")  # the last edit

        code, _, stderr = finish(world.cli("sync"))
        assert code == 0, stderr
        assert world.jira.issue(key)["fields"]["summary"] == "from GitHub"
        assert world.github.issue(REPO, number)["title"] == "from GitHub"
        assert "Jira 'from Jira', GitHub 'from GitHub'; GitHub's kept (newest)" in stderr

        code, stdout, stderr = finish(world.cli("status", "--format", "json"))
        assert code == 0, stderr
        [conflict] = json.loads(stdout)["conflicts"]
        assert conflict["field"] == "title"
        assert (conflict["source_value"], conflict["target_value"]) == ("from Jira", "from GitHub")
        assert conflict["winner"] == "target"
        for format in StatusFormat:
            text = rendered(world, format)
            assert "from Jira" in text, format
            assert "from GitHub" in text, format
    finally:
        world.close()
