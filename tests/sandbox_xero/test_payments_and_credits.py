"""Payments, credit notes, allocations and overpayments through the SDK, with Xero's refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Account,
    Allocation,
    Allocations,
    BankTransaction,
    BankTransactions,
    Contact,
    CreditNote,
    CreditNotes,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    Payment,
    PaymentDelete,
    Payments,
)
from xero_python.exceptions import AccountingBadRequestException

from cynare.sandbox.xero import messages
from tests.sandbox_xero.conftest import UK, errors, invoice


def _invoice(api, contact="Payer Ltd", amount="100.00") -> Invoice:
    return api.create_invoices(UK, Invoices(invoices=[invoice(contact=contact, amount=amount)])).invoices[0]


def _pay(invoice_id, amount, day=date(2026, 5, 10)) -> Payment:
    return Payment(
        invoice=Invoice(invoice_id=invoice_id), account=Account(code="090"), amount=Decimal(amount), date=day
    )


def test_payments_move_an_invoice_to_paid_and_deleting_brings_it_back(xero_api):
    inv = _invoice(xero_api)  # 120.00 with VAT
    first, second = xero_api.create_payments(
        UK, Payments(payments=[_pay(inv.invoice_id, "20.00"), _pay(inv.invoice_id, "100.00")])
    ).payments
    assert first.status == "AUTHORISED" and second.payment_type == "ACCRECPAYMENT"
    paid = xero_api.get_invoice(UK, inv.invoice_id).invoices[0]
    assert (paid.status, paid.amount_due, paid.amount_paid) == ("PAID", Decimal("0.00"), Decimal("120.00"))
    assert paid.fully_paid_on_date == date(2026, 5, 10)
    deleted = xero_api.delete_payment(UK, second.payment_id, PaymentDelete(status="DELETED")).payments[0]
    assert deleted.status == "DELETED"
    back = xero_api.get_invoice(UK, inv.invoice_id).invoices[0]
    assert (back.status, back.amount_due) == ("AUTHORISED", Decimal("100.00"))
    assert xero_api.get_payment(UK, second.payment_id).payments[0].status == "DELETED"
    assert {p.payment_id for p in xero_api.get_payments(UK).payments} == {first.payment_id, second.payment_id}


def test_single_payment_post(xero_api):
    inv = _invoice(xero_api)
    made = xero_api.create_payment(UK, _pay(inv.invoice_id, "120.00")).payments[0]
    assert made.amount == Decimal("120.00")
    assert xero_api.get_invoice(UK, inv.invoice_id).invoices[0].status == "PAID"


def test_payment_larger_than_amount_due_is_refused(xero_api):
    inv = _invoice(xero_api)
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_payments(UK, Payments(payments=[_pay(inv.invoice_id, "120.01")]))
    assert errors(caught.value) == [messages.PAYMENT_EXCEEDS]
    assert errors(caught.value) == ["Payment amount exceeds the amount outstanding on this document"]


def test_payment_to_a_non_bank_account_or_a_draft_is_refused(xero_api):
    inv = _invoice(xero_api)
    bad = Payment(
        invoice=Invoice(invoice_id=inv.invoice_id),
        account=Account(code="200"),
        amount=Decimal(1),
        date=date(2026, 5, 2),
    )
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_payments(UK, Payments(payments=[bad]))
    assert errors(caught.value) == [messages.PAYMENT_ACCOUNT_INVALID]
    draft = xero_api.create_invoices(UK, Invoices(invoices=[invoice(status="DRAFT")])).invoices[0]
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_payments(UK, Payments(payments=[_pay(draft.invoice_id, "1")]))
    assert errors(caught.value) == [messages.NOT_AUTHORISED_FOR_PAYMENT]


def test_payment_in_a_locked_period_is_refused(xero_api, xero_emulator):
    inv = _invoice(xero_api)
    xero_emulator.set_lock_date("UK", date(2026, 5, 31))
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_payments(UK, Payments(payments=[_pay(inv.invoice_id, "1")]))
    assert errors(caught.value) == [messages.locked(date(2026, 5, 31))]


def test_batch_payment_members_cannot_be_deleted_alone(xero_api, xero_emulator):
    one, two = _invoice(xero_api, "Batch A"), _invoice(xero_api, "Batch B")
    ids = xero_emulator.record_batch_payment(
        "UK", [(one.invoice_id, Decimal("120.00")), (two.invoice_id, Decimal("50"))]
    )
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.delete_payment(UK, ids[0], PaymentDelete(status="DELETED"))
    assert errors(caught.value) == [messages.PAYMENT_BATCH_DELETE]
    assert xero_api.get_invoice(UK, one.invoice_id).invoices[0].status == "PAID"


def test_reconciled_bank_feed_receipt_cannot_be_deleted(xero_api, xero_emulator):
    inv = _invoice(xero_api)
    payment_id = xero_emulator.receive_from_bank_feed("UK", inv.invoice_id, Decimal("120.00"))
    payment = xero_api.get_payment(UK, payment_id).payments[0]
    assert payment.is_reconciled is True
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.delete_payment(UK, payment_id, PaymentDelete(status="DELETED"))
    assert errors(caught.value) == [messages.PAYMENT_RECONCILED_DELETE]


def _credit_note(api, contact="Payer Ltd", amount="50.00", account="200", number=None) -> CreditNote:
    note = CreditNote(
        type="ACCRECCREDIT",
        contact=Contact(name=contact),
        date=date(2026, 5, 5),
        status="AUTHORISED",
        credit_note_number=number,
        line_items=[
            LineItem(
                description="credit",
                quantity=Decimal(1),
                unit_amount=Decimal(amount),
                account_code=account,
                tax_type="OUTPUT2",
            )
        ],
    )
    return api.create_credit_notes(UK, CreditNotes(credit_notes=[note])).credit_notes[0]


def test_credit_note_allocation_and_its_limits(xero_api):
    inv = _invoice(xero_api)  # 120.00
    note = _credit_note(xero_api, amount="50.00")  # 60.00
    assert note.remaining_credit == Decimal("60.00") and note.credit_note_number.startswith("CN-")
    allocation = Allocation(invoice=Invoice(invoice_id=inv.invoice_id), amount=Decimal("40.00"), date=date(2026, 5, 6))
    made = xero_api.create_credit_note_allocation(
        UK, note.credit_note_id, Allocations(allocations=[allocation])
    ).allocations[0]
    assert made.amount == Decimal("40.00") and made.invoice.invoice_id == inv.invoice_id
    after = xero_api.get_invoice(UK, inv.invoice_id).invoices[0]
    assert (after.amount_credited, after.amount_due) == (Decimal("40.00"), Decimal("80.00"))
    assert after.credit_notes[0].applied_amount == Decimal("40.00")
    too_much = Allocation(invoice=Invoice(invoice_id=inv.invoice_id), amount=Decimal("20.01"), date=date(2026, 5, 6))
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_credit_note_allocation(UK, note.credit_note_id, Allocations(allocations=[too_much]))
    assert errors(caught.value) == [messages.allocation_exceeds_credit("Credit Note")]
    small = _invoice(xero_api, amount="10.00")  # 12.00 due
    big = _credit_note(xero_api, amount="100.00")
    over_due = Allocation(invoice=Invoice(invoice_id=small.invoice_id), amount=Decimal("12.01"), date=date(2026, 5, 6))
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_credit_note_allocation(UK, big.credit_note_id, Allocations(allocations=[over_due]))
    assert errors(caught.value) == [messages.allocation_exceeds_due("Credit Note")]
    notes = xero_api.get_credit_notes(UK).credit_notes
    assert {n.credit_note_id for n in notes} == {note.credit_note_id, big.credit_note_id}
    got = xero_api.get_credit_note(UK, note.credit_note_id).credit_notes[0]
    assert got.remaining_credit == Decimal("20.00") and got.allocations[0].amount == Decimal("40.00")


def test_bad_debt_write_off_credit_note_settles_the_bill(xero_api):
    inv = _invoice(xero_api, amount="10.00")
    note = _credit_note(xero_api, amount="10.00", account="684")
    allocation = Allocation(invoice=Invoice(invoice_id=inv.invoice_id), amount=Decimal("12.00"), date=date(2026, 5, 6))
    xero_api.create_credit_note_allocation(UK, note.credit_note_id, Allocations(allocations=[allocation]))
    assert xero_api.get_invoice(UK, inv.invoice_id).invoices[0].status == "PAID"
    assert xero_api.get_credit_note(UK, note.credit_note_id).credit_notes[0].status == "PAID"


def test_credit_note_numbers_are_unique(xero_api):
    _credit_note(xero_api, number="CR-9")
    with pytest.raises(AccountingBadRequestException) as caught:
        _credit_note(xero_api, number="CR-9")
    assert errors(caught.value) == [messages.CREDIT_NOTE_NUMBER_TAKEN]


def _overpayment(api, contact="Payer Ltd", amount="30.00"):
    transaction = BankTransaction(
        type="RECEIVE-OVERPAYMENT",
        contact=Contact(name=contact),
        bank_account=Account(code="090"),
        date=date(2026, 5, 7),
        line_amount_types=LineAmountTypes("NoTax"),
        line_items=[LineItem(description="Unallocated cash", line_amount=Decimal(amount))],
    )
    return api.create_bank_transactions(UK, BankTransactions(bank_transactions=[transaction])).bank_transactions[0]


def test_overpayment_from_bank_transaction_and_its_allocation(xero_api):
    inv = _invoice(xero_api)
    made = _overpayment(xero_api)
    assert made.type == "RECEIVE-OVERPAYMENT" and made.total == Decimal("30.00")
    overpayment = xero_api.get_overpayment(UK, made.overpayment_id).overpayments[0]
    assert overpayment.remaining_credit == Decimal("30.00")
    allocation = Allocation(invoice=Invoice(invoice_id=inv.invoice_id), amount=Decimal("25.00"), date=date(2026, 5, 8))
    xero_api.create_overpayment_allocations(UK, made.overpayment_id, Allocations(allocations=[allocation]))
    after = xero_api.get_overpayments(UK).overpayments[0]
    assert after.remaining_credit == Decimal("5.00") and after.allocations[0].amount == Decimal("25.00")
    assert xero_api.get_invoice(UK, inv.invoice_id).invoices[0].amount_due == Decimal("95.00")
    too_much = Allocation(invoice=Invoice(invoice_id=inv.invoice_id), amount=Decimal("5.01"), date=date(2026, 5, 8))
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_overpayment_allocations(UK, made.overpayment_id, Allocations(allocations=[too_much]))
    assert errors(caught.value) == [messages.allocation_exceeds_credit("Overpayment")]
    listed = xero_api.get_bank_transactions(UK).bank_transactions
    assert [b.bank_transaction_id for b in listed] == [made.bank_transaction_id]
    assert (
        xero_api.get_bank_transaction(UK, made.bank_transaction_id).bank_transactions[0].overpayment_id
        == made.overpayment_id
    )


def test_overpayment_rules(xero_api):
    bad = BankTransaction(
        type="RECEIVE-OVERPAYMENT",
        contact=Contact(name="Payer Ltd"),
        bank_account=Account(code="090"),
        line_amount_types=LineAmountTypes("Exclusive"),
        line_items=[
            LineItem(description="a", line_amount=Decimal(1)),
            LineItem(description="b", line_amount=Decimal(1)),
        ],
    )
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_bank_transactions(UK, BankTransactions(bank_transactions=[bad]))
    assert errors(caught.value) == [messages.OVERPAYMENT_NO_TAX, messages.OVERPAYMENT_ONE_LINE]
    made = _overpayment(xero_api)
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.update_bank_transaction(
            UK,
            made.bank_transaction_id,
            BankTransactions(
                bank_transactions=[
                    BankTransaction(
                        type="RECEIVE-OVERPAYMENT", bank_account=Account(code="090"), line_items=[], reference="x"
                    )
                ]
            ),
        )
    assert errors(caught.value) == [messages.BANK_TRANSACTION_NOT_EDITABLE]
