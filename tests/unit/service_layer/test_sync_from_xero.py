"""sync_from_xero against the local Xero: what people did in Xero comes back, what Cynare Link did does not.

The scene is set as the poster would set it (a contact, bills, receipts, credit notes and allocations
through the API, their Xero ids indexed as ours), then by hand in Xero (bank-feed receipts, a batch
deposit, allocations, deletions) and by an invoice entered in Xero directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cynare.domain import documents as doc
from cynare.domain.lifecycle import Stamp, State, StoredDocument
from cynare.domain.money import Money
from cynare.extract.writeback import Posted, WritebackDocument
from cynare.sandbox.xero.clock import ManualClock
from cynare.sandbox.xero.emulator import Emulator
from cynare.service_layer.sync_from_xero import SyncOutcome, sync_from_xero, writeback_id_for, xero_date, xero_datetime
from cynare.service_layer.unit_of_work import EntityWork
from cynare.service_layer.xero_port import OutboxItem
from tests.unit.service_layer.fakes import FakeDocuments, FakeUnitOfWork
from tests.unit.service_layer.posting_fakes import FakeCursors, FakeOutbox, FakeWritebackOutbox
from tests.unit.service_layer.xero_test_api import RecordingXeroApi

UK = "UK"
DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def _money(amount: str, currency: str = "GBP") -> Money:
    return Money(Decimal(amount), currency)


class Scene:
    """One entity's organisation and warehouse: what the poster did (indexed as ours) and what people did."""

    def __init__(self, emulator: Emulator, api: RecordingXeroApi, work: EntityWork) -> None:
        self.emulator = emulator
        self.api = api
        self.work = work
        self.contact_id = ""
        self.invoices: dict[str, str] = {}  # bill firm id -> InvoiceID

    # the warehouse ---------------------------------------------------------------------------
    def store(self, dataset: str, firm_id: str, body: doc.Body, xero_id: str = "", state: State = State.POSTED) -> None:
        document = doc.Document(UK, doc.DocKey(dataset, firm_id), "pms", firm_id, body)
        stored = StoredDocument(document, state, "", (), Stamp("b1", "pms", 1), xero_id=xero_id)
        assert self.work.documents.save([stored]) == []

    def restore(self, dataset: str, firm_id: str, state: State, xero_id: str) -> None:
        """The poster learnt its attempt's outcome: the document is posted with its Xero id."""
        assert isinstance(self.work.documents, FakeDocuments)
        current = self.work.documents.rows[doc.DocKey(dataset, firm_id)]
        assert self.work.documents.save([dataclasses.replace(current, state=state, xero_id=xero_id)]) == []

    # what the poster does --------------------------------------------------------------------
    def put(self, path: str, collection: str, elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        reply = self.api.call("PUT", path, body={collection: elements})
        made: list[dict[str, Any]] = reply.body[collection]
        return made

    def our_client(self, client_id: str = "C1") -> None:
        (contact,) = self.put("/Contacts", "Contacts", [{"Name": "Ashdown Holdings", "ContactNumber": client_id}])
        self.contact_id = contact["ContactID"]
        self.store("clients", client_id, doc.Client(client_id, "Ashdown Holdings", "GBP"), self.contact_id)

    def invoices_for(self, bills: dict[str, tuple[str, str]], ours: bool = True) -> None:
        """Invoices of one line at 20% VAT: bill id -> (currency, net)."""
        elements = [
            {"Type": "ACCREC", "Contact": {"ContactID": self.contact_id}, "InvoiceNumber": f"INV-{bill_id}",
             "Date": DAY.isoformat(), "DueDate": (DAY + timedelta(days=30)).isoformat(), "Status": "AUTHORISED",
             "CurrencyCode": currency, "LineAmountTypes": "Exclusive",
             "LineItems": [{"Description": "Fees", "Quantity": Decimal(1), "UnitAmount": Decimal(net),
                            "AccountCode": "200", "TaxType": "OUTPUT2"}]}
            for bill_id, (currency, net) in bills.items()
        ]  # fmt: skip
        for (bill_id, (currency, net)), made in zip(
            bills.items(), self.put("/Invoices", "Invoices", elements), strict=True
        ):
            self.invoices[bill_id] = made["InvoiceID"]
            if ours:
                total = _money(format(Decimal(net) * Decimal("1.2"), ".2f"), currency)
                body = doc.Bill(bill_id, f"INV-{bill_id}", "C1", DAY, DAY + timedelta(days=30), Decimal(1), total, ())
                self.store("bills", bill_id, body, made["InvoiceID"])

    def our_receipts(self, receipts: dict[str, tuple[str, str]]) -> dict[str, str]:
        """One payment per receipt on one bill (receipt id -> (bill id, amount)): receipt id -> PaymentID."""
        elements = [
            {"Invoice": {"InvoiceID": self.invoices[bill_id]}, "Account": {"Code": "090"}, "Amount": Decimal(amount),
             "Date": DAY.isoformat(), "Reference": receipt_id}
            for receipt_id, (bill_id, amount) in receipts.items()
        ]  # fmt: skip
        made = self.put("/Payments", "Payments", elements)
        ids = {}
        for (receipt_id, (bill_id, amount)), payment in zip(receipts.items(), made, strict=True):
            ids[receipt_id] = payment["PaymentID"]
            self.store("receipts", receipt_id, doc.Receipt(receipt_id, "C1", DAY, Decimal(1), _money(amount), "BANK1"),
                       payment["PaymentID"])  # fmt: skip
            self.store("receipt_allocations", f"{receipt_id}|{bill_id}",
                       doc.ReceiptAllocation(receipt_id, bill_id, _money(amount)), payment["PaymentID"])  # fmt: skip
        return ids

    def our_batch_receipt(self, receipt_id: str, parts: dict[str, str]) -> str:
        """One receipt paying several bills: a batch payment, its payments indexed per allocation."""
        element = {
            "Account": {"Code": "090"}, "Date": DAY.isoformat(), "Reference": receipt_id,
            "Payments": [{"Invoice": {"InvoiceID": self.invoices[b]}, "Amount": Decimal(a)} for b, a in parts.items()],
        }  # fmt: skip
        (batch,) = self.put("/BatchPayments", "BatchPayments", [element])
        total = sum((Decimal(a) for a in parts.values()), Decimal(0))
        self.store("receipts", receipt_id, doc.Receipt(receipt_id, "C1", DAY, Decimal(1), _money(str(total)), "BANK1"),
                   batch["BatchPaymentID"])  # fmt: skip
        by_invoice = {p["Invoice"]["InvoiceID"]: p["PaymentID"] for p in batch["Payments"]}
        for bill_id, amount in parts.items():
            self.store("receipt_allocations", f"{receipt_id}|{bill_id}",
                       doc.ReceiptAllocation(receipt_id, bill_id, _money(amount)), by_invoice[self.invoices[bill_id]])  # fmt: skip
        return str(batch["BatchPaymentID"])

    def credit_note(self, net: str, account: str = "200", tax: str = "OUTPUT2") -> str:
        element = {
            "Type": "ACCRECCREDIT", "Contact": {"ContactID": self.contact_id}, "Date": DAY.isoformat(),
            "Status": "AUTHORISED", "LineAmountTypes": "Exclusive",
            "LineItems": [{"Description": "Credit", "Quantity": Decimal(1), "UnitAmount": Decimal(net),
                           "AccountCode": account, "TaxType": tax}],
        }  # fmt: skip
        (made,) = self.put("/CreditNotes", "CreditNotes", [element])
        return str(made["CreditNoteID"])

    def our_credit_note(self, credit_note_id: str, net: str) -> str:
        xero_id = self.credit_note(net)
        total = _money(format(Decimal(net) * Decimal("1.2"), ".2f"))
        self.store("credit_notes", credit_note_id,
                   doc.CreditNote(credit_note_id, f"CN-{credit_note_id}", "C1", DAY, Decimal(1), total, ()), xero_id)  # fmt: skip
        return xero_id

    def allocate(self, credit_note_xero_id: str, bill_id: str, amount: str) -> str:
        element = {"Invoice": {"InvoiceID": self.invoices[bill_id]}, "Amount": Decimal(amount), "Date": DAY.isoformat()}
        (made,) = self.put(f"/CreditNotes/{credit_note_xero_id}/Allocations", "Allocations", [element])
        return str(made["AllocationID"])

    def our_allocation(self, allocation_id: str, credit_note_id: str, credit_note_xero_id: str, bill_id: str,
                       amount: str) -> None:  # fmt: skip
        xero_id = self.allocate(credit_note_xero_id, bill_id, amount)
        body = doc.Allocation(allocation_id, doc.DocKey("credit_notes", credit_note_id), bill_id, DAY, _money(amount))
        self.store("allocations", allocation_id, body, xero_id)

    def our_write_off(self, write_off_id: str, bill_id: str, amount: str) -> str:
        """A bad-debt credit note, allocated to its bill by the poster: only the credit note is indexed."""
        xero_id = self.credit_note(amount, account="684", tax="NONE")
        self.allocate(xero_id, bill_id, amount)
        body = doc.WriteOff(write_off_id, "C1", bill_id, DAY, Decimal(1), "BADDEBT", _money(amount), _money("0.00"),
                            _money(amount), "client gone")  # fmt: skip
        self.store("write_offs", write_off_id, body, xero_id)
        return xero_id

    def delete_payment(self, payment_id: str) -> None:
        self.api.call("POST", f"/Payments/{payment_id}", body={"Status": "DELETED"})

    def returned_in_pms(self, return_id: str, receipt_id: str) -> None:
        self.store("returned_receipts", return_id, doc.ReturnedReceipt(return_id, receipt_id, DAY, "cheque bounced"))

    # what people do in Xero ------------------------------------------------------------------
    def overpayment(self, amount: str) -> str:
        element = {
            "Type": "RECEIVE-OVERPAYMENT", "Contact": {"ContactID": self.contact_id}, "BankAccount": {"Code": "090"},
            "Date": DAY.isoformat(), "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Unallocated cash", "LineAmount": Decimal(amount)}],
        }  # fmt: skip
        (made,) = self.put("/BankTransactions", "BankTransactions", [element])
        return str(made["OverpaymentID"])

    def bank_feed(self, bill_id: str, amount: str) -> str:
        return self.emulator.receive_from_bank_feed(UK, self.invoices[bill_id], Decimal(amount), DAY)

    def payment_made_in_xero(self, bill_id: str, amount: str) -> str:
        (made,) = self.put("/Payments", "Payments", [{"Invoice": {"InvoiceID": self.invoices[bill_id]},
                           "Account": {"Code": "090"}, "Amount": Decimal(amount), "Date": DAY.isoformat()}])  # fmt: skip
        return str(made["PaymentID"])


