"""The `trackersync` command. The one place that knows config, connectors and engine.

Exit codes (PRODUCT.md §2): 0 done; 1 finished with failed items; 2 configuration or
usage error; 3 a system could not be reached or refused the credentials.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

# Typer vendors click; its exception types are needed to print usage errors as one line.
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from trackersync import __version__, logs
from trackersync.config.example import EXAMPLE_CONFIG
from trackersync.config.loading import Settings, build_connectors, config_path, load
from trackersync.config.models import LinkConfig
from trackersync.connectors.base import parse_duration
from trackersync.cycle import (
    LinkOutcome,
    PullReport,
    RollupOutcome,
    pull_all,
    rollup_all,
    sync_links,
)
from trackersync.cycle.failures import record_failure
from trackersync.cycle.identity import Binding, bind, checked, refusal
from trackersync.cycle.status import status_document
from trackersync.errors import ConfigError, TrackersyncError
from trackersync.redact import redact
from trackersync.report import html as html_report
from trackersync.report import mail as mail_report
from trackersync.report import runs as runs_report
from trackersync.report import text as text_report
from trackersync.sync.documents import StatusDocument
from trackersync.sync.state import StateStore
from trackersync.sync.state.identity import Identity
from trackersync.sync.state.probe import probe

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Keeps Jira and GitHub issues in step; one status per milestone across tools.",
)
# No emoji codes: a scope like `jira:GHOST:` in a message is not `:ghost:`.
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)
# `run --every` floor (README, docs/configuration.md): a cycle reads every scope.
MIN_EVERY = timedelta(minutes=1)


class LogFormat(StrEnum):
    """How logs and progress are shown."""

    text = "text"
    json = "json"


class StatusFormat(StrEnum):
    """Formats `status` can write."""

    table = "table"
    markdown = "markdown"
    json = "json"
    html = "html"
    email = "email"


# One option for every command that writes: the state store records which servers,
# repositories and projects it was built against, and refuses others unless told.
Rebind = Annotated[
    bool,
    typer.Option(
        "--rebind",
        help="After a deliberate move (new server, reseeded instance): accept the "
        "configured systems and record them in the state store.",
    ),
]


@dataclass
class Options:
    """The global options every command sees."""

    config: str | None
    verbose: int
    log_format: LogFormat

    @property
    def path(self) -> Path:
        """The config file this run uses."""
        return config_path(self.config, os.environ)

    def settings(self) -> Settings:
        """The validated config."""
        return load(self.path)


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option(
            "--config", help="Config file [default: $TRACKERSYNC_CONFIG or ./trackersync.yaml]"
        ),
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More logging (-vv: debug).")
    ] = 0,
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", help="text or json.")
    ] = LogFormat.text,
) -> None:
    """Keeps Jira and GitHub issues in step."""
    logs.configure(verbose, log_format.value)
    ctx.obj = Options(config, verbose, log_format)


@app.command()
def init(
    ctx: typer.Context,
    path: Annotated[
        Path | None, typer.Argument(help="Where to write [default: the config path].")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example config."""
    options: Options = ctx.obj
    target = path or options.path
    if target.exists() and not force:
        raise ConfigError("already exists; pass --force to overwrite it", path=str(target))
    _write(target, EXAMPLE_CONFIG)
    out.print(
        f"wrote {target}; set the variables its *_env keys name, then run `trackersync check`"
    )


@app.command()
def check(ctx: typer.Context) -> None:
    """Validate the config, authenticate to every connector, show scopes and budgets."""
    options: Options = ctx.obj
    settings = options.settings()
    connectors = build_connectors(settings)
    store = StateStore(settings.state)
    table = Table("connector", "user", "scope", "visible", "rate budget left")
    hidden: list[str] = []
    identities: dict[str, Identity] = {}
    for name, connector in connectors.items():
        try:
            report = connector.check()
            identities.update(checked(name, connector, report))
        finally:
            connector.close()
        budget = (
            "-" if report.rate.remaining is None else f"{report.rate.remaining}/{report.rate.limit}"
        )
        for scope in report.scopes:
            table.add_row(name, report.user, scope.scope, "yes" if scope.visible else "no", budget)
            if not scope.visible:
                hidden.append(f"{name}:{scope.scope}")
    out.print(table)
    out.print(probe(store), markup=False, highlight=False, soft_wrap=True)
    moved = refusal(store, identities)
    if moved is not None:
        _complain(moved)
        raise typer.Exit(2)
    if hidden:
        _complain(
            f"not visible with these credentials: {', '.join(hidden)}; "
            "check the names in the config and the token's access"
        )
        # As `sync` answers the same problem: a name in the config to fix (exit 2).
        raise typer.Exit(2)
    out.print(f"config {settings.path} is valid; every scope is visible", soft_wrap=True)


