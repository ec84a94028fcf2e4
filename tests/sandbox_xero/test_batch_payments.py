"""BatchPayments through the SDK: several invoices as one bank line, read back, deleted in both forms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests
from xero_python.accounting import (
    Account,
    BatchPayment,
    BatchPaymentDelete,
    BatchPaymentDeleteByUrlParam,
    BatchPayments,
    CreditNote,
    Invoice,
    Invoices,
    Payment,
    PaymentDelete,
    Payments,
)
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from cynare.sandbox.xero import messages
from tests.sandbox_xero.conftest import UK, errors, invoice
from tests.sandbox_xero.settlement_helpers import make_credit_note, make_invoice, trial_balance


def _member(invoice_id: str, amount: str) -> Payment:
    return Payment(invoice=Invoice(invoice_id=invoice_id), amount=Decimal(amount))


def _batch(*payments: Payment, account: str = "090", reference: str = "Deposit 7") -> BatchPayment:
    return BatchPayment(
        account=Account(code=account), date=date(2026, 5, 15), reference=reference, payments=list(payments)
    )


def test_a_batch_pays_several_invoices_as_one_bank_line(xero_api):
    one, two = make_invoice(xero_api, "Batch A"), make_invoice(xero_api, "Batch B", net="50.00")  # 120, 60
    made = xero_api.create_batch_payment(
        UK, BatchPayments(batch_payments=[_batch(_member(one.invoice_id, "120.00"), _member(two.invoice_id, "20.00"))])
    ).batch_payments[0]
    assert (made.type, made.status, made.total_amount, made.reference) == ("RECBATCH", "AUTHORISED", 140.0, "Deposit 7")
    assert made.account.code == "090" and made.date == date(2026, 5, 15)
    assert [(p.invoice.invoice_id, p.amount) for p in made.payments] == [
        (one.invoice_id, Decimal("120.00")),
        (two.invoice_id, Decimal("20.00")),
    ]
    paid = xero_api.get_invoice(UK, one.invoice_id).invoices[0]
    assert (paid.status, paid.fully_paid_on_date) == ("PAID", date(2026, 5, 15))
    assert xero_api.get_invoice(UK, two.invoice_id).invoices[0].amount_due == Decimal("40.00")
    members = [xero_api.get_payment(UK, p.payment_id).payments[0] for p in made.payments]
    assert {p.batch_payment_id for p in members} == {made.batch_payment_id}
    assert {p.date for p in members} == {date(2026, 5, 15)} and {p.account.code for p in members} == {"090"}
    assert trial_balance(xero_api)["090"] == Decimal("140.00")

    listed = xero_api.get_batch_payments(UK).batch_payments
    assert [b.batch_payment_id for b in listed] == [made.batch_payment_id]
    assert xero_api.get_batch_payment(UK, made.batch_payment_id).batch_payments[0].total_amount == 140.0

    # A member cannot go alone; the batch takes all of them with it.
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.delete_payment(UK, members[0].payment_id, PaymentDelete(status="DELETED"))
    assert errors(caught.value) == [messages.PAYMENT_BATCH_DELETE]
    gone = xero_api.delete_batch_payment(
        UK, BatchPaymentDelete(batch_payment_id=made.batch_payment_id, status="DELETED")
    ).batch_payments[0]
    assert (gone.status, gone.payments) == ("DELETED", [])
    for inv in (one, two):
        back = xero_api.get_invoice(UK, inv.invoice_id).invoices[0]
        assert (back.status, back.amount_paid, back.payments) == ("AUTHORISED", Decimal("0.00"), [])
    assert {xero_api.get_payment(UK, p.payment_id).payments[0].status for p in members} == {"DELETED"}
    assert "090" not in trial_balance(xero_api)
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.delete_batch_payment_by_url_param(
            UK, made.batch_payment_id, BatchPaymentDeleteByUrlParam(status="DELETED")
        )
    assert errors(caught.value) == [messages.BATCH_ALREADY_DELETED]


def test_deleting_a_batch_by_its_url_and_its_history(xero_api, xero_emulator):
    inv = make_invoice(xero_api)
    made = xero_api.create_batch_payment(
        UK, BatchPayments(batch_payments=[_batch(_member(inv.invoice_id, "100.00"))])
    ).batch_payments[0]
    gone = xero_api.delete_batch_payment_by_url_param(
        UK, made.batch_payment_id, BatchPaymentDeleteByUrlParam(status="DELETED")
    ).batch_payments[0]
    assert gone.status == "DELETED" and gone.total_amount == 100.0
    assert xero_api.get_invoice(UK, inv.invoice_id).invoices[0].amount_due == Decimal("120.00")
    assert xero_api.get_batch_payments(UK, where='Status=="AUTHORISED"').batch_payments == []
    assert len(xero_api.get_batch_payments(UK, where='Status=="DELETED"').batch_payments) == 1
    history = xero_api.get_batch_payment_history(UK, made.batch_payment_id).history_records
    assert [h.changes for h in history] == ["Created", "Deleted"]
    with pytest.raises(NotFoundException):
        xero_api.get_batch_payment(UK, "5a1c0000-0000-4000-8000-00000000beef")
    # Over plain HTTP a status other than DELETED is refused.
    reply = requests.post(
        f"{xero_emulator.accounting_url}/BatchPayments",
        headers={"Authorization": f"Bearer {xero_emulator.token('UK')}", "xero-tenant-id": UK},
        json={"BatchPaymentID": made.batch_payment_id, "Status": "AUTHORISED"},
        timeout=5,
    )
    assert reply.status_code == 400
    assert reply.json()["Elements"][0]["ValidationErrors"] == [{"Message": messages.BATCH_STATUS_ONLY}]


def test_a_batch_with_one_bad_payment_saves_nothing(xero_api, xero_emulator):
    one, two = make_invoice(xero_api, "Batch A"), make_invoice(xero_api, "Batch B")
    bad = _batch(_member(one.invoice_id, "60.00"), _member(one.invoice_id, "60.01"), _member(two.invoice_id, "1"))
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_batch_payment(UK, BatchPayments(batch_payments=[bad]))
    assert errors(caught.value) == [messages.PAYMENT_EXCEEDS]  # the two together exceed what is due
    assert xero_api.get_batch_payments(UK).batch_payments == []
    assert xero_emulator.tenant("UK").payments == {}
    note = make_credit_note(xero_api)
    refund_in_batch = _batch(Payment(credit_note=CreditNote(credit_note_id=note.credit_note_id), amount=Decimal(1)))
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_batch_payment(UK, BatchPayments(batch_payments=[refund_in_batch]))
    assert errors(caught.value) == [messages.BATCH_INVOICES_ONLY]
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.create_batch_payment(UK, BatchPayments(batch_payments=[_batch(account="200")]))
    assert errors(caught.value) == [messages.PAYMENT_ACCOUNT_INVALID, messages.BATCH_NO_PAYMENTS]


def test_sales_invoices_and_bills_do_not_mix_and_each_batch_stands_alone(xero_api):
    sale = make_invoice(xero_api)
    bill = xero_api.create_invoices(UK, Invoices(invoices=[invoice(type="ACCPAY", contact="Supplier Ltd")])).invoices[0]
    mixed = _batch(_member(sale.invoice_id, "1"), _member(bill.invoice_id, "1"))
    good = _batch(_member(sale.invoice_id, "10"))
    bills = _batch(_member(bill.invoice_id, "5"))
    reply = xero_api.create_batch_payment(
        UK, BatchPayments(batch_payments=[mixed, good, bills]), summarize_errors=False
    )
    statuses = [(b.type, b.validation_errors) for b in reply.batch_payments]
    assert statuses[0][1][0].message == messages.BATCH_MIXED_TYPES
    assert [s[0] for s in statuses[1:]] == ["RECBATCH", "PAYBATCH"]
    assert xero_api.get_invoice(UK, sale.invoice_id).invoices[0].amount_due == Decimal("110.00")
    assert len(xero_api.get_batch_payments(UK).batch_payments) == 2


def test_a_batch_entered_in_xero_is_a_batch_payment_too(xero_api, xero_emulator):
    inv = make_invoice(xero_api)
    ids = xero_emulator.record_batch_payment("UK", [(inv.invoice_id, Decimal("20.00"))])
    batch_id = xero_api.get_payment(UK, ids[0]).payments[0].batch_payment_id
    got = xero_api.get_batch_payment(UK, batch_id).batch_payments[0]
    assert [p.payment_id for p in got.payments] == ids and got.type == "RECBATCH"


def test_batches_refunds_and_deleted_allocations_survive_a_snapshot(xero_api, xero_accounting, xero_emulator, tmp_path):
    inv, other = make_invoice(xero_api), make_invoice(xero_api, "Batch B")
    note = make_credit_note(xero_api)
    xero_emulator.allocate_credit("UK", note.credit_note_id, inv.invoice_id, Decimal("10.00"))
    taken_back = xero_emulator.allocate_credit("UK", note.credit_note_id, inv.invoice_id, Decimal("7.00"))
    xero_api.delete_credit_note_allocations(UK, note.credit_note_id, taken_back)
    refund = Payment(credit_note=CreditNote(credit_note_id=note.credit_note_id), amount=Decimal("5.00"))
    refund.account, refund.date = Account(code="090"), date(2026, 5, 16)
    xero_api.create_payments(UK, Payments(payments=[refund]))
    made = xero_api.create_batch_payment(
        UK, BatchPayments(batch_payments=[_batch(_member(other.invoice_id, "12.00"))])
    ).batch_payments[0]
    before = trial_balance(xero_api)
    xero_emulator.save_snapshot(tmp_path / "books.json")
    xero_emulator.reset()
    xero_emulator.load_snapshot(tmp_path / "books.json")
    xero_api = xero_accounting("UK")  # a reset forgets tokens: connect again
    assert trial_balance(xero_api) == before
    assert xero_api.get_batch_payment(UK, made.batch_payment_id).batch_payments[0].total_amount == 12.0
    assert xero_api.get_credit_note(UK, note.credit_note_id).credit_notes[0].remaining_credit == Decimal("35.00")