def _updated(record: dict[str, Any]) -> datetime:
    at = xero_datetime(record["UpdatedDateUTC"])
    assert at is not None
    return at


@dataclasses.dataclass
class Run:
    """The sync's collaborators for the UK entity; `sync()` runs it once."""

    scene: Scene
    outbox: FakeOutbox
    cursors: FakeCursors
    writeback: FakeWritebackOutbox
    clock: Callable[[], datetime] = lambda: NOW

    def sync(self, **options: Any) -> SyncOutcome:
        return sync_from_xero(self.scene.work, self.scene.api, self.outbox, self.cursors, self.writeback, self.clock,
                              **options)  # fmt: skip

    def document(self, outcome: SyncOutcome) -> WritebackDocument:
        assert outcome.writeback_id is not None
        return WritebackDocument.parse(self.writeback.documents[(UK, outcome.writeback_id)].encode())

    def payment_reads(self, since: int = 0) -> list[Any]:
        return [sent for sent in self.scene.api.sent[since:] if sent.method == "GET" and sent.path == "/Payments"]


def _run(emulator: Emulator, token: str, tenant_id: str) -> Iterator[Run]:
    with FakeUnitOfWork().for_entity(UK) as work:
        api = RecordingXeroApi(emulator.accounting_url, token, tenant_id, UK)
        yield Run(Scene(emulator, api, work), FakeOutbox(), FakeCursors(), FakeWritebackOutbox())
        api.close()


