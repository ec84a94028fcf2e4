"""The Table Storage unit of work against Azurite: typed documents, ETags, transactions, entity isolation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from azure.data.tables import TableClient, TableServiceClient

from cynare.adapters.tables.codec import DocumentTooLarge
from cynare.adapters.tables.connection import StorageSettings
from cynare.adapters.tables.unit_of_work import TableUnitOfWork
from cynare.domain.documents import Bill, Client, DocKey, Document, Line, Receipt, ReceiptAllocation, Tracking
from cynare.domain.holds import Hold, HoldKind
from cynare.domain.lifecycle import Stamp, State, StoredDocument, arrive, begin_posting, posted, rejected
from cynare.domain.money import Money
from cynare.extract.reader import Rejection
from cynare.service_layer.unit_of_work import BatchRecord, BatchState, EntitySettings, StateCount, UnitOfWork

pytestmark = pytest.mark.azurite

AT = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
ENTITIES = {
    "UK": EntitySettings("UK", "GBP", frozenset({"GBP", "EUR"})),
    "IE": EntitySettings("IE", "EUR", frozenset({"EUR"})),
}


@pytest.fixture
def settings(storage_connection: str, unique_name: str) -> StorageSettings:
    return StorageSettings(connection_string=storage_connection, table_prefix=unique_name)


@pytest.fixture
def uow(settings: StorageSettings) -> UnitOfWork:
    return TableUnitOfWork(settings, ENTITIES)


def raw_document(settings: StorageSettings, entity: str, key: DocKey) -> dict[str, Any]:
    service = TableServiceClient.from_connection_string(settings.connection_string)
    return dict(service.get_table_client(f"{settings.table_prefix}Documents").get_entity(entity, str(key)))


def gbp(amount: str) -> Money:
    return Money(Decimal(amount), "GBP")


def client(client_id: str, entity: str = "UK", name: str = "Acme Ltd") -> Document:
    body = Client(client_id, name, "GBP", email="accounts@acme.example")
    return Document(entity, DocKey("clients", client_id), "pms", f"c-{client_id}", body)


def bill(bill_id: str, lines: int = 2, description: str = "Professional fees", entity: str = "UK") -> Document:
    items = tuple(
        Line(number, f"{description} {number}", "4000", "S20", gbp("100.00"), gbp("20.00"),
             quantity=Decimal("2.5"), unit_price=Decimal("40.00"), tracking=(Tracking("office", "LDN"),))
        for number in range(1, lines + 1)
    )  # fmt: skip
    total = gbp("0.00")
    for line in items:
        total = total + line.net + line.vat
    body = Bill(bill_id, f"INV-{bill_id}", "C1", date(2024, 4, 30), date(2024, 5, 30), Decimal("1"), total, items)
    return Document(entity, DocKey("bills", bill_id), "pms", f"b-{bill_id}", body, rows=1 + lines)


def arrived(document: Document, holds: tuple[Hold, ...] = (), batch: str = "b1", sequence: int = 1) -> StoredDocument:
    stored = arrive(None, document, holds, Stamp(batch, "pms", sequence), AT)
    assert stored is not None
    return stored


def read(uow: UnitOfWork, key: DocKey, entity: str = "UK") -> StoredDocument:
    with uow.for_entity(entity) as work:
        return work.documents.get_many([key])[key]


def test_a_typed_bill_round_trips(uow: UnitOfWork) -> None:
    holds = (Hold(HoldKind.MAPPING, "nominal 4000 (UK)", "no mapping row"),)
    stored = arrived(bill("B1"), holds)
    with uow.for_entity("UK") as work:
        assert work.documents.save([stored]) == []
        got = work.documents.get_many([stored.document.key, DocKey("bills", "missing")])
    assert list(got) == [stored.document.key]
    back = got[stored.document.key]
    assert back.document == stored.document
    assert back.document.version == stored.document.version
    assert (back.state, back.reason, back.holds, back.history, back.stamp) == (
        State.WAITING, stored.reason, holds, stored.history, stored.stamp)  # fmt: skip
    assert back.etag
    assert dataclasses.replace(back, etag="") == stored


def test_a_create_that_finds_the_document_there_loses(uow: UnitOfWork) -> None:
    first, second = arrived(bill("B1")), arrived(bill("B1", description="Disbursements"))
    with uow.for_entity("UK") as work:
        assert work.documents.save([first]) == []
        assert work.documents.save([second]) == [DocKey("bills", "B1")]
    assert read(uow, DocKey("bills", "B1")).document.version == first.document.version


def test_an_update_with_a_stale_etag_loses_and_the_fresh_one_wins(uow: UnitOfWork) -> None:
    key = DocKey("bills", "B1")
    with uow.for_entity("UK") as work:
        work.documents.save([arrived(bill("B1"))])
        current = work.documents.get_many([key])[key]
        assert work.documents.save([begin_posting(current, AT + timedelta(minutes=1))]) == []
        assert work.documents.save([rejected(current, "stale writer", AT + timedelta(minutes=2))]) == [key]
        fresh = work.documents.get_many([key])[key]
        assert fresh.state is State.POSTING
        assert work.documents.save([posted(fresh, "inv-1", AT + timedelta(minutes=3))]) == []
    final = read(uow, key)
    assert (final.state, final.xero_id) == (State.POSTED, "inv-1")
    assert [item.state for item in final.history] == [State.RECEIVED, State.READY, State.POSTING, State.POSTED]


def test_many_documents_go_in_chunked_transactions_and_only_the_loser_is_reported(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = [arrived(client(f"C{number:04d}"), batch="b2") for number in range(250)]
    sizes: list[int] = []
    submit = TableClient.submit_transaction

    def spy(table: TableClient, operations: list[Any], **kwargs: Any) -> Any:
        sizes.append(len(operations))
        return submit(table, operations, **kwargs)

    with uow.for_entity("UK") as work:
        work.documents.save([arrived(client("C0123", name="Written first"))])
        monkeypatch.setattr(TableClient, "submit_transaction", spy)
        # 250 creates make three transactions; the one holding C0123 fails and is retried one by one.
        assert work.documents.save(clients) == [DocKey("clients", "C0123")]
        monkeypatch.undo()
    assert sizes == [100, 100, 50]
    with uow.for_entity("UK") as work:
        keys = [stored.document.key for stored in clients]
        found = work.documents.get_many([*keys, DocKey("clients", "C9999")])  # more than the point-read limit
        some = work.documents.get_many(keys[100:160])
    assert len(found) == 250
    assert sum(stored.stamp.batch_id == "b2" for stored in found.values()) == 249
    assert found[DocKey("clients", "C0123")].stamp.batch_id == "b1"
    assert sorted(some) == sorted(keys[100:160])


def test_a_payload_over_64_kib_is_split_and_joined(uow: UnitOfWork, settings: StorageSettings) -> None:
    key = DocKey("bills", "B1")
    large = arrived(bill("B1", lines=300, description="Research and drafting " * 12))
    with uow.for_entity("UK") as work:
        assert work.documents.save([large]) == []
    raw = raw_document(settings, "UK", key)
    assert len(raw["Payload"]) == 30_000 and "Payload2" in raw
    current = read(uow, key)
    assert current.document == large.document
    # A smaller new version replaces the row whole: no part of the large payload is left behind.
    small = arrive(current, bill("B1", lines=1), (), Stamp("b2", "pms", 2), AT + timedelta(days=1))
    assert small is not None
    with uow.for_entity("UK") as work:
        assert work.documents.save([small]) == []
    assert "Payload1" not in raw_document(settings, "UK", key)
    assert read(uow, key).document == small.document


def test_a_document_too_large_for_one_row_is_kept_in_blob_storage_never_refused(
    uow: UnitOfWork, settings: StorageSettings
) -> None:
    huge = arrived(bill("B9", lines=1_200, description="x" * 400))
    with uow.for_entity("UK") as work:
        assert work.documents.save([arrived(bill("B1")), huge]) == []
    raw = raw_document(settings, "UK", DocKey("bills", "B9"))
    assert "Payload" not in raw and raw["PayloadBlob"].startswith("UK/bills/")
    assert read(uow, DocKey("bills", "B9")).document == huge.document
    with uow.for_entity("UK") as work:
        assert [stored.document.key for stored in work.documents.in_state(State.READY, "bills")] == [
            DocKey("bills", "B1"), DocKey("bills", "B9"),
        ]  # fmt: skip


def test_a_row_that_cannot_fit_even_without_its_payload_is_refused_before_any_write(uow: UnitOfWork) -> None:
    holds = tuple(Hold(HoldKind.MAPPING, f"nominal {n:06d} (UK)", "x" * 2_000) for n in range(600))
    too_many_holds = arrived(bill("B9"), holds)
    with uow.for_entity("UK") as work:
        with pytest.raises(DocumentTooLarge):
            work.documents.save([arrived(bill("B1")), too_many_holds])
        assert work.documents.get_many([DocKey("bills", "B1"), DocKey("bills", "B9")]) == {}


def test_in_state_with_and_without_a_dataset(uow: UnitOfWork) -> None:
    receipt = Document("UK", DocKey("receipts", "R1"), "pms", "r-1",
                       Receipt("R1", "C1", date(2024, 5, 2), Decimal("1"), gbp("240.00"), "BANK1"))  # fmt: skip
    allocation = Document("UK", DocKey("receipt_allocations", "R1|B2"), "pms", "ra-1",
                          ReceiptAllocation("R1", "B2", gbp("240.00")))  # fmt: skip
    waiting = arrived(bill("B1"), (Hold(HoldKind.NOT_RECEIVED, "clients|C1"),))
    with uow.for_entity("UK") as work:
        work.documents.save(
            [arrived(client("C1")), waiting, arrived(bill("B2")), arrived(receipt), arrived(allocation)]
        )
        ready = {str(stored.document.key) for stored in work.documents.in_state(State.READY)}
        ready_bills = {str(stored.document.key) for stored in work.documents.in_state(State.READY, "bills")}
        ready_receipts = {str(stored.document.key) for stored in work.documents.in_state(State.READY, "receipts")}
        held = list(work.documents.in_state(State.WAITING))
    assert ready == {"clients|C1", "bills|B2", "receipts|R1", "receipt_allocations|R1|B2"}
    assert ready_bills == {"bills|B2"}
    assert ready_receipts == {"receipts|R1"}  # not receipt_allocations, whose keys sort just before
    assert [stored.document.key for stored in held] == [DocKey("bills", "B1")]
    assert held[0].holds == waiting.holds


def test_counts_documents_and_rows_per_dataset_and_state(uow: UnitOfWork) -> None:
    with uow.for_entity("UK") as work:
        work.documents.save([
            arrived(client("C1")),
            arrived(bill("B1", lines=2), (Hold(HoldKind.NOT_RECEIVED, "clients|C9"),)),
            arrived(bill("B2", lines=1)),
            arrived(bill("B3", lines=4)),
        ])  # fmt: skip
        counts = work.documents.counts()
    assert counts == [
        StateCount("bills", State.READY, 2, 2 + 5),
        StateCount("bills", State.WAITING, 1, 3),
        StateCount("clients", State.READY, 1, 1),
    ]


def test_a_snapshot_replaces_the_list_for_its_date(uow: UnitOfWork) -> None:
    day, other_day = date(2024, 4, 30), date(2024, 5, 31)
    with uow.for_entity("UK") as work:
        work.reference.store_snapshot(
            "debtors", day, [("C1|GBP", {"balance": "10.00"}), ("C2|GBP", {"balance": "5.00"})]
        )
        work.reference.store_snapshot("debtors", other_day, [("C1|GBP", {"balance": "1.00"})])
        work.reference.store_snapshot(
            "debtors", day, [("C2|GBP", {"balance": "7.50"}), ("C3|EUR", {"balance": "2.00"})]
        )
        assert work.reference.snapshot("debtors", day) == {"C2|GBP": {"balance": "7.50"}, "C3|EUR": {"balance": "2.00"}}
        assert work.reference.snapshot("debtors", other_day) == {"C1|GBP": {"balance": "1.00"}}
        assert work.reference.rows("debtors") == {}


def test_reference_rows_are_upserted(uow: UnitOfWork) -> None:
    with uow.for_entity("UK") as work:
        work.reference.store(
            "map_nominal", [("4000", {"xero_account_code": "200"}), ("4010", {"xero_account_code": ""})]
        )
        work.reference.store("map_nominal", [("4010", {"xero_account_code": "210"})])
        assert work.reference.rows("map_nominal") == {
            "4000": {"xero_account_code": "200"},
            "4010": {"xero_account_code": "210"},
        }


def test_two_entities_never_see_each_others_rows(uow: UnitOfWork) -> None:
    for entity in ("UK", "IE"):
        with uow.for_entity(entity) as work:
            work.documents.save([arrived(client("C1", entity, name=f"{entity} client"))])
            work.reference.store("map_nominal", [("4000", {"xero_account_code": entity})])
            work.batches.record(BatchRecord(entity, f"batch-{entity}", BatchState.IMPORTED, at=AT), "{}")
            work.rejections.store(f"batch-{entity}", [Rejection("bills.csv", 3, "total", f"bad in {entity}")])
    for entity in ("UK", "IE"):
        with uow.for_entity(entity) as work:
            documents = work.documents.get_many([DocKey("clients", "C1")])
            assert [stored.document.entity for stored in documents.values()] == [entity]
            assert [stored.document.key for stored in work.documents.in_state(State.READY)] == [DocKey("clients", "C1")]
            assert work.documents.counts() == [StateCount("clients", State.READY, 1, 1)]
            assert work.reference.rows("map_nominal") == {"4000": {"xero_account_code": entity}}
            assert [record.batch_id for record in work.batches.all()] == [f"batch-{entity}"]
            other = "IE" if entity == "UK" else "UK"
            assert work.batches.get(f"batch-{other}") is None
            assert work.rejections.for_batch(f"batch-{other}") == []
            assert [(batch, item.rule) for batch, item in work.rejections.all()] == [
                (f"batch-{entity}", f"bad in {entity}")
            ]
            assert work.settings == ENTITIES[entity]


def test_rejections_of_an_entity_whose_name_starts_another_stay_apart(uow: UnitOfWork) -> None:
    with uow.for_entity("UK2") as work:
        work.rejections.store("b1", [Rejection("bills.csv", 2, "date", "not a date")])
    with uow.for_entity("UK") as work:
        work.rejections.store(
            "b1", [Rejection("bills.csv", 5, "total", "wrong"), Rejection("bills.csv", 12, "*", "short")]
        )
        assert [(batch, item.row) for batch, item in work.rejections.all()] == [("b1", 5), ("b1", 12)]
        assert work.rejections.for_batch("b1") == [Rejection("bills.csv", 5, "total", "wrong"),
                                                   Rejection("bills.csv", 12, "*", "short")]  # fmt: skip


def test_a_document_of_another_entity_is_refused(uow: UnitOfWork) -> None:
    with uow.for_entity("UK") as work, pytest.raises(ValueError, match="belongs to IE"):
        work.documents.save([arrived(client("C1")), arrived(client("C2", "IE"))])
    with uow.for_entity("IE") as work:
        assert work.documents.get_many([DocKey("clients", "C2")]) == {}
    with uow.for_entity("UK") as work:
        assert work.documents.get_many([DocKey("clients", "C1")]) == {}  # refused before anything was written


def test_an_entity_name_cannot_reach_another_partition(uow: UnitOfWork) -> None:
    with pytest.raises(ValueError, match="cannot contain"), uow.for_entity("UK|bills"):
        pass


def test_the_xero_ids_index_finds_a_posted_document(uow: UnitOfWork) -> None:
    key = DocKey("bills", "B1")
    with uow.for_entity("UK") as work:
        work.documents.save([arrived(bill("B1"))])
        current = work.documents.get_many([key])[key]
        work.documents.save([begin_posting(current, AT)])
        current = work.documents.get_many([key])[key]
        work.documents.save([posted(current, "0f3a-inv", AT)])
        assert work.xero_ids.key_for("bills", "0f3a-inv") == key
        assert work.xero_ids.key_for("bills", "other") is None
        assert work.xero_ids.key_for("credit_notes", "0f3a-inv") is None
    with uow.for_entity("IE") as work:
        assert work.xero_ids.key_for("bills", "0f3a-inv") is None


def test_batches_round_trip(uow: UnitOfWork) -> None:
    record = BatchRecord("UK", "b1", BatchState.REJECTED, "hash mismatch", {"rows": {"bills": [3, 2, 1]}},
                         source="pms", sequence=2**40, at=AT)  # fmt: skip
    with uow.for_entity("UK") as work:
        assert work.batches.get("b1") is None
        work.batches.record(record, '{"files": []}' * 5_000)
        assert work.batches.get("b1") == record
        with pytest.raises(ValueError, match="belongs to IE"):
            work.batches.record(dataclasses.replace(record, entity="IE"), "{}")
        assert work.batches.all() == [record]


def test_identities(uow: UnitOfWork) -> None:
    with uow.for_entity("UK") as work:
        assert work.identities.home_source() is None
        assert work.identities.claim_home_source("pms-a") == "pms-a"
        assert work.identities.claim_home_source("pms-b") == "pms-a"
        work.identities.save_links("pms-b", {("clients", "X1"): "C1", ("bills", "Y7"): "B7"})
        assert work.identities.links("pms-b") == {("clients", "X1"): "C1", ("bills", "Y7"): "B7"}
    with uow.for_entity("IE") as work:
        assert work.identities.home_source() is None
        assert work.identities.links("pms-b") == {}
