"""Request counts, CPU time and memory of `pull` against the sandbox servers.

    .venv/bin/python benchmarks/pull_cost.py [--issues 2000] [--comments 600] [--edits 25] [--memory]

Prints a Markdown table; the README quotes its output. Counts come from the sandbox's
request log, so they are exact and repeatable; CPU and memory are this machine's.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from trackersync.connectors.github.connector import GitHubConfig, GitHubConnector
from trackersync.connectors.jira.connector import JiraConfig, JiraConnector
from trackersync.sandbox.core import SandboxApp, SandboxServer
from trackersync.sandbox.github import GitHubSandbox
from trackersync.sandbox.jira import JiraSandbox

# tracemalloc slows allocation-heavy code (pyparsing) several times: CPU figures are
# taken without it unless --memory asks for the Python heap peak instead.
TRACE_MEMORY = False


def measure(
    app: SandboxApp, pull: Callable[[dict[str, Any]], Any], cursor: dict[str, Any]
) -> tuple[Any, dict[str, Any]]:
    mark = app.log.mark()
    if TRACE_MEMORY:
        tracemalloc.start()
    cpu = time.process_time()
    result = pull(cursor)
    cpu = time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if TRACE_MEMORY else 0
    tracemalloc.stop()
    records = app.log.since(mark)
    figures = {
        "requests": len(records),
        "304s": sum(r.status == 304 for r in records),
        "changed": len(result.tasks),
        "cpu_s": round(cpu, 2),
        "peak_mib": round(peak / 2**20, 1) if TRACE_MEMORY else "-",
    }
    return result, figures


def github(issues: int, comments: int, edits: int) -> list[tuple[str, dict[str, Any]]]:
    app = GitHubSandbox(token="t")
    app.add_repo("acme/web")
    for n in range(issues):
        app.clock.advance(timedelta(minutes=3))
        app.create_issue("acme/web", f"Issue {n}", f"Body {n}", labels=("bug",))
    for n in range(comments):
        app.clock.advance(timedelta(minutes=1))
        app.add_comment("acme/web", 1 + n % issues, f"Comment {n}")
    app.clock.advance(timedelta(hours=1))
    with SandboxServer(app) as server:
        config = GitHubConfig(
            type="github",
            url=f"{server.origin}/api/v3",
            token_env="T",
            repos=["acme/web"],
            write_interval="0s",
        )
        connector = GitHubConnector("gh", config, {"T": "t"})
        pull = lambda cursor: connector.pull("acme/web", cursor)  # noqa: E731
        first, initial = measure(app, pull, {})
        second, unchanged = measure(app, pull, first.cursor)
        for n in range(edits):
            app.edit_issue("acme/web", 1 + n * 7 % issues, title=f"Edited {n}")
        _, edited = measure(app, pull, second.cursor)
        connector.close()
    return [("initial", initial), ("unchanged", unchanged), (f"after {edits} edits", edited)]


def jira(issues: int, comments: int, edits: int) -> list[tuple[str, dict[str, Any]]]:
    app = JiraSandbox(email="e@x", token="t")
    app.add_project("WEB", "Web")
    keys = []
    for n in range(issues):
        # Real projects change over days, not within the overlap window of one pull.
        app.clock.advance(timedelta(minutes=3))
        keys.append(app.create_issue("WEB", f"Issue {n}", f"Body *{n}*")["key"])
    for n in range(comments):
        app.clock.advance(timedelta(minutes=1))
        app.add_comment(keys[n % issues], f"Comment {n}")
    app.clock.advance(timedelta(hours=1))
    with SandboxServer(app) as server:
        config = JiraConfig(
            type="jira", url=server.origin, email_env="E", token_env="T", projects=["WEB"]
        )
        connector = JiraConnector("jira", config, {"E": "e@x", "T": "t"})
        pull = lambda cursor: connector.pull("WEB", cursor)  # noqa: E731
        first, initial = measure(app, pull, {})
        second, unchanged = measure(app, pull, first.cursor)
        for n in range(edits):
            app.edit_issue(keys[n * 7 % issues], summary=f"Edited {n}")
        _, edited = measure(app, pull, second.cursor)
        connector.close()
    return [("initial", initial), ("unchanged", unchanged), (f"after {edits} edits", edited)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--comments", type=int, default=600)
    parser.add_argument("--edits", type=int, default=25)
    parser.add_argument("--memory", action="store_true", help="trace the Python heap (slower)")
    args = parser.parse_args()
    global TRACE_MEMORY  # noqa: PLW0603 - a benchmark switch
    TRACE_MEMORY = args.memory
    print(f"{args.issues} issues, {args.comments} comments per scope\n")
    print(
        "| system | pull | requests | of which 304 | items changed | CPU s | peak MiB (Python heap) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, run in (("GitHub", github), ("Jira Cloud", jira)):
        for label, f in run(args.issues, args.comments, args.edits):
            print(
                f"| {name} | {label} | {f['requests']} | {f['304s']} | {f['changed']} | {f['cpu_s']} | {f['peak_mib']} |"
            )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmax RSS of the whole benchmark process (sandboxes included): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