@app.command()
def pull(ctx: typer.Context, rebind: Rebind = False) -> None:
    """Fetch what changed in every scope into the state store."""
    options: Options = ctx.obj
    settings = options.settings()
    code = _cycle(options, settings, command="pull", links=[], rollups=False, rebind=rebind)
    raise typer.Exit(code)


@app.command()
def sync(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; write nothing anywhere.")
    ] = False,
    link: Annotated[str | None, typer.Option("--link", help="Only this link.")] = None,
    rebind: Rebind = False,
) -> None:
    """Pull, then plan and apply mirrored changes for every link (or one)."""
    options: Options = ctx.obj
    settings = options.settings()
    links = _selected_links(settings, link)
    code = _cycle(
        options,
        settings,
        command="sync",
        links=links,
        rollups=False,
        dry_run=dry_run,
        rebind=rebind,
    )
    raise typer.Exit(code)


def _selected_links(settings: Settings, name: str | None) -> list[LinkConfig]:
    if not settings.links:
        raise ConfigError(
            "no `links:` configured; add one (see `trackersync init`)", path=str(settings.path)
        )
    if name is None:
        return settings.links
    chosen = [link for link in settings.links if link.name == name]
    if not chosen:
        known = ", ".join(link.name for link in settings.links)
        raise ConfigError(
            f"--link {name!r} is not a configured link (links: {known})", path=str(settings.path)
        )
    return chosen


def _cycle(
    options: Options,
    settings: Settings,
    *,
    command: str,
    links: list[LinkConfig],
    rollups: bool,
    dry_run: bool = False,
    env: dict[str, str] | None = None,
    rebind: bool = False,
    memo: dict[str, Any] | None = None,
) -> int:
    """One pull, then the links' sync and the milestones' rollups from it; one run record.

    The systems are checked against those the store was built against first (exit 2 when
    they differ, unless `rebind`), and recorded before anything is written to a tracker.
    `memo`: what `run --every` keeps from cycle to cycle (see `Connector.reuse`)."""
    connectors = build_connectors(settings, env)
    if memo is not None:
        for connector in connectors.values():
            connector.reuse(memo)
    store = StateStore(settings.state)
    started = datetime.now(UTC)
    try:
        with _progress(options) as step:
            bound: list[Binding] = []

            def verify(scopes: list[str]) -> dict[str, TrackersyncError]:
                # Only the scopes this process pulls are asked who they are (under their
                # pull locks): a replica leaving every scope to another reads nothing.
                bound.append(bind(connectors, store, rebind=rebind, only=scopes))
                return bound[0].unread

            pulled = pull_all(connectors, store, on_scope=step, save=not dry_run, verify=verify)
            if not dry_run:
                bound[0].remember(store, pulled)
            synced = sync_links(settings, connectors, store, links, pulled=pulled, dry_run=dry_run)
            rolled = []
            if rollups:
                today = started.date()
                rolled = rollup_all(
                    settings, connectors, store, pulled=pulled, dry_run=dry_run, today=today
                )
    finally:
        for connector in connectors.values():
            connector.close()
    _report_cycle(
        options, pulled, synced, rolled, links=bool(links), rollups=rollups, dry_run=dry_run
    )
    code = max([pulled.exit_code, *(o.exit_code for o in synced), *(1 for o in rolled if o.errors)])
    if not dry_run and store.exists():
        summary = {
            "pull": pulled.summary(),
            "links": {o.name: o.summary() for o in synced},
            "rollups": {o.name: {"published": o.published, "errors": o.errors} for o in rolled},
        }
        store.record_run(command, started, datetime.now(UTC), runs_report.outcome(code), summary)
    return code


