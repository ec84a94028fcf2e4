"""The SQL source and the extract: incremental runs, full re-extracts, and bad input with its message."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from cynare.agent.bootstrap import build_extractor
from cynare.agent.errors import ExtractInputError, SourceBusy
from cynare.agent.extract import Extractor, Silent
from cynare.extract.batch import FolderBatch, validate_batch
from tests.agent.conftest import AS_AT, Workspace


def _extractor(workspace: Workspace) -> Extractor:
    return build_extractor(workspace.config(), workspace.state(), Silent())


def _batches(workspace: Workspace, entity: str) -> list[Path]:
    return sorted(path for path in (workspace.folder / "cynare-agent-data" / "batches" / entity).iterdir())


def _rows(folder: Path, dataset: str) -> int:
    path = folder / f"{dataset}.csv"
    return sum(1 for _ in path.open(encoding="utf-8")) - 1 if path.is_file() else 0  # left out: unchanged


def _add_bill(database: Path, bill_id: str, modified_at: str) -> None:
    with sqlite3.connect(database) as db:
        db.execute(
            "INSERT INTO bills VALUES (?, 'UK', ?, 'C000001', '2026-11-21', '2026-12-21', 'GBP', '1', '240.00', NULL, ?)",
            (bill_id, f"UK-{bill_id}", modified_at),
        )
        db.execute(
            "INSERT INTO bill_lines VALUES (?, 1, 'Advice', '4000', 'S', '200.00', '40.00', 'LON', 'LIT', 'FE01')",
            (bill_id,),
        )


def test_incremental_run_reads_only_what_changed(workspace: Workspace) -> None:
    extractor = _extractor(workspace)
    first = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    assert first.batch_id and first.rows > 10_000

    assert extractor.extract_entity("UK", as_at=AS_AT, full=False).note == "no changes since the last batch"

    _add_bill(workspace.database, "B9000001", "2026-11-26T09:00:00")
    second = extractor.extract_entity("UK", as_at=date(2026, 11, 26), full=False)
    assert second.batch_id and second.batch_id != first.batch_id
    folder = workspace.folder / "cynare-agent-data" / "batches" / "UK" / second.batch_id
    assert _rows(folder, "bills") == 1 and _rows(folder, "bill_lines") == 1
    assert _rows(folder, "receipts") == 0 and _rows(folder, "clients") == 0
    assert _rows(folder, "debtors") > 1000  # the control figure is always whole
    validated = validate_batch(FolderBatch(folder))
    assert validated.rejections == []
    assert validated.manifest.period.start == date(2026, 11, 21)
    assert extractor.state.watermarks("UK")["bills"] == "2026-11-26T09:00:00"


def test_full_re_extract_ignores_watermarks_and_is_a_new_batch_under_the_next_sequence(workspace: Workspace) -> None:
    extractor = _extractor(workspace)
    first = extractor.extract_entity("US", as_at=AS_AT, full=True)
    again = extractor.extract_entity("US", as_at=AS_AT, full=True)
    assert again.batch_id != first.batch_id and again.rows == first.rows
    assert (first.sequence, again.sequence) == (1, 2) and again.note == "new batch"
    assert len(_batches(workspace, "US")) == 2


def _edit_query(workspace: Workspace, dataset: str, old: str, new: str) -> Path:
    path = workspace.folder / "queries" / f"{dataset}.sql"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_misnamed_column_names_the_query_file_the_column_and_what_was_expected(workspace: Workspace) -> None:
    path = _edit_query(workspace, "bills", "bill_date AS date", "bill_date AS bill_date")
    with pytest.raises(ExtractInputError) as raised:
        _extractor(workspace).extract_entity("UK", as_at=AS_AT, full=False)
    message = str(raised.value)
    assert str(path) in message
    assert "'bill_date' is not a column of bills.csv (did you mean 'date'?)" in message
    assert "expected the columns bill_id, bill_number, client_id, date" in message


def test_a_missing_column_names_it(workspace: Workspace) -> None:
    path = _edit_query(workspace, "receipts", "fx_rate AS exchange_rate, ", "")
    with pytest.raises(ExtractInputError) as raised:
        _extractor(workspace).extract_entity("IE", as_at=AS_AT, full=False)
    assert f"query file {path}: column 'exchange_rate' is missing; receipts.csv expects the columns" in str(
        raised.value
    )


def test_an_unparseable_value_names_its_row_and_nothing_half_done_is_left(workspace: Workspace) -> None:
    with sqlite3.connect(workspace.database) as db:
        db.execute(
            "UPDATE bills SET total = '1.234,50' WHERE bill_id = (SELECT MIN(bill_id) FROM bills WHERE entity = 'UK')"
        )
    extractor = _extractor(workspace)
    with pytest.raises(ExtractInputError) as raised:
        extractor.extract_entity("UK", as_at=AS_AT, full=False)
    # rows numbered as in bills.csv and by the import: the header is row 1
    assert re.search(
        r"entity UK, dataset bills, query file \S+bills.sql: bills.csv row 2 \(bill_id \S+\), column 'total': "
        r"'1.234,50' is not a decimal number",
        str(raised.value),
    )
    assert _batches(workspace, "UK") == []  # no batch folder, not even a hidden half-written one
    assert extractor.state.watermarks("UK") == {}


def test_a_missing_required_value_names_its_row(workspace: Workspace) -> None:
    with sqlite3.connect(workspace.database) as db:
        db.execute(
            "UPDATE clients SET name = '' WHERE client_id = (SELECT client_id FROM clients WHERE entity = 'US' ORDER BY client_id LIMIT 1 OFFSET 2)"
        )
    with pytest.raises(
        ExtractInputError, match=r"clients.sql: clients.csv row 4 \(client_id \S+\), column 'name': a value is required"
    ):
        _extractor(workspace).extract_entity("US", as_at=AS_AT, full=False)


def _lock(database: Path) -> sqlite3.Connection:
    holder = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def test_a_locked_pms_is_retried_later(workspace: Workspace) -> None:
    workspace.edit_config("busy_wait_seconds = 2", "busy_wait_seconds = 0.05")
    holder = _lock(workspace.database)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            holder.execute("ROLLBACK")  # the PMS finishes its work

    extractor = _extractor(workspace)
    extractor.sleep = sleep
    outcome = extractor.extract_entity("US", as_at=AS_AT, full=False)
    holder.close()
    assert outcome.batch_id is not None
    assert waits == [0.05, 0.1]  # waited longer each time


def test_a_pms_locked_through_every_retry_says_so_and_writes_nothing(workspace: Workspace) -> None:
    workspace.edit_config("busy_retries = 5", "busy_retries = 2")
    workspace.edit_config("busy_wait_seconds = 2", "busy_wait_seconds = 0.05")
    holder = _lock(workspace.database)
    extractor = _extractor(workspace)
    extractor.sleep = lambda seconds: None
    try:
        with pytest.raises(
            SourceBusy, match="still locked or busy after 3 attempts: nothing was written for entity US"
        ):
            extractor.extract_entity("US", as_at=AS_AT, full=False)
    finally:
        holder.close()
    assert _batches(workspace, "US") == []


def test_watermarks_keep_their_type_between_runs() -> None:
    from datetime import datetime
    from decimal import Decimal

    from cynare.agent.extract import _storable, restore_watermark

    for value in ("2026-11-26T09:00:00", 42, datetime(2026, 11, 26, 9, 0, 0, 123456), date(2026, 11, 26),
                  b"\x00\x00\x00\x00\x00\x01\x86\xa0", Decimal("17.5")):  # fmt: skip
        assert restore_watermark(_storable(value)) == value
