"""Foreign-currency payments: BankAmount, the payment's rate, realised gains and losses, the debtors control."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Account,
    Allocation,
    Allocations,
    CreditNote,
    Invoice,
    Invoices,
    Overpayment,
    Payment,
    PaymentDelete,
    Payments,
)
from xero_python.exceptions import AccountingBadRequestException

from cynare.sandbox.xero import messages
from cynare.sandbox.xero.money import cents
from tests.sandbox_xero.conftest import UK, errors, invoice
from tests.sandbox_xero.settlement_helpers import (
    make_credit_note,
    make_invoice,
    make_overpayment,
    pay,
    trial_balance,
)

ZERO = Decimal("0.00")


def test_a_euro_payment_into_a_sterling_account(xero_api):
    inv = make_invoice(xero_api, net="100.00", currency="EUR", rate="1.200000")  # 120 EUR = 100.00 GBP
    made = xero_api.create_payments(UK, Payments(payments=[pay(inv.invoice_id, "120.00", rate="1.25")])).payments[0]
    # BankAmount is in the bank account's currency: 120 / 1.25 = 96.00 GBP.
    assert (made.amount, made.bank_amount, made.currency_rate) == (
        Decimal("120.00"),
        Decimal("96.00"),
        Decimal("1.25"),
    )
    assert xero_api.get_payment(UK, made.payment_id).payments[0].bank_amount == Decimal("96.00")
    ledger = trial_balance(xero_api)
    # 100.00 cleared from debtors, 96.00 banked: a realised loss of 4.00 (a debit on 498).
    assert ledger["090"] == Decimal("96.00") and "610" not in ledger and ledger["498"] == Decimal("4.00")
    assert ledger["debits"] == ledger["credits"]
    xero_api.delete_payment(UK, made.payment_id, PaymentDelete(status="DELETED"))
    ledger = trial_balance(xero_api)
    assert ledger["610"] == Decimal("100.00") and "498" not in ledger and "090" not in ledger


def test_a_euro_payment_into_a_euro_account_and_the_day_rate(xero_api):
    inv = make_invoice(xero_api, net="100.00", currency="EUR", rate="1.200000")
    # 093 is the UK's EUR account: BankAmount is the amount itself. No rate given: the day rate (1.17).
    made = xero_api.create_payments(UK, Payments(payments=[pay(inv.invoice_id, "60.00", account="093")])).payments[0]
    assert (made.bank_amount, made.currency_rate) == (Decimal("60.00"), Decimal("1.17"))
    ledger = trial_balance(xero_api)
    assert ledger["093"] == cents(Decimal(60) / Decimal("1.17"))  # 51.28 GBP
    assert ledger["610"] == Decimal("50.00")  # 60 EUR still open at the invoice's 1.20
    assert ledger["498"] == Decimal("50.00") - Decimal("51.28")  # a gain: 1.28 more than booked


def test_a_document_is_paid_from_its_own_currency_or_base_currency_only(xero_api):
    dollars = make_invoice(xero_api, currency="USD", rate="1.300000")
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_payments(UK, Payments(payments=[pay(dollars.invoice_id, "10.00", account="093")]))
    assert errors(caught.value) == [messages.BANK_CURRENCY]
    pounds = make_invoice(xero_api)
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_payments(UK, Payments(payments=[pay(pounds.invoice_id, "10.00", account="093")]))
    assert errors(caught.value) == [messages.BANK_CURRENCY]


@pytest.mark.parametrize("rate", ["-1.2", "0"])
def test_a_negative_or_zero_currency_rate_is_refused(xero_api, rate):
    inv = make_invoice(xero_api, currency="EUR", rate="1.200000")
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_payments(UK, Payments(payments=[pay(inv.invoice_id, "10.00", rate=rate)]))
    assert errors(caught.value) == [messages.CURRENCY_RATE_POSITIVE]
    bad = invoice(currency_code=inv.currency_code, currency_rate=Decimal(rate))
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_invoices(UK, Invoices(invoices=[bad]))
    assert errors(caught.value) == [messages.CURRENCY_RATE_POSITIVE]


def test_debtors_control_equals_the_open_items_at_their_own_rates(xero_api):
    """Payments, refunds and allocations at rates unlike their documents' leave 610 at the open items."""
    contact = "Euro Client GmbH"
    invoices = [
        make_invoice(xero_api, contact, net=net, currency="EUR", rate=rate)
        for net, rate in (("333.33", "1.170000"), ("101.01", "1.183333"), ("77.77", "1.154321"))
    ]
    note = make_credit_note(xero_api, contact, net="90.91", currency="EUR", rate="1.111111")
    over = make_overpayment(xero_api, contact, amount="55.55", currency="EUR", rate="1.142857", bank="093")
    first, second, third = (i.invoice_id for i in invoices)
    xero_api.create_payments(
        UK,
        Payments(
            payments=[
                pay(first, "100.01", rate="1.21"),
                pay(first, "33.33", account="093", rate="1.19"),
                pay(second, "121.21", rate="1.13"),  # in full
                Payment(
                    credit_note=CreditNote(credit_note_id=note.credit_note_id),
                    account=Account(code="090"),
                    amount=Decimal("20.20"),
                    date=date(2026, 5, 20),
                    currency_rate=Decimal("1.25"),
                ),
                Payment(
                    overpayment=Overpayment(overpayment_id=over.overpayment_id),
                    account=Account(code="093"),
                    amount=Decimal("5.55"),
                    date=date(2026, 5, 20),
                    currency_rate=Decimal("1.16"),
                ),
            ]
        ),
    )
    allocate = [
        (xero_api.create_credit_note_allocation, note.credit_note_id, first, "33.33"),
        (xero_api.create_credit_note_allocation, note.credit_note_id, third, "17.17"),
        (xero_api.create_overpayment_allocations, over.overpayment_id, third, "44.44"),
    ]
    for call, credit_id, invoice_id, amount in allocate:
        element = Allocation(invoice=Invoice(invoice_id=invoice_id), amount=Decimal(amount), date=date(2026, 5, 21))
        call(UK, credit_id, Allocations(allocations=[element]))

    open_items = sum(
        (cents(i.amount_due / i.currency_rate) for i in xero_api.get_invoices(UK).invoices),
        ZERO,
    )
    open_items -= sum(
        (cents(n.remaining_credit / n.currency_rate) for n in xero_api.get_credit_notes(UK).credit_notes), ZERO
    )
    open_items -= sum(
        (cents(o.remaining_credit / o.currency_rate) for o in xero_api.get_overpayments(UK).overpayments), ZERO
    )
    ledger = trial_balance(xero_api)
    assert ledger["610"] == open_items
    assert ledger["debits"] == ledger["credits"]
    assert ledger["498"] != ZERO
    # The bank holds what was banked: BankAmounts for the sterling account, values at the rates for euros.
    sterling = [p for p in xero_api.get_payments(UK).payments if p.account.code == "090"]
    received = sum((p.bank_amount for p in sterling if p.payment_type == "ACCRECPAYMENT"), ZERO)
    refunded = sum((p.bank_amount for p in sterling if p.payment_type != "ACCRECPAYMENT"), ZERO)
    assert ledger["090"] == received - refunded