@app.command()
def rollup(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be published; write nothing.")
    ] = False,
    rebind: Rebind = False,
) -> None:
    """Compute every milestone's rollup and publish it to each member."""
    options: Options = ctx.obj
    settings = options.settings()
    if not settings.milestones:
        raise ConfigError(
            "no `milestones:` configured; add one (see `trackersync init`)", path=str(settings.path)
        )
    code = _cycle(
        options,
        settings,
        command="rollup",
        links=[],
        rollups=True,
        dry_run=dry_run,
        rebind=rebind,
    )
    raise typer.Exit(code)


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="One cycle, then exit with its code.")
    ] = False,
    every: Annotated[str, typer.Option("--every", help="Pause between cycles, e.g. 15m.")] = "15m",
    rebind: Rebind = False,
) -> None:
    """The container entry point: pull, sync, rollup; repeat until SIGTERM."""
    options: Options = ctx.obj
    pause = _every(every, once=once)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # The current cycle finishes; the wait between cycles ends at once.
        signal.signal(signum, lambda *_: stopping.set())
    # Lives as long as the process: the connectors of one cycle leave the next what need
    # not be read every cycle (servers, projects, the API user; re-read hourly).
    memo: dict[str, Any] = {}
    while True:
        code = _run_cycle(options, rebind=rebind, memo=memo)
        # The first cycle records the systems; a later move is refused like any other.
        rebind = False
        if once or stopping.wait(pause):
            raise typer.Exit(code)


def _every(every: str, *, once: bool) -> float:
    """The pause between cycles; below `MIN_EVERY` a loop would hammer both APIs."""
    try:
        pause = parse_duration(every)
    except ValueError as exc:
        raise ConfigError(f"--every {every!r}: {exc}") from None
    if pause < MIN_EVERY and not once:
        raise ConfigError(
            f"--every {every!r} is shorter than the floor of 1 minute "
            "(each cycle reads every scope); use --every 1m or more"
        )
    return pause.total_seconds()


def _run_cycle(
    options: Options, *, rebind: bool = False, memo: dict[str, Any] | None = None
) -> int:
    settings = options.settings()
    rollups = bool(settings.milestones)
    started = datetime.now(UTC)
    try:
        return _cycle(
            options,
            settings,
            command="run",
            links=settings.links,
            rollups=rollups,
            rebind=rebind,
            memo=memo,
        )
    except ConfigError:
        raise  # a config error or a lost identity: only a person can fix it, so `run` ends
    except Exception as exc:  # anything else: recorded and logged, and the loop goes on
        return record_failure(settings.state, started, exc)


@app.command()
def health(
    ctx: typer.Context,
    max_age: Annotated[
        str, typer.Option("--max-age", help="Oldest acceptable completed `run` cycle.")
    ] = "1h",
) -> None:
    """Exit 0 if a `run` cycle completed within --max-age (the container HEALTHCHECK), else 1.

    Completed means it ran to its end, with or without failed items (exit 0 or 1): one
    item that always fails is a report, not a dead container. A manual `pull` or `sync`
    says nothing about the container, so only `run` cycles count.
    """
    options: Options = ctx.obj
    settings = options.settings()
    try:
        limit = datetime.now(UTC) - parse_duration(max_age)
    except ValueError as exc:
        raise ConfigError(f"--max-age {max_age!r}: {exc}") from None
    found = runs_report.last_completed_cycle(StateStore(settings.state).runs(limit=200), limit)
    if found is not None:
        out.print(
            f"healthy: last run cycle completed at {found['finished_at']} ({found['outcome']})"
        )
        return
    _complain(f"unhealthy: no run cycle completed since {limit.isoformat()}")
    raise typer.Exit(1)


@app.command()
def status(
    ctx: typer.Context,
    format: Annotated[
        StatusFormat,
        typer.Option("--format", help="table, markdown, json, html or email (a .eml file)."),
    ] = StatusFormat.table,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file.")] = None,
) -> None:
    """Unified cross-tool status from the state store (no network)."""
    options: Options = ctx.obj
    settings = options.settings()
    document = status_document(settings, datetime.now(UTC))
    rendered = _render_status(document, format)
    if output is None:
        if isinstance(rendered, str):
            out.print(rendered, markup=False, highlight=False, soft_wrap=True)
        else:
            out.print(rendered)
        return
    if not isinstance(rendered, str):
        # The terminal tables, as plain text for a file.
        page = Console(record=True, width=120, file=io.StringIO())
        page.print(rendered)
        rendered = page.export_text()
    _write(output, rendered)
    out.print(f"wrote {output}")