@pytest.fixture
def run(xero_emulator: Emulator, xero_token: Callable[[str], str], xero_tenant_ids: dict[str, str]) -> Iterator[Run]:
    yield from _run(xero_emulator, xero_token(UK), xero_tenant_ids[UK])


@dataclasses.dataclass
class Cast:
    """The Xero ids of the full scene, by what they are."""

    ids: dict[str, str]


@pytest.fixture
def scene(run: Run) -> Cast:
    """Everything at once: what the poster did, what people did by hand, and an invoice not the PMS's."""
    s = run.scene
    s.our_client()
    s.invoices_for({"B1": ("GBP", "100.00"), "B2": ("GBP", "200.00"), "B3": ("GBP", "300.00"),
                    "B4": ("EUR", "100.00"), "B5": ("GBP", "100.00"), "B6": ("GBP", "100.00")})  # fmt: skip
    s.invoices_for({"X1": ("GBP", "500.00")}, ours=False)  # entered in Xero directly
    ids = s.our_receipts({"R1": ("B2", "100.00"), "R2": ("B3", "60.00"), "R3": ("B5", "40.00")})
    ids["R4"] = s.our_batch_receipt("R4", {"B2": "20.00", "B3": "20.00"})
    ids["CN1"] = s.our_credit_note("CN1", "20.00")
    ids["CN2"] = s.our_credit_note("CN2", "10.00")
    s.our_allocation("A1", "CN2", ids["CN2"], "B5", "12.00")  # the PMS's own allocation
    ids["WO1"] = s.our_write_off("WO1", "B6", "30.00")
    # By hand in Xero:
    ids["feed B1"] = s.bank_feed("B1", "50.00")
    ids["feed B4"] = s.bank_feed("B4", "30.00")
    ids["feed X1"] = s.bank_feed("X1", "100.00")  # not on a PMS bill
    (ids["deposit B6"],) = s.emulator.record_batch_payment(UK, [(s.invoices["B6"], Decimal("25.00"))], DAY)
    ids["CN1 to B1"] = s.emulator.allocate_credit(UK, ids["CN1"], s.invoices["B1"], Decimal("10.00"), DAY)
    ids["OP"] = s.overpayment("5.00")
    ids["OP to B1"] = s.emulator.allocate_credit(UK, ids["OP"], s.invoices["B1"], Decimal("5.00"), DAY)
    s.delete_payment(ids["R2"])  # one of ours, deleted in Xero: the PMS must reverse it
    s.returned_in_pms("RR1", "R3")
    s.delete_payment(ids["R3"])  # the poster's own deletion for the PMS's returned receipt
    return Cast(ids)


