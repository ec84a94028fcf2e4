"""Import into the warehouse on a real Azurite: idempotency, conservation, ETags, transactions, identities.

The import's rules (holds, order, cancellations) run on in-memory fakes in tests/unit/service_layer;
here is what only the real Table Storage shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from cynare.adapters.tables.connection import StorageSettings
from cynare.adapters.tables.documents import TableDocuments
from cynare.adapters.tables.unit_of_work import TableUnitOfWork
from cynare.domain.documents import Bill, Client, DocKey
from cynare.domain.lifecycle import State, StoredDocument, begin_posting, posted
from cynare.extract.batch import FolderBatch
from cynare.service_layer.import_batch import import_batch
from cynare.service_layer.unit_of_work import BatchState
from tests.batches import bill, client, mappings, merge, sample_rows, write_batch
from tests.unit.service_layer.conftest import SETTINGS


def clock() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def uow(storage_connection: str, unique_name: str) -> TableUnitOfWork:
    return TableUnitOfWork(StorageSettings(connection_string=storage_connection, table_prefix=unique_name), SETTINGS)


def states(uow: TableUnitOfWork, entity: str = "UK") -> dict[tuple[str, str], int]:
    with uow.for_entity(entity) as work:
        return {(count.dataset, count.state.value): count.documents for count in work.documents.counts()}


def get(uow: TableUnitOfWork, key: DocKey, entity: str = "UK") -> StoredDocument | None:
    with uow.for_entity(entity) as work:
        return work.documents.get_many([key]).get(key)


def save(uow: TableUnitOfWork, documents: Iterable[StoredDocument]) -> list[DocKey]:
    with uow.for_entity("UK") as work:
        return work.documents.save(list(documents))


def test_import_warehouses_every_row_once(tmp_path: Path, uow: TableUnitOfWork) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    outcome = import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    assert outcome.status == "imported"
    assert outcome.documents.created == 7  # 3 clients, 2 bills, 1 receipt and its allocation
    assert states(uow) == {("bills", "ready"): 2, ("clients", "ready"): 3, ("receipts", "ready"): 1,
                           ("receipt_allocations", "ready"): 1}  # fmt: skip
    # Row conservation: every document row is a row read and accepted; nothing rejected here.
    with uow.for_entity("UK") as work:
        document_rows = sum(count.rows for count in work.documents.counts())
        nominal = work.reference.rows("map_nominal")
    accepted = sum(
        accepted
        for dataset, (_, accepted, _) in outcome.rows.items()
        if dataset in {"clients", "bills", "bill_lines", "receipts", "receipt_allocations"}
    )
    assert document_rows == accepted == 3 + 2 + 2 + 1 + 1
    stored = get(uow, DocKey("bills", "B001"))
    assert stored is not None and isinstance(stored.document.body, Bill)
    assert stored.document.body.lines[0].net.amount == Decimal("100.00")
    assert [transition.state for transition in stored.history] == [State.RECEIVED, State.READY]
    assert nominal == {"4000": {"nominal_code": "4000", "xero_account_code": "200"}}


def test_importing_the_same_batch_twice_changes_nothing(tmp_path: Path, uow: TableUnitOfWork) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    before = get(uow, DocKey("bills", "B001"))
    again = import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    assert again.status == "already imported"
    after = get(uow, DocKey("bills", "B001"))
    assert before is not None and after is not None and before.etag == after.etag


def test_same_rows_in_a_new_batch_are_unchanged(tmp_path: Path, uow: TableUnitOfWork) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    write_batch(tmp_path / "b2", sample_rows(), sequence=2, period_end=date(2026, 11, 26))
    import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    before = get(uow, DocKey("clients", "C001"))
    second = import_batch(FolderBatch(tmp_path / "b2"), "UK", uow, clock)
    assert second.status == "imported"
    assert (second.documents.created, second.documents.changed, second.documents.unchanged) == (0, 0, 7)
    after = get(uow, DocKey("clients", "C001"))
    assert before is not None and after is not None and before.etag == after.etag


def test_changed_document_gets_a_new_version_and_history(tmp_path: Path, uow: TableUnitOfWork) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    changed = sample_rows()
    changed["clients"][0]["name"] = "Client C001 Renamed"
    write_batch(tmp_path / "b2", changed, sequence=2, period_end=date(2026, 11, 26))
    import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    first = get(uow, DocKey("clients", "C001"))
    outcome = import_batch(FolderBatch(tmp_path / "b2"), "UK", uow, clock)
    second = get(uow, DocKey("clients", "C001"))
    assert outcome.documents.changed == 1
    assert first is not None and second is not None
    assert second.document.version != first.document.version
    assert isinstance(second.document.body, Client) and second.document.body.name == "Client C001 Renamed"
    assert "new version" in second.history[-1].reason


def test_hash_mismatch_rejects_the_whole_batch_and_imports_nothing(tmp_path: Path, uow: TableUnitOfWork) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    with (tmp_path / "b1" / "clients.csv").open("a", encoding="utf-8") as tampered:
        tampered.write("C999,Intruder,,,,,,,,,GBP,active,\r\n")
    outcome = import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    assert outcome.status == "rejected"
    assert "clients.csv SHA-256" in outcome.reason
    assert states(uow) == {}
    with uow.for_entity("UK") as work:
        record = work.batches.get(outcome.batch_id)
    assert record is not None and record.state is BatchState.REJECTED


def test_a_batch_cannot_feed_another_entity(tmp_path: Path, uow: TableUnitOfWork) -> None:
    write_batch(tmp_path / "b1", sample_rows(), entity="IE")
    outcome = import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    assert outcome.status == "rejected"
    assert "manifest names entity 'IE'" in outcome.reason
    assert states(uow, "UK") == {} and states(uow, "IE") == {}


def test_bad_rows_are_rejected_with_reasons_and_good_rows_go_on(tmp_path: Path, uow: TableUnitOfWork) -> None:
    rows = sample_rows()
    rows["clients"].append(client("C004", currency="XXX"))
    rows = merge(rows, bill("B003", "C003", "10.001", "2.00"))
    write_batch(tmp_path / "b1", rows)
    outcome = import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    with uow.for_entity("UK") as work:
        rejected = {(item.file, item.row, item.column) for item in work.rejections.for_batch(outcome.batch_id)}
    assert ("clients.csv", 5, "default_currency") in rejected
    assert ("bills.csv", 4, "total") in rejected  # 12.001 GBP: too many decimals
    assert ("bill_lines.csv", 4, "bill_id") in rejected  # the line goes with its bill
    for read, accepted, rejected_count in outcome.rows.values():
        assert read == accepted + rejected_count
    assert outcome.documents.created == 7


def test_document_waits_for_what_it_depends_on(tmp_path: Path, uow: TableUnitOfWork) -> None:
    write_batch(tmp_path / "b0", {k: v for k, v in sample_rows().items() if k.startswith("map_")})
    write_batch(tmp_path / "b1", bill("B010", "C010", "100.00", "20.00"), sequence=2)
    import_batch(FolderBatch(tmp_path / "b0"), "UK", uow, clock)
    first = import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    assert first.waiting == 1
    waiting = get(uow, DocKey("bills", "B010"))
    assert waiting is not None and waiting.state is State.WAITING
    assert waiting.reason == "waiting on a document not received yet: clients|C010"
    write_batch(tmp_path / "b2", {"clients": [client("C010")]}, sequence=3, period_end=date(2026, 11, 26))
    second = import_batch(FolderBatch(tmp_path / "b2"), "UK", uow, clock)
    assert second.released == 1
    released = get(uow, DocKey("bills", "B010"))
    assert released is not None and released.state is State.READY


def test_new_pms_lands_on_the_old_pms_identities(tmp_path: Path, uow: TableUnitOfWork) -> None:
    write_batch(tmp_path / "old", {"clients": [client("C001")], **mappings()}, source="old-pms")
    import_batch(FolderBatch(tmp_path / "old"), "UK", uow, clock)
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
    outcome = import_batch(FolderBatch(tmp_path / "new"), "UK", uow, clock)
    assert outcome.status == "imported"
    linked = get(uow, DocKey("clients", "C001"))
    assert linked is not None and linked.document.source_system == "new-pms" and linked.document.source_id == "N-77"
    assert get(uow, DocKey("clients", "new-pms:N-78")) is not None
    new_bill = get(uow, DocKey("bills", "new-pms:NB1"))
    assert new_bill is not None and new_bill.document.depends_on == (DocKey("clients", "C001"),)
    assert new_bill.state is State.READY


def test_more_than_one_transaction_of_documents(tmp_path: Path, uow: TableUnitOfWork) -> None:
    write_batch(tmp_path / "b1", {"clients": [client(f"C{i:04d}") for i in range(230)]})
    outcome = import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    assert outcome.documents.created == 230
    assert states(uow) == {("clients", "ready"): 230}


def test_concurrent_writer_is_detected_by_etag(tmp_path: Path, uow: TableUnitOfWork) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    stored = get(uow, DocKey("clients", "C001"))
    assert stored is not None
    assert save(uow, [begin_posting(stored, clock())]) == []
    assert save(uow, [begin_posting(stored, clock())]) == [DocKey("clients", "C001")], "the late writer loses"


def test_a_writer_that_created_documents_first_is_respected(
    tmp_path: Path, uow: TableUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    write_batch(tmp_path / "b2", sample_rows(), sequence=2, period_end=date(2026, 11, 26))
    # As if another import created the documents after this one read the partition: its creates lose,
    # it reads again and finds them unchanged.
    real = TableDocuments.get_many
    blind = iter([True])
    monkeypatch.setattr(TableDocuments, "get_many", lambda self, keys: {} if next(blind, False) else real(self, keys))
    outcome = import_batch(FolderBatch(tmp_path / "b2"), "UK", uow, clock)
    assert (outcome.documents.created, outcome.documents.unchanged) == (0, 7)


def test_a_new_version_keeps_its_xero_id(tmp_path: Path, uow: TableUnitOfWork) -> None:
    write_batch(tmp_path / "b1", sample_rows())
    import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    stored = get(uow, DocKey("clients", "C001"))
    assert stored is not None
    xero_id = "0f1e2d3c-0000-4000-8000-000000000001"
    assert save(uow, [posted(begin_posting(stored, clock()), xero_id, clock())]) == []
    changed = sample_rows()
    changed["clients"][0]["name"] = "Client C001 Renamed"
    write_batch(tmp_path / "b2", changed, sequence=2, period_end=date(2026, 11, 26))
    import_batch(FolderBatch(tmp_path / "b2"), "UK", uow, clock)
    stored = get(uow, DocKey("clients", "C001"))
    assert stored is not None and stored.xero_id == xero_id and stored.state is State.READY
    with uow.for_entity("UK") as work:
        assert work.xero_ids.key_for("clients", xero_id) == DocKey("clients", "C001")


def test_many_waiting_documents_are_released_together(tmp_path: Path, uow: TableUnitOfWork) -> None:
    # Sixty bills wait on sixty clients: enough to read their states by one scan rather than point reads.
    write_batch(
        tmp_path / "b1", merge(mappings(), *(bill(f"B{i:03d}", f"C{i:03d}", "10.00", "2.00") for i in range(60)))
    )
    first = import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    assert first.waiting == 60
    write_batch(tmp_path / "b2", {"clients": [client(f"C{i:03d}") for i in range(60)]}, sequence=2,
                period_end=date(2026, 11, 26))  # fmt: skip
    second = import_batch(FolderBatch(tmp_path / "b2"), "UK", uow, clock)
    assert second.released == 60
    assert states(uow) == {("bills", "ready"): 60, ("clients", "ready"): 60}
