"""`cynare-agent`: the command line a firm's IT admin and the nightly scheduled task use.

Exit codes: 0 done, 1 the agent stopped on a problem it describes, 2 wrong usage.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cynare.agent.config import AgentConfig, load_config
from cynare.agent.errors import AgentError, StepFailures
from cynare.agent.logs import start_log
from cynare.agent.redact import redact
from cynare.agent.schedule import TargetOS
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
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Show what would be sent: nothing is uploaded, nothing recorded, watermarks stay."),
]


def agent_version() -> str:
    try:
        return metadata.version("cynare-link")  # the distribution's name (pyproject.toml)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        import cynare

        return str(getattr(cynare, "__version__", "unknown"))


def _show_version(value: bool) -> None:
    if value:
        from cynare.extract.datasets import FORMAT_VERSION

        console.print(f"cynare-agent {agent_version()} (writes extract format version {FORMAT_VERSION})")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_show_version, help="Show the version and exit.")
    ] = False,
) -> None:
    """Cynare Link agent: extract the PMS, upload to Cynare Link, apply what comes back."""


def _as_at(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


@dataclass(frozen=True, slots=True)
class Session:
    config: AgentConfig
    state: AgentState
    log_file: Path
    scratch: Path | None = None  # a dry run's folder: batches and the throwaway state go there

    @property
    def dry_run(self) -> bool:
        return self.scratch is not None


@contextmanager
def _session(config_path: Path, command: str, *, dry_run: bool = False) -> Iterator[Session]:
    """Load the configuration, open the log and the state, and record the run with its outcome.

    Whatever stops a run is recorded as failed and shown in one line with the log's path; an
    unexpected error's traceback goes to the log only. A dry run works on a throwaway copy of
    the state in a scratch folder, records nothing and takes no lock.
    """
    config = _load_or_exit(config_path)
    from cynare.agent.bootstrap import open_state, scratch_state
    from cynare.agent.run_lock import run_lock

    with ExitStack() as stack:
        scratch: Path | None = None
        try:
            log_file = start_log(config.work_folder / "logs", f"{command} --dry-run" if dry_run else command)
            if dry_run:
                scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cynare-agent-dry-run-")))
                state = scratch_state(config, scratch)
            else:
                state = open_state(config)
        except (OSError, sqlite3.Error) as exc:  # before the state is open there is nowhere to record the run
            errors.print(
                f"[red]error:[/red] cannot use the work folder {config.work_folder} ({exc}): check agent.work_folder "
                "and that the account running the agent may write there",
                highlight=False,
            )
            raise typer.Exit(1) from None
        stack.callback(state.close)  # before the scratch folder goes: Windows will not delete an open file
        run_id = None if dry_run else state.start_run(command)

        def finish(outcome: str, message: str = "") -> None:
            if run_id is not None:
                state.finish_run(run_id, outcome, message)

        try:
            with nullcontext() if dry_run else run_lock(config.work_folder):
                yield Session(config, state, log_file, scratch)
        except StepFailures as exc:
            log.error("%s finished with failures: %s", command, exc)
            finish("failed", str(exc))
            errors.print(
                f"[red]error:[/red] {len(exc.failures)} failure(s), each on its own line above; the other entities "
                f"and steps went on. log: {log_file}",
                highlight=False,
            )
            raise typer.Exit(1) from None
        except AgentError as exc:
            log.error("%s failed: %s", command, exc)
            finish("failed", str(exc))
            errors.print(f"[red]error:[/red] {exc}", highlight=False)
            errors.print(f"log: {log_file}", highlight=False)
            raise typer.Exit(1) from None
        except typer.Exit as done:
            finish("failed" if done.exit_code else "ok")
            raise
        except Exception as exc:
            message = _unexpected(exc)
            log.error("%s: %s", message, redact("".join(traceback.format_exception(exc))))
            finish("failed", message)
            errors.print(f"[red]error:[/red] {message}; the log has the details: {log_file}", highlight=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            finish("failed", "interrupted")
            raise
        else:
            finish("ok")
            log.info("%s finished", command)


def _unexpected(exc: BaseException) -> str:
    """One line for the console and the run history: never a traceback, never a secret."""
    text = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__
    return redact(f"the agent stopped on an unexpected error ({detail})")


def _extract(session: Session, *, full: bool, as_at: date) -> list[str]:
    """Extract each entity on its own: one entity's failure is reported and the others go on."""
    from cynare.agent.bootstrap import build_extractor
    from cynare.agent.dry_run import describe
    from cynare.agent.extract import EntityOutcome
    from cynare.agent.progress import RowProgress

    config = session.config
    batches = session.scratch / "batches" if session.scratch is not None else None
    results: list[EntityOutcome | tuple[str, AgentError]] = []
    with RowProgress(console) as progress:
        extractor = build_extractor(config, session.state, progress, batches=batches)
        for entity in config.agent.entities:
            try:
                results.append(extractor.extract_entity(entity, as_at=as_at, full=full))
            except AgentError as exc:
                log.error("extract %s failed: %s", entity, exc)
                results.append((entity, exc))
    failures = []
    for result in results:
        if isinstance(result, tuple):
            entity, error = result
            errors.print(f"extract {entity}: failed: {error}", highlight=False)
            failures.append(f"extract {entity}: {error}")
        elif batches is not None:
            for line in describe(result, batches, config.work_folder / "batches"):
                console.print(line, highlight=False)
        else:
            batch = result.batch_id or "-"
            console.print(f"extract {result.entity}: {result.note} {batch} ({result.rows:,} rows)", highlight=False)
    if batches is not None:
        console.print("dry run: nothing was uploaded and nothing recorded; watermarks did not move", highlight=False)
    return failures


