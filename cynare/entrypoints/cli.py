"""The `cynare` command: operator and local tools.

Sub-commands live beside the code they drive and are attached here lazily, so that
`cynare --help` stays fast and a missing optional dependency only breaks its own command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Cynare Link: operator and local tools.", no_args_is_help=True)
sandbox = typer.Typer(help="Local stand-ins for outside systems (Xero).", no_args_is_help=True)
app.add_typer(sandbox, name="sandbox")


def _attach_operator_commands() -> None:
    from cynare.entrypoints import operator_cli

    app.command()(operator_cli.connect)
    app.command()(operator_cli.post)
    app.command()(operator_cli.sync)
    app.command()(operator_cli.reconcile)
    app.command("token-key")(operator_cli.token_key)
    app.add_typer(operator_cli.exceptions, name="exceptions")


_attach_operator_commands()


@sandbox.command("xero")
def sandbox_xero(
    port: int = typer.Option(8765, help="Loopback port to listen on."),
    snapshot: str | None = typer.Option(None, help="Load state from this snapshot file at start."),
    time_scale: float = typer.Option(1.0, help="Seconds per emulated second (0.0167 makes a minute last 1 s)."),
    snapshot_dir: str | None = typer.Option(
        None, help="Folder for /_sandbox/snapshot/save and load (default ./xero-snapshots)."
    ),
    books: str | None = typer.Option(
        None, help="Organisations from this books file (JSON; default: the three sample organisations)."
    ),
) -> None:
    """Serve the local Xero emulator on 127.0.0.1 until stopped."""
    from cynare.sandbox.xero.cli import serve

    serve(port=port, snapshot=snapshot, time_scale=time_scale, snapshot_dir=snapshot_dir, books=books)


@sandbox.command("graph")
def sandbox_graph(
    port: int = typer.Option(8766, help="Loopback port to listen on."),
    out: str = typer.Option("out/graph", help="Folder for the sent messages (written to OUT/mail/*.eml)."),
    mailbox: str = typer.Option(
        "reconciliation@harrowvance.example", help="The one mailbox the app may send as (its RBAC scope)."
    ),
) -> None:
    """Serve the local Microsoft Graph stand-in (mail sending) on 127.0.0.1 until stopped."""
    from cynare.sandbox.graph.cli import serve

    serve(port=port, out=out, mailbox=mailbox)


@sandbox.command("teams")
def sandbox_teams(
    port: int = typer.Option(8767, help="Loopback port to listen on."),
    out: str = typer.Option("out", help="Folder for the accepted cards (written to OUT/teams/*.json)."),
) -> None:
    """Serve the local Teams stand-in (a Workflows webhook posting to a channel) on 127.0.0.1 until stopped."""
    from cynare.sandbox.teams.cli import serve

    serve(port=port, out=out)


@app.command()
def demo(
    workdir: str = typer.Option("out/demo", help="Where the demo keeps its files."),
    ui: bool = typer.Option(False, "--ui", help="Then serve the firm's pages on this machine until Ctrl-C."),
    port: int = typer.Option(8780, help="With --ui: the loopback port of the pages (a free one if taken)."),
) -> None:
    """Run a whole daily cycle on the sample firm against local Azurite and the local Xero."""
    from cynare.entrypoints.demo import run_demo

    raise typer.Exit(run_demo(workdir, ui=ui, ui_port=port))


@app.command("import")
def import_now() -> None:
    """Import every committed batch now (what the nightly timer does), whatever the time."""
    from cynare.entrypoints.operator import import_now as run

    run()


@app.command()
def status(
    entity: Annotated[
        list[str] | None, typer.Argument(help="Entity codes, e.g. UK IE US (default: every entity in CYNARE_ENTITIES).")
    ] = None,
) -> None:
    """What the warehouse holds for each entity: documents by state, holds and rejections by reason."""
    from cynare.entrypoints.operator import status as run

    run(entity or [])


@app.command()
def host(
    fire: Annotated[
        list[str] | None, typer.Option("--fire", help="Fire this timer function first (repeat for more; in order).")
    ] = None,
    drain: bool = typer.Option(True, "--drain/--no-drain", help="Hand queue messages to their functions until idle."),
    azurite: bool = typer.Option(
        True,
        "--azurite/--no-azurite",
        help="Start Azurite and point AzureWebJobsStorage and CYNARE_STORAGE_CONNECTION at it.",
    ),
    app_dir: str = typer.Option(".", help="The folder holding function_app.py, host.json and local.settings.json."),
) -> None:
    """Run the Functions app locally as the Functions host would: fire timers, drain queues, print a report."""
    from cynare.entrypoints.local_host import run_host

    raise typer.Exit(run_host(Path(app_dir), fire or [], drain=drain, azurite=azurite, echo=typer.echo))


def main() -> None:
    app()
