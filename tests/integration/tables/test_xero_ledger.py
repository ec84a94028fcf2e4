"""The cached Xero ledger and the newest debtors date on Azurite: upserts, exact amounts, many records
over several partitions, contacts, entity isolation, and a date that never goes back."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from azure.data.tables import TableClient, TableServiceClient

from cynare.adapters.tables.connection import StorageSettings, open_tables
from cynare.adapters.tables.reference import TableReference
from cynare.adapters.tables.unit_of_work import TableUnitOfWork
from cynare.adapters.tables.xero_ledger import TableXeroLedger
from cynare.domain.reconciliation import XeroContact, XeroEntry, XeroKind
from cynare.service_layer.reconciliation.ports import XeroLedgerRepository
from cynare.service_layer.unit_of_work import EntitySettings, ReferenceRepository

pytestmark = pytest.mark.azurite

AT = datetime(2026, 11, 30, 6, 15, 42, 517000, tzinfo=UTC)


@pytest.fixture
def settings(storage_connection: str, unique_name: str) -> StorageSettings:
    return StorageSettings(connection_string=storage_connection, table_prefix=unique_name)


@pytest.fixture
def tables(settings: StorageSettings) -> dict[str, TableClient]:
    return open_tables(settings)


def raw_rows(settings: StorageSettings, name: str) -> list[dict[str, object]]:
    service = TableServiceClient.from_connection_string(settings.connection_string)
    return [dict(row) for row in service.get_table_client(f"{settings.table_prefix}{name}").list_entities()]


def entry(xero_id: str, kind: XeroKind = XeroKind.INVOICE, **changes: object) -> XeroEntry:
    made = XeroEntry(
        xero_id=xero_id,
        kind=kind,
        contact_id="c-1",
        currency="GBP",
        number=f"INV-{xero_id}",
        effect=Decimal("1200.00"),
        open=Decimal("700.00"),
        live=True,
        rate=Decimal("1.000000"),
        updated=AT,
    )
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


def by_id(ledger: XeroLedgerRepository) -> dict[tuple[XeroKind, str], XeroEntry]:
    return {(e.kind, e.xero_id): e for e in ledger.entries()}


def test_saving_a_record_again_replaces_it_whole(tables: dict[str, TableClient]) -> None:
    ledger: XeroLedgerRepository = TableXeroLedger(tables["XeroLedger"], "UK")
    assert list(ledger.entries()) == [] and ledger.contacts() == {}
    first = entry("p-1", XeroKind.PAYMENT, effect=Decimal("-500.00"), open=Decimal("0"),
                  group_id="batch-1", document_id="inv-1")  # fmt: skip
    ledger.save_entries([first, entry("inv-1")])
    deleted = dataclasses.replace(first, live=False, group_id="", updated=AT + timedelta(minutes=3))
    ledger.save_entries([deleted])

    held = by_id(ledger)
    assert len(held) == 2
    assert held[(XeroKind.PAYMENT, "p-1")] == deleted  # the batch id is gone with the old row
    assert held[(XeroKind.INVOICE, "inv-1")] == entry("inv-1")


def test_amounts_and_times_come_back_exactly(settings: StorageSettings, tables: dict[str, TableClient]) -> None:
    ledger = TableXeroLedger(tables["XeroLedger"], "UK")
    exact = [
        entry("a", effect=Decimal("1234567890123.45"), open=Decimal("0.01"), rate=Decimal("1.170000")),
        entry("b", XeroKind.CREDIT_NOTE, effect=Decimal("-0.10"), open=Decimal("-0.10"), rate=Decimal("0.855")),
        entry("c", XeroKind.OVERPAYMENT, effect=Decimal("-33.333333"), open=Decimal("-0.00"), updated=None,
              currency="EUR", group_id="bt-c", number=""),
        entry("d", XeroKind.PAYMENT, effect=Decimal("1E+2"), open=Decimal(0), live=False, document_id="b"),
    ]  # fmt: skip
    ledger.save_entries(exact)

    held = by_id(ledger)
    for original in exact:
        back = held[(original.kind, original.xero_id)]
        assert back == original
        # The very digits, not only the value: 1.170000 stays 1.170000 and 1E+2 stays 1E+2.
        assert (str(back.effect), str(back.open), str(back.rate)) == (
            str(original.effect), str(original.open), str(original.rate),
        )  # fmt: skip
        assert type(back.effect) is Decimal
    assert held[(XeroKind.INVOICE, "a")].updated == AT and type(held[(XeroKind.INVOICE, "a")].updated) is datetime
    rows = raw_rows(settings, "XeroLedger")
    assert all(isinstance(row["Effect"], str) and isinstance(row["Open"], str) for row in rows)
    overpayment = next(row for row in rows if row["RowKey"] == "c")
    assert "Updated" not in overpayment and "Number" not in overpayment  # empty columns are not written


def test_250_records_of_every_kind_in_one_save(settings: StorageSettings, tables: dict[str, TableClient]) -> None:
    ledger = TableXeroLedger(tables["XeroLedger"], "UK")
    counts = {XeroKind.INVOICE: 110, XeroKind.PAYMENT: 80, XeroKind.CREDIT_NOTE: 35, XeroKind.OVERPAYMENT: 25}
    made = [
        entry(
            f"{kind.name.lower()}-{n:03}", kind, effect=Decimal(n) + Decimal("0.01"), updated=AT + timedelta(seconds=n)
        )
        for kind, how_many in counts.items()
        for n in range(how_many)
    ]
    made.reverse()  # not in key order: the adapter groups them by partition itself
    ledger.save_entries(made)

    assert sum(counts.values()) == 250
    held = by_id(ledger)
    assert held == {(e.kind, e.xero_id): e for e in made}
    partitions = Counter(str(row["PartitionKey"]) for row in raw_rows(settings, "XeroLedger"))
    assert partitions == {"UK|invoice": 110, "UK|payment": 80, "UK|credit_note": 35, "UK|overpayment": 25}


def test_the_same_id_under_two_kinds_is_two_records_and_a_repeat_in_one_save_keeps_the_last(
    tables: dict[str, TableClient],
) -> None:
    ledger = TableXeroLedger(tables["XeroLedger"], "UK")
    older, newer = entry("x"), entry("x", open=Decimal("0.00"))
    ledger.save_entries([older, entry("x", XeroKind.PAYMENT, open=Decimal(0)), newer])
    held = by_id(ledger)
    assert held[(XeroKind.INVOICE, "x")] == newer and (XeroKind.PAYMENT, "x") in held and len(held) == 2


def test_contacts_are_kept_and_replaced(settings: StorageSettings, tables: dict[str, TableClient]) -> None:
    ledger = TableXeroLedger(tables["XeroLedger"], "UK")
    ledger.save_contacts([XeroContact("c-1", "Acme Ltd", "C1"), XeroContact("c-2", "Walk-in customer")])
    ledger.save_contacts([XeroContact("c-1", "Acme Holdings Ltd", "C1")])
    assert ledger.contacts() == {
        "c-1": XeroContact("c-1", "Acme Holdings Ltd", "C1"),
        "c-2": XeroContact("c-2", "Walk-in customer", ""),
    }
    assert list(ledger.entries()) == []  # contacts are not entries
    assert {row["PartitionKey"] for row in raw_rows(settings, "XeroLedger")} == {"UK|contacts"}


def test_one_entitys_ledger_never_shows_another_s(tables: dict[str, TableClient]) -> None:
    uk, ie = TableXeroLedger(tables["XeroLedger"], "UK"), TableXeroLedger(tables["XeroLedger"], "IE")
    uk.save_entries([entry("inv-1")])
    uk.save_contacts([XeroContact("c-1", "Acme Ltd")])
    ie.save_entries([entry("inv-2", currency="EUR")])
    assert [e.xero_id for e in uk.entries()] == ["inv-1"]
    assert [e.xero_id for e in ie.entries()] == ["inv-2"] and ie.contacts() == {}
    with pytest.raises(ValueError, match="cannot contain"):
        TableXeroLedger(tables["XeroLedger"], "UK|invoice")


def test_the_unit_of_work_gives_each_entity_its_ledger(settings: StorageSettings) -> None:
    uow = TableUnitOfWork(settings, {"UK": EntitySettings("UK", "GBP", frozenset({"GBP"}))})
    with uow.for_entity("UK") as work:
        work.xero_ledger.save_entries([entry("inv-9")])
    with uow.for_entity("UK") as work:
        assert [e.xero_id for e in work.xero_ledger.entries()] == ["inv-9"]
    with uow.for_entity("IE") as work:
        assert list(work.xero_ledger.entries()) == []


def test_latest_snapshot_moves_only_forward(tables: dict[str, TableClient]) -> None:
    reference: ReferenceRepository = TableReference(tables["Reference"], "UK")
    assert reference.latest_snapshot("debtors") is None
    reference.store_snapshot("debtors", date(2026, 11, 28), [("C1|GBP", {"balance": "100.00"})])
    assert reference.latest_snapshot("debtors").as_at == date(2026, 11, 28)
    reference.store_snapshot("debtors", date(2026, 11, 30), [("C1|GBP", {"balance": "80.00"})])
    assert reference.latest_snapshot("debtors").as_at == date(2026, 11, 30)

    # A list for an earlier date arriving late is kept, but the newest date stays.
    reference.store_snapshot("debtors", date(2026, 11, 25), [("C1|GBP", {"balance": "150.00"})])
    assert reference.latest_snapshot("debtors").as_at == date(2026, 11, 30)
    assert reference.snapshot("debtors", date(2026, 11, 25)) == {"C1|GBP": {"balance": "150.00"}}
    # The same date again replaces its list and leaves the date where it is.
    reference.store_snapshot("debtors", date(2026, 11, 30), [("C2|EUR", {"balance": "5.00"})])
    assert reference.latest_snapshot("debtors").as_at == date(2026, 11, 30)
    assert reference.snapshot("debtors", date(2026, 11, 30)) == {"C2|EUR": {"balance": "5.00"}}

    # With the extract's time: the same date read later moves the time on, read earlier never moves it back.
    first, later = datetime(2026, 11, 30, 1, 30, tzinfo=UTC), datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    reference.store_snapshot("debtors", date(2026, 11, 30), [("C1|GBP", {"balance": "1.00"})], first)
    assert reference.latest_snapshot("debtors") == (date(2026, 11, 30), first)
    reference.store_snapshot("debtors", date(2026, 11, 30), [("C1|GBP", {"balance": "2.00"})], later)
    reference.store_snapshot("debtors", date(2026, 11, 30), [("C1|GBP", {"balance": "2.00"})], first)
    assert reference.latest_snapshot("debtors") == (date(2026, 11, 30), later)

    assert reference.latest_snapshot("other") is None
    assert TableReference(tables["Reference"], "IE").latest_snapshot("debtors") is None


def test_imports_noting_dates_at_once_leave_the_newest(tables: dict[str, TableClient]) -> None:
    days = [date(2026, 11, day) for day in (21, 29, 24, 27, 22, 26, 23, 28, 25, 20)]
    start = threading.Barrier(len(days))

    def store(day: date) -> None:
        reference = TableReference(tables["Reference"], "UK")
        start.wait()
        reference.store_snapshot("debtors", day, [("C1|GBP", {"balance": str(day.day)})])

    threads = [threading.Thread(target=store, args=(day,)) for day in days]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert TableReference(tables["Reference"], "UK").latest_snapshot("debtors").as_at == date(2026, 11, 29)
