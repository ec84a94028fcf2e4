"""`cynare connect`, `post`, `sync`, `reconcile`, `exceptions`, `token-key`: the operator's commands.

Each reads the app's settings from the environment (as the Functions app does) and calls one use
case. Secrets are read from the environment or a prompt, never from the command line, where the
shell history and the process list would keep them.
"""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

exceptions = typer.Typer(help="Documents Xero refused and entities that stopped: list, retry, skip.",
                         no_args_is_help=True)  # fmt: skip
console = Console()


def _app():  # type: ignore[no-untyped-def]
    from cynare.bootstrap import AppSettings, bootstrap

    return bootstrap(AppSettings.from_env())


def _who() -> str:
    return f"{getpass.getuser()} (cynare command)"


def connect(
    entity: Annotated[str, typer.Argument(help="The entity, as in CYNARE_ENTITIES.")],
    client_id: Annotated[str, typer.Option(help="The custom connection's client id for this entity.")],
    secret_env: Annotated[
        str, typer.Option(help="Environment variable holding the client secret (else it is asked for).")
    ] = "XERO_CLIENT_SECRET",  # noqa: S107 - the name of a variable, not a secret
) -> None:
    """Bind an entity to the organisation its Xero custom connection reaches, after checking it is the right one."""
    secret = os.environ.get(secret_env) or getpass.getpass(f"client secret for {entity}'s custom connection: ")
    binding = _app().connect_custom(entity, client_id, secret, _who())
    console.print(f"{entity} is bound to {binding.organisation_name} ({binding.base_currency}, "
                  f"tenant {binding.tenant_id})")  # fmt: skip


def post(entity: Annotated[str, typer.Argument(help="The entity to post now.")]) -> None:
    """Post an entity's ready documents to its Xero organisation now (as the queue would)."""
    outcome = _app().post_to_xero(entity)
    console.print(f"{entity}: {outcome.status} {outcome.message}")
    for (dataset, result), count in sorted(outcome.tally.items()):
        console.print(f"  {dataset}: {count} {result}")
    console.print(f"  Xero calls {outcome.usage.calls}, 429s {outcome.usage.throttled}")


def sync(entity: Annotated[str | None, typer.Argument(help="One entity; all of them when left out.")] = None) -> None:
    """Read what changed in Xero and write the write-back documents for the agent."""
    app = _app()
    for outcome in [app.sync_from_xero(entity)] if entity else app.sync_all():
        console.print(f"{outcome.entity}: write-back {outcome.writeback_id or 'none'} {outcome.counts}")
        for problem in outcome.problems:
            console.print(f"  [red]{problem}[/]")


def reconcile() -> None:
    """Reconcile every entity's PMS debtors with its Xero now, keep the report and send it (email and Teams)."""
    from cynare.entrypoints.reporting import print_reconciliation

    outcome = _app().reconcile()
    print_reconciliation(console, outcome)
    raise typer.Exit(0 if all(d.sent for d in outcome.deliveries) else 1)


def token_key() -> None:
    """Print a new CYNARE_TOKEN_KEY (32 random bytes, base64): keep it in Key Vault, never in a file."""
    from cynare.adapters.secrets_box import SecretsBox

    print(SecretsBox.new_key_text())


@exceptions.command("list")
def list_command(entity: Annotated[str, typer.Argument(help="The entity.")]) -> None:
    """Every refused document with Xero's words and the action, and every issue that stopped the entity."""
    from cynare.service_layer.exceptions import list_exceptions

    found = list_exceptions(_app().uow, entity)
    for issue in found.issues:
        console.print(f"[bold]{issue.kind}[/] since {issue.at:%Y-%m-%d %H:%M} UTC: {issue.message}")
    table = Table("document", "PMS id", "since", "reason and action", title=f"{entity}: refused documents")
    for item in found.documents:
        table.add_row(str(item.key), item.source_id, f"{item.since:%Y-%m-%d %H:%M}" if item.since else "", item.reason)
    console.print(table)


@exceptions.command("retry")
def retry_command(entity: str, document: Annotated[str, typer.Argument(help="e.g. bills|B0042")]) -> None:
    """Send a refused document again on the next run (after its cause is fixed)."""
    from cynare.domain.documents import DocKey
    from cynare.service_layer.exceptions import retry

    app = _app()
    retry(app.uow, app.queue, entity, DocKey.parse(document), _who(), app.clock)
    console.print(f"{entity} {document} goes to Xero on the next run")


@exceptions.command("skip")
def skip_command(
    entity: str,
    document: Annotated[str, typer.Argument(help="e.g. bills|B0042")],
    note: Annotated[str, typer.Option(help="Why (e.g. 'entered in Xero by hand as INV-0042').")],
) -> None:
    """Settle a refused document outside Cynare Link, with a note: it is not sent again."""
    from cynare.domain.documents import DocKey
    from cynare.service_layer.exceptions import skip

    app = _app()
    skip(app.uow, entity, DocKey.parse(document), _who(), note, app.clock)
    console.print(f"{entity} {document} skipped: {note}")
