"""Request bodies built from our documents, and the reading of Xero's replies, without any I/O."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

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

BOOK = MappingBook(
    entity="UK",
    nominal={"4000": "200", "4010": "201", "8100": "684", "9999": ""},
    vat={"S": "OUTPUT2", "Z": "ZERORATEDOUTPUT", "BDR": "OUTPUT2"},
    tracking={
        ("office", "LON"): "Office/London",
        ("department", "LIT"): "Department/Litigation",
        ("fee_earner", "JS"): "Office/London",
        ("fee_earner", "AB"): "Office/Leeds",
        ("fee_earner", "PQ"): "Fee earner/Pat Quinn",
    },
    bank={"OFFICE": "090"},
)


def gbp(text: str) -> Money:
    return Money(Decimal(text), "GBP")


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


def a_line(line_no: int = 1, net: str = "100.00", vat: str = "20.00", **extra) -> Line:
    fields: dict[str, Any] = {
        "description": "Advice",
        "nominal_code": "4000",
        "vat_code": "S",
        "net": gbp(net),
        "vat": gbp(vat),
    }
    fields.update(extra)
    return Line(line_no, **fields)


def a_bill(*lines: Line, currency: str = "GBP", rate: str = "1", reference: str | None = "Matter 12") -> Bill:
    lines = lines or (a_line(),)
    total = sum((line.net.amount + line.vat.amount for line in lines), Decimal(0))
    return Bill("B1", "INV-001", "C1", date(2026, 5, 4), date(2026, 6, 3), Decimal(rate), Money(total, currency),
                lines, reference)  # fmt: skip


# --- contacts ---------------------------------------------------------------------------------


def test_contact_names_the_client_by_its_firm_id_and_leaves_is_customer_out():
    client = Client("C1", "Acme Ltd", "EUR", email="ap@acme.example", tax_number="GB123456789",
                    address=Address(line1="1 High St", city="London", postal_code="EC1A 1AA", country="GB"))  # fmt: skip
    assert xr.contact(client) == {
        "Name": "Acme Ltd",
        "ContactNumber": "C1",
        "DefaultCurrency": "EUR",
        "EmailAddress": "ap@acme.example",
        "TaxNumber": "GB123456789",
        "Addresses": [
            {"AddressType": "STREET", "AddressLine1": "1 High St", "City": "London", "PostalCode": "EC1A 1AA",
             "Country": "GB"}
        ],
    }  # fmt: skip


def test_contact_without_address_email_or_tax_number_sends_none_of_them():
    body = xr.contact(Client("C2", "Bravo LLP", "GBP"))
    assert body == {"Name": "Bravo LLP", "ContactNumber": "C2", "DefaultCurrency": "GBP"}


# --- invoices ---------------------------------------------------------------------------------


def test_invoice_in_base_currency_has_no_rate_and_carries_the_pms_numbers_and_dates():
    body = xr.invoice(a_bill(), BOOK, "contact-1", "GBP")
    assert body == {
        "Type": "ACCREC",
        "Status": "AUTHORISED",
        "Contact": {"ContactID": "contact-1"},
        "InvoiceNumber": "INV-001",
        "Reference": "Matter 12",
        "Date": "2026-05-04",
        "DueDate": "2026-06-03",
        "CurrencyCode": "GBP",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {"Description": "Advice", "Quantity": Decimal(1), "UnitAmount": Decimal("100.00"), "AccountCode": "200",
             "TaxType": "OUTPUT2", "TaxAmount": Decimal("20.00"), "LineAmount": Decimal("100.00")}
        ],
    }  # fmt: skip


def test_invoice_in_a_foreign_currency_carries_the_pms_rate_to_six_places():
    line = Line(1, "Advice", "4000", "S", eur("100.00"), eur("20.00"))
    body = xr.invoice(a_bill(line, currency="EUR", rate="1.1712345678"), BOOK, "c", "GBP")
    assert body["CurrencyCode"] == "EUR"
    assert body["CurrencyRate"] == Decimal("1.171235")
    assert "CurrencyRate" not in xr.invoice(a_bill(), BOOK, "c", "GBP")


def test_invoice_without_reference_leaves_it_out_and_a_long_one_is_cut_to_xeros_limit():
    assert "Reference" not in xr.invoice(a_bill(reference=None), BOOK, "c", "GBP")
    cut = xr.invoice(a_bill(reference="x" * 400), BOOK, "c", "GBP")["Reference"]
    assert len(cut) == xr.REFERENCE_LIMIT and cut.endswith("...")


def test_line_with_quantity_keeps_a_four_place_unit_amount():
    line = a_line(net="100.00", vat="20.00", quantity=Decimal("3"), unit_price=Decimal("33.3333"))
    item = xr.invoice(a_bill(line), BOOK, "c", "GBP")["LineItems"][0]
    assert (item["Quantity"], item["UnitAmount"], item["LineAmount"]) == (Decimal(3), Decimal("33.3333"),
                                                                          Decimal("100.00"))  # fmt: skip
    assert xr.UNIT_DECIMAL_PLACES == 4


def test_tracking_maps_each_dimension_to_a_category_and_option():
    line = a_line(tracking=(Tracking("office", "LON"), Tracking("department", "LIT")))
    item = xr.invoice(a_bill(line), BOOK, "c", "GBP")["LineItems"][0]
    assert item["Tracking"] == [{"Name": "Office", "Option": "London"}, {"Name": "Department", "Option": "Litigation"}]
    assert "Tracking" not in xr.invoice(a_bill(), BOOK, "c", "GBP")["LineItems"][0]


def test_two_dimensions_mapped_to_the_same_option_make_one_tracking_entry():
    line = a_line(tracking=(Tracking("office", "LON"), Tracking("fee_earner", "JS")))
    assert xr.line_item(line, BOOK)["Tracking"] == [{"Name": "Office", "Option": "London"}]


def test_two_options_of_one_category_or_three_categories_cannot_be_sent():
    clash = a_line(tracking=(Tracking("office", "LON"), Tracking("fee_earner", "AB")))
    with pytest.raises(ValueError, match="two options of the Xero tracking category 'Office'"):
        xr.line_item(clash, BOOK)
    three = a_line(tracking=(Tracking("office", "LON"), Tracking("department", "LIT"), Tracking("fee_earner", "PQ")))
    with pytest.raises(ValueError, match="at most 2"):
        xr.line_item(three, BOOK)


@pytest.mark.parametrize(
    ("line", "named"),
    [
        (a_line(nominal_code="4999"), "nominal 4999 (UK)"),
        (a_line(nominal_code="9999"), "nominal 9999 (UK)"),  # mapped to "": known but empty
        (a_line(vat_code="X"), "VAT code X (UK)"),
        (a_line(tracking=(Tracking("office", "MAN"),)), "office MAN (UK)"),
    ],
)
def test_a_missing_mapping_is_a_key_error_naming_the_code(line, named):
    with pytest.raises(KeyError, match=re.escape(named)):
        xr.line_item(line, BOOK)


# --- credit notes and write-offs --------------------------------------------------------------


def test_credit_note_is_an_authorised_accreccredit_numbered_as_in_the_pms():
    note = CreditNote("CN1", "CN-001", "C1", date(2026, 5, 9), Decimal("1.17"), eur("12.00"),
                      (Line(1, "Discount", "4000", "S", eur("10.00"), eur("2.00")),), "B1", "goodwill")  # fmt: skip
    body = xr.credit_note(note, BOOK, "c", "GBP")
    assert (body["Type"], body["Status"], body["CreditNoteNumber"], body["Date"]) == (
        "ACCRECCREDIT", "AUTHORISED", "CN-001", "2026-05-09")  # fmt: skip
    assert (body["CurrencyCode"], body["CurrencyRate"], body["Reference"]) == ("EUR", Decimal("1.170000"), "goodwill")
    assert body["LineItems"][0]["TaxAmount"] == Decimal("2.00")
    assert "InvoiceNumber" not in body and "DueDate" not in body


def write_off(vat: str = "20.00", vat_code: str | None = "BDR", currency: str = "GBP") -> WriteOff:
    net = Decimal("100.00")
    return WriteOff("W7", "C1", "B1", date(2026, 5, 20), Decimal("1"), "8100", Money(net, currency),
                    Money(Decimal(vat), currency), Money(net + Decimal(vat), currency), "client insolvent",
                    vat_code)  # fmt: skip


def test_write_off_is_a_credit_note_to_the_bad_debt_account_numbered_from_its_id():
    body = xr.write_off_credit_note(write_off(), BOOK, "c", "GBP")
    assert body["CreditNoteNumber"] == "WO-W7" == xr.write_off_number("W7")
    assert (body["Type"], body["Status"], body["Date"]) == ("ACCRECCREDIT", "AUTHORISED", "2026-05-20")
    assert "bill B1" in body["Reference"]
    [line] = body["LineItems"]
    assert (line["AccountCode"], line["TaxType"], line["LineAmount"], line["TaxAmount"]) == (
        "684", "OUTPUT2", Decimal("100.00"), Decimal("20.00"))  # fmt: skip
    assert "client insolvent" in line["Description"]


def test_write_off_without_vat_relief_has_no_tax():
    assert xr.write_off_credit_note(write_off("0", None), BOOK, "c", "GBP")["LineItems"][0]["TaxType"] == "NONE"
    # A VAT code with no relief claimed moves no VAT either.
    assert xr.write_off_credit_note(write_off("0", "S"), BOOK, "c", "GBP")["LineItems"][0]["TaxType"] == "NONE"


def test_write_off_in_a_foreign_currency_carries_its_rate():
    body = xr.write_off_credit_note(write_off(currency="EUR"), BOOK, "c", "GBP")
    assert (body["CurrencyCode"], body["CurrencyRate"]) == ("EUR", Decimal("1.000000"))


# --- allocations and payments -----------------------------------------------------------------


def test_allocation_body_is_the_specs_allocations_list():
    assert xr.allocation(gbp("12.00"), "inv-1", date(2026, 5, 10)) == {
        "Allocations": [{"Amount": Decimal("12.00"), "Invoice": {"InvoiceID": "inv-1"}, "Date": "2026-05-10"}]
    }


def receipt(reference: str | None = "BACS 4471", currency: str = "GBP", rate: str = "1") -> Receipt:
    return Receipt("R1", "C1", date(2026, 5, 12), Decimal(rate), Money(Decimal("150.00"), currency), "OFFICE",
                   reference)  # fmt: skip


def test_payment_reference_is_the_receipt_id_then_the_pms_reference():
    assert xr.payment_reference(receipt()) == "R1 | BACS 4471"
    assert xr.payment_reference(receipt(reference=None)) == "R1"
    long = xr.payment_reference(receipt(reference="y" * 600))
    assert long.startswith("R1 | ") and len(long) == xr.REFERENCE_LIMIT


def test_payment_pays_one_bill_from_the_mapped_bank_account():
    part = ReceiptAllocation("R1", "B1", gbp("100.00"))
    assert xr.payment(receipt(), part, "inv-1", "090", "GBP") == {
        "Invoice": {"InvoiceID": "inv-1"},
        "Account": {"Code": "090"},
        "Amount": Decimal("100.00"),
        "Date": "2026-05-12",
        "Reference": "R1 | BACS 4471",
    }


def test_payment_in_a_foreign_currency_carries_the_receipt_rate():
    part = ReceiptAllocation("R1", "B1", eur("100.00"))
    body = xr.payment(receipt(currency="EUR", rate="1.18"), part, "inv-1", "090", "GBP")
    assert body["CurrencyRate"] == Decimal("1.180000")


def test_payment_refuses_an_allocation_of_another_receipt():
    with pytest.raises(ValueError, match="R2"):
        xr.payment(receipt(), ReceiptAllocation("R2", "B1", gbp("1.00")), "inv-1", "090", "GBP")


def test_batch_payment_pays_each_bill_under_one_reference():
    parts = [(ReceiptAllocation("R1", "B1", gbp("100.00")), "inv-1"),
             (ReceiptAllocation("R1", "B2", gbp("50.00")), "inv-2")]  # fmt: skip
    body = xr.batch_payment(receipt(), parts, "090", "GBP")
    assert body == {
        "Account": {"Code": "090"},
        "Date": "2026-05-12",
        "Reference": "R1 | BACS 4471",
        "Payments": [
            {"Invoice": {"InvoiceID": "inv-1"}, "Amount": Decimal("100.00"), "Reference": "R1 | BACS 4471"},
            {"Invoice": {"InvoiceID": "inv-2"}, "Amount": Decimal("50.00"), "Reference": "R1 | BACS 4471"},
        ],
    }
    foreign = xr.batch_payment(receipt(currency="EUR", rate="1.2"),
                               [(ReceiptAllocation("R1", "B1", eur("150.00")), "inv-1")], "090", "GBP")  # fmt: skip
    assert foreign["Payments"][0]["CurrencyRate"] == Decimal("1.200000")
    with pytest.raises(ValueError, match="at least one"):
        xr.batch_payment(receipt(), [], "090", "GBP")


def test_overpayment_is_a_receive_overpayment_with_one_untaxed_line():
    cash = UnallocatedReceipt("U1", "C1", date(2026, 5, 14), Decimal("1.15"), eur("80.00"), "OFFICE", "cheque 55")
    body = xr.overpayment(cash, "c", "090", "GBP")
    assert body["Type"] == "RECEIVE-OVERPAYMENT"
    assert (body["LineAmountTypes"], body["BankAccount"], body["Contact"]) == ("NoTax", {"Code": "090"},
                                                                              {"ContactID": "c"})  # fmt: skip
    assert (body["CurrencyCode"], body["CurrencyRate"], body["Reference"]) == ("EUR", Decimal("1.150000"),
                                                                              "U1 | cheque 55")  # fmt: skip
    assert [line["LineAmount"] for line in body["LineItems"]] == [Decimal("80.00")]
    assert "CurrencyRate" not in xr.overpayment(
        UnallocatedReceipt("U2", "C1", date(2026, 5, 14), Decimal(1), gbp("5.00"), "OFFICE"), "c", "090", "GBP"
    )


def test_reversal_bodies_and_batches():
    assert xr.delete_payment() == {"Status": "DELETED"}
    assert xr.void_invoice("i") == {"Invoices": [{"InvoiceID": "i", "Status": "VOIDED"}]}
    assert xr.void_credit_note("n") == {"CreditNotes": [{"CreditNoteID": "n", "Status": "VOIDED"}]}
    assert xr.delete_batch_payment("b") == {"BatchPaymentID": "b", "Status": "DELETED"}
    assert xr.batch_of("Contacts", [{"Name": "A"}]) == {"Contacts": [{"Name": "A"}]}


def test_rates_that_vanish_at_six_places_are_refused():
    with pytest.raises(ValueError, match="6 decimal places"):
        xr.currency_rate(Decimal("0.0000001"))


# --- replies ----------------------------------------------------------------------------------


def test_element_outcomes_read_each_element_in_order():
    body = {
        "Invoices": [
            {"InvoiceID": "i-1", "InvoiceNumber": "INV-1", "StatusAttributeString": "OK"},
            {"InvoiceID": "00000000-0000-0000-0000-000000000000", "InvoiceNumber": "INV-2",
             "StatusAttributeString": "ERROR", "ValidationErrors": [{"Message": "Invoice # must be unique."}]},
            {"InvoiceID": "i-3", "InvoiceNumber": "INV-3", "StatusAttributeString": "WARNING",
             "Warnings": [{"Message": "Rounded"}]},
        ]
    }  # fmt: skip
    assert replies.element_outcomes(body, "Invoices") == [
        replies.ElementOutcome(True, "i-1", "INV-1", (), ()),
        replies.ElementOutcome(False, "", "INV-2", ("Invoice # must be unique.",), ()),
        replies.ElementOutcome(True, "i-3", "INV-3", (), ("Rounded",)),
    ]


def test_an_overpayment_is_known_by_its_overpayment_id():
    body = {"BankTransactions": [{"Type": "RECEIVE-OVERPAYMENT", "BankTransactionID": "bt", "OverpaymentID": "op",
                                  "Reference": "U1", "StatusAttributeString": "OK"}]}  # fmt: skip
    [outcome] = replies.element_outcomes(body, "BankTransactions")
    assert (outcome.xero_id, outcome.number) == ("op", "U1")


def test_unknown_collection_is_refused():
    with pytest.raises(ValueError, match="Quotes"):
        replies.element_outcomes({"Quotes": []}, "Quotes")


def test_total_mismatch_warns_only_when_xero_rounded_differently():
    assert replies.total_mismatch(gbp("120.00"), {"Total": Decimal("120.00")}) is None
    warning = replies.total_mismatch(gbp("120.01"), {"Total": Decimal("120.00"), "InvoiceNumber": "INV-9"})
    assert warning is not None and "INV-9" in warning and "-0.01" in warning and "GBP 120.01" in warning


def test_refusal_messages_are_xeros_as_the_emulator_quotes_them():
    assert replies.CONTACT_ARCHIVED == messages.CONTACT_ARCHIVED
    assert messages.locked(date(2026, 4, 30)).startswith(replies.LOCK_DATE)
    assert messages.not_subscribed("EUR").startswith(replies.NOT_SUBSCRIBED)
    for name in (
        "INVOICE_NUMBER_TAKEN",
        "CREDIT_NOTE_NUMBER_TAKEN",
        "PAYMENT_EXCEEDS",
        "PAYMENT_BATCH_DELETE",
        "PAYMENT_RECONCILED_DELETE",
        "BATCH_RECONCILED_DELETE",
        "VOID_WITH_PAYMENTS",
        "HAS_PAYMENTS",
    ):
        assert getattr(replies, name) == getattr(messages, name)  # fmt: skip
    assert replies.ALLOCATION_TOO_LARGE in messages.allocation_exceeds_credit("Credit Note")


@pytest.mark.parametrize(
    ("message", "says"),
    [
        (messages.locked(date(2026, 4, 30)), "change the lock date in Xero or the document's date in the PMS"),
        (messages.CONTACT_ARCHIVED, "restore the contact in Xero"),
        (messages.not_subscribed("USD"), "add the currency in Xero"),
        (messages.INVOICE_NUMBER_TAKEN, "renumber the bill in the PMS"),
        (messages.PAYMENT_EXCEEDS, "more than the bill still owes"),
        (messages.PAYMENT_BATCH_DELETE, "delete the batch payment in Xero"),
        (messages.PAYMENT_RECONCILED_DELETE, "unreconcile it in Xero"),
        (messages.VOID_WITH_PAYMENTS, "remove the payments and credits in Xero first, then retry"),
        ("Something Xero never said", "fix the document in the PMS or in Xero, then retry"),
    ],
)
def test_refusal_action_names_what_a_person_does(message, says):
    assert says in replies.refusal_action([message])


def test_refusal_action_joins_distinct_causes_and_takes_one_message():
    both = replies.refusal_action([messages.CONTACT_ARCHIVED, messages.not_subscribed("USD"),
                                   messages.CONTACT_ARCHIVED])  # fmt: skip
    assert both.count("restore the contact") == 1 and "add the currency" in both
    assert replies.refusal_action(messages.CONTACT_ARCHIVED) == replies.refusal_action([messages.CONTACT_ARCHIVED])
    assert replies.refusal_action([]) == replies.GENERIC_ACTION