def test_what_people_did_in_xero_comes_back_and_nothing_of_ours(run: Run, scene: Cast) -> None:
    ids, invoices = scene.ids, run.scene.invoices
    posted = Posted(dataset="bills", pms_id="B1", xero_id=invoices["B1"], xero_number="INV-B1")
    run.outbox.put([OutboxItem("posted|bills|B1|v1", posted.model_dump(mode="json"), NOW - timedelta(hours=1))])
    bytes_before = run.scene.api.usage.bytes_read

    outcome = run.sync()

    assert outcome.found == {"xero_receipt": 3, "xero_allocation": 2, "payment_deleted": 1}
    assert outcome.counts == {"posted": 1, "xero_receipt": 3, "xero_allocation": 2, "payment_deleted": 1}
    assert (outcome.calls, outcome.deferred, outcome.problems) == (3, (), ())  # one page of each list
    assert outcome.bytes_read == run.scene.api.usage.bytes_read - bytes_before > 0
    document = run.document(outcome)
    assert document.items[0] == posted, "the poster's item, put first, comes first"
    items = {item.kind + "|" + item.model_dump()["pms_bill_id"]: item.model_dump(mode="json")
             for item in document.items[1:] if item.kind != "xero_allocation"}  # fmt: skip
    day = DAY.isoformat()
    assert items == {
        "xero_receipt|B1": {"kind": "xero_receipt", "xero_payment_id": ids["feed B1"], "pms_bill_id": "B1", "date": day,
                            "currency": "GBP", "amount": "50.00", "xero_bank_account_code": "090",
                            "reference": "Bank feed"},
        "xero_receipt|B4": {"kind": "xero_receipt", "xero_payment_id": ids["feed B4"], "pms_bill_id": "B4", "date": day,
                            "currency": "EUR", "amount": "30.00", "xero_bank_account_code": "090",
                            "reference": "Bank feed"},
        "xero_receipt|B6": {"kind": "xero_receipt", "xero_payment_id": ids["deposit B6"], "pms_bill_id": "B6",
                            "date": day, "currency": "GBP", "amount": "25.00", "xero_bank_account_code": "090",
                            "reference": None},
        # A deleted payment is dated when it was deleted (the local Xero's today, UTC).
        "payment_deleted|B3": {"kind": "payment_deleted", "xero_payment_id": ids["R2"], "pms_receipt_id": "R2",
                               "pms_bill_id": "B3", "date": run.scene.emulator.clock.now().date().isoformat()},
    }  # fmt: skip
    # Two allocations made in Xero on B1: a credit note of the PMS's, and cash a person recorded in Xero.
    allocations = sorted((i for i in document.items if i.kind == "xero_allocation"), key=lambda i: i.source_kind)
    assert [i.model_dump(mode="json") for i in allocations] == [
        {"kind": "xero_allocation", "xero_allocation_id": ids["CN1 to B1"], "source_kind": "credit_note",
         "source_xero_id": ids["CN1"], "pms_bill_id": "B1", "date": day, "currency": "GBP", "amount": "10.00"},
        {"kind": "xero_allocation", "xero_allocation_id": ids["OP to B1"], "source_kind": "overpayment",
         "source_xero_id": ids["OP"], "pms_bill_id": "B1", "date": day, "currency": "GBP", "amount": "5.00"},
    ]  # fmt: skip
    # Amounts travel as exact decimal text with their currency, and the document validates as format v1.
    text = run.writeback.documents[(UK, document.writeback_id)]
    assert '"amount": "50.00"' in text and '"amount": "30.00"' in text
    assert WritebackDocument.parse(text.encode()).version == outcome.version == document.version
    assert run.outbox.items == {}, "the items went into the document and left the outbox"
    # Each cursor sits on the newest UpdatedDateUTC read from its list.
    assert run.cursors.cursors["Payments"] == max(_updated(p) for p in run.payment_reads()[0].body["Payments"])
    assert set(run.cursors.cursors) == {"Payments", "CreditNotes", "Overpayments"}


