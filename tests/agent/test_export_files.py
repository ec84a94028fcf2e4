"""The export-file source: a folder of the PMS's own CSV exports with a column mapping."""

from __future__ import annotations

import csv
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from cynare.agent.bootstrap import build_extractor
from cynare.agent.errors import ExtractInputError
from cynare.agent.extract import Silent
from cynare.extract.batch import FolderBatch, validate_batch
from cynare.extract.datasets import DATASETS
from tests.agent.conftest import AS_AT, Workspace

# The PMS's own names for the bill header columns.
BILL_HEADERS = {"bill_id": "InvoiceID", "bill_number": "Invoice No", "client_id": "ClientRef", "date": "Invoice Date",
                "due_date": "Due", "currency": "Curr", "exchange_rate": "Rate", "total": "Gross"}  # fmt: skip
DATES = {"date", "due_date"}


def _uk_date(value: str) -> str:
    parsed = date.fromisoformat(value)
    return f"{parsed.day:02d}/{parsed.month:02d}/{parsed.year}"


def _export(workspace: Workspace, entity: str) -> Path:
    """Write what a PMS would export: dd/mm/yyyy dates, its own headers for bills, no debtors date."""
    folder = workspace.folder / "exports"
    folder.mkdir(exist_ok=True)
    with sqlite3.connect(workspace.database) as db:
        for name in DATASETS:
            query = workspace.folder / "queries" / f"{name}.sql"
            if not query.is_file():
                continue
            cursor = db.execute(query.read_text(encoding="utf-8"), {"entity": entity, "since": None, "as_at": "x"})
            columns = [d[0] for d in cursor.description]
            keep = [i for i, c in enumerate(columns) if c not in ("watermark", "as_at")]
            header = [BILL_HEADERS.get(columns[i], columns[i]) if name == "bills" else columns[i] for i in keep]
            with (folder / f"{entity}-{name}.csv").open("w", encoding="utf-8", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(header)
                for row in cursor:
                    writer.writerow(
                        _uk_date(row[i]) if columns[i] in DATES and row[i] else ("" if row[i] is None else row[i])
                        for i in keep
                    )
    return folder


def _configure(workspace: Workspace) -> None:
    lines = ["[source]", 'kind = "export_files"', 'folder = "exports"', 'date_format = "%d/%m/%Y"']
    for name in DATASETS:
        if not (workspace.folder / "queries" / f"{name}.sql").is_file():
            continue
        lines += [f"[source.datasets.{name}]", f'file = "{{entity}}-{name}.csv"']
        if name == "bills":
            lines.append("columns = { " + ", ".join(f'{k} = "{v}"' for k, v in BILL_HEADERS.items()) + " }")
        if name == "debtors":
            lines.append('constants = { as_at = "{as_at}" }')
    text = workspace.config_path.read_text(encoding="utf-8")
    start, end = text.index("[source]"), text.index("[storage]")
    workspace.config_path.write_text(text[:start] + "\n".join(lines) + "\n\n" + text[end:], encoding="utf-8")


def test_exports_become_a_valid_batch_and_an_unchanged_export_sends_nothing(workspace: Workspace) -> None:
    _export(workspace, "IE")
    _configure(workspace)
    config = workspace.config()
    extractor = build_extractor(config, workspace.state(), Silent())
    outcome = extractor.extract_entity("IE", as_at=AS_AT, full=False)
    assert outcome.batch_id and outcome.rows > 5000
    validated = validate_batch(FolderBatch(config.work_folder / "batches" / "IE" / outcome.batch_id))
    assert validated.rejections == []
    assert validated.counts()["bills"][1] > 1000
    again = extractor.extract_entity("IE", as_at=AS_AT, full=False)
    assert again.batch_id is None and again.note == "no changes since the last batch"


def test_a_mapped_column_missing_from_the_export_names_the_file_and_its_header(workspace: Workspace) -> None:
    folder = _export(workspace, "IE")
    _configure(workspace)
    bills = folder / "IE-bills.csv"
    bills.write_text(bills.read_text(encoding="utf-8").replace("Gross", "Total Gross", 1), encoding="utf-8")
    with pytest.raises(ExtractInputError) as raised:
        build_extractor(workspace.config(), workspace.state(), Silent()).extract_entity("IE", as_at=AS_AT, full=False)
    assert f"export file {bills}: column 'Gross' (mapped to total) is not in its header" in str(raised.value)
    assert "Total Gross" in str(raised.value)


def test_a_date_in_the_wrong_format_names_its_row(workspace: Workspace) -> None:
    folder = _export(workspace, "IE")
    _configure(workspace)
    receipts = folder / "IE-receipts.csv"
    lines = receipts.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[2] = "2026-03-04"
    lines[3] = ",".join(cells)
    receipts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(
        ExtractInputError,
        match=r"IE-receipts.csv: row 4, column 'date': '2026-03-04' is not a date in the format %d/%m/%Y",
    ):
        build_extractor(workspace.config(), workspace.state(), Silent()).extract_entity("IE", as_at=AS_AT, full=False)
