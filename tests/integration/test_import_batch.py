"""Import into the warehouse on a real Azurite: idempotency, conservation, waiting, identities."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cynare.adapters.tables.connection import StorageSettings
from cynare.adapters.tables.warehouse import StaleDocument, TableWarehouse
from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State
from cynare.extract.batch import FolderBatch
from cynare.service_layer.import_batch import import_batch
from tests.batches import bill, client, merge, sample_rows, write_batch


def clock() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def warehouse(storage_connection: str, unique_name: str) -> TableWarehouse:
    return TableWarehouse(StorageSettings(connection_string=storage_connection, table_prefix=unique_name))


def states(warehouse: TableWarehouse, entity: str = "UK") -> dict[tuple[str, str], int]:
    return {(dataset, state): docs for dataset, state, docs, _ in warehouse.summary(entity)}


def test_import_warehouses_every_row_once(tmp_path: Path, warehouse: TableWarehouse) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    outcome = import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    assert outcome.status == "imported"
    assert outcome.documents.created == 6  # 3 clients, 2 bills, 1 receipt
    assert states(warehouse) == {("bills", "ready"): 2, ("clients", "ready"): 3, ("receipts", "ready"): 1}
    # Row conservation: every document row is a row read and accepted; nothing rejected here.
    document_rows = sum(rows for _, _, _, rows in warehouse.summary("UK"))
    accepted = sum(
        accepted
        for dataset, (_, accepted, _) in outcome.rows.items()
        if dataset in {"clients", "bills", "bill_lines", "receipts", "receipt_allocations"}
    )
    assert document_rows == accepted == 3 + 2 + 2 + 1 + 1
    stored = warehouse.get("UK", DocKey("bills", "B001"))
    assert stored is not None
    assert stored.document.payload["lines"][0]["net"] == "100.00"
    assert [transition.state for transition in stored.history] == [State.RECEIVED, State.READY]
    assert warehouse.reference("UK", "map_nominal") == {"4000": {"nominal_code": "4000", "xero_account_code": "200"}}


def test_importing_the_same_batch_twice_changes_nothing(tmp_path: Path, warehouse: TableWarehouse) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    before = warehouse.get("UK", DocKey("bills", "B001"))
    again = import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    assert again.status == "already imported"
    after = warehouse.get("UK", DocKey("bills", "B001"))
    assert before is not None and after is not None and before.etag == after.etag


def test_same_rows_in_a_new_batch_are_unchanged(tmp_path: Path, warehouse: TableWarehouse) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    write_batch(tmp_path / "b2", sample_rows(), period_end=date(2026, 11, 26))
    import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    second = import_batch(FolderBatch(tmp_path / "b2"), "UK", warehouse, clock)
    assert second.status == "imported"
    assert (second.documents.created, second.documents.changed, second.documents.unchanged) == (0, 0, 6)


def test_changed_document_gets_a_new_version_and_history(tmp_path: Path, warehouse: TableWarehouse) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    changed = sample_rows()
    changed["clients"][0]["name"] = "Client C001 Renamed"
    write_batch(tmp_path / "b2", changed, period_end=date(2026, 11, 26))
    import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    first = warehouse.get("UK", DocKey("clients", "C001"))
    outcome = import_batch(FolderBatch(tmp_path / "b2"), "UK", warehouse, clock)
    second = warehouse.get("UK", DocKey("clients", "C001"))
    assert outcome.documents.changed == 1
    assert first is not None and second is not None
    assert second.document.version != first.document.version
    assert second.document.payload["name"] == "Client C001 Renamed"
    assert "new version" in second.history[-1].reason


def test_hash_mismatch_rejects_the_whole_batch_and_imports_nothing(tmp_path: Path, warehouse: TableWarehouse) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    with (tmp_path / "b1" / "clients.csv").open("a", encoding="utf-8") as tampered:
        tampered.write("C999,Intruder,,,,,,,,,GBP,active\r\n")
    outcome = import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    assert outcome.status == "rejected"
    assert "clients.csv SHA-256" in outcome.reason
    assert warehouse.summary("UK") == []
    record = warehouse.batch("UK", outcome.batch_id)
    assert record is not None and record.state == "rejected"


def test_a_batch_cannot_feed_another_entity(tmp_path: Path, warehouse: TableWarehouse) -> None:
    write_batch(tmp_path / "b1", sample_rows(), entity="IE")
    outcome = import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    assert outcome.status == "rejected"
    assert "manifest names entity 'IE'" in outcome.reason
    assert warehouse.summary("UK") == [] and warehouse.summary("IE") == []


def test_bad_rows_are_rejected_with_reasons_and_good_rows_go_on(tmp_path: Path, warehouse: TableWarehouse) -> None:
    rows = sample_rows()
    rows["clients"].append(client("C004", currency="XXX"))
    rows = merge(rows, bill("B003", "C003", "10.001", "2.00"))
    write_batch(tmp_path / "b1", rows)
    outcome = import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    rejected = {(item.file, item.row, item.column) for item in warehouse.rejections("UK", outcome.batch_id)}
    assert ("clients.csv", 5, "default_currency") in rejected
    assert ("bills.csv", 4, "total") in rejected  # 12.001 GBP: too many decimals
    assert ("bill_lines.csv", 4, "bill_id") in rejected  # the line goes with its bill
    for read, accepted, rejected_count in outcome.rows.values():
        assert read == accepted + rejected_count
    assert outcome.documents.created == 6


def test_document_waits_for_what_it_depends_on(tmp_path: Path, warehouse: TableWarehouse) -> None:
    write_batch(tmp_path / "b1", bill("B010", "C010", "100.00", "20.00"))
    first = import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    assert first.waiting == 1
    waiting = warehouse.get("UK", DocKey("bills", "B010"))
    assert waiting is not None and waiting.state is State.WAITING
    assert waiting.reason == "waiting on clients|C010: not received yet"
    write_batch(tmp_path / "b2", {"clients": [client("C010")]}, period_end=date(2026, 11, 26))
    second = import_batch(FolderBatch(tmp_path / "b2"), "UK", warehouse, clock)
    assert second.released == 1
    released = warehouse.get("UK", DocKey("bills", "B010"))
    assert released is not None and released.state is State.READY


def test_new_pms_lands_on_the_old_pms_identities(tmp_path: Path, warehouse: TableWarehouse) -> None:
    write_batch(tmp_path / "old", {"clients": [client("C001")]}, source="old-pms")
    import_batch(FolderBatch(tmp_path / "old"), "UK", warehouse, clock)
    new_rows = merge(
        {"clients": [client("N-77", name="Client C001"), client("N-78")]},
        {
            "identity_links": [
                {"kind": "client", "source_id": "N-77", "previous_source": "old-pms", "previous_id": "C001"}
            ]
        },
        bill("NB1", "N-77", "10.00", "2.00"),
    )
    write_batch(tmp_path / "new", new_rows, source="new-pms")
    outcome = import_batch(FolderBatch(tmp_path / "new"), "UK", warehouse, clock)
    assert outcome.status == "imported"
    linked = warehouse.get("UK", DocKey("clients", "C001"))
    assert linked is not None and linked.document.source_system == "new-pms" and linked.document.source_id == "N-77"
    assert warehouse.get("UK", DocKey("clients", "new-pms:N-78")) is not None
    new_bill = warehouse.get("UK", DocKey("bills", "new-pms:NB1"))
    assert new_bill is not None and new_bill.document.depends_on == (DocKey("clients", "C001"),)
    assert new_bill.state is State.READY


def test_more_than_one_transaction_of_documents(tmp_path: Path, warehouse: TableWarehouse) -> None:
    write_batch(tmp_path / "b1", {"clients": [client(f"C{i:04d}") for i in range(230)]})
    outcome = import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    assert outcome.documents.created == 230
    assert states(warehouse) == {("clients", "ready"): 230}


def test_concurrent_writer_is_detected_by_etag(tmp_path: Path, warehouse: TableWarehouse) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    stored = warehouse.get("UK", DocKey("clients", "C001"))
    assert stored is not None
    warehouse.move("UK", stored, State.POSTING, "attempt 1", clock())
    with pytest.raises(StaleDocument):
        warehouse.move("UK", stored, State.WAITING, "late writer", clock())


def test_a_writer_that_created_documents_first_is_respected(
    tmp_path: Path, warehouse: TableWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    write_batch(tmp_path / "b2", sample_rows(), period_end=date(2026, 11, 26))
    # As if another import created the documents after this one read the partition.
    monkeypatch.setattr(warehouse, "_existing", lambda entity, row_keys: {})
    outcome = import_batch(FolderBatch(tmp_path / "b2"), "UK", warehouse, clock)
    assert (outcome.documents.created, outcome.documents.unchanged) == (0, 6)


def test_a_new_version_keeps_its_xero_id(tmp_path: Path, warehouse: TableWarehouse) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    warehouse.record_xero_id("UK", DocKey("clients", "C001"), "0f1e2d3c-0000-4000-8000-000000000001")
    changed = sample_rows()
    changed["clients"][0]["name"] = "Client C001 Renamed"
    write_batch(tmp_path / "b2", changed, period_end=date(2026, 11, 26))
    import_batch(FolderBatch(tmp_path / "b2"), "UK", warehouse, clock)
    stored = warehouse.get("UK", DocKey("clients", "C001"))
    assert stored is not None and stored.xero_id == "0f1e2d3c-0000-4000-8000-000000000001"
    assert warehouse.key_for_xero_id("UK", "clients", stored.xero_id) == DocKey("clients", "C001")


def test_many_waiting_documents_are_released_together(tmp_path: Path, warehouse: TableWarehouse) -> None:
    # Sixty bills wait on sixty clients: enough to read their states by one scan rather than point reads.
    write_batch(tmp_path / "b1", merge(*(bill(f"B{i:03d}", f"C{i:03d}", "10.00", "2.00") for i in range(60))))
    first = import_batch(FolderBatch(tmp_path / "b1"), "UK", warehouse, clock)
    assert first.waiting == 60
    write_batch(tmp_path / "b2", {"clients": [client(f"C{i:03d}") for i in range(60)]}, period_end=date(2026, 11, 26))
    second = import_batch(FolderBatch(tmp_path / "b2"), "UK", warehouse, clock)
    assert second.released == 60
    assert states(warehouse) == {("bills", "ready"): 60, ("clients", "ready"): 60}