def test_a_later_sync_reads_only_what_changed_and_a_quiet_one_writes_nothing(run: Run, scene: Cast) -> None:
    first = run.sync()
    assert first.writeback_id is not None
    s, ids = run.scene, scene.ids
    # By hand after the first sync: the deposit reported then is deleted; a payment made and deleted in between.
    batch_id = s.emulator.tenant(UK).payments[ids["deposit B6"]].batch_payment_id
    s.api.call("POST", f"/BatchPayments/{batch_id}", body={"Status": "DELETED"})
    s.delete_payment(s.payment_made_in_xero("B6", "15.00"))
    cursor = run.cursors.cursors["Payments"]
    before = len(s.api.sent)

    second = run.sync()

    assert second.found == {"payment_deleted": 1}
    (item,) = run.document(second).items
    assert item.model_dump(exclude={"date"}) == {"kind": "payment_deleted", "xero_payment_id": ids["deposit B6"],
                                                  "pms_receipt_id": None, "pms_bill_id": "B6"}  # fmt: skip
    # Three list reads, and one History call per deleted payment made in Xero (was it reported before?).
    assert second.calls == 5
    (read,) = run.payment_reads(before)
    assert read.if_modified_since == cursor.replace(microsecond=0).isoformat()
    assert read.params == {"where": 'PaymentType=="ACCRECPAYMENT"', "page": "1", "pageSize": "1000"}
    assert read.body["Payments"], "the deleted payments at least"
    assert all(_updated(p) >= cursor.replace(microsecond=0) for p in read.body["Payments"]), "only what changed"

    before = len(s.api.sent)
    quiet = run.sync()
    assert (quiet.writeback_id, quiet.counts, quiet.found, quiet.calls) == (None, {}, {}, 3)
    assert len(run.writeback.documents) == 2
    assert all(sent.if_modified_since for sent in s.api.sent[before:])


