"""The reconciliation's reads against the local Xero: every receivable record mapped with its effect, open
amount, status and rate; only what changed read again; the debtors control account off the trial balance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from cynare.adapters.xero.http import XeroHttpApi
from cynare.adapters.xero.jsonio import xero_datetime
from cynare.domain.reconciliation import ControlFigures, XeroEntry, XeroKind, control_check
from cynare.sandbox.xero.clock import ManualClock
from cynare.service_layer.reconciliation import xero_ledger
from cynare.service_layer.reconciliation.xero_ledger import LedgerUnreadable, read_control, refresh_ledger
from cynare.service_layer.xero_port import Usage, XeroReply
from tests.integration.xero.conftest import wire
from tests.unit.service_layer.fakes import InMemoryXeroLedger
from tests.unit.service_layer.posting_fakes import FakeCursors

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
AS_AT = date(2026, 11, 20)
RESOURCES = ("Contacts", "Invoices", "CreditNotes", "Overpayments", "Payments")


class Recorder:
    """The entity's XeroApi, noting for each GET what it asked from when and what came back."""

    def __init__(self, api: XeroHttpApi) -> None:
        self._api = api
        self.entity, self.tenant_id = api.entity, api.tenant_id
        self.gets: list[tuple[str, dict[str, str], datetime | None, list[Mapping[str, Any]]]] = []

    @property
    def usage(self) -> Usage:
        return self._api.usage

    def call(self, method: str, path: str, **kwargs: Any) -> XeroReply:
        reply = self._api.call(method, path, **kwargs)
        if method == "GET":
            name = path.strip("/")
            records = reply.body.get(name, []) if isinstance(reply.body, dict) else []
            self.gets.append((name, dict(kwargs.get("params") or {}), kwargs.get("if_modified_since"), records))
        return reply


