"""Every body cynare.domain.xero_requests builds, sent to the local Xero; its answers read by xero_replies.

The `xero_emulator` fixture checks each request and response against Xero's OpenAPI spec and fails
the test on any break, so passing here means the bodies are the shape Xero's contract asks for.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests

from cynare.domain import xero_replies as replies
from cynare.domain import xero_requests as xr
from cynare.domain.documents import (
    Address,
    Bill,
    Client,
    CreditNote,
    Line,
    Receipt,
    ReceiptAllocation,
    Tracking,
    UnallocatedReceipt,
    WriteOff,
)
from cynare.domain.holds import MappingBook
from cynare.domain.money import Money
from cynare.sandbox.xero import messages
from cynare.sandbox.xero.jsondates import ms_date

BOOK = MappingBook(
    entity="UK",
    nominal={"4000": "200", "4010": "201", "8100": "684"},
    vat={"S": "OUTPUT2", "Z": "ZERORATEDOUTPUT", "BDR": "OUTPUT2"},
    tracking={("office", "LON"): "Office/London", ("department", "LIT"): "Department/Litigation"},
    bank={"OFFICE": "090"},
)
BASE = "GBP"
D = Decimal


def dumps(body: Any) -> str:
    """JSON with Decimals written as numbers, as the HTTP layer writes them."""
    numbers: list[Decimal] = []

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            numbers.append(value)
            return f"\x00{len(numbers) - 1}\x00"
        if isinstance(value, dict):
            return {key: mark(item) for key, item in value.items()}
        if isinstance(value, list):
            return [mark(item) for item in value]
        return value

    text = json.dumps(mark(body))
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda found: format(numbers[int(found[1])], "f"), text)


class Xero:
    """Plain HTTP to one organisation of the emulator, answers parsed with Decimal amounts."""

    def __init__(self, base_url: str, token: str, tenant_id: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "xero-tenant-id": tenant_id,
                                     "Accept": "application/json", "Content-Type": "application/json"})  # fmt: skip

    def call(self, method: str, path: str, body: Any = None, **params: str) -> tuple[int, dict[str, Any]]:
        data = dumps(body) if body is not None else None
        answer = self.session.request(method, f"{self.base_url}/{path}", data=data, params=params, timeout=10)
        return answer.status_code, json.loads(answer.text, parse_float=Decimal)

    def ok(self, method: str, path: str, body: Any = None, **params: str) -> dict[str, Any]:
        status, parsed = self.call(method, path, body, **params)
        assert status == 200, parsed
        return parsed

    def put_batch(self, collection: str, elements: list[dict[str, Any]], **params: str) -> dict[str, Any]:
        return self.ok("PUT", collection, xr.batch_of(collection, elements), summarizeErrors="false", **params)

    def create(self, collection: str, element: dict[str, Any], **params: str) -> replies.ElementOutcome:
        [outcome] = replies.element_outcomes(self.put_batch(collection, [element], **params), collection)
        assert outcome.ok, outcome.messages
        return outcome

    def one(self, path: str) -> dict[str, Any]:
        collection = path.split("/")[0]
        [found] = self.ok("GET", path, unitdp="4")[collection]
        assert isinstance(found, dict)
        return found


@pytest.fixture
def uk(xero_emulator, xero_token, xero_tenant_ids) -> Xero:
    return Xero(xero_emulator.accounting_url, xero_token("UK"), xero_tenant_ids["UK"])


def gbp(text: str) -> Money:
    return Money(D(text), "GBP")


def eur(text: str) -> Money:
    return Money(D(text), "EUR")


def line(net: Money, vat: Money, no: int = 1, code: str = "S", **extra: Any) -> Line:
    return Line(no, f"Professional fees {no}", "4000", code, net, vat, **extra)


def bill(number: str, *lines: Line, on: date = date(2026, 5, 4), rate: str = "1") -> Bill:
    total = sum((item.net + item.vat for item in lines[1:]), lines[0].net + lines[0].vat)
    return Bill(f"id-{number}", number, "C1", on, date(2026, 6, 3), D(rate), total, lines, f"Matter {number}")


def gbp_bill(number: str, net: str = "100.00", vat: str = "20.00", on: date = date(2026, 5, 4)) -> Bill:
    return bill(number, line(gbp(net), gbp(vat)), on=on)


def new_contact(uk: Xero, client_id: str = "C1", name: str = "Acme Ltd", currency: str = "GBP") -> str:
    return uk.create("Contacts", xr.contact(Client(client_id, name, currency))).xero_id


def post_invoice(uk: Xero, contact_id: str, document: Bill) -> str:
    return uk.create("Invoices", xr.invoice(document, BOOK, contact_id, BASE), unitdp="4").xero_id


def receipt(receipt_id: str, amount: Money, reference: str | None = "BACS 4471", rate: str = "1") -> Receipt:
    return Receipt(receipt_id, "C1", date(2026, 5, 12), D(rate), amount, "OFFICE", reference)


# --- contacts and bills -----------------------------------------------------------------------


def test_a_contact_is_created_and_found_by_the_client_id(uk):
    client = Client("C1", "Acme Ltd", "EUR", email="ap@acme.example", tax_number="GB123456789",
                    address=Address("1 High St", "Floor 2", "London", None, "EC1A 1AA", "GB"))  # fmt: skip
    outcome = uk.create("Contacts", xr.contact(client))
    assert outcome.number == "C1" and outcome.xero_id
    [found] = uk.ok("GET", "Contacts", where='ContactNumber=="C1"')["Contacts"]
    assert (found["ContactID"], found["Name"], found["DefaultCurrency"]) == (outcome.xero_id, "Acme Ltd", "EUR")
    assert (found["EmailAddress"], found["TaxNumber"]) == ("ap@acme.example", "GB123456789")
    # The Addresses passed the spec's check; the local Xero does not keep addresses, so they are not read back.


def test_a_gbp_and_a_eur_bill_with_tracking_vat_and_four_place_unit_amounts(uk):
    contact_id = new_contact(uk)
    tracked = (Tracking("office", "LON"), Tracking("department", "LIT"))
    in_gbp = bill("INV-100", line(gbp("100.00"), gbp("20.00"), 1, quantity=D(3), unit_price=D("33.3333"),
                                  tracking=tracked),
                  line(gbp("40.00"), gbp("0.00"), 2, "Z"))  # fmt: skip
    in_eur = bill("INV-101", line(eur("250.00"), eur("50.00"), tracking=tracked), rate="1.1812345")
    sent = [xr.invoice(in_gbp, BOOK, contact_id, BASE), xr.invoice(in_eur, BOOK, contact_id, BASE)]
    reply = uk.put_batch("Invoices", sent, unitdp="4")
    outcomes = replies.element_outcomes(reply, "Invoices")
    assert [(o.ok, o.number) for o in outcomes] == [(True, "INV-100"), (True, "INV-101")]
    for document, element in zip((in_gbp, in_eur), reply["Invoices"], strict=True):
        assert replies.total_mismatch(document.total, element) is None

    gbp_invoice = uk.one(f"Invoices/{outcomes[0].xero_id}")
    assert (gbp_invoice["Type"], gbp_invoice["Status"], gbp_invoice["CurrencyCode"]) == ("ACCREC", "AUTHORISED", "GBP")
    assert (gbp_invoice["Date"], gbp_invoice["DueDate"]) == (ms_date(date(2026, 5, 4)), ms_date(date(2026, 6, 3)))
    assert gbp_invoice["Reference"] == "Matter INV-100"
    first, second = gbp_invoice["LineItems"]
    assert (first["Quantity"], first["UnitAmount"], first["LineAmount"], first["TaxAmount"]) == (
        D(3), D("33.3333"), D("100.00"), D("20.00"))  # fmt: skip
    assert (first["AccountCode"], first["TaxType"]) == ("200", "OUTPUT2")
    assert [(t["Name"], t["Option"]) for t in first["Tracking"]] == [("Office", "London"),
                                                                     ("Department", "Litigation")]  # fmt: skip
    assert (second["TaxType"], second["TaxAmount"]) == ("ZERORATEDOUTPUT", D("0.00"))
    assert gbp_invoice["Total"] == D("160.00")

    eur_invoice = uk.one(f"Invoices/{outcomes[1].xero_id}")
    assert (eur_invoice["CurrencyCode"], eur_invoice["CurrencyRate"], eur_invoice["Total"]) == (
        "EUR", D("1.181235"), D("300.00"))  # fmt: skip


def test_xero_works_tax_out_per_line_itself_and_total_mismatch_says_so(uk):
    # The PMS put the bill's VAT of 0.01 on one line; per line at 20% each 0.03 carries 0.01.
    document = bill("INV-102", line(gbp("0.03"), gbp("0.01"), 1), line(gbp("0.03"), gbp("0.00"), 2))
    [element] = uk.put_batch("Invoices", [xr.invoice(document, BOOK, new_contact(uk), BASE)])["Invoices"]
    assert element["StatusAttributeString"] == "OK"
    # The local Xero keeps its own tax, not the TaxAmount sent.
    assert [item["TaxAmount"] for item in element["LineItems"]] == [D("0.01"), D("0.01")]
    warning = replies.total_mismatch(document.total, element)
    assert warning is not None and "INV-102" in warning and "+0.01" in warning


# --- credit notes, write-offs and allocations -------------------------------------------------


def test_a_credit_note_and_its_allocation_to_a_bill(uk):
    contact_id = new_contact(uk)
    invoice_id = post_invoice(uk, contact_id, gbp_bill("INV-200"))
    note = CreditNote("CN1", "CN-200", "C1", date(2026, 5, 9), D(1), gbp("12.00"),
                      (line(gbp("10.00"), gbp("2.00")),), "id-INV-200", "goodwill")  # fmt: skip
    created = uk.create("CreditNotes", xr.credit_note(note, BOOK, contact_id, BASE), unitdp="4")
    assert created.number == "CN-200"
    reply = uk.ok("PUT", f"CreditNotes/{created.xero_id}/Allocations",
                  xr.allocation(gbp("12.00"), invoice_id, date(2026, 5, 10)), summarizeErrors="false")  # fmt: skip
    [allocated] = replies.element_outcomes(reply, "Allocations")
    assert allocated.ok and allocated.xero_id
    invoice = uk.one(f"Invoices/{invoice_id}")
    assert (invoice["AmountCredited"], invoice["AmountDue"]) == (D("12.00"), D("108.00"))
    assert uk.one(f"CreditNotes/{created.xero_id}")["RemainingCredit"] == D("0.00")


def test_a_write_off_credit_note_to_bad_debts_settles_the_bill_and_is_found_by_its_number(uk):
    contact_id = new_contact(uk)
    invoice_id = post_invoice(uk, contact_id, gbp_bill("INV-300"))
    write_off = WriteOff("W1", "C1", "id-INV-300", date(2026, 5, 20), D(1), "8100", gbp("100.00"), gbp("20.00"),
                         gbp("120.00"), "client insolvent", "BDR")  # fmt: skip
    created = uk.create("CreditNotes", xr.write_off_credit_note(write_off, BOOK, contact_id, BASE))
    [found] = uk.ok("GET", "CreditNotes", where='CreditNoteNumber=="WO-W1"')["CreditNotes"]
    assert found["CreditNoteID"] == created.xero_id
    assert replies.total_mismatch(write_off.amount, found) is None
    [item] = found["LineItems"]
    assert (item["AccountCode"], item["TaxType"], item["TaxAmount"]) == ("684", "OUTPUT2", D("20.00"))
    uk.ok("PUT", f"CreditNotes/{created.xero_id}/Allocations", xr.allocation(gbp("120.00"), invoice_id,
                                                                             date(2026, 5, 20)))  # fmt: skip
    invoice = uk.one(f"Invoices/{invoice_id}")
    assert (invoice["Status"], invoice["AmountDue"]) == ("PAID", D("0.00"))


def test_a_write_off_without_vat_relief_posts_no_tax(uk):
    contact_id = new_contact(uk)
    write_off = WriteOff("W2", "C1", "B9", date(2026, 5, 20), D(1), "8100", gbp("120.00"), gbp("0"), gbp("120.00"),
                         "small balance", "S")  # fmt: skip
    [element] = uk.put_batch("CreditNotes", [xr.write_off_credit_note(write_off, BOOK, contact_id, BASE)])[
        "CreditNotes"
    ]
    assert (element["Total"], element["TotalTax"]) == (D("120.00"), D("0.00"))


# --- payments ---------------------------------------------------------------------------------


def test_a_payment_is_found_again_by_its_reference_and_deleted(uk):
    contact_id = new_contact(uk)
    invoice_id = post_invoice(uk, contact_id, gbp_bill("INV-400"))
    cash = receipt("R1", gbp("100.00"))
    part = ReceiptAllocation("R1", "id-INV-400", gbp("100.00"))
    created = uk.create("Payments", xr.payment(cash, part, invoice_id, "090", BASE))
    [found] = uk.ok("GET", "Payments", where=f'Reference=="{xr.payment_reference(cash)}"')["Payments"]
    assert (found["PaymentID"], found["Amount"], found["Reference"]) == (created.xero_id, D("100.00"),
                                                                         "R1 | BACS 4471")  # fmt: skip
    assert uk.one(f"Invoices/{invoice_id}")["AmountDue"] == D("20.00")

    [deleted] = uk.ok("POST", f"Payments/{created.xero_id}", xr.delete_payment())["Payments"]
    assert deleted["Status"] == "DELETED"
    assert uk.one(f"Invoices/{invoice_id}")["AmountDue"] == D("120.00")


def test_a_foreign_payment_carries_the_receipt_rate(uk):
    contact_id = new_contact(uk, currency="EUR")
    invoice_id = post_invoice(uk, contact_id, bill("INV-401", line(eur("100.00"), eur("20.00")), rate="1.17"))
    cash = receipt("R2", eur("120.00"), rate="1.25")
    created = uk.create("Payments", xr.payment(cash, ReceiptAllocation("R2", "id-INV-401", eur("120.00")),
                                               invoice_id, "090", BASE))  # fmt: skip
    payment = uk.one(f"Payments/{created.xero_id}")
    assert (payment["CurrencyRate"], payment["Amount"], payment["BankAmount"]) == (D("1.25"), D("120.00"),
                                                                                   D("96.00"))  # fmt: skip


def test_a_batch_payment_is_found_by_its_reference_and_deleted_whole(uk):
    contact_id = new_contact(uk)
    first = post_invoice(uk, contact_id, gbp_bill("INV-500"))
    second = post_invoice(uk, contact_id, gbp_bill("INV-501", "50.00", "10.00"))
    cash = receipt("R3", gbp("180.00"), reference="Batch May")
    parts = [(ReceiptAllocation("R3", "id-INV-500", gbp("120.00")), first),
             (ReceiptAllocation("R3", "id-INV-501", gbp("60.00")), second)]  # fmt: skip
    created = uk.create("BatchPayments", xr.batch_payment(cash, parts, "090", BASE))
    assert created.number == "R3 | Batch May"
    [found] = uk.ok("GET", "BatchPayments", where='Reference=="R3 | Batch May"')["BatchPayments"]
    assert (found["BatchPaymentID"], found["TotalAmount"]) == (created.xero_id, D("180.00"))
    members = uk.ok("GET", "Payments", where='Reference=="R3 | Batch May"')["Payments"]
    assert sorted(p["Invoice"]["InvoiceID"] for p in members) == sorted([first, second])
    assert {uk.one(f"Invoices/{i}")["Status"] for i in (first, second)} == {"PAID"}

    # A member cannot be deleted alone: that is for a person to sort out.
    status, refused = uk.call("POST", f"Payments/{members[0]['PaymentID']}", xr.delete_payment())
    assert status == 400
    assert "delete the batch payment in Xero" in replies.refusal_action(_messages(refused))

    [deleted] = uk.ok("POST", "BatchPayments", xr.delete_batch_payment(created.xero_id))["BatchPayments"]
    assert deleted["Status"] == "DELETED"
    assert [uk.one(f"Invoices/{i}")["AmountDue"] for i in (first, second)] == [D("120.00"), D("60.00")]


def test_an_overpayment_is_known_by_its_overpayment_id_and_allocated(uk):
    contact_id = new_contact(uk)
    invoice_id = post_invoice(uk, contact_id, gbp_bill("INV-600"))
    cash = UnallocatedReceipt("U1", "C1", date(2026, 5, 14), D(1), gbp("80.00"), "OFFICE", "cheque 55")
    created = uk.create("BankTransactions", xr.overpayment(cash, contact_id, "090", BASE))
    [overpayment] = uk.ok("GET", "Overpayments", References="U1 | cheque 55")["Overpayments"]
    assert overpayment["OverpaymentID"] == created.xero_id
    assert (overpayment["RemainingCredit"], overpayment["Reference"]) == (D("80.00"), "U1 | cheque 55")
    reply = uk.ok("PUT", f"Overpayments/{created.xero_id}/Allocations",
                  xr.allocation(gbp("80.00"), invoice_id, date(2026, 5, 15)), summarizeErrors="false")  # fmt: skip
    assert [o.ok for o in replies.element_outcomes(reply, "Allocations")] == [True]
    assert uk.one(f"Invoices/{invoice_id}")["AmountDue"] == D("40.00")


def test_a_foreign_overpayment_carries_its_rate(uk):
    contact_id = new_contact(uk, currency="EUR")
    cash = UnallocatedReceipt("U2", "C1", date(2026, 5, 14), D("1.15"), eur("80.00"), "OFFICE")
    [element] = uk.put_batch("BankTransactions", [xr.overpayment(cash, contact_id, "090", BASE)])["BankTransactions"]
    assert (element["CurrencyCode"], element["CurrencyRate"], element["Reference"]) == ("EUR", D("1.15"), "U2")


# --- voids --------------------------------------------------------------------------------------


def test_an_invoice_and_a_credit_note_are_voided(uk):
    contact_id = new_contact(uk)
    invoice_id = post_invoice(uk, contact_id, gbp_bill("INV-700"))
    [voided] = uk.ok("POST", f"Invoices/{invoice_id}", xr.void_invoice(invoice_id))["Invoices"]
    assert voided["Status"] == "VOIDED"
    note = CreditNote("CN7", "CN-700", "C1", date(2026, 5, 9), D(1), gbp("12.00"), (line(gbp("10.00"), gbp("2.00")),))
    note_id = uk.create("CreditNotes", xr.credit_note(note, BOOK, contact_id, BASE)).xero_id
    [voided_note] = uk.ok("POST", f"CreditNotes/{note_id}", xr.void_credit_note(note_id))["CreditNotes"]
    assert voided_note["Status"] == "VOIDED"


# --- refusals -----------------------------------------------------------------------------------


def _messages(body: dict[str, Any]) -> list[str]:
    """The messages of a 400 ValidationException."""
    return [error["Message"] for element in body["Elements"] for error in element.get("ValidationErrors", [])]


def test_a_mixed_batch_reports_each_element_in_the_order_sent(uk):
    contact_id = new_contact(uk)
    good = xr.invoice(gbp_bill("INV-800"), BOOK, contact_id, BASE)
    unknown_currency = xr.invoice(bill("INV-801", Line(1, "Fees", "4000", "S", Money(D("100"), "JPY"),
                                                       Money(D("20"), "JPY"))), BOOK, contact_id, BASE)  # fmt: skip
    taken = xr.invoice(gbp_bill("INV-800"), BOOK, contact_id, BASE)
    reply = uk.put_batch("Invoices", [good, unknown_currency, taken])
    first, second, third = replies.element_outcomes(reply, "Invoices")
    assert (first.ok, first.number, bool(first.xero_id), first.messages) == (True, "INV-800", True, ())
    assert (second.ok, second.number, second.xero_id) == (False, "INV-801", "")
    assert second.messages == (messages.not_subscribed("JPY"),)
    assert "add the currency in Xero" in replies.refusal_action(second.messages)
    assert (third.ok, third.messages) == (False, (messages.INVOICE_NUMBER_TAKEN,))
    assert "renumber the bill in the PMS" in replies.refusal_action(third.messages)


def test_refusals_before_the_lock_date_and_for_an_archived_contact(uk, xero_emulator):
    contact_id = new_contact(uk)
    xero_emulator.set_lock_date("UK", date(2026, 4, 30))
    [locked] = replies.element_outcomes(
        uk.put_batch("Invoices", [xr.invoice(gbp_bill("INV-900", on=date(2026, 4, 15)), BOOK, contact_id, BASE)]),
        "Invoices",
    )
    assert not locked.ok and locked.messages == (messages.locked(date(2026, 4, 30)),)
    assert replies.refusal_action(locked.messages) == (
        "the date is before the organisation's lock date: change the lock date in Xero or the document's date in "
        "the PMS, then retry"
    )

    xero_emulator.edit_contact("UK", contact_id, ContactStatus="ARCHIVED")
    [archived] = replies.element_outcomes(
        uk.put_batch("Invoices", [xr.invoice(gbp_bill("INV-901"), BOOK, contact_id, BASE)]), "Invoices"
    )
    assert not archived.ok and messages.CONTACT_ARCHIVED in archived.messages
    assert "restore the contact in Xero" in replies.refusal_action(archived.messages)


def test_an_invoice_with_payments_cannot_be_voided_until_they_are_removed(uk):
    contact_id = new_contact(uk)
    invoice_id = post_invoice(uk, contact_id, gbp_bill("INV-950"))
    cash = receipt("R9", gbp("10.00"))
    uk.create("Payments", xr.payment(cash, ReceiptAllocation("R9", "id-INV-950", gbp("10.00")), invoice_id, "090",
                                     BASE))  # fmt: skip
    status, refused = uk.call("POST", f"Invoices/{invoice_id}", xr.void_invoice(invoice_id))
    assert status == 400
    assert _messages(refused) == [messages.VOID_WITH_PAYMENTS]
    assert "remove the payments and credits in Xero first, then retry" in replies.refusal_action(_messages(refused))
