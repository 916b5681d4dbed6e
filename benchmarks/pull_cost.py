"""Request counts, CPU time and memory of `pull` against the sandbox servers.

    .venv/bin/python benchmarks/pull_cost.py [--issues 2000] [--comments 600] [--edits 25]
        [--overlap 500] [--memory]

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
from trackersync.connectors.jira import markup
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


# A description as people write them: headings, lists, code, links, a table (a few KB).
WIKI = """h2. Summary {n}

The *checkout* page fails for _some_ users when the cart holds more than {n} items.
See [the runbook|https://wiki.example.com/runbook] and ticket WEB-{n}.

h3. Steps
# Open the cart
# Add {n} items
## one of them on sale
# Press *Pay*

{{code:python}}
def total(cart):
    return sum(item.price for item in cart)  # {n}
{{code}}

||Browser||Result||
|Firefox|fails|
|Chrome|works|

{{quote}}It worked last week.{{quote}}
"""


def overlap(issues: int) -> list[tuple[str, dict[str, Any]]]:
    """Issues read again unchanged: a burst pulled while fresh is re-read by the next
    pull's overlap window; and (echo) issues past the window whose version the state
    store holds, as after our own writes. CPU per unchanged issue is what matters."""
    app = JiraSandbox(email="e@x", token="t")
    app.add_project("WEB", "Web")
    for n in range(issues):
        app.create_issue("WEB", f"Issue {n}", WIKI.format(n=n))
    rows: list[tuple[str, dict[str, Any]]] = []
    with SandboxServer(app) as server:
        config = JiraConfig(
            type="jira", url=server.origin, email_env="E", token_env="T", projects=["WEB"]
        )

        def pull(cursor: dict[str, Any], stored: dict[str, str] | None = None) -> Any:
            # Each pull as a new process sees it (`run` from cron), or past 4,096 texts:
            # nothing converted by an earlier pull is cached.
            markup._convert.cache_clear()  # noqa: SLF001 - a benchmark resets the memo
            connector = JiraConnector("jira", config, {"E": "e@x", "T": "t"})
            if stored is not None and hasattr(connector, "use_stored"):
                connector.use_stored(
                    "WEB", lambda keys: {k: stored[k] for k in keys if k in stored}
                )
            try:
                return connector.pull("WEB", cursor)
            finally:
                connector.close()

        first, initial = measure(app, pull, {})
        rows.append(("initial (with descriptions)", initial))
        app.clock.advance(timedelta(minutes=15))
        _, again = measure(app, pull, first.cursor)
        rows.append((f"overlap re-read of {issues} unchanged", again))
        # The echo: past the window, but the store holds each issue at this version.
        stored = {t.ref.key: t.updated_at.isoformat(timespec="milliseconds") for t in first.tasks}
        old = {"updated": "2020-01-01T00:00:00.000+00:00", "seen": [], "marker_authors": 1}
        _, echo = measure(app, lambda cursor: pull(cursor, stored), old)
        rows.append((f"re-read of {issues} the store holds", echo))
    for _label, figures in rows[1:]:
        figures["ms_per_issue"] = round(1000 * figures["cpu_s"] / issues, 2)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--comments", type=int, default=600)
    parser.add_argument("--edits", type=int, default=25)
    parser.add_argument("--memory", action="store_true", help="trace the Python heap (slower)")
    parser.add_argument(
        "--overlap", type=int, default=500, help="issues re-read unchanged (0: skip)"
    )
    args = parser.parse_args()
    global TRACE_MEMORY  # noqa: PLW0603 - a benchmark switch
    TRACE_MEMORY = args.memory
    if args.overlap:
        print(f"Jira issues read again unchanged ({args.overlap}, with real descriptions)\n")
        print("| pull | requests | items mapped | CPU s | ms per issue |")
        print("|---|---|---|---|---|")
        for label, f in overlap(args.overlap):
            ms = f.get("ms_per_issue", "-")
            print(f"| {label} | {f['requests']} | {f['changed']} | {f['cpu_s']} | {ms} |")
        print()
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
