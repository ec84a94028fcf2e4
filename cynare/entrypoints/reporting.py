"""Readable summaries of what the warehouse holds, for the `cynare` command and the demo."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cynare.domain.documents import POSTING_ORDER
from cynare.domain.lifecycle import State
from cynare.service_layer.import_batch import ImportOutcome
from cynare.service_layer.ports import Warehouse

_STATES = [state.value for state in State]


def print_outcome(console: Console, outcome: ImportOutcome) -> None:
    read = sum(counts[0] for counts in outcome.rows.values())
    rejected = sum(counts[2] for counts in outcome.rows.values())
    line = f"{outcome.entity} batch {outcome.batch_id}: {outcome.status}"
    if outcome.status == "imported":
        documents = outcome.documents
        line += (
            f", {read:,} rows read, {rejected:,} rejected; documents {documents.created:,} new, "
            f"{documents.changed:,} changed, {documents.unchanged:,} unchanged, {outcome.waiting:,} waiting"
        )
    elif outcome.reason:
        line += f": {outcome.reason}"
    console.print(line)


def warehouse_table(warehouse: Warehouse, entity: str) -> Table:
    table = Table(title=f"Entity {entity}: documents by state (extract rows in brackets)")
    table.add_column("dataset", no_wrap=True, min_width=20)
    for state in _STATES:
        table.add_column(state, justify="right")
    cells: dict[str, dict[str, tuple[int, int]]] = {}
    for dataset, state, documents, rows in warehouse.summary(entity):
        cells.setdefault(dataset, {})[state] = (documents, rows)
    for dataset in POSTING_ORDER:
        if dataset not in cells:
            continue
        row = [dataset]
        for state in _STATES:
            documents, rows = cells[dataset].get(state, (0, 0))
            row.append("" if not documents else f"{documents:,}" + (f" ({rows:,})" if rows != documents else ""))
        table.add_row(*row)
    return table
