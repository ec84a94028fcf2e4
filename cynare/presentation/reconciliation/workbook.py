"""The reconciliation workbook attached to the email: a summary sheet and one sheet per entity.

"Summary" has one row per entity and currency (an entity not reconciled: one row with why), then
each entity's control account check and the report's notices below. Each entity's sheet has one
row per explanation and one per unexplained remainder, so its Amount column adds up to the
entity's difference in each currency and what is unexplained is never netted away. Every table
has a frozen header row, a filter and set column widths; see `workbook_cells` for how text, money
and dates are written. Written in write-only mode: rows stream to the file as they are made.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Protocol, cast

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.dimensions import ColumnDimension, DimensionHolder
from openpyxl.worksheet.filters import AutoFilter

from cynare.domain.reconciliation import (
    ACTION,
    ClientDifference,
    CurrencyReconciliation,
    EntityReconciliation,
    ReconciliationReport,
)
from cynare.presentation.reconciliation.formatting import (
    UNEXPLAINED,
    UNEXPLAINED_ACTION,
    UNEXPLAINED_DETAIL,
    cause_text,
    day_text,
    status_label,
)
from cynare.presentation.reconciliation.sheet_names import SUMMARY_SHEET, entity_sheet_names
from cynare.presentation.reconciliation.workbook_cells import Cells

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (title, width in characters)
SUMMARY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Day", 12), ("Entity", 10), ("Organisation", 28), ("Status", 24), ("Needs someone", 14),
    ("Currency", 10), ("PMS as at", 12), ("PMS total", 18), ("Xero total", 18), ("Difference", 16),
    ("Explained", 16), ("Unexplained", 16), ("Change since yesterday", 16), ("Clients compared", 12),
    ("Clients with a difference", 12), ("Problem or notes", 60),
)  # fmt: skip
CONTROL_COLUMNS = (
    "Entity",
    "Account",
    "Currency",
    "Trial balance",
    "Open receivables",
    "Difference",
    "Tolerance",
    "Status",
)
ENTITY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Client id", 12), ("Client name", 32), ("Currency", 10), ("PMS balance", 16), ("Xero balance", 16),
    ("Difference", 16), ("Cause", 30), ("Document", 26), ("Amount", 16), ("Detail", 44), ("What to do", 60),
)  # fmt: skip


def reconciliation_workbook(report: ReconciliationReport) -> bytes:
    """The XLSX file's bytes."""
    book = Workbook(write_only=True)
    book.properties.title = f"Reconciliation for {day_text(report.day)}: {report.firm}"
    book.properties.creator = "Cynare Link"
    _summary_sheet(book.create_sheet(SUMMARY_SHEET), report)
    names = entity_sheet_names(e.entity for e in report.entities)
    for entity in report.entities:
        _entity_sheet(book.create_sheet(names[entity.entity]), entity)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class _FramedSheet(Protocol):
    """What a write-only sheet has (openpyxl's Worksheet._setup gives it) but openpyxl's stubs leave out."""

    column_dimensions: DimensionHolder[str, ColumnDimension]
    auto_filter: AutoFilter
    freeze_panes: str | None


def _table_frame(write_only: WriteOnlyWorksheet, columns: Sequence[tuple[str, int]], rows: int) -> None:
    """Widths, the frozen header row and the filter: all set before the first row is written."""
    sheet = cast(_FramedSheet, write_only)
    for index, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{rows + 1}"


def _summary_sheet(sheet: WriteOnlyWorksheet, report: ReconciliationReport) -> None:
    cells = Cells(sheet)
    rows = [list(_summary_rows(cells, report, e)) for e in report.entities]
    _table_frame(sheet, SUMMARY_COLUMNS, sum(len(r) for r in rows))
    sheet.append([cells.header(title) for title, _ in SUMMARY_COLUMNS])
    for entity_rows in rows:
        for row in entity_rows:
            sheet.append(row)
    controls = [e for e in report.entities if e.control is not None]
    if controls:
        sheet.append([])
        sheet.append([cells.header("Control account checks, in each entity's base currency")])
        sheet.append([cells.header(title) for title in CONTROL_COLUMNS])
        for entity in controls:
            sheet.append(_control_row(cells, entity))
    if report.notices:
        sheet.append([])
        sheet.append([cells.header("Notices")])
        for notice in report.notices:
            sheet.append([cells.text(notice)])