@dataclass
class Books:
    """The organisation as seeded: ids by our own names."""

    em: Any
    clock: ManualClock
    api: XeroHttpApi
    ids: dict[str, str] = field(default_factory=dict)

    def step(self, seconds: int = 3) -> None:
        self.clock.advance(seconds)

    def put(self, path: str, collection: str, elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.step()
        return list(self.api.call("PUT", path, body={collection: elements}).body[collection])


def line(amount: str, tax: str = "NONE") -> dict[str, Any]:
    return {"Description": "Fees", "Quantity": Decimal(1), "UnitAmount": Decimal(amount), "AccountCode": "200",
            "TaxType": tax}  # fmt: skip


def invoice(number: str, contact: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"Type": "ACCREC", "InvoiceNumber": number, "Contact": {"ContactID": contact}, "Date": "2026-11-02",
            "DueDate": "2026-11-30", "Status": "AUTHORISED", "LineAmountTypes": "Exclusive",
            "LineItems": [line(amount, extra.pop("tax", "NONE"))], **extra}  # fmt: skip


def allocation(amount: str, invoice_id: str, day: int) -> dict[str, Any]:
    return {"Amount": Decimal(amount), "Invoice": {"InvoiceID": invoice_id}, "Date": f"2026-11-{day:02}"}


def seed(make_xero_emulator: Any) -> Books:
    clock = ManualClock(START)
    em = make_xero_emulator(clock=clock)
    books = Books(em, clock, wire(em, "UK").api)
    ids = books.ids
    made = books.put("/Contacts", "Contacts", [
        {"Name": "Acme Ltd", "ContactNumber": "C1"}, {"Name": "Brook & Co", "ContactNumber": "C2"},
        {"Name": "Euro GmbH", "ContactNumber": "C3", "DefaultCurrency": "EUR"},
    ])  # fmt: skip
    ids.update(acme=made[0]["ContactID"], brook=made[1]["ContactID"], euro=made[2]["ContactID"])
    made = books.put("/Invoices", "Invoices", [
        invoice("INV-A1", ids["acme"], "1000.00", tax="OUTPUT2"),  # 1,200.00 with VAT
        invoice("INV-A2", ids["acme"], "500.00"),
        invoice("INV-B1", ids["brook"], "300.00"),
        invoice("INV-E1", ids["euro"], "1000.00", CurrencyCode="EUR", CurrencyRate=Decimal("1.25")),
        invoice("INV-B2", ids["brook"], "200.00"),
        invoice("INV-B3", ids["brook"], "50.00", Status="DRAFT"),
        invoice("INV-A3", ids["acme"], "400.00"),
    ])  # fmt: skip
    ids.update({element["InvoiceNumber"]: element["InvoiceID"] for element in made})
    made = books.put("/Payments", "Payments", [
        {"Invoice": {"InvoiceID": ids["INV-A1"]}, "Account": {"Code": "090"}, "Date": "2026-11-10",
         "Amount": Decimal("300.00"), "Reference": "DD 4411"},
        {"Invoice": {"InvoiceID": ids["INV-E1"]}, "Account": {"Code": "090"}, "Date": "2026-11-10",
         "Amount": Decimal("400.00"), "CurrencyRate": Decimal("1.20")},
        {"Invoice": {"InvoiceID": ids["INV-A3"]}, "Account": {"Code": "090"}, "Date": "2026-11-10",
         "Amount": Decimal("100.00"), "Reference": "cheque 17"},
    ])  # fmt: skip
    ids.update(p_a1=made[0]["PaymentID"], p_e1=made[1]["PaymentID"], p_a3=made[2]["PaymentID"])
    made = books.put("/BatchPayments", "BatchPayments", [
        {"Account": {"Code": "090"}, "Date": "2026-11-12", "Reference": "BATCH-1", "Payments": [
            {"Invoice": {"InvoiceID": ids["INV-A2"]}, "Amount": Decimal("500.00")},
            {"Invoice": {"InvoiceID": ids["INV-B1"]}, "Amount": Decimal("100.00")},
        ]},
    ])  # fmt: skip
    ids["batch"] = made[0]["BatchPaymentID"]
    made = books.put("/CreditNotes", "CreditNotes", [
        {"Type": "ACCRECCREDIT", "CreditNoteNumber": "CN-A1", "Contact": {"ContactID": ids["acme"]},
         "Date": "2026-11-05", "Status": "AUTHORISED", "LineItems": [line("100.00")]},
        {"Type": "ACCRECCREDIT", "CreditNoteNumber": "CN-B1", "Contact": {"ContactID": ids["brook"]},
         "Date": "2026-11-05", "Status": "AUTHORISED", "LineItems": [line("50.00")]},
    ])  # fmt: skip
    ids.update(cn_a1=made[0]["CreditNoteID"], cn_b1=made[1]["CreditNoteID"])
    books.put(f"/CreditNotes/{ids['cn_a1']}/Allocations", "Allocations", [allocation("60.00", ids["INV-A1"], 11)])
    made = books.put("/Payments", "Payments", [
        {"CreditNote": {"CreditNoteID": ids["cn_b1"]}, "Account": {"Code": "090"}, "Date": "2026-11-13",
         "Amount": Decimal("20.00"), "Reference": "refund CN-B1"},
    ])  # fmt: skip
    ids["refund_cn"] = made[0]["PaymentID"]
    made = books.put("/BankTransactions", "BankTransactions", [
        {"Type": "RECEIVE-OVERPAYMENT", "Contact": {"ContactID": ids["acme"]}, "BankAccount": {"Code": "090"},
         "Date": "2026-11-14", "Reference": "OP-1", "LineAmountTypes": "NoTax",
         "LineItems": [{"Description": "on account", "LineAmount": Decimal("250.00")}]},
    ])  # fmt: skip
    ids.update(overpayment=made[0]["OverpaymentID"], bank_transaction=made[0]["BankTransactionID"])
    books.put(
        f"/Overpayments/{ids['overpayment']}/Allocations", "Allocations", [allocation("100.00", ids["INV-A3"], 15)]
    )
    made = books.put("/Payments", "Payments", [
        {"Overpayment": {"OverpaymentID": ids["overpayment"]}, "Account": {"Code": "090"}, "Date": "2026-11-16",
         "Amount": Decimal("50.00"), "Reference": "refund OP-1"},
    ])  # fmt: skip
    ids["refund_op"] = made[0]["PaymentID"]
    books.step()
    books.api.call("POST", f"/Invoices/{ids['INV-B2']}",
                   body={"Invoices": [{"InvoiceID": ids["INV-B2"], "Status": "VOIDED"}]})  # fmt: skip
    books.step()
    books.api.call("POST", f"/Payments/{ids['p_a3']}", body={"Status": "DELETED"})
    books.step(600)  # the night's reconciliation comes well after the day's work
    return books


@pytest.fixture
def books(make_xero_emulator: Any) -> Books:
    return seed(make_xero_emulator)


def held(ledger: InMemoryXeroLedger) -> dict[str, XeroEntry]:
    return {entry.xero_id: entry for entry in ledger.entries()}


def figures(entry: XeroEntry) -> tuple[Any, ...]:
    return entry.kind, entry.contact_id, entry.currency, entry.number, entry.effect, entry.open, entry.live, entry.rate


def base(entry: XeroEntry) -> Decimal:
    return (entry.open / entry.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def outstanding(api: XeroHttpApi, contact_id: str) -> Decimal:
    """Xero's own word on what a contact owes, in base currency: the aged receivables' closing balance."""
    reply = api.call("GET", "/Reports/AgedReceivablesByContact",
                     params={"contactId": contact_id, "date": AS_AT.isoformat()})  # fmt: skip
    closing = reply.body["Reports"][0]["Rows"][-1]["Rows"][0]["Cells"]
    assert closing[0]["Value"] == "Closing Balance"
    return Decimal(closing[-1]["Value"])


def test_the_first_refresh_holds_every_receivable_record_as_xero_has_it(books: Books) -> None:
    ids, ledger, cursors = books.ids, InMemoryXeroLedger(), FakeCursors()
    refresh = refresh_ledger(ledger, cursors, books.api, books.clock.now())

    entries = held(ledger)
    acme, brook, euro = ids["acme"], ids["brook"], ids["euro"]
    gbp, one = "GBP", Decimal("1.000000")
    expected = {
        ids["INV-A1"]: (XeroKind.INVOICE, acme, gbp, "INV-A1", Decimal("1200.00"), Decimal("840.00"), True, one),
        ids["INV-A2"]: (XeroKind.INVOICE, acme, gbp, "INV-A2", Decimal("500.00"), Decimal("0.00"), True, one),
        ids["INV-B1"]: (XeroKind.INVOICE, brook, gbp, "INV-B1", Decimal("300.00"), Decimal("200.00"), True, one),
        ids["INV-E1"]: (XeroKind.INVOICE, euro, "EUR", "INV-E1", Decimal("1000.00"), Decimal("600.00"), True,
                        Decimal("1.250000")),
        ids["INV-B3"]: (XeroKind.INVOICE, brook, gbp, "INV-B3", Decimal("50.00"), Decimal("50.00"), False, one),
        ids["INV-A3"]: (XeroKind.INVOICE, acme, gbp, "INV-A3", Decimal("400.00"), Decimal("300.00"), True, one),
        ids["cn_a1"]: (XeroKind.CREDIT_NOTE, acme, gbp, "CN-A1", Decimal("-100.00"), Decimal("-40.00"), True, one),
        ids["cn_b1"]: (XeroKind.CREDIT_NOTE, brook, gbp, "CN-B1", Decimal("-50.00"), Decimal("-30.00"), True, one),
        ids["overpayment"]: (XeroKind.OVERPAYMENT, acme, gbp, "OP-1", Decimal("-250.00"), Decimal("-100.00"), True,
                             one),
        ids["p_a1"]: (XeroKind.PAYMENT, acme, gbp, "DD 4411", Decimal("-300.00"), Decimal(0), True, one),
        ids["p_e1"]: (XeroKind.PAYMENT, euro, "EUR", "", Decimal("-400.00"), Decimal(0), True, Decimal("1.200000")),
        ids["p_a3"]: (XeroKind.PAYMENT, acme, gbp, "cheque 17", Decimal("-100.00"), Decimal(0), False, one),
        ids["refund_cn"]: (XeroKind.PAYMENT, brook, gbp, "refund CN-B1", Decimal("20.00"), Decimal(0), True, one),
        ids["refund_op"]: (XeroKind.PAYMENT, acme, gbp, "refund OP-1", Decimal("50.00"), Decimal(0), True, one),
    }  # fmt: skip
    for xero_id, want in expected.items():
        assert figures(entries[xero_id]) == want, xero_id
    voided = entries[ids["INV-B2"]]
    assert (voided.kind, voided.effect, voided.live) == (XeroKind.INVOICE, Decimal("200.00"), False)
    batch = [e for e in entries.values() if e.group_id == ids["batch"]]
    assert sorted((e.document_id, e.effect) for e in batch) == sorted(
        [(ids["INV-A2"], Decimal("-500.00")), (ids["INV-B1"], Decimal("-100.00"))]
    )
    assert all(e.kind is XeroKind.PAYMENT and e.live for e in batch)
    assert len(entries) == 7 + 2 + 1 + 3 + 2 + 2  # invoices, credit notes, overpayment, payments, batch, refunds
    # Each payment names the document it settles; the overpayment its bank transaction too.
    assert entries[ids["p_a1"]].document_id == ids["INV-A1"]
    assert entries[ids["refund_cn"]].document_id == ids["cn_b1"]
    assert entries[ids["refund_op"]].document_id == ids["overpayment"]
    assert entries[ids["overpayment"]].group_id == ids["bank_transaction"]
    assert all(type(e.effect) is Decimal and type(e.open) is Decimal and type(e.rate) is Decimal
               for e in entries.values())  # fmt: skip
    assert all(e.updated is not None and e.updated.tzinfo is not None for e in entries.values())

    contacts = ledger.contacts()
    assert {(c.name, c.contact_number) for c in contacts.values()} == {
        ("Acme Ltd", "C1"), ("Brook & Co", "C2"), ("Euro GmbH", "C3")
    }  # fmt: skip

    assert refresh.first_read
    assert refresh.read == {"Contacts": 3, "Invoices": 7, "CreditNotes": 2, "Overpayments": 1, "Payments": 7}
    assert refresh.calls == 6  # one page of each list, and the bank transactions for the overpayment
    assert set(cursors.cursors) == {f"reconcile:{name}" for name in RESOURCES}  # apart from the sync's


def test_open_amounts_add_up_to_what_xero_says_each_contact_owes(books: Books) -> None:
    ledger = InMemoryXeroLedger()
    refresh_ledger(ledger, FakeCursors(), books.api, books.clock.now())
    owed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    in_base: dict[str, Decimal] = defaultdict(Decimal)
    for entry in ledger.entries():
        if entry.live and entry.kind is not XeroKind.PAYMENT:
            owed[(entry.contact_id, entry.currency)] += entry.open
            in_base[entry.contact_id] += base(entry)
    ids = books.ids
    assert owed == {
        (ids["acme"], "GBP"): Decimal("1000.00"),  # 840 + 300 - 40 - 100
        (ids["brook"], "GBP"): Decimal("170.00"),  # 200 - 30: the voided and the draft invoice do not count
        (ids["euro"], "EUR"): Decimal("600.00"),
    }
    for contact in ("acme", "brook", "euro"):
        assert in_base[ids[contact]] == outstanding(books.api, ids[contact]), contact
    assert in_base[ids["euro"]] == Decimal("480.00")  # 600 EUR at the invoice's 1.25, not the payment's 1.20


def test_a_second_refresh_reads_only_what_changed(books: Books) -> None:
    ledger, cursors = InMemoryXeroLedger(), FakeCursors()
    first = refresh_ledger(ledger, cursors, books.api, books.clock.now())
    before = held(ledger)
    marks = dict(cursors.cursors)

    books.step(3600)
    draft = books.ids["INV-B3"]
    books.api.call("POST", f"/Invoices/{draft}", body={"Invoices": [{"InvoiceID": draft, "Status": "AUTHORISED"}]})
    books.step(600)
    recorder = Recorder(books.api)
    second = refresh_ledger(ledger, cursors, recorder, books.clock.now())

    assert second.read == {"Contacts": 0, "Invoices": 1, "CreditNotes": 0, "Overpayments": 0, "Payments": 0}
    assert second.calls == len(recorder.gets) == 5  # one page of each list; no overpayment, no bank transactions
    assert not second.first_read and first.records == 20 and second.records == 1
    # Each list was asked only from its own cursor (less a second, Xero's stamps being to the second),
    # and nothing older than that came back.
    for name, _, since, records in recorder.gets:
        mark = marks[f"reconcile:{name}"]
        assert since == mark - timedelta(seconds=1), name
        assert all(xero_datetime(r["UpdatedDateUTC"]) >= since.replace(microsecond=0) for r in records), name
    sent = sum(len(records) for *_, records in recorder.gets)
    assert sent == second.records + sum(second.again.values()) and sent < first.records // 2

    after = held(ledger)
    assert after[draft].live and after[draft].open == Decimal("50.00")
    assert {k: v for k, v in after.items() if k != draft} == {k: v for k, v in before.items() if k != draft}
    assert cursors.cursors["reconcile:Invoices"] == after[draft].updated
    assert all(cursors.cursors[name] == marks[name] for name in marks if name != "reconcile:Invoices")

    quiet = refresh_ledger(ledger, cursors, books.api, books.clock.now())
    assert quiet.records == 0 and quiet.calls == 5 and held(ledger) == after


def test_a_read_of_several_pages_is_whole_and_no_cursor_passes_the_run(
    books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xero_ledger, "PAGE_SIZE", 3)
    ledger, cursors, recorder = InMemoryXeroLedger(), FakeCursors(), Recorder(books.api)
    newest = max(xero_datetime(i["UpdatedDateUTC"]) for i in books.api.call("GET", "/Invoices").body["Invoices"])
    now = newest + timedelta(minutes=2)  # the run began just after the last change, which may not show yet
    refresh = refresh_ledger(ledger, cursors, recorder, now)

    assert refresh.read["Invoices"] == 7 and refresh.read["Payments"] == 7
    pages = [params["page"] for name, params, _, _ in recorder.gets if name == "Invoices"]
    assert pages == ["1", "2", "3"] and all(p["pageSize"] == "3" for _, p, _, _ in recorder.gets)
    assert sum(1 for e in ledger.entries() if e.kind is XeroKind.INVOICE) == 7
    cap = now - timedelta(minutes=5)
    assert all(at == cap for at in cursors.cursors.values())  # everything was stamped within the last minutes

    later = refresh_ledger(ledger, cursors, books.api, books.clock.now())
    recent = sum(1 for e in ledger.entries() if e.kind is XeroKind.INVOICE and e.updated and e.updated > cap)
    assert later.read["Invoices"] == recent == 7  # read once more, in case one had not shown yet
    assert all(at > cap for at in cursors.cursors.values())


def test_read_control_takes_the_debtors_account_off_the_trial_balance(books: Books) -> None:
    ledger = InMemoryXeroLedger()
    refresh_ledger(ledger, FakeCursors(), books.api, books.clock.now())
    control = read_control(books.api, AS_AT)

    report = books.api.call("GET", "/Reports/TrialBalance", params={"date": AS_AT.isoformat()}).body["Reports"][0]
    rows = [row for section in report["Rows"] if section["RowType"] == "Section" for row in section["Rows"]]
    debtors = next(r for r in rows if r["Cells"][0]["Value"] == "Accounts Receivable (610)")
    assert control == ControlFigures("610 Accounts Receivable", Decimal(debtors["Cells"][3]["Value"]), AS_AT)
    assert control.balance == Decimal("1650.00")  # 1,000 + 170 + 600 EUR at 1.25
    live = [e for e in ledger.entries() if e.live]
    assert control.balance == sum((base(e) for e in live if e.open), Decimal(0))
    check = control_check(control, ledger.entries(), "GBP", Decimal(0))
    assert check.difference == 0 and check.open_items == Decimal("1650.00")

    # Before any document was dated the account has no row on the report: nil.
    assert read_control(books.api, date(2026, 10, 31)).balance == Decimal(0)


class _Chart:
    """An organisation whose chart or trial balance is not as Xero's always is."""

    entity, tenant_id = "UK", "t-1"

    def __init__(self, accounts: list[dict[str, Any]], report: dict[str, Any] | None = None) -> None:
        self.usage = Usage()
        self._answers = {"/Accounts": {"Accounts": accounts}, "/Reports/TrialBalance": {"Reports": [report or {}]}}

    def call(self, method: str, path: str, **_: Any) -> XeroReply:
        self.usage.calls += 1
        return XeroReply(200, self._answers[path])


def test_read_control_says_what_to_do_without_a_debtors_account() -> None:
    chart = _Chart([{"AccountID": "a-1", "Code": "200", "Name": "Sales", "Type": "REVENUE"}])
    with pytest.raises(LedgerUnreadable) as refused:
        read_control(chart, AS_AT)
    message = str(refused.value)
    assert "no debtors control account" in message and "SystemAccount" in message
    assert "chart of accounts" in message and "accounting.settings" in message
    assert chart.usage.calls == 1  # the trial balance is not asked for in vain


def test_read_control_finds_the_row_by_its_label_and_reads_the_balance_columns() -> None:
    titles = ("Account", "Debit", "Credit", "YTD Debit", "YTD Credit")
    report = {"Rows": [
        {"RowType": "Header", "Cells": [{"Value": v} for v in titles]},
        {"RowType": "Section", "Title": "Assets", "Rows": [
            {"RowType": "Row", "Cells": [{"Value": "Trade Debtors (1100)"}, {"Value": "12.00"}, {"Value": "0.00"},
                                         {"Value": "-1,234.56"}, {"Value": "10.00"}]},
        ]},
    ]}  # fmt: skip
    chart = _Chart([{"AccountID": "a-9", "Code": "1100", "Name": "Trade Debtors", "SystemAccount": "DEBTORS"}], report)
    control = read_control(chart, AS_AT)
    assert control == ControlFigures("1100 Trade Debtors", Decimal("-1244.56"), AS_AT)
