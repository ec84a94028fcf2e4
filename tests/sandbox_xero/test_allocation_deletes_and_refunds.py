"""Taking allocations back (DELETE .../Allocations/{id}) and refunding credits through PUT /Payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests
from xero_python.accounting import (
    Account,
    Allocation,
    Allocations,
    CreditNote,
    Invoice,
    Overpayment,
    Payment,
    PaymentDelete,
    Payments,
)
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from cynare.sandbox.xero import messages
from tests.sandbox_xero.conftest import UK, errors
from tests.sandbox_xero.settlement_helpers import (
    make_credit_note,
    make_invoice,
    make_overpayment,
    trial_balance,
)


def _allocation(invoice_id: str, amount: str, day: date = date(2026, 5, 6)) -> Allocations:
    return Allocations(
        allocations=[Allocation(invoice=Invoice(invoice_id=invoice_id), amount=Decimal(amount), date=day)]
    )


def test_deleting_a_credit_note_allocation_restores_both_documents_and_the_ledger(xero_api):
    inv = make_invoice(xero_api, net="50.00", currency="EUR", rate="1.170000")  # 60.00 EUR
    note = make_credit_note(xero_api, net="60.00", currency="EUR", rate="1.100000")  # 60.00 EUR
    before = trial_balance(xero_api)
    made = xero_api.create_credit_note_allocation(
        UK, note.credit_note_id, _allocation(inv.invoice_id, "60.00")
    ).allocations[0]
    assert xero_api.get_invoice(UK, inv.invoice_id).invoices[0].status == "PAID"
    assert xero_api.get_credit_note(UK, note.credit_note_id).credit_notes[0].status == "PAID"
    settled = trial_balance(xero_api)
    # The invoice was booked at 60/1.17 = 51.28, the credit at 60/1.10 = 54.55: clearing both leaves a
    # realised gain of 3.27 (a credit), and the debtors control account at nil.
    assert "610" not in settled and settled["498"] == Decimal("-3.27")

    gone = xero_api.delete_credit_note_allocations(UK, note.credit_note_id, made.allocation_id)
    assert gone.is_deleted is True and gone.amount == Decimal("60.00")
    assert gone.invoice.invoice_id == inv.invoice_id
    back = xero_api.get_invoice(UK, inv.invoice_id).invoices[0]
    assert (back.status, back.amount_due, back.amount_credited, back.credit_notes) == (
        "AUTHORISED",
        Decimal("60.00"),
        Decimal("0.00"),
        [],
    )
    credit = xero_api.get_credit_note(UK, note.credit_note_id).credit_notes[0]
    assert (credit.status, credit.remaining_credit, credit.allocations) == ("AUTHORISED", Decimal("60.00"), [])
    assert trial_balance(xero_api) == before
    assert before["610"] == Decimal("51.28") - Decimal("54.55")
    history = [h.changes for h in xero_api.get_credit_note_history(UK, note.credit_note_id).history_records]
    assert history[-1] == "Allocation Deleted"

    with pytest.raises(NotFoundException):
        xero_api.delete_credit_note_allocations(UK, note.credit_note_id, made.allocation_id)


def test_an_allocation_is_deleted_only_through_its_own_credit(xero_api):
    inv = make_invoice(xero_api)
    note = make_credit_note(xero_api)
    other = make_credit_note(xero_api)
    made = xero_api.create_credit_note_allocation(
        UK, note.credit_note_id, _allocation(inv.invoice_id, "10.00")
    ).allocations[0]
    with pytest.raises(NotFoundException):
        xero_api.delete_credit_note_allocations(UK, other.credit_note_id, made.allocation_id)
    with pytest.raises(NotFoundException):
        xero_api.delete_overpayment_allocations(UK, note.credit_note_id, made.allocation_id)
    assert xero_api.get_invoice(UK, inv.invoice_id).invoices[0].amount_due == Decimal("110.00")


def test_an_allocation_in_a_locked_period_cannot_be_deleted(xero_api, xero_emulator):
    inv = make_invoice(xero_api)
    note = make_credit_note(xero_api)
    made = xero_api.create_credit_note_allocation(
        UK, note.credit_note_id, _allocation(inv.invoice_id, "10.00")
    ).allocations[0]
    xero_emulator.set_lock_date("UK", date(2026, 5, 31))
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.delete_credit_note_allocations(UK, note.credit_note_id, made.allocation_id)
    assert errors(caught.value) == [messages.locked(date(2026, 5, 31))]


def test_deleting_an_overpayment_allocation_over_plain_http(xero_api, xero_emulator):
    inv = make_invoice(xero_api)  # 120.00
    over = make_overpayment(xero_api, amount="120.00")
    made = xero_api.create_overpayment_allocations(
        UK, over.overpayment_id, _allocation(inv.invoice_id, "120.00")
    ).allocations[0]
    assert xero_api.get_overpayment(UK, over.overpayment_id).overpayments[0].status == "PAID"
    reply = requests.delete(
        f"{xero_emulator.accounting_url}/Overpayments/{over.overpayment_id}/Allocations/{made.allocation_id}",
        headers={"Authorization": f"Bearer {xero_emulator.token('UK')}", "xero-tenant-id": UK},
        timeout=5,
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["IsDeleted"] is True and body["AllocationID"] == made.allocation_id
    assert (
        body["Invoice"]["InvoiceID"] == inv.invoice_id and body["Overpayment"]["OverpaymentID"] == over.overpayment_id
    )
    back = xero_api.get_overpayment(UK, over.overpayment_id).overpayments[0]
    assert (back.status, back.remaining_credit, back.allocations) == ("AUTHORISED", Decimal("120.00"), [])
    assert xero_api.get_invoice(UK, inv.invoice_id).invoices[0].amount_due == Decimal("120.00")
    assert "610" not in trial_balance(xero_api)  # 120 receivable less 120 unallocated cash


def _refund(amount: str, note_id: str | None = None, over_id: str | None = None, **extra) -> Payment:
    target = {"credit_note": CreditNote(credit_note_id=note_id)} if note_id else {}
    if over_id:
        target = {"overpayment": Overpayment(overpayment_id=over_id)}
    return Payment(account=Account(code="090"), amount=Decimal(amount), date=date(2026, 5, 12), **target, **extra)


def test_refunding_a_credit_note_pays_cash_out_and_deleting_gives_the_credit_back(xero_api):
    note = make_credit_note(xero_api, net="100.00")  # no tax: 100.00
    refund = xero_api.create_payments(UK, Payments(payments=[_refund("40.00", note.credit_note_id)])).payments[0]
    # Xero sends a refund under Invoice, with the credit note's id and type.
    assert refund.payment_type == "ARCREDITPAYMENT" and refund.amount == Decimal("40.00")
    assert refund.invoice.invoice_id == note.credit_note_id and refund.invoice.type == "ACCRECCREDIT"
    assert refund.invoice.invoice_number == note.credit_note_number
    credit = xero_api.get_credit_note(UK, note.credit_note_id).credit_notes[0]
    assert credit.remaining_credit == Decimal("60.00") and [p.payment_id for p in credit.payments] == [
        refund.payment_id
    ]
    ledger = trial_balance(xero_api)
    assert ledger["090"] == Decimal("-40.00") and ledger["610"] == Decimal("-60.00")

    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_payments(UK, Payments(payments=[_refund("60.01", note.credit_note_id)]))
    assert errors(caught.value) == [messages.PAYMENT_EXCEEDS]
    rest = xero_api.create_payments(UK, Payments(payments=[_refund("60.00", note.credit_note_id)])).payments[0]
    assert xero_api.get_credit_note(UK, note.credit_note_id).credit_notes[0].status == "PAID"

    xero_api.delete_payment(UK, rest.payment_id, PaymentDelete(status="DELETED"))
    credit = xero_api.get_credit_note(UK, note.credit_note_id).credit_notes[0]
    assert (credit.status, credit.remaining_credit) == ("AUTHORISED", Decimal("60.00"))
    assert [p.payment_id for p in credit.payments] == [refund.payment_id]
    assert trial_balance(xero_api) == ledger
    history = [h.changes for h in xero_api.get_credit_note_history(UK, note.credit_note_id).history_records]
    assert history[-3:] == ["Refund Paid", "Refund Paid", "Refund Deleted"]


def test_refunding_an_overpayment(xero_api):
    over = make_overpayment(xero_api, amount="30.00")
    refund = xero_api.create_payments(UK, Payments(payments=[_refund("30.00", over_id=over.overpayment_id)])).payments[
        0
    ]
    assert refund.payment_type == "AROVERPAYMENTPAYMENT"
    assert refund.invoice.invoice_id == over.overpayment_id and refund.invoice.type == "AROVERPAYMENT"
    got = xero_api.get_overpayment(UK, over.overpayment_id).overpayments[0]
    assert (got.status, got.remaining_credit, len(got.payments)) == ("PAID", Decimal("0.00"), 1)
    assert "090" not in trial_balance(xero_api)  # 30 in, 30 out
    xero_api.delete_payment(UK, refund.payment_id, PaymentDelete(status="DELETED"))
    got = xero_api.get_overpayment(UK, over.overpayment_id).overpayments[0]
    assert (got.status, got.remaining_credit, got.payments) == ("AUTHORISED", Decimal("30.00"), [])


def test_refund_rules(xero_api):
    draft = make_credit_note(xero_api, status="DRAFT")
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_payments(UK, Payments(payments=[_refund("1.00", draft.credit_note_id)]))
    assert errors(caught.value) == [messages.NOT_AUTHORISED_FOR_PAYMENT]
    missing = "5a1c0000-0000-4000-8000-00000000beef"
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_payments(UK, Payments(payments=[_refund("1.00", missing)]))
    assert errors(caught.value) == [messages.not_found("Credit note", missing)]
    inv = make_invoice(xero_api)
    note = make_credit_note(xero_api)
    both = _refund("1.00", note.credit_note_id, invoice=Invoice(invoice_id=inv.invoice_id))
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_payments(UK, Payments(payments=[both]))
    assert errors(caught.value) == [messages.PAYMENT_ONE_DOCUMENT]
    # A refunded credit note cannot be voided, as one with allocations cannot.
    xero_api.create_payments(UK, Payments(payments=[_refund("1.00", note.credit_note_id)]))
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.update_credit_note(UK, note.credit_note_id, _voided(note.credit_note_id))
    assert errors(caught.value) == [messages.HAS_PAYMENTS]


def _voided(note_id: str):
    from xero_python.accounting import CreditNotes

    return CreditNotes(credit_notes=[CreditNote(credit_note_id=note_id, status="VOIDED")])
