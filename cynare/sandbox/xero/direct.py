"""What people do in Xero directly, outside the API: the changes write-back and reconciliation meet.

Each action goes through the same rules as the API (a person in Xero cannot overpay an invoice
either) and raises `XeroError` when Xero would refuse it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import Headers

from cynare.sandbox.xero import allocations, batch_payments, contacts, invoices, payments
from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.errors import XeroError, not_found, refused
from cynare.sandbox.xero.jsondates import ms_date
from cynare.sandbox.xero.state import Tenant

PERSON = "A person in Xero"


def _call(tenant: Tenant, now: datetime, body: Any = None) -> Call:
    return Call(tenant, "POST", {}, Headers(), body, now, {}, PERSON)


def receive_from_bank_feed(
    tenant: Tenant, now: datetime, invoice_id: str, amount: Decimal, on: date | None = None, account_code: str = "090"
) -> str:
    """A receipt matched from the bank feed: a reconciled payment against the invoice."""
    element = {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": account_code},
        "Amount": amount,
        "Date": ms_date(on or now.date()),
        "Reference": "Bank feed",
    }
    payment, errors = payments.record(_call(tenant, now), element, reconciled=True)
    if payment is None:
        raise refused(errors, element)
    return payment.payment_id


def record_batch_payment(
    tenant: Tenant,
    now: datetime,
    receipts: list[tuple[str, Decimal]],
    on: date | None = None,
    account_code: str = "090",
) -> list[str]:
    """One deposit paying several invoices (a BatchPayment); its payments cannot be deleted one by one."""
    element = {
        "Account": {"Code": account_code},
        "Date": ms_date(on or now.date()),
        "Payments": [{"Invoice": {"InvoiceID": invoice_id}, "Amount": amount} for invoice_id, amount in receipts],
    }
    batch, errors = batch_payments.record(_call(tenant, now), element)
    if batch is None:
        raise refused(errors, element)
    return list(batch.payment_ids)


def allocate_credit(
    tenant: Tenant, now: datetime, credit_id: str, invoice_id: str, amount: Decimal, on: date | None = None
) -> str:
    """Apply a credit note or an overpayment (whichever `credit_id` names) to an invoice."""
    key = credit_id.lower()
    source: Any = tenant.credit_notes.get(key) or tenant.overpayments.get(key)
    if source is None:
        raise not_found()
    kind = "CREDITNOTE" if key in tenant.credit_notes else "OVERPAYMENT"
    element = {"Invoice": {"InvoiceID": invoice_id}, "Amount": amount, "Date": ms_date(on or now.date())}
    rendered, errors = allocations.allocate(_call(tenant, now), source, kind, element)
    if rendered is None:
        raise refused(errors, element)
    return str(rendered["AllocationID"])


def void_invoice(tenant: Tenant, now: datetime, invoice_id: str) -> None:
    """Void (an approved invoice) or delete (a draft), as the invoice's status allows."""
    invoice = tenant.invoices.get(invoice_id.lower())
    if invoice is None:
        raise not_found()
    status = "DELETED" if invoice.status in ("DRAFT", "SUBMITTED") else "VOIDED"
    call = _call(tenant, now, {"Invoices": [{"InvoiceID": invoice.invoice_id, "Status": status}]})
    invoices.update_or_create(call)


def edit_contact(tenant: Tenant, now: datetime, contact_id: str, changes: dict[str, Any]) -> None:
    """Change a contact's fields as a person would (Name, ContactStatus, EmailAddress, ...)."""
    call = _call(tenant, now, {"Contacts": [{"ContactID": contact_id, **changes}]})
    contacts.update_or_create(call)


def set_lock_date(tenant: Tenant, period: date | None, end_of_year: date | None = None) -> None:
    tenant.period_lock_date = period
    tenant.end_of_year_lock_date = end_of_year


def unsubscribe_currency(tenant: Tenant, code: str) -> None:
    if code == tenant.base_currency:
        raise XeroError(400, {"Message": "The base currency cannot be removed"})
    if code in tenant.currencies:
        tenant.currencies.remove(code)
