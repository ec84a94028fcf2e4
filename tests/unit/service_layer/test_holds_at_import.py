"""Documents a finance team expects held are held at import, each with the reason, and released by what was missing."""

from __future__ import annotations

from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State
from tests.batches import bill, client, mappings, merge, receipt, sample_rows
from tests.unit.service_layer.conftest import Importer
from tests.unit.service_layer.fakes import FakeUnitOfWork


def state_of(uow: FakeUnitOfWork, dataset: str, firm_id: str, entity: str = "UK") -> tuple[State, str]:
    stored = uow.documents(entity)[DocKey(dataset, firm_id)]
    return stored.state, stored.reason


def test_the_sample_batch_is_ready_when_everything_is_mapped(load: Importer, uow: FakeUnitOfWork) -> None:
    outcome = load(sample_rows())
    assert outcome.status == "imported" and outcome.waiting == 0
    assert {stored.state for stored in uow.documents("UK").values()} == {State.READY}


def test_a_bill_on_an_unmapped_nominal_waits_and_the_import_bringing_the_mapping_releases_it(
    load: Importer, uow: FakeUnitOfWork
) -> None:
    load(merge(sample_rows(), bill("B9", "C001", "10.00", "2.00", nominal="4010")))
    assert state_of(uow, "bills", "B9") == (
        State.WAITING, "waiting on mapping: nominal 4010 (UK) (no mapping row)",
    )  # fmt: skip
    more = mappings()["map_nominal"] + [{"nominal_code": "4010", "xero_account_code": "210"}]
    outcome = load({"map_nominal": more}, sequence=2)
    assert outcome.released == 1
    assert state_of(uow, "bills", "B9") == (State.READY, "")


def test_a_receipt_into_an_unmapped_or_empty_bank_account_waits(load: Importer, uow: FakeUnitOfWork) -> None:
    empty_bank = {"map_bank": [*mappings()["map_bank"], {"bank_account": "BANK2"}]}
    load(merge(sample_rows(), receipt("R7", "C002", {"B002": "300.00"}, bank="BANK2"),
               receipt("R8", "C002", {"B002": "1.00"}, bank="BANK3")))  # fmt: skip
    load(empty_bank, sequence=2)
    assert (
        state_of(uow, "receipts", "R7")[1]
        == "waiting on mapping: bank account BANK2 (UK) (its mapping has no Xero code)"
    )
    assert state_of(uow, "receipts", "R8")[1] == "waiting on mapping: bank account BANK3 (UK) (no mapping row)"


def test_a_vat_code_or_office_without_a_mapping_holds_the_bill(load: Importer, uow: FakeUnitOfWork) -> None:
    rows = merge(sample_rows(), bill("B9", "C001", "10.00", "2.00", office="PAR"))
    rows["map_vat"] = []
    load(rows)
    state, reason = state_of(uow, "bills", "B9")
    assert state is State.WAITING
    assert "waiting on mapping: VAT code S (UK) (no mapping row)" in reason
    assert "waiting on mapping: office PAR (UK) (no mapping row)" in reason


def test_a_bill_in_a_currency_the_organisation_lacks_waits(load: Importer, uow: FakeUnitOfWork) -> None:
    load(merge(sample_rows(), {"clients": [client("C9", currency="CHF")]}, bill("B9", "C9", "10.00", "2.00", "CHF")))
    state, reason = state_of(uow, "bills", "B9")
    assert state is State.WAITING and reason.startswith("waiting on currency: CHF (UK)")


def test_a_bill_dated_after_its_clients_archive_date_waits(load: Importer, uow: FakeUnitOfWork) -> None:
    archived = client("C9", status="archived", archived_on="2026-10-31")
    load(merge(sample_rows(), {"clients": [archived]}, bill("B9", "C9", "10.00", "2.00", day="2026-11-02"),
               bill("B8", "C9", "10.00", "2.00", day="2026-10-30")))  # fmt: skip
    state, reason = state_of(uow, "bills", "B9")
    assert state is State.WAITING
    assert reason.startswith("waiting on an archived client: client C9 archived on 2026-10-31 (dated 2026-11-02")
    assert state_of(uow, "bills", "B8") == (State.READY, "")
    assert state_of(uow, "clients", "C9") == (State.READY, ""), "a client with activity is created in Xero"


def test_an_archived_client_with_no_activity_is_not_created_until_a_document_needs_it(
    load: Importer, uow: FakeUnitOfWork
) -> None:
    load(merge(sample_rows(), {"clients": [client("C9", status="archived", archived_on="2026-10-31")]}))
    state, reason = state_of(uow, "clients", "C9")
    assert state is State.WAITING and reason.startswith("not created in Xero: client C9, archived on 2026-10-31")
    load(bill("B9", "C9", "10.00", "2.00", day="2026-10-01"), sequence=2)
    assert state_of(uow, "clients", "C9") == (State.READY, "")
    assert state_of(uow, "bills", "B9") == (State.READY, "")


def test_each_allocation_of_a_receipt_has_its_own_state(load: Importer, uow: FakeUnitOfWork) -> None:
    load(merge(sample_rows(), receipt("R7", "C002", {"B002": "300.00", "B404": "5.00"})))
    assert state_of(uow, "receipt_allocations", "R7|B002") == (State.READY, "")
    assert state_of(uow, "receipt_allocations", "R7|B404") == (
        State.WAITING,
        "waiting on a document not received yet: bills|B404",
    )
    assert state_of(uow, "receipts", "R7") == (State.READY, "")
