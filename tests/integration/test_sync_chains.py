"""N:M links end to end: a second link does not copy the first link's mirrors on."""

from __future__ import annotations

from pathlib import Path

import pytest
from world import PROJECT, REPO, World

DOCS = "acme/docs"


def docs_world(tmp_path: Path, chain: bool) -> World:
    """Link `web` (Jira WEB <-> acme/web) plus link `docs` (acme/web -> acme/docs)."""
    extra = (
        f"  - name: docs\n    source: gh:{REPO}\n    target: gh:{DOCS}\n"
        f"    direction: one-way\n    chain: {str(chain).lower()}\n"
    )
    world = World(tmp_path, link_extra=extra)
    world.github.add_repo(DOCS)
    text = world.config.read_text().replace(f"repos: [{REPO}]", f"repos: [{REPO}, {DOCS}]")
    world.config.write_text(text)
    return world


@pytest.mark.parametrize(
    ("chain", "copied"), [(False, ["GitHub work"]), (True, ["GitHub work", "Jira work"])]
)
def test_mirrors_reach_a_third_scope_only_through_a_chained_link(
    tmp_path: Path, chain: bool, copied: list[str]
) -> None:
    world = docs_world(tmp_path, chain)
    try:
        world.jira.create_issue(PROJECT, "Jira work")
        world.github.create_issue(REPO, "GitHub work")
        for _ in range(2):  # the second run sees the mirrors the first one created
            assert world.sync().failures == []
        docs = world.github.issues(DOCS)
        assert sorted(issue["title"] for issue in docs) == copied
        assert world.sync().writes == 0
    finally:
        world.close()
