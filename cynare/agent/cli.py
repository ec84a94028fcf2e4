"""`cynare-agent`: the command line a firm's IT admin and the nightly scheduled task use.

Exit codes: 0 done, 1 the agent stopped on a problem it describes, 2 wrong usage.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cynare.agent.config import AgentConfig, load_config
from cynare.agent.errors import AgentError
from cynare.agent.logs import start_log
from cynare.agent.state import AgentState

app = typer.Typer(help="Cynare Link agent: extract the PMS, upload to Cynare Link, apply what comes back.")
demo_app = typer.Typer(help="The demo PMS: a sample firm's practice database.")
app.add_typer(demo_app, name="demo-pms")
console = Console(soft_wrap=True)  # whole lines: admins grep the output of scheduled runs
errors = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("cynare.agent")

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", envvar="CYNARE_AGENT_CONFIG", help="The agent's TOML configuration.")
]
FullOption = Annotated[bool, typer.Option("--full", help="Ignore watermarks: extract everything again.")]
AsAtOption = Annotated[
    str | None, typer.Option("--as-at", help="Extract date YYYY-MM-DD (default: today, UTC).", show_default=False)
]


def _as_at(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


@contextmanager
def _session(config_path: Path, command: str) -> Iterator[tuple[AgentConfig, AgentState]]:
    """Load the configuration, open the log and the state, and record the run with its outcome."""
    try:
        config = load_config(config_path)
    except AgentError as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    log_file = start_log(config.work_folder / "logs", command)
    from cynare.agent.bootstrap import open_state
    from cynare.agent.run_lock import run_lock

    state = open_state(config)
    run_id = state.start_run(command)
    try:
        with run_lock(config.work_folder):
            yield config, state
    except AgentError as exc:
        log.error("%s failed: %s", command, exc)
        state.finish_run(run_id, "failed", str(exc))
        errors.print(f"[red]error:[/red] {exc}", highlight=False)
        errors.print(f"log: {log_file}", highlight=False)
        raise typer.Exit(1) from None
    except typer.Exit as done:
        state.finish_run(run_id, "failed" if done.exit_code else "ok")
        raise
    else:
        state.finish_run(run_id, "ok")
        log.info("%s finished", command)
    finally:
        state.close()


def _extract(config: AgentConfig, state: AgentState, *, full: bool, as_at: date) -> None:
    from cynare.agent.bootstrap import build_extractor
    from cynare.agent.progress import RowProgress

    with RowProgress(console) as progress:
        outcomes = build_extractor(config, state, progress).run(config.agent.entities, as_at=as_at, full=full)
    for outcome in outcomes:
        batch = outcome.batch_id or "-"
        console.print(f"extract {outcome.entity}: {outcome.note} {batch} ({outcome.rows:,} rows)", highlight=False)


def _upload(config: AgentConfig, state: AgentState) -> None:
    from cynare.agent.bootstrap import build_uploader
    from cynare.agent.progress import RowProgress

    with RowProgress(console) as progress:
        outcomes = build_uploader(config, state, progress).upload_waiting()
    if not outcomes:
        console.print("upload: no batches waiting")
    for outcome in outcomes:
        console.print(
            f"upload {outcome.entity}/{outcome.batch_id}: {outcome.note} "
            f"({outcome.uploaded} sent, {outcome.skipped} already there)",
            highlight=False,
        )


def _writeback(config: AgentConfig, state: AgentState) -> bool:
    if config.writeback.mode == "off":
        console.print("writeback: off in the configuration")
        return True
    from cynare.agent.bootstrap import build_writeback

    outcomes, problems = build_writeback(config, state).run(config.agent.entities)
    if not outcomes and not problems:
        console.print("writeback: nothing waiting")
    for outcome in outcomes:
        console.print(
            f"writeback {outcome.entity}/{outcome.writeback_id}: {outcome.note} ({outcome.items} items), acknowledged",
            highlight=False,
        )
    for problem in problems:
        errors.print(f"[red]error:[/red] {problem}", highlight=False)
    return not problems


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the configuration.")] = Path("cynare-agent.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented configuration template."""
    if path.exists() and not force:
        errors.print(f"[red]error:[/red] {path} exists; use --force to overwrite it", highlight=False)
        raise typer.Exit(1)
    template = resources.files("cynare.agent").joinpath("init_template.toml").read_text(encoding="utf-8")
    path.write_text(template, encoding="utf-8")
    console.print(f"wrote {path}: edit it, then run `cynare-agent check --config {path}`", highlight=False)