def test_if_modified_since_returns_only_the_records_changed_since_the_cursor(
    make_xero_emulator: Callable[..., Emulator], xero_tenant_ids: dict[str, str]
) -> None:
    clock = ManualClock(start=datetime(2026, 11, 24, 9, 0, 0, 250_000, tzinfo=UTC))
    emulator = make_xero_emulator(clock=clock)
    for run in _run(emulator, emulator.token(UK), xero_tenant_ids[UK]):
        s = run.scene
        s.our_client()
        s.invoices_for({"B1": ("GBP", "100.00"), "B2": ("GBP", "100.00")})
        clock.advance(5)
        first_receipt = s.bank_feed("B1", "10.00")
        clock.advance(5)
        second_receipt = s.bank_feed("B1", "20.00")
        first = run.sync()
        assert first.found == {"xero_receipt": 2}
        assert run.cursors.cursors["Payments"] == datetime(2026, 11, 24, 9, 0, 10, 250_000, tzinfo=UTC)

        clock.advance(60)  # a new minute: the rate window starts afresh too
        third_receipt = s.bank_feed("B2", "30.00")
        before = len(s.api.sent)
        second = run.sync()

        (read,) = run.payment_reads(before)
        assert read.if_modified_since == "2026-11-24T09:00:10+00:00"
        # To the second: the record of the cursor's own second comes back, and is known as read; the older does not.
        assert [p["PaymentID"] for p in read.body["Payments"]] == [second_receipt, third_receipt]
        assert first_receipt not in {p["PaymentID"] for p in read.body["Payments"]}
        assert second.found == {"xero_receipt": 1}
        assert [item.model_dump()["xero_payment_id"] for item in run.document(second).items] == [third_receipt]
        assert run.cursors.cursors["Payments"] == datetime(2026, 11, 24, 9, 1, 10, 250_000, tzinfo=UTC)


class CrashingOutbox(FakeOutbox):
    """The worker stops after the document was written and before its items left the outbox."""

    def __init__(self) -> None:
        super().__init__()
        self.crash = True

    def remove(self, keys: list[str]) -> None:
        if self.crash:
            self.crash = False
            raise RuntimeError("worker stopped")
        super().remove(keys)


class CrashingCursors(FakeCursors):
    """The worker stops after the items were put in the outbox and before the cursors moved."""

    def __init__(self) -> None:
        super().__init__()
        self.crash = True

    def set(self, name: str, at: datetime) -> None:
        if self.crash:
            self.crash = False
            raise RuntimeError("worker stopped")
        super().set(name, at)


def _small_scene(run: Run) -> str:
    s = run.scene
    s.our_client()
    s.invoices_for({"B1": ("GBP", "100.00")})
    return s.bank_feed("B1", "50.00")