def _upload(session: Session) -> list[str]:
    from cynare.agent.bootstrap import build_uploader
    from cynare.agent.progress import RowProgress

    if session.scratch is not None:
        scratch = session.scratch
        earlier = [b for b in session.state.batches(waiting_only=True) if not b.folder.is_relative_to(scratch)]
        console.print(
            f"upload: skipped (dry run); besides the batches above, {len(earlier)} batch(es) from earlier runs "
            "wait to upload",
            highlight=False,
        )
        return []
    with RowProgress(console) as progress:
        outcomes, failures = build_uploader(session.config, session.state, progress).upload_each()
    if not outcomes and not failures:
        console.print("upload: no batches waiting")
    for outcome in outcomes:
        counts = "" if outcome.held else f" ({outcome.uploaded} sent, {outcome.skipped} already there)"
        console.print(f"upload {outcome.entity}/{outcome.batch_id}: {outcome.note}{counts}", highlight=False)
    for failure in failures:
        errors.print(f"upload {failure.entity}/{failure.batch_id}: failed: {failure.error}", highlight=False)
    return [f"upload {failure.entity}/{failure.batch_id}: {failure.error}" for failure in failures]


def _writeback(session: Session) -> list[str]:
    config = session.config
    if session.dry_run:
        console.print("writeback: skipped (dry run)")
        return []
    if config.writeback.mode == "off":
        console.print("writeback: off in the configuration")
        return []
    from cynare.agent.bootstrap import build_writeback

    outcomes, problems = build_writeback(config, session.state).run(config.agent.entities)
    if not outcomes and not problems:
        console.print("writeback: nothing waiting")
    for outcome in outcomes:
        console.print(
            f"writeback {outcome.entity}/{outcome.writeback_id}: {outcome.note} ({outcome.items} items), acknowledged",
            highlight=False,
        )
    for problem in problems:
        errors.print(f"[red]error:[/red] {problem}", highlight=False)
    return [f"writeback: {problem}" for problem in problems]


def _step(name: str, action: Callable[[], list[str]]) -> list[str]:
    """A step of `run` that stops whole (storage unreachable, a wrong setting) lets the next steps go."""
    try:
        return action()
    except AgentError as exc:
        log.error("%s failed: %s", name, exc)
        errors.print(f"{name}: failed: {exc}", highlight=False)
        return [f"{name}: {exc}"]


def _stop_on(failures: list[str]) -> None:
    if failures:
        raise StepFailures(failures)


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
    try:
        findings = run_checks(loaded)
    except Exception as exc:  # a bug, or something no check foresaw: one line here, the traceback in the log
        message = _unexpected(exc)
        log_file = start_log(loaded.work_folder / "logs", "check")
        log.error("%s: %s", message, redact("".join(traceback.format_exception(exc))))
        errors.print(f"[red]problem:[/red] {message}; the log has the details: {log_file}", highlight=False)
        raise typer.Exit(1) from None
    colours = {"ok": "green", "warning": "yellow", "problem": "red"}
    for finding in findings:
        console.print(f"[{colours[finding.level]}]{finding.level}:[/] {finding.message}", highlight=False)
    if any(finding.level == "problem" for finding in findings):
        raise typer.Exit(1)


