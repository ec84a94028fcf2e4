"""Operator commands: import now, and what the warehouse holds per entity."""

from __future__ import annotations

import typer
from rich.console import Console

from cynare.bootstrap import AppSettings, bootstrap
from cynare.entrypoints.reporting import print_outcome, status_view
from cynare.service_layer.import_batch import ImportStatus
from cynare.service_layer.status import entity_status


def import_now() -> None:
    """Import every committed batch now (what the nightly timer does), whatever the time."""
    console = Console()
    app = bootstrap(AppSettings.from_env())
    outcomes = app.import_extracts(lambda outcome: print_outcome(console, outcome))
    if not outcomes:
        console.print("no committed batch is waiting in `inbound`")
    if any(outcome.status in {ImportStatus.REJECTED, ImportStatus.FAILED} for outcome in outcomes):
        raise typer.Exit(1)


def status(entities: list[str]) -> None:
    """Documents by state, holds and row rejections by reason, and refused batches, for each entity."""
    console = Console()
    settings = AppSettings.from_env()
    app = bootstrap(settings)
    for code in entities or sorted(settings.entities):
        console.print(status_view(entity_status(app.uow, code)))