@app.command()
def check(config: ConfigOption = Path("cynare-agent.toml")) -> None:
    """Check the configuration, the PMS connection and storage, and say what to fix."""
    from cynare.agent.check import run_checks

    try:
        loaded = load_config(config)
    except AgentError as exc:
        errors.print(f"[red]problem:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    findings = run_checks(loaded)
    colours = {"ok": "green", "warning": "yellow", "problem": "red"}
    for finding in findings:
        console.print(f"[{colours[finding.level]}]{finding.level}:[/] {finding.message}", highlight=False)
    if any(finding.level == "problem" for finding in findings):
        raise typer.Exit(1)


@app.command()
def extract(
    config: ConfigOption = Path("cynare-agent.toml"), full: FullOption = False, as_at: AsAtOption = None
) -> None:
    """Read the PMS into one batch per entity on local disk."""
    with _session(config, "extract") as (loaded, state):
        _extract(loaded, state, full=full, as_at=_as_at(as_at))


@app.command()
def upload(config: ConfigOption = Path("cynare-agent.toml")) -> None:
    """Upload committed batches (data files first, the manifest last)."""
    with _session(config, "upload") as (loaded, state):
        _upload(loaded, state)


@app.command()
def writeback(config: ConfigOption = Path("cynare-agent.toml")) -> None:
    """Apply what the cloud wrote back for the PMS, and acknowledge it."""
    with _session(config, "writeback") as (loaded, state):
        if not _writeback(loaded, state):
            raise typer.Exit(1)


@app.command()
def run(config: ConfigOption = Path("cynare-agent.toml"), full: FullOption = False, as_at: AsAtOption = None) -> None:
    """Extract, upload and apply write-backs: the nightly task."""
    with _session(config, "run") as (loaded, state):
        _extract(loaded, state, full=full, as_at=_as_at(as_at))
        _upload(loaded, state)
        if not _writeback(loaded, state):
            raise typer.Exit(1)


@app.command()
def status(config: ConfigOption = Path("cynare-agent.toml")) -> None:
    """Last runs, batches waiting to upload, write-backs waiting to apply."""
    loaded = _load_or_exit(config)
    from cynare.agent.bootstrap import open_state, writeback_inbox

    state = open_state(loaded)
    try:
        runs = Table("run", "command", "started (UTC)", "finished", "outcome", "message", title="Last runs")
        for record in state.last_runs():
            runs.add_row(str(record.id), record.command, record.started_at, record.finished_at or "-",
                         record.outcome or "running", (record.message or "")[:80])  # fmt: skip
        console.print(runs)
        waiting = state.batches(waiting_only=True)
        console.print(f"batches waiting to upload: {len(waiting)}", highlight=False)
        for batch in waiting:
            console.print(f"  {batch.entity}/{batch.batch_id} ({batch.rows:,} rows)", highlight=False)
        unacknowledged = state.writebacks(unacknowledged_only=True)
        console.print(f"write-backs applied but not acknowledged: {len(unacknowledged)}", highlight=False)
        if loaded.writeback.mode != "off":
            try:
                box = writeback_inbox(loaded)
                count = sum(len(list(box.list(f"{entity}/"))) for entity in loaded.agent.entities)
                console.print(f"write-backs waiting to apply: {count}", highlight=False)
            except AgentError as exc:
                console.print(f"write-backs waiting to apply: unknown ({exc})", highlight=False)
    finally:
        state.close()


def _load_or_exit(config: Path) -> AgentConfig:
    try:
        return load_config(config)
    except AgentError as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


@demo_app.command("create")
def demo_create(
    path: Annotated[Path, typer.Argument(help="The SQLite database file to write.")],
    scale: Annotated[int, typer.Option("--scale", min=1, help="1: ~2,400 clients; 57: ~1 million transactions.")] = 1,
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Build the demo PMS with its configuration and query files beside it."""
    from cynare.agent.demo_pms import write_demo_workspace
    from cynare.agent.demo_pms.generator import build_demo_pms

    summary = build_demo_pms(path, scale=scale, seed=seed)
    config = write_demo_workspace(path, scale=scale, seed=seed, build=False)
    console.print(
        f"demo PMS {summary.path}: {summary.clients:,} clients, {summary.transactions:,} transactions; "
        f"configuration {config}",
        highlight=False,
    )


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