@app.command()
def extract(
    config: ConfigOption = Path("cynare-agent.toml"),
    full: FullOption = False,
    as_at: AsAtOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Read the PMS into one batch per entity on local disk."""
    day = _as_at(as_at)  # a wrong date is a usage error (exit 2), not a failed run
    with _session(config, "extract", dry_run=dry_run) as session:
        _stop_on(_extract(session, full=full, as_at=day))


@app.command()
def upload(config: ConfigOption = Path("cynare-agent.toml")) -> None:
    """Upload committed batches (data files first, the manifest last)."""
    with _session(config, "upload") as session:
        _stop_on(_upload(session))


@app.command()
def writeback(config: ConfigOption = Path("cynare-agent.toml")) -> None:
    """Apply what the cloud wrote back for the PMS, and acknowledge it."""
    with _session(config, "writeback") as session:
        _stop_on(_writeback(session))


@app.command()
def run(
    config: ConfigOption = Path("cynare-agent.toml"),
    full: FullOption = False,
    as_at: AsAtOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Extract, upload and apply write-backs: the nightly task. One entity's failure does not stop the others."""
    day = _as_at(as_at)
    with _session(config, "run", dry_run=dry_run) as session:
        failures = _step("extract", lambda: _extract(session, full=full, as_at=day))
        failures += _step("upload", lambda: _upload(session))
        failures += _step("writeback", lambda: _writeback(session))
        if not dry_run:
            _prune(session, session.config.agent.keep_days)
        _stop_on(failures)


@app.command("prune")
def prune_command(
    config: ConfigOption = Path("cynare-agent.toml"),
    keep_days: Annotated[
        int | None, typer.Option("--keep-days", min=0, help="Days to keep (default: agent.keep_days).")
    ] = None,
) -> None:
    """Delete uploaded batch folders and log files older than agent.keep_days (`run` does it after each night)."""
    with _session(config, "prune") as session:
        _prune(session, session.config.agent.keep_days if keep_days is None else keep_days)


def _prune(session: Session, keep_days: int) -> None:
    """A folder that cannot be deleted is a warning: the night's data went, and the next run tries again."""
    from cynare.agent.prune import prune

    try:
        pruned = prune(session.config.work_folder, session.state.batches(), keep_days, datetime.now(UTC))
    except OSError as exc:
        log.warning("prune failed: %s", exc)
        errors.print(f"warning: prune: {exc}; check that the account running the agent may delete in "
                     f"{session.config.work_folder}", highlight=False)  # fmt: skip
        return
    for reason in pruned.kept:
        log.info("prune: %s", reason)
    log.info("%s", pruned.summary(keep_days))
    if pruned.batches or pruned.logs:
        console.print(pruned.summary(keep_days), highlight=False)


@app.command("schedule")
def schedule_command(
    target: Annotated[TargetOS, typer.Option("--os", help="The PMS server's operating system.")],
    at: Annotated[str, typer.Option("--at", help="Time of day, HH:MM on the 24-hour clock, server time.")] = "01:00",
    config: ConfigOption = Path("cynare-agent.toml"),
    out: Annotated[Path | None, typer.Option("--out", help="Write the files into this folder instead.")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Windows: DOMAIN\\account (else asked for); Linux: default cynare.")
    ] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Full path of cynare-agent (default: this one).")] = None,
    xml: Annotated[bool, typer.Option("--xml", help="Windows: print the task XML instead of the PowerShell.")] = False,
) -> None:
    """Print (or write with --out) the nightly task: Task Scheduler on Windows, a systemd timer on Linux."""
    from cynare.agent.schedule import files_for, next_steps, request_for

    try:
        request = request_for(target, at, config, agent=agent, user=user)
    except ValueError as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    files = files_for(request)
    if out is None:
        if target is TargetOS.WINDOWS:  # one of the two: the XML, or the script that carries it
            files = files[:1] if xml else files[1:]
        for file in files:
            typer.echo(file.text)
        return
    out.mkdir(parents=True, exist_ok=True)
    for file in files:
        (out / file.name).write_text(file.text, encoding=file.encoding)
        typer.echo(f"wrote {out / file.name}")
    for line in next_steps(request, out.resolve()):
        typer.echo(line)


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