@app.command()
def demo(
    ctx: typer.Context,
    serve: Annotated[
        bool, typer.Option("--serve", help="Only start the seeded sandboxes and wait.")
    ] = False,
    github_port: Annotated[int, typer.Option(help="Port of the sandbox GitHub (0: any free).")] = 0,
    jira_port: Annotated[int, typer.Option(help="Port of the sandbox Jira (0: any free).")] = 0,
) -> None:
    """Run the product against seeded loopback GitHub and Jira servers: no account needed."""
    from trackersync import demo as demo_module  # the sandbox is only loaded when asked for

    options: Options = ctx.obj
    with demo_module.running(github_port, jira_port) as running:
        if serve:
            demo_module.serve(running, out)
            return
        settings = load(running.config_path)
        links = settings.links
        code = _cycle(options, settings, command="demo", links=links, rollups=True, env=running.env)
        document = status_document(settings, datetime.now(UTC))
        out.print(_render_status(document, StatusFormat.table))
        page = Path("status.html")
        _write(page, html_report.render(document))
        out.print(f"wrote {page.resolve()}: the status page a TPM opens or mails")
        raise typer.Exit(code)


@contextmanager
def _progress(options: Options) -> Iterator[Any]:
    if options.log_format is LogFormat.json or not err.is_terminal:
        yield None
        return
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True
    ) as bar:
        task = bar.add_task("pulling")
        yield lambda scope: bar.update(task, description=f"pulling {scope}")


def _render_status(document: StatusDocument, format: StatusFormat) -> Any:
    if format is StatusFormat.json:
        return document.model_dump_json(indent=2)
    if format is StatusFormat.markdown:
        return text_report.markdown(document)
    if format is StatusFormat.html:
        return html_report.render(document)
    if format is StatusFormat.email:
        return mail_report.message(document).as_string()
    return text_report.table(document)


def _report_cycle(
    options: Options,
    pulled: PullReport,
    synced: list[LinkOutcome],
    rolled: list[RollupOutcome],
    *,
    links: bool,
    rollups: bool,
    dry_run: bool,
) -> None:
    """Tables on stdout, one line per failure, conflict and warning on stderr."""
    if not dry_run:
        out.print(runs_report.pull_table(pulled))
    if links and dry_run and options.log_format is LogFormat.json:
        out.print_json(json.dumps(runs_report.plan_json(synced)))
    elif links:
        out.print(runs_report.plan_table(synced) if dry_run else runs_report.sync_table(synced))
        for line in [] if dry_run else runs_report.comment_lines(synced):
            out.print(line, markup=False, highlight=False)
    if rollups:
        out.print(runs_report.rollup_table(rolled, dry_run=dry_run))
        for where, text in runs_report.would_publish(rolled) if dry_run else []:
            out.print(f"\n{where} would read:", markup=False)
            out.print(text, markup=False, highlight=False)
    for line in runs_report.messages(pulled, synced, rolled):
        _complain(line)


def _write(path: Path, text: str) -> None:
    """Write a file the user named; a path that cannot be written is their mistake to fix."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the file: {exc.strerror}", path=str(path)) from None


def _complain(line: str) -> None:
    """One line on stderr, as every message to the user is shaped."""
    err.print(f"trackersync: {redact(line)}", markup=False, highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs a command and maps our errors to exit codes in one place.

    Usage errors are the command-line library's (exit 2), shown as one line like ours
    rather than its framed box; `typer.Exit` carries a command's own exit code.
    """
    try:
        code = app(args=argv, prog_name="trackersync", standalone_mode=False)
    except TrackersyncError as exc:
        _complain(f"{exc}")
        sys.exit(exc.exit_code)
    except NoArgsIsHelpError as exc:
        exc.show()  # `trackersync` alone: the help, as asked for
        sys.exit(exc.exit_code)
    except ClickException as exc:
        _complain(_usage_line(exc))
        sys.exit(exc.exit_code)
    except typer.Abort:
        _complain("aborted")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_line(exc: ClickException) -> str:
    """`Invalid value for '--format': ... (see `trackersync status --help`)`."""
    context = getattr(exc, "ctx", None)
    where = f" (see `{context.command_path} --help`)" if context is not None else ""
    return f"{exc.format_message()}{where}"


__all__ = ["__version__", "app", "main"]
