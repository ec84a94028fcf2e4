"""Payments and batch payments to Xero's JSON shapes.

A refund comes back the way Xero sends it: under `Invoice`, with the credit note's (or the
overpayment's) id in `InvoiceID` and Type `ACCRECCREDIT` (or `AROVERPAYMENT`), no `CreditNote` key.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cynare.sandbox.xero.jsondates import ms_date, ms_datetime
from cynare.sandbox.xero.money import ZERO_CENTS, cents
from cynare.sandbox.xero.render import RATE, account_ref, document_ref, invoice_ref
from cynare.sandbox.xero.state import BatchPayment, Payment, Tenant

_CREDIT_TYPES = {"ACCRECCREDIT": "ACCRECCREDIT", "ACCPAYCREDIT": "ACCPAYCREDIT"}


def contact_name(tenant: Tenant, contact_id: str) -> str:
    contact = tenant.contacts.get(contact_id)
    return contact.name if contact is not None else contact_id


def _credit_ref(tenant: Tenant, p: Payment) -> dict[str, Any]:
    """The refunded credit, as Xero puts it under the payment's `Invoice`."""
    if p.credit_note_id:
        note = tenant.credit_notes[p.credit_note_id]
        doc_id, number, kind = note.credit_note_id, note.number, _CREDIT_TYPES.get(note.type, "ACCRECCREDIT")
        contact_id, currency = note.contact_id, note.currency_code
    else:
        over = tenant.overpayments[str(p.overpayment_id)]
        doc_id, number, kind = over.overpayment_id, "", "AROVERPAYMENT"
        contact_id, currency = over.contact_id, over.currency_code
    return document_ref(tenant, doc_id, number, kind, contact_id, currency)


def bank_amount(p: Payment) -> Decimal:
    return cents(p.bank_amount if p.bank_amount is not None else p.amount)


def payment(tenant: Tenant, p: Payment) -> dict[str, Any]:
    target = invoice_ref(tenant, tenant.invoices[p.invoice_id]) if p.invoice_id else _credit_ref(tenant, p)
    out: dict[str, Any] = {
        "PaymentID": p.payment_id,
        "Date": ms_date(p.date),
        "Amount": cents(p.amount),
        "BankAmount": bank_amount(p),
        "CurrencyRate": p.currency_rate.quantize(RATE),
        "Reference": p.reference or "",
        "IsReconciled": p.is_reconciled,
        "Status": p.status,
        "PaymentType": p.payment_type,
        "UpdatedDateUTC": ms_datetime(p.updated),
        "Account": account_ref(tenant.account_by_code(p.account_code), p.account_code),
        "Invoice": target,
        "HasAccount": True,
        "HasValidationErrors": False,
    }
    if p.batch_payment_id:
        out["BatchPaymentID"] = p.batch_payment_id
    return out


def batch_payment(tenant: Tenant, b: BatchPayment) -> dict[str, Any]:
    """A batch as Xero shows it: its payments while it stands (none once deleted), their bank total."""
    members = [tenant.payments[i] for i in b.payment_ids]
    account = tenant.account_by_code(b.account_code)
    ref = account_ref(account, b.account_code)
    ref["CurrencyCode"] = (account.currency_code if account else None) or tenant.base_currency
    out: dict[str, Any] = {
        "Account": ref,
        "Reference": b.reference or "",
        "BatchPaymentID": b.batch_payment_id,
        "DateString": f"{b.date.isoformat()}T00:00:00",
        "Date": ms_date(b.date),
        "Payments": [
            {
                "Invoice": invoice_ref(tenant, tenant.invoices[p.invoice_id]),
                "PaymentID": p.payment_id,
                "Amount": cents(p.amount),
                "BankAmount": bank_amount(p),
                **({"Reference": p.reference} if p.reference else {}),
            }
            for p in members
            if p.status != "DELETED"
        ],
        "Type": b.type,
        "Status": b.status,
        "TotalAmount": sum((bank_amount(p) for p in members), ZERO_CENTS),
        "UpdatedDateUTC": ms_datetime(b.updated),
        "IsReconciled": b.is_reconciled,
    }
    for key, value in (("Details", b.details), ("Narrative", b.narrative)):
        if value:
            out[key] = value
    return out