def _summary_rows(
    cells: Cells, report: ReconciliationReport, entity: EntityReconciliation
) -> Iterator[list[Cell | None]]:
    notes = " ".join((entity.problem, *entity.notes)).strip()

    def first() -> list[Cell | None]:
        # fresh cells for every row: openpyxl's write-only sheet reuses a cell it was given as scratch
        return [cells.day(report.day), cells.text(entity.entity), cells.text(entity.organisation)]

    if not entity.currencies:
        status = [cells.text(status_label(entity.status).words), cells.text(_yes(entity.needs_someone))]
        base = [cells.text(entity.base_currency), cells.day(entity.as_at)]
        yield [*first(), *status, *base, *[None] * 8, cells.text(notes, wrap=True)]
        return
    for currency in entity.currencies:
        code = currency.currency
        change = report.change_since_yesterday(entity.entity, code)
        yield [
            *first(),
            cells.text(status_label(currency.status).words),
            cells.text(_yes(currency.needs_someone)),
            cells.text(code),
            cells.day(entity.as_at),
            cells.money(currency.pms_total, code),
            cells.money(currency.xero_total, code),
            cells.money(currency.difference, code),
            cells.money(currency.explained, code),
            cells.money(currency.unexplained, code),
            cells.money(change, code),
            cells.number(currency.clients_compared),
            cells.number(sum(1 for c in currency.clients if c.difference)),
            cells.text(notes, wrap=True),
        ]


def _control_row(cells: Cells, entity: EntityReconciliation) -> list[Cell]:
    control = entity.control
    assert control is not None
    code = control.currency
    return [
        cells.text(entity.entity),
        cells.text(control.account),
        cells.text(code),
        cells.money(control.trial_balance, code),
        cells.money(control.open_items, code),
        cells.money(control.difference, code),
        cells.money(control.tolerance, code),
        cells.text(status_label(control.status).words),
    ]


def _entity_sheet(sheet: WriteOnlyWorksheet, entity: EntityReconciliation) -> None:
    cells = Cells(sheet)
    rows = sum(_line_count(c) for c in entity.currencies) or (1 if entity.problem else 0)
    _table_frame(sheet, ENTITY_COLUMNS, rows)
    sheet.append([cells.header(title) for title, _ in ENTITY_COLUMNS])
    if entity.problem:
        # in the Cause and Detail columns, so a filter on Cause finds it
        sheet.append([*[None] * 6, cells.text(status_label(entity.status).words), None, None,
                      cells.text(entity.problem, wrap=True)])  # fmt: skip
    for currency in entity.currencies:
        for client in currency.clients:
            for row in _client_rows(cells, client):
                sheet.append(row)


def _line_count(currency: CurrencyReconciliation) -> int:
    return sum(len(c.explanations) + (1 if c.unexplained else 0) for c in currency.clients)


def _client_rows(cells: Cells, client: ClientDifference) -> Iterator[list[Cell]]:
    code = client.currency

    def row(cause: str, document: str, amount: Decimal, detail: str, action: str) -> list[Cell]:
        return [
            cells.text(client.client_id),
            cells.text(client.name),
            cells.text(code),
            cells.money(client.pms, code),
            cells.money(client.xero, code),
            cells.money(client.difference, code),
            cells.text(cause),
            cells.text(document),
            cells.money(amount, code),
            cells.text(detail, wrap=True),
            cells.text(action, wrap=True),
        ]

    for explanation in client.explanations:
        yield row(cause_text(explanation.cause), explanation.document, explanation.amount, explanation.detail,
                  ACTION[explanation.cause])  # fmt: skip
    if client.unexplained:
        yield row(UNEXPLAINED, "client balance", client.unexplained, UNEXPLAINED_DETAIL, UNEXPLAINED_ACTION)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
