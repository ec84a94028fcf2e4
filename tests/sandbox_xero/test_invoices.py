"""Invoices through the SDK: totals, numbering, currency, lock date, batches and reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from xero_python.accounting import Contact, CurrencyCode, Invoice, Invoices, LineAmountTypes, LineItem
from xero_python.exceptions import AccountingBadRequestException

from cynare.sandbox.xero import messages
from tests.sandbox_xero.conftest import UK, errors, invoice


def test_totals_and_tax_are_rounded_per_line(xero_api):
    lines = [
        LineItem(
            description="a", quantity=Decimal(3), unit_amount=Decimal("33.335"), account_code="200", tax_type="OUTPUT2"
        ),
        LineItem(
            description="b", quantity=Decimal(1), unit_amount=Decimal("0.03"), account_code="200", tax_type="OUTPUT2"
        ),
        LineItem(
            description="c", quantity=Decimal(1), unit_amount=Decimal("10"), account_code="200", tax_type="RROUTPUT"
        ),
    ]
    created = xero_api.create_invoices(UK, Invoices(invoices=[invoice(line_items=lines)]), unitdp=4)
    inv = created.invoices[0]
    # 3 x 33.335 = 100.005 -> 100.01, tax 20.00; 0.03 -> tax 0.006 -> 0.01; 10 at 5% -> 0.50
    assert [li.line_amount for li in inv.line_items] == [Decimal("100.01"), Decimal("0.03"), Decimal("10.00")]
    assert [li.tax_amount for li in inv.line_items] == [Decimal("20.00"), Decimal("0.01"), Decimal("0.50")]
    assert inv.sub_total == Decimal("110.04")
    assert inv.total_tax == Decimal("20.51")
    assert inv.total == inv.amount_due == Decimal("130.55")
    assert inv.status == "AUTHORISED"
    assert inv.invoice_number.startswith("INV-")


def test_inclusive_lines_take_tax_out_of_the_amount(xero_api):
    line = LineItem(
        description="a", quantity=Decimal(1), unit_amount=Decimal("100.00"), account_code="200", tax_type="OUTPUT2"
    )
    created = xero_api.create_invoices(
        UK, Invoices(invoices=[invoice(line_items=[line], line_amount_types=LineAmountTypes("Inclusive"))])
    )
    inv = created.invoices[0]
    assert (inv.sub_total, inv.total_tax, inv.total) == (Decimal("83.33"), Decimal("16.67"), Decimal("100.00"))


def test_irish_and_us_rates(xero_accounting, xero_tenant_ids):
    ie = xero_accounting("IE")
    line = LineItem(
        description="a", quantity=Decimal(1), unit_amount=Decimal("200"), account_code="200", tax_type="TAX001"
    )
    inv = ie.create_invoices(xero_tenant_ids["IE"], Invoices(invoices=[invoice(line_items=[line])])).invoices[0]
    assert inv.total_tax == Decimal("27.00") and inv.currency_code.value == "EUR"
    us = xero_accounting("US")
    line = LineItem(
        description="a", quantity=Decimal(1), unit_amount=Decimal("200"), account_code="200", tax_type="NONE"
    )
    inv = us.create_invoices(xero_tenant_ids["US"], Invoices(invoices=[invoice(line_items=[line])])).invoices[0]
    assert inv.total == Decimal("200.00") and inv.currency_code.value == "USD"


def test_invoice_number_unique_even_after_void_and_delete(xero_api, xero_emulator):
    first = xero_api.create_invoices(UK, Invoices(invoices=[invoice(invoice_number="PMS-1")])).invoices[0]
    draft = xero_api.create_invoices(UK, Invoices(invoices=[invoice(invoice_number="PMS-2", status="DRAFT")])).invoices[
        0
    ]
    xero_api.update_invoice(UK, first.invoice_id, Invoices(invoices=[Invoice(status="VOIDED")]))
    xero_api.update_invoice(UK, draft.invoice_id, Invoices(invoices=[Invoice(status="DELETED")]))
    for number in ("PMS-1", "PMS-2"):
        with pytest.raises(AccountingBadRequestException) as caught:
            xero_api.create_invoices(UK, Invoices(invoices=[invoice(invoice_number=number)]))
        assert errors(caught.value) == [messages.INVOICE_NUMBER_TAKEN]
    assert xero_api.get_invoice(UK, first.invoice_id).invoices[0].status == "VOIDED"


def test_unsubscribed_currency_is_refused(xero_api, xero_emulator):
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_invoices(UK, Invoices(invoices=[invoice(currency_code=CurrencyCode("AUD"))]))
    assert errors(caught.value) == ["Organisation is not subscribed to currency AUD"]
    euro = xero_api.create_invoices(UK, Invoices(invoices=[invoice(currency_code=CurrencyCode("EUR"))])).invoices[0]
    assert euro.currency_code.value == "EUR" and euro.currency_rate == Decimal("1.17")
    xero_emulator.unsubscribe_currency("UK", "EUR")
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_invoices(UK, Invoices(invoices=[invoice(currency_code=CurrencyCode("EUR"))]))
    assert errors(caught.value) == ["Organisation is not subscribed to currency EUR"]


def test_documents_on_or_before_the_lock_date_are_refused(xero_api, xero_emulator):
    xero_emulator.set_lock_date("UK", date(2026, 4, 30))
    for day in (date(2026, 4, 30), date(2026, 4, 1)):
        with pytest.raises(AccountingBadRequestException) as caught:
            xero_api.create_invoices(UK, Invoices(invoices=[invoice(date=day)]))
        assert errors(caught.value) == [messages.locked(date(2026, 4, 30))]
        assert errors(caught.value)[0].startswith("The document date cannot be before the period lock date")
    assert xero_api.create_invoices(UK, Invoices(invoices=[invoice(date=date(2026, 5, 1))])).invoices[0].total


def test_bad_element_fails_the_call_but_good_ones_are_saved(xero_api, xero_emulator):
    batch = Invoices(
        invoices=[invoice(invoice_number="OK-1"), invoice(invoice_number="BAD-1", currency_code=CurrencyCode("JPY"))]
    )
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_invoices(UK, batch)
    assert errors(caught.value) == ["Organisation is not subscribed to currency JPY"]
    saved = xero_api.get_invoices(UK, invoice_numbers=["OK-1", "BAD-1"]).invoices
    assert [i.invoice_number for i in saved] == ["OK-1"]


def test_summarize_errors_false_reports_each_element(xero_api):
    batch = Invoices(
        invoices=[invoice(invoice_number="S-1"), invoice(invoice_number="S-2", currency_code=CurrencyCode("JPY"))]
    )
    result = xero_api.create_invoices(UK, batch, summarize_errors=False)
    ok, bad = result.invoices
    assert ok.status_attribute_string == "OK" and ok.invoice_id
    assert bad.status_attribute_string == "ERROR"
    assert [e.message for e in bad.validation_errors] == ["Organisation is not subscribed to currency JPY"]


def test_paged_reads_with_filters(xero_api):
    made = xero_api.create_invoices(
        UK,
        Invoices(
            invoices=[invoice(contact="Reader A", invoice_number=f"R-{n}") for n in range(3)]
            + [invoice(contact="Reader B", invoice_number="R-B", status="DRAFT")]
        ),
    ).invoices
    by_ids = xero_api.get_invoices(UK, i_ds=[made[0].invoice_id, made[2].invoice_id]).invoices
    assert {i.invoice_number for i in by_ids} == {"R-0", "R-2"}
    by_contact = xero_api.get_invoices(UK, contact_i_ds=[made[3].contact.contact_id]).invoices
    assert [i.invoice_number for i in by_contact] == ["R-B"]
    drafts = xero_api.get_invoices(UK, statuses=["DRAFT"]).invoices
    assert [i.invoice_number for i in drafts] == ["R-B"]
    page = xero_api.get_invoices(UK, page=2, page_size=3)
    assert len(page.invoices) == 1
    assert (page.pagination.page, page.pagination.page_count, page.pagination.item_count) == (2, 2, 4)
    where = xero_api.get_invoices(UK, where='Status=="AUTHORISED" AND Contact.Name=="Reader A"').invoices
    assert len(where) == 3


def test_if_modified_since(xero_api, make_xero_emulator):
    old = xero_api.create_invoices(UK, Invoices(invoices=[invoice(invoice_number="M-1")])).invoices[0]
    after = old.updated_date_utc + timedelta(seconds=1)
    assert xero_api.get_invoices(UK, if_modified_since=after).invoices == []
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert [i.invoice_number for i in xero_api.get_invoices(UK, if_modified_since=since).invoices] == ["M-1"]


def test_update_lines_recomputes_and_edits_are_refused_once_paid(xero_api, xero_emulator):
    inv = xero_api.create_invoices(UK, Invoices(invoices=[invoice(amount="100")])).invoices[0]
    line = LineItem(
        description="new", quantity=Decimal(2), unit_amount=Decimal("50"), account_code="201", tax_type="OUTPUT2"
    )
    updated = xero_api.update_invoice(
        UK, inv.invoice_id, Invoices(invoices=[Invoice(line_items=[line], reference="R")])
    ).invoices[0]
    assert updated.total == Decimal("120.00") and updated.reference == "R"
    xero_emulator.receive_from_bank_feed("UK", inv.invoice_id, Decimal("10"))
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.update_invoice(UK, inv.invoice_id, Invoices(invoices=[Invoice(line_items=[line])]))
    assert errors(caught.value) == [messages.HAS_PAYMENTS]
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.update_invoice(UK, inv.invoice_id, Invoices(invoices=[Invoice(status="VOIDED")]))
    assert errors(caught.value) == [messages.VOID_WITH_PAYMENTS]


def test_update_or_create_by_number(xero_api):
    xero_api.create_invoices(UK, Invoices(invoices=[invoice(invoice_number="U-1", status="DRAFT")]))
    result = xero_api.update_or_create_invoices(
        UK, Invoices(invoices=[Invoice(invoice_number="U-1", status="AUTHORISED"), invoice(invoice_number="U-2")])
    ).invoices
    assert [(i.invoice_number, i.status) for i in result] == [("U-1", "AUTHORISED"), ("U-2", "AUTHORISED")]


def test_archived_contact_refused_on_new_documents(xero_api, xero_emulator):
    inv = xero_api.create_invoices(UK, Invoices(invoices=[invoice(contact="Gone Ltd")])).invoices[0]
    xero_emulator.edit_contact("UK", inv.contact.contact_id, ContactStatus="ARCHIVED")
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_invoices(
            UK,
            Invoices(
                invoices=[
                    invoice(contact=None)
                    if False
                    else Invoice(
                        type="ACCREC",
                        contact=Contact(contact_id=inv.contact.contact_id),
                        status="AUTHORISED",
                        date=date(2026, 5, 2),
                        line_items=[
                            LineItem(description="x", quantity=Decimal(1), unit_amount=Decimal(5), account_code="200")
                        ],
                    )
                ]
            ),
        )
    assert errors(caught.value) == [messages.CONTACT_ARCHIVED]
    assert errors(caught.value)[0].startswith("This contact has been archived.")


def test_unknown_account_tax_type_and_tracking(xero_api):
    line = LineItem(description="x", quantity=Decimal(1), unit_amount=Decimal(5), account_code="999", tax_type="BOGUS")
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_invoices(UK, Invoices(invoices=[invoice(line_items=[line])]))
    assert errors(caught.value) == [messages.bad_account("999"), messages.bad_tax_type("BOGUS")]


def test_tracking_on_lines(xero_api):
    from xero_python.accounting import LineItemTracking

    tracking = [
        LineItemTracking(name="Office", option="London"),
        LineItemTracking(name="Department", option="Litigation"),
    ]
    line = LineItem(description="x", quantity=Decimal(1), unit_amount=Decimal(5), account_code="200", tracking=tracking)
    inv = xero_api.create_invoices(UK, Invoices(invoices=[invoice(line_items=[line])])).invoices[0]
    assert [(t.name, t.option) for t in inv.line_items[0].tracking] == [
        ("Office", "London"),
        ("Department", "Litigation"),
    ]
    bad = LineItem(
        description="x",
        quantity=Decimal(1),
        unit_amount=Decimal(5),
        account_code="200",
        tracking=[LineItemTracking(name="Office", option="Paris")],
    )
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_invoices(UK, Invoices(invoices=[invoice(line_items=[bad])]))
    assert errors(caught.value) == [messages.bad_tracking("Office", "Paris")]