def test_a_replay_after_a_crash_between_the_write_and_the_removal_writes_the_same_document(run: Run) -> None:
    _small_scene(run)
    run.outbox = CrashingOutbox()
    with pytest.raises(RuntimeError, match="worker stopped"):
        run.sync()
    ((entity, writeback_id), first_json) = next(iter(run.writeback.documents.items()))
    first = WritebackDocument.parse(first_json.encode())

    run.clock = lambda: NOW + timedelta(hours=3)  # written again later: another created_at, the same document
    replay = run.sync()

    assert (replay.writeback_id, replay.version) == (writeback_id, first.version)
    assert list(run.writeback.documents) == [(UK, writeback_id)] and entity == UK
    again = run.document(replay)
    assert again.created_at != first.created_at and again.items == first.items
    assert run.outbox.items == {}
    assert run.sync().writeback_id is None


def test_a_crash_before_the_cursors_moved_reads_again_and_reports_once(run: Run) -> None:
    payment_id = _small_scene(run)
    run.cursors = CrashingCursors()
    with pytest.raises(RuntimeError, match="worker stopped"):
        run.sync()
    assert list(run.outbox.items) == [f"xero_receipt|{payment_id}"] and run.writeback.documents == {}

    replay = run.sync()

    assert replay.found == {"xero_receipt": 1} and replay.counts == {"xero_receipt": 1}
    assert [item.model_dump()["xero_payment_id"] for item in run.document(replay).items] == [payment_id]
    assert run.sync().writeback_id is None


def test_a_payment_on_a_bill_whose_pms_receipt_is_being_posted_waits_for_the_poster(run: Run) -> None:
    s = run.scene
    s.our_client()
    s.invoices_for({"B1": ("GBP", "100.00")})
    # The poster sent R9's payment and does not know yet whether Xero took it: nothing is indexed.
    s.store("receipts", "R9", doc.Receipt("R9", "C1", DAY, Decimal(1), _money("40.00"), "BANK1"), state=State.POSTING)
    s.store("receipt_allocations", "R9|B1", doc.ReceiptAllocation("R9", "B1", _money("40.00")), state=State.POSTING)
    (ours,) = s.put("/Payments", "Payments", [{"Invoice": {"InvoiceID": s.invoices["B1"]}, "Account": {"Code": "090"},
                                               "Amount": Decimal("40.00"), "Date": DAY.isoformat()}])  # fmt: skip
    by_hand = s.bank_feed("B1", "50.00")

    waiting = run.sync()

    assert waiting.found == {} and waiting.writeback_id is None and len(waiting.deferred) == 2
    assert "receipt of the PMS is being posted" in waiting.deferred[0]
    # The poster learns its outcome and indexes its payment: only the one made by hand is Xero's.
    s.restore("receipts", "R9", State.POSTED, ours["PaymentID"])
    s.restore("receipt_allocations", "R9|B1", State.POSTED, ours["PaymentID"])
    done = run.sync()
    assert [item.model_dump()["xero_payment_id"] for item in run.document(done).items] == [by_hand]
    assert done.deferred == ()


def test_xero_dates_and_the_document_id() -> None:
    assert xero_datetime("/Date(1552404447003+0000)/") == datetime(2019, 3, 12, 15, 27, 27, 3000, tzinfo=UTC)
    assert xero_datetime("2026-11-24T09:00:10") == datetime(2026, 11, 24, 9, 0, 10, tzinfo=UTC)
    assert xero_datetime("not a date") is None and xero_datetime(None) is None
    assert xero_date("/Date(1795478400000+0000)/") == date(2026, 11, 24)
    assert xero_date("2026-11-24") == date(2026, 11, 24)
    items = [OutboxItem("xero_receipt|p1", {"kind": "xero_receipt"}, NOW), OutboxItem("b", {"k": 1}, NOW)]
    assert writeback_id_for(items) == writeback_id_for(list(items))
    assert writeback_id_for(items).startswith("20261126-") and len(writeback_id_for(items)) == 29
    assert writeback_id_for(items[:1]) != writeback_id_for(items)
