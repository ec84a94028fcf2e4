"""Operator commands: import now, and what the warehouse holds per entity."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.console import Console

from cynare.bootstrap import AppSettings, cloud_ports
from cynare.entrypoints.reporting import print_outcome, warehouse_table
from cynare.service_layer.import_extracts import import_extracts


def import_now() -> None:
    """Import every committed batch now (what the nightly timer does), whatever the time."""
    console = Console()
    settings = AppSettings.from_env()
    ports = cloud_ports(settings.storage, settings.inbound_container)
    outcomes = import_extracts(
        ports.inbox, ports.warehouse, ports.queue, lambda: datetime.now(UTC), lambda o: print_outcome(console, o)
    )
    if not outcomes:
        console.print("no committed batch is waiting in `inbound`")
    if any(outcome.status in {"rejected", "failed"} for outcome in outcomes):
        raise typer.Exit(1)


def status(entities: list[str]) -> None:
    """Documents by state for each entity."""
    console = Console()
    settings = AppSettings.from_env()
    ports = cloud_ports(settings.storage, settings.inbound_container)
    for code in entities:
        console.print(warehouse_table(ports.warehouse, code))
