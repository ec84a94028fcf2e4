"""Write-back on Azurite and the demo PMS: applied once and only once, then acknowledged."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient

from cynare.agent.bootstrap import build_extractor, build_writeback
from cynare.agent.extract import Silent
from cynare.extract.writeback import (
    Acknowledgement,
    PaymentDeleted,
    Posted,
    Rejected,
    WritebackDocument,
    XeroAllocation,
    XeroReceipt,
)
from tests.agent.conftest import AS_AT, Workspace

pytestmark = pytest.mark.azurite


def _facts(database: Path) -> tuple[str, str, str, str]:
    """An unpaid UK bill with its client, and a PMS receipt of another bill."""
    with sqlite3.connect(database) as db:
        bill, client, total = db.execute(
            "SELECT b.bill_id, b.client_id, b.total FROM bills b WHERE b.entity = 'UK' AND b.currency = 'GBP' "
            "AND NOT EXISTS (SELECT 1 FROM receipt_allocations a WHERE a.bill_id = b.bill_id) "
            "AND NOT EXISTS (SELECT 1 FROM credit_notes c WHERE c.bill_id = b.bill_id) "
            "AND NOT EXISTS (SELECT 1 FROM write_offs w WHERE w.bill_id = b.bill_id) "
            "AND NOT EXISTS (SELECT 1 FROM allocations l WHERE l.bill_id = b.bill_id) ORDER BY b.bill_id LIMIT 1"
        ).fetchone()
        receipt = db.execute(
            "SELECT receipt_id FROM receipts WHERE entity = 'UK' ORDER BY receipt_id LIMIT 1"
        ).fetchone()[0]
    return bill, client, total, receipt


def _document(database: Path, writeback_id: str = "WB-0001") -> WritebackDocument:
    bill, _, total, receipt = _facts(database)
    return WritebackDocument(
        writeback_id=writeback_id,
        entity="UK",
        created_at=datetime(2026, 11, 26, 6, 0, tzinfo=UTC),
        items=(
            Posted(dataset="bills", pms_id=bill, xero_id="1f0a0000-0000-4000-8000-000000000001", xero_number="INV-0001"),
            Rejected(dataset="clients", pms_id="C000002", reason="Contact name is already used by another contact in Xero"),
            XeroReceipt(
                xero_payment_id="2f0a0000-0000-4000-8000-000000000002", pms_bill_id=bill, date=date(2026, 11, 24),
                currency="GBP", amount=Decimal(total), xero_bank_account_code="090", reference="BACS 123",
            ),
            XeroAllocation(
                xero_allocation_id="3f0a0000-0000-4000-8000-000000000003", source_kind="overpayment",
                source_xero_id="4f0a0000-0000-4000-8000-000000000004", pms_bill_id=bill, date=date(2026, 11, 24),
                currency="GBP", amount=Decimal("0.01"),
            ),
            PaymentDeleted(
                xero_payment_id="5f0a0000-0000-4000-8000-000000000005", pms_receipt_id=receipt, pms_bill_id=bill,
                date=date(2026, 11, 25),
            ),
        ),
    )  # fmt: skip


def _service(storage_connection: str) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(storage_connection)


def _put(storage_connection: str, container: str, document: WritebackDocument) -> None:
    client = _service(storage_connection).get_container_client(container)
    if not client.exists():
        client.create_container()
    client.upload_blob(document.blob_name, document.to_json(), overwrite=True)


_TOUCHED = ("receipts", "receipt_allocations", "returned_receipts", "allocations", "xero_links", "cynare_writebacks")


def _snapshot(database: Path) -> str:
    """The content of every table a write-back may change."""
    digest = hashlib.sha256()
    with sqlite3.connect(database) as db:
        for table in _TOUCHED:
            for row in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def test_document_round_trips_with_amounts_as_strings() -> None:
    document = WritebackDocument(
        writeback_id="W1", entity="UK", created_at=datetime(2026, 11, 26, tzinfo=UTC),
        items=(XeroReceipt(xero_payment_id="p", pms_bill_id="B1", date=date(2026, 11, 1), currency="GBP",
                           amount=Decimal("10.50"), xero_bank_account_code="090"),),
    )  # fmt: skip
    data = json.loads(document.to_json())
    assert data["items"][0]["amount"] == "10.50" and data["format_version"] == "1"
    assert WritebackDocument.parse(document.to_json()) == document
    with pytest.raises(ValueError, match="more decimal places than JPY allows"):
        XeroReceipt(xero_payment_id="p", pms_bill_id="B1", date=date(2026, 11, 1), currency="JPY",
                    amount=Decimal("10.5"), xero_bank_account_code="090")  # fmt: skip


def test_applied_once_and_only_once_then_acknowledged(storage_workspace: Workspace, storage_connection: str) -> None:
    config = storage_workspace.config()
    database = storage_workspace.database
    bill, client, total, receipt = _facts(database)
    document = _document(database)
    _put(storage_connection, config.storage.writeback_container, document)
    state = storage_workspace.state()

    outcomes, problems = build_writeback(config, state).run(["UK", "IE"])
    assert problems == [] and [(o.writeback_id, o.note, o.items) for o in outcomes] == [("WB-0001", "applied", 5)]
    with sqlite3.connect(database) as db:
        assert db.execute(
            "SELECT status, xero_id, xero_number FROM xero_links WHERE pms_id = ?", (bill,)
        ).fetchone() == ("posted", "1f0a0000-0000-4000-8000-000000000001", "INV-0001")
        assert db.execute("SELECT status FROM xero_links WHERE pms_id = 'C000002'").fetchone() == ("rejected",)
        assert db.execute(
            "SELECT client_id, amount, bank_code, origin FROM receipts WHERE xero_payment_id LIKE '2f0a%'"
        ).fetchone() == (client, total, "UK-BANK1", "xero")
        assert db.execute(
            "SELECT COUNT(*) FROM returned_receipts WHERE receipt_id = ? AND origin = 'xero'", (receipt,)
        ).fetchone() == (1,)
        balance = db.execute(
            "SELECT SUM(cents) FROM client_ledger WHERE client_id = ? AND currency = 'GBP'", (client,)
        ).fetchone()[0]

    service = _service(storage_connection)
    inbound = service.get_container_client(config.storage.inbound_container)
    ack = Acknowledgement.model_validate_json(inbound.download_blob("_acks/UK/WB-0001.json").readall())
    assert ack.items == 5 and ack.writeback_id == "WB-0001"
    assert list(service.get_container_client(config.storage.writeback_container).list_blobs()) == []

    # The cloud sends it again: nothing changes in the PMS, and it is acknowledged again.
    before = _snapshot(database)
    _put(storage_connection, config.storage.writeback_container, document)
    outcomes, _ = build_writeback(config, state).run(["UK"])
    assert [o.note for o in outcomes] == ["already applied"]
    assert _snapshot(database) == before
    # Even with the agent's own state lost, the PMS's record refuses a second application.
    state.close()
    (config.work_folder / "state.sqlite").unlink()
    _put(storage_connection, config.storage.writeback_container, document)
    outcomes, _ = build_writeback(config, storage_workspace.state()).run(["UK"])
    assert [o.note for o in outcomes] == ["already in the PMS"]
    assert _snapshot(database) == before
    with sqlite3.connect(database) as db:
        assert (
            db.execute(
                "SELECT SUM(cents) FROM client_ledger WHERE client_id = ? AND currency = 'GBP'", (client,)
            ).fetchone()[0]
            == balance
        )


def test_xero_receipts_reach_debtors_but_are_not_extracted_again(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    config = storage_workspace.config()
    state = storage_workspace.state()
    extractor = build_extractor(config, state, Silent())
    extractor.extract_entity("UK", as_at=AS_AT, full=False)
    _put(storage_connection, config.storage.writeback_container, _document(storage_workspace.database))
    build_writeback(config, state).run(["UK"])
    outcome = extractor.extract_entity("UK", as_at=date(2026, 11, 26), full=False)
    assert outcome.batch_id
    folder = config.work_folder / "batches" / "UK" / outcome.batch_id
    with (folder / "receipts.csv").open(encoding="utf-8") as stream:
        assert list(csv.DictReader(stream)) == []
    _, client, _, _ = _facts(storage_workspace.database)
    with (folder / "debtors.csv").open(encoding="utf-8") as stream:
        balances = {row["client_id"]: row["balance"] for row in csv.DictReader(stream) if row["currency"] == "GBP"}
    assert client in balances


def test_a_document_that_fails_applies_nothing_and_stays_for_the_next_run(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    config = storage_workspace.config()
    database = storage_workspace.database
    good = _document(database)
    broken = good.model_copy(
        update={"items": (*good.items[:2], good.items[2].model_copy(update={"pms_bill_id": "NO-SUCH-BILL"}))}
    )
    _put(storage_connection, config.storage.writeback_container, broken)
    before = _snapshot(database)
    outcomes, problems = build_writeback(config, storage_workspace.state()).run(["UK"])
    assert outcomes == []
    assert len(problems) == 1 and "write-back WB-0001 item 3 (xero_receipt) statement 1" in problems[0]
    assert "nothing of the document was applied" in problems[0]
    assert _snapshot(database) == before
    remaining = [
        b.name
        for b in _service(storage_connection).get_container_client(config.storage.writeback_container).list_blobs()
    ]
    assert remaining == ["UK/WB-0001.json"]


def test_csv_mode_writes_files_for_the_pms_import(storage_workspace: Workspace, storage_connection: str) -> None:
    storage_workspace.edit_config('mode = "sql"', 'mode = "csv"')
    config = storage_workspace.config()
    _put(storage_connection, config.storage.writeback_container, _document(storage_workspace.database))
    outcomes, problems = build_writeback(config, storage_workspace.state()).run(["UK"])
    assert problems == [] and outcomes[0].note == "applied"
    folder = config.resolve(config.writeback.csv_folder) / "UK" / "WB-0001"
    assert sorted(path.name for path in folder.iterdir()) == [
        "applied.txt", "payment_deleted.csv", "posted.csv", "rejected.csv", "xero_allocation.csv", "xero_receipt.csv"]  # fmt: skip
    with (folder / "xero_receipt.csv").open(encoding="utf-8") as stream:
        row = next(csv.DictReader(stream))
    assert row["currency"] == "GBP" and row["xero_bank_account_code"] == "090"
