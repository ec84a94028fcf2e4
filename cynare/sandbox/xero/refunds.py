"""Refunds: a payment that pays out a credit note or an overpayment instead of paying an invoice.

`PUT /Payments` with `CreditNote` (or `Overpayment`) in place of `Invoice` books cash out of the bank
account and reduces the credit's RemainingCredit (AUTHORISED to PAID when it reaches zero); deleting
the payment (`POST /Payments/{id}` with Status DELETED) gives the credit back.
"""

from __future__ import annotations

from typing import Any

from cynare.sandbox.xero import credit_notes, messages
from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.settlement import settle_credit
from cynare.sandbox.xero.state import CreditNote, Overpayment, Payment, Tenant

Credit = CreditNote | Overpayment

_TYPES = {"ACCRECCREDIT": "ARCREDITPAYMENT", "ACCPAYCREDIT": "APCREDITPAYMENT"}


def find(tenant: Tenant, el: dict[str, Any]) -> tuple[Credit | None, list[str]]:
    """The credit a payment element names in `CreditNote` or `Overpayment`, or Xero's not-found message."""
    raw_note = el.get("CreditNote")
    if isinstance(raw_note, dict):
        note = credit_notes.find(tenant, raw_note)
        if note is None:
            key = raw_note.get("CreditNoteID") or raw_note.get("CreditNoteNumber") or ""
            return None, [messages.not_found("Credit note", str(key))]
        return note, []
    raw_over = el.get("Overpayment")
    key = str((raw_over or {}).get("OverpaymentID") or "") if isinstance(raw_over, dict) else ""
    found = tenant.overpayments.get(key.lower()) if key else None
    if found is None:
        return None, [messages.not_found("Overpayment", key)]
    return found, []


def payment_type(credit: Credit) -> str:
    if isinstance(credit, CreditNote):
        return _TYPES.get(credit.type, "ARCREDITPAYMENT")
    return "APOVERPAYMENTPAYMENT" if credit.type == "SPEND-OVERPAYMENT" else "AROVERPAYMENTPAYMENT"


def credit_of(tenant: Tenant, payment: Payment) -> Credit | None:
    if payment.credit_note_id:
        return tenant.credit_notes[payment.credit_note_id]
    if payment.overpayment_id:
        return tenant.overpayments[payment.overpayment_id]
    return None


def _name(credit: Credit) -> str:
    return f"credit note {credit.number}" if isinstance(credit, CreditNote) else "overpayment"


def apply(call: Call, payment: Payment, credit: Credit) -> None:
    tenant = call.tenant
    if isinstance(credit, CreditNote):
        payment.credit_note_id = credit.credit_note_id
        credit_id = credit.credit_note_id
    else:
        payment.overpayment_id = credit.overpayment_id
        credit_id = credit.overpayment_id
    credit.refunded += payment.amount
    credit.payment_ids.append(payment.payment_id)
    settle_credit(credit, payment.date, call.now)
    detail = f"Refund of {payment.amount} paid on {payment.date} from the {_name(credit)}."
    tenant.note(credit_id, "Refund Paid", detail, call.now, call.user)
    tenant.note(payment.payment_id, "Created", detail, call.now, call.user)


def unapply(call: Call, payment: Payment, credit: Credit) -> None:
    credit.refunded -= payment.amount
    settle_credit(credit, call.today, call.now)
    credit_id = credit.credit_note_id if isinstance(credit, CreditNote) else credit.overpayment_id
    detail = f"Refund of {payment.amount} on {payment.date} deleted."
    call.tenant.note(credit_id, "Refund Deleted", detail, call.now, call.user)
    call.tenant.note(payment.payment_id, "Deleted", detail, call.now, call.user)
