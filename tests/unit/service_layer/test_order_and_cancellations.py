"""Batches apply in the agent's order whatever their ids; cancellations withdraw or void, never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cynare.domain.documents import Bill, DocKey
from cynare.domain.lifecycle import State, begin_posting, posted, rejected
from cynare.service_layer.import_extracts import import_extracts
from cynare.service_layer.status import entity_status
from tests.batches import bill, merge, receipt, sample_rows, write_batch
from tests.unit.service_layer.conftest import NOW, FolderInbox, Importer, RecordingQueue, clock
from tests.unit.service_layer.fakes import FakeUnitOfWork


def bill_total(uow: FakeUnitOfWork, bill_id: str) -> str:
    body = uow.documents("UK")[DocKey("bills", bill_id)].document.body
    assert isinstance(body, Bill)
    return str(body.total.amount)


def cancellation(kind: str, document_id: str) -> dict[str, list[dict[str, str]]]:
    return {"cancellations": [{"kind": kind, "document_id": document_id, "date": "2026-11-24", "reason": "voided"}]}


def test_an_older_batch_never_overwrites_a_newer_version(load: Importer, uow: FakeUnitOfWork) -> None:
    load(merge(sample_rows(), bill("B9", "C001", "50.00", "10.00")), sequence=2)
    outcome = load(bill("B9", "C001", "40.00", "8.00"), sequence=1)
    assert outcome.documents.older == 1
    assert bill_total(uow, "B9") == "60.00"


def test_the_run_applies_batches_in_sequence_order_not_id_order(tmp_path: Path, uow: FakeUnitOfWork) -> None:
    inbox = FolderInbox(tmp_path / "inbound")
    (inbox.root / "UK").mkdir(parents=True)
    in_order = []
    for sequence, net in ((1, "10.00"), (2, "20.00"), (3, "10.00")):  # A, then B, then A again
        folder = tmp_path / "staging" / str(sequence)
        manifest = write_batch(folder, merge(sample_rows(), bill("B9", "C001", net, "0.00")), sequence=sequence)
        folder.rename(inbox.root / "UK" / manifest.batch_id)
        in_order.append(manifest.batch_id)
    assert len(set(in_order)) == 3, "the same content sent again is a new batch"
    outcomes = import_extracts(inbox, uow, RecordingQueue(), clock)
    assert [outcome.status for outcome in outcomes] == ["imported"] * 3
    assert [outcome.batch_id for outcome in outcomes] == in_order
    assert bill_total(uow, "B9") == "10.00", "A -> B -> A ends at A"


def test_an_entity_with_ready_documents_is_announced_even_when_this_run_changed_nothing(
    tmp_path: Path, uow: FakeUnitOfWork
) -> None:
    inbox = FolderInbox(tmp_path)
    manifest = write_batch(tmp_path / "staging", sample_rows())
    (tmp_path / "UK").mkdir()
    (tmp_path / "staging").rename(tmp_path / "UK" / manifest.batch_id)

    class Crashing(RecordingQueue):
        def announce(self, entity: str, reason: str, delay_seconds: float = 0.0) -> None:
            raise ConnectionError("the run stopped before announcing")

    with pytest.raises(ConnectionError):
        import_extracts(inbox, uow, Crashing(), clock)
    again = RecordingQueue()
    assert import_extracts(inbox, uow, again, clock) == [], "the batch was imported by the first run"
    assert again.announced == ["UK"], "the warehouse has ready documents: the entity has work"


def test_a_cancellation_of_a_bill_not_yet_in_xero_withdraws_it(load: Importer, uow: FakeUnitOfWork) -> None:
    load(merge(sample_rows(), bill("B9", "C001", "10.00", "2.00")))
    outcome = load(cancellation("bill", "B9"), sequence=2)
    documents = uow.documents("UK")
    assert outcome.cancelled == 1
    target = documents[DocKey("bills", "B9")]
    assert target.state is State.CANCELLED
    assert target.reason == "cancelled in the PMS on 2026-11-24: voided; it never reached Xero"
    assert documents[DocKey("cancellations", "bills|B9")].state is State.CANCELLED
    assert entity_status(uow, "UK").cancelled == [("bills|B9", target.reason)]


def test_a_cancellation_of_a_bill_in_xero_is_ready_to_void_it(load: Importer, uow: FakeUnitOfWork) -> None:
    load(merge(sample_rows(), bill("B9", "C001", "10.00", "2.00")))
    with uow.for_entity("UK") as work:
        stored = work.documents.get_many([DocKey("bills", "B9")])[DocKey("bills", "B9")]
        work.documents.save([posted(begin_posting(stored, NOW), "inv-123", NOW)])
    load(cancellation("bill", "B9"), sequence=2)
    documents = uow.documents("UK")
    assert documents[DocKey("cancellations", "bills|B9")].state is State.READY
    assert documents[DocKey("bills", "B9")].state is State.POSTED


def test_a_cancellation_that_arrives_first_waits_then_withdraws_its_bill(load: Importer, uow: FakeUnitOfWork) -> None:
    load(merge(sample_rows(), cancellation("bill", "B9")))
    stored = uow.documents("UK")[DocKey("cancellations", "bills|B9")]
    assert (stored.state, stored.reason) == (State.WAITING, "waiting on a document not received yet: bills|B9")
    load(bill("B9", "C001", "10.00", "2.00"), sequence=2)
    documents = uow.documents("UK")
    assert documents[DocKey("bills", "B9")].state is State.CANCELLED
    assert documents[DocKey("cancellations", "bills|B9")].state is State.CANCELLED


def test_a_document_whose_parent_was_rejected_says_so_with_the_parents_reason(
    load: Importer, uow: FakeUnitOfWork
) -> None:
    load(sample_rows())
    with uow.for_entity("UK") as work:
        stored = work.documents.get_many([DocKey("bills", "B002")])[DocKey("bills", "B002")]
        work.documents.save([rejected(stored, "Xero: the period is locked", NOW)])
    load(receipt("R7", "C002", {"B002": "300.00"}), sequence=2)
    stored = uow.documents("UK")[DocKey("receipt_allocations", "R7|B002")]
    assert stored.state is State.WAITING
    assert stored.reason == "waiting on a rejected document: bills|B002 (Xero: the period is locked)"


def test_a_batch_whose_manifest_names_another_entity_is_refused(tmp_path: Path, uow: FakeUnitOfWork) -> None:
    from cynare.extract.batch import FolderBatch
    from cynare.service_layer.import_batch import import_batch

    write_batch(tmp_path / "b", sample_rows(), entity="IE")
    outcome = import_batch(FolderBatch(tmp_path / "b"), "UK", uow, clock)
    assert outcome.status == "rejected" and "names entity 'IE'" in outcome.reason
    assert uow.documents("UK") == {} and uow.documents("IE") == {}


def test_the_debtors_snapshot_is_kept_per_as_at_date(load: Importer, uow: FakeUnitOfWork) -> None:
    from datetime import date

    load(sample_rows())
    later = {"debtors": [{"client_id": "C002", "currency": "GBP", "balance": "300.00", "as_at": "2026-11-26"}]}
    load(later, sequence=2)
    with uow.for_entity("UK") as work:
        assert list(work.reference.snapshot("debtors", date(2026, 11, 25))) == ["C001|GBP"]
        assert list(work.reference.snapshot("debtors", date(2026, 11, 26))) == ["C002|GBP"]


def test_an_organisation_the_pms_describes_otherwise_than_the_settings_refuses_the_batch(
    load: Importer, uow: FakeUnitOfWork
) -> None:
    wrong = {"organisation": [{"entity": "UK", "organisation_name": "Sample UK", "base_currency": "EUR"}]}
    outcome = load(merge(sample_rows(), wrong))
    assert outcome.status == "rejected"
    assert "base currency EUR, but CYNARE_ENTITIES says GBP" in outcome.reason
    assert uow.documents("UK") == {}
    right = {"organisation": [{"entity": "UK", "organisation_name": "Sample UK", "base_currency": "GBP"}]}
    assert load(merge(sample_rows(), right), sequence=2).status == "imported"
