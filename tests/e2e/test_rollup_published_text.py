"""What `rollup` writes into the trackers, read back from the sandboxes as a PM sees it."""

from __future__ import annotations

from pathlib import Path

from world import PROJECT, REPO, World


def finish(proc, timeout: float = 300) -> tuple[int, str, str]:
    stdout, stderr = proc.communicate(timeout=timeout)
    return proc.returncode, stdout, stderr


def test_milestone_version_and_status_issue_name_the_items_and_link_each_other(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, milestone_extra='    publish: [members, "jira:WEB#WEB-1"]\n')
    try:
        world.github.create_milestone(REPO, "v2.0", description="Team notes.")
        world.jira.create_version(PROJECT, "1.9")
        world.jira.create_version(PROJECT, "2.0", description="Our release.")
        world.jira.create_issue(PROJECT, "Release 2.0 status", "Owned by the PM.")
        world.jira.create_issue(
            PROJECT, "Payment provider switch", labels=("blocked",), fix_versions=("2.0",)
        )
        world.jira.create_issue(PROJECT, "Carried over", fix_versions=("1.9", "2.0"))
        code, _, stderr = finish(world.cli("rollup"))
        assert code == 0, stderr
        status_url = f"{world.jira.base_url}/browse/{PROJECT}-1"

        [version] = [v for v in world.jira.versions(PROJECT) if v["name"] == "2.0"]
        assert version["description"].startswith("Our release.")
        # Both items count: the one in 1.9 and 2.0 too (every fixVersion is read).
        assert "trackersync Release 2.0: 0% done (0 of 2), at risk;" in version["description"]
        assert "At risk: 1 blocked item;" in version["description"]
        assert f"Full status: {status_url}" in version["description"]

        [milestone] = world.github.milestones(REPO)
        assert "**Blocked (1)**" in milestone["description"]
        assert (
            f"[Payment provider switch]({world.jira.base_url}/browse/WEB-2)"
            in (milestone["description"])
        )
        assert f"Full status: [status issue]({status_url})" in milestone["description"]

        issue = world.jira.issue(f"{PROJECT}-1")["fields"]["description"]
        assert f"[Payment provider switch|{world.jira.base_url}/browse/WEB-2]" in issue

        marks = world.github.log.mark(), world.jira.log.mark()
        code, _, stderr = finish(world.cli("rollup"))
        assert code == 0, stderr
        records = [*world.github.log.since(marks[0]), *world.jira.log.since(marks[1])]
        assert [r for r in records if r.write] == []
    finally:
        world.close()
