"""Records to Xero's JSON shapes (PascalCase, Microsoft JSON dates, Decimal amounts)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cynare.sandbox.xero.jsondates import ms_date, ms_datetime
from cynare.sandbox.xero.money import CENT, ZERO_CENTS, cents, quantum
from cynare.sandbox.xero.state import (
    Account,
    Allocation,
    BankTransaction,
    Contact,
    CreditNote,
    Invoice,
    Line,
    Overpayment,
    Payment,
    Tenant,
)

RATE = Decimal("0.000001")


_money = cents


def contact_ref(tenant: Tenant, contact_id: str) -> dict[str, Any]:
    contact = tenant.contacts.get(contact_id)
    if contact is None:
        return {"ContactID": contact_id}
    ref: dict[str, Any] = {"ContactID": contact.contact_id, "Name": contact.name, "ContactStatus": contact.status}
    if contact.contact_number:
        ref["ContactNumber"] = contact.contact_number
    return ref


def contact(tenant: Tenant, c: Contact, balances: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ContactID": c.contact_id,
        "ContactStatus": c.status,
        "Name": c.name,
        "Addresses": [],
        "Phones": [],
        "UpdatedDateUTC": ms_datetime(c.updated),
        "ContactGroups": [],
        "IsSupplier": c.is_supplier,
        "IsCustomer": c.is_customer,
        "ContactPersons": [],
        "HasAttachments": False,
        "HasValidationErrors": False,
    }
    for key, value in (
        ("ContactNumber", c.contact_number),
        ("AccountNumber", c.account_number),
        ("FirstName", c.first_name),
        ("LastName", c.last_name),
        ("EmailAddress", c.email),
        ("TaxNumber", c.tax_number),
        ("DefaultCurrency", c.default_currency),
    ):
        if value is not None:
            out[key] = value
    if balances:
        outstanding = sum(
            (
                i.amount_due / i.currency_rate
                for i in tenant.invoices.values()
                if _open(i) and i.contact_id == c.contact_id
            ),
            Decimal(0),
        )
        out["Balances"] = {"AccountsReceivable": {"Outstanding": cents(outstanding), "Overdue": Decimal("0.00")}}
    return out


def _open(invoice: Invoice) -> bool:
    return invoice.type == "ACCREC" and invoice.status == "AUTHORISED"


def line(item: Line, unitdp: int) -> dict[str, Any]:
    # Rendered for every line of every document written or read: money.cents is inlined.
    out: dict[str, Any] = {
        "LineItemID": item.line_item_id,
        "Description": item.description,
        "Quantity": item.quantity,
        "UnitAmount": item.unit_amount.quantize(quantum(unitdp)),
        "AccountCode": item.account_code,
        "TaxType": item.tax_type,
        "TaxAmount": item.tax_amount.quantize(CENT, rounding=ROUND_HALF_UP),
        "LineAmount": item.line_amount.quantize(CENT, rounding=ROUND_HALF_UP),
        "Tracking": [
            {"TrackingCategoryID": t.category_id, "TrackingOptionID": t.option_id, "Name": t.name, "Option": t.option}
            for t in item.tracking
        ]
        if item.tracking
        else [],
    }
    if item.discount_rate is not None:
        out["DiscountRate"] = item.discount_rate
    return out


def payment_summary(p: Payment) -> dict[str, Any]:
    return {
        "PaymentID": p.payment_id,
        "Date": ms_date(p.date),
        "Amount": _money(p.amount),
        "CurrencyRate": p.currency_rate.quantize(RATE),
        "Reference": p.reference or "",
        "HasAccount": False,
        "HasValidationErrors": False,
    }


def _refunds(tenant: Tenant, payment_ids: list[str]) -> list[dict[str, Any]]:
    """A credit's refund payments that stand."""
    return [payment_summary(tenant.payments[p]) for p in payment_ids if tenant.payments[p].status != "DELETED"]


def invoice_ref(tenant: Tenant, invoice: Invoice) -> dict[str, Any]:
    return document_ref(
        tenant, invoice.invoice_id, invoice.number, invoice.type, invoice.contact_id, invoice.currency_code
    )


def document_ref(tenant: Tenant, doc_id: str, number: str, kind: str, contact_id: str, currency: str) -> dict[str, Any]:
    """A document as Xero puts it under a payment's `Invoice`: an invoice, or a refunded credit."""
    ref: dict[str, Any] = {
        "InvoiceID": doc_id,
        "Type": kind,
        "Contact": contact_ref(tenant, contact_id),
        "CurrencyCode": currency,
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "HasErrors": False,
        "IsDiscounted": False,
    }
    if number:
        ref["InvoiceNumber"] = number
    return ref


def invoice(tenant: Tenant, i: Invoice, unitdp: int = 2, summary: bool = False) -> dict[str, Any]:
    # Rendered for each invoice written or read (50 a batch): money.cents is inlined, and payments and
    # allocations are looked at only when the invoice has some.
    credit_notes: list[dict[str, Any]] = []
    overpayments: list[dict[str, Any]] = []
    for allocation_id in i.allocation_ids:
        a = tenant.allocations.get(allocation_id)
        if a is None:
            continue
        if a.source_kind == "CREDITNOTE":
            credit_notes.append(
                {
                    "CreditNoteID": a.source_id,
                    "CreditNoteNumber": tenant.credit_notes[a.source_id].number,
                    "AppliedAmount": _money(a.amount),
                    "Date": ms_date(a.date),
                    "Total": _money(tenant.credit_notes[a.source_id].total),
                }
            )
        elif a.source_kind == "OVERPAYMENT":
            overpayments.append(
                {
                    "OverpaymentID": a.source_id,
                    "AppliedAmount": _money(a.amount),
                    "Date": ms_date(a.date),
                    "Total": _money(tenant.overpayments[a.source_id].total),
                }
            )
    out: dict[str, Any] = {
        "Type": i.type,
        "InvoiceID": i.invoice_id,
        "InvoiceNumber": i.number,
        "Reference": i.reference or "",
        "Contact": contact_ref(tenant, i.contact_id),
        "Date": ms_date(i.date),
        "Status": i.status,
        "LineAmountTypes": i.line_amount_types,
        "SubTotal": i.sub_total.quantize(CENT, rounding=ROUND_HALF_UP),
        "TotalTax": i.total_tax.quantize(CENT, rounding=ROUND_HALF_UP),
        "Total": i.total.quantize(CENT, rounding=ROUND_HALF_UP),
        "TotalDiscount": ZERO_CENTS,
        "UpdatedDateUTC": ms_datetime(i.updated),
        "CurrencyCode": i.currency_code,
        "CurrencyRate": i.currency_rate.quantize(RATE),
        "AmountDue": i.amount_due.quantize(CENT, rounding=ROUND_HALF_UP),
        "AmountPaid": i.amount_paid.quantize(CENT, rounding=ROUND_HALF_UP),
        "AmountCredited": i.amount_credited.quantize(CENT, rounding=ROUND_HALF_UP),
        "SentToContact": False,
        "IsDiscounted": False,
        "HasAttachments": False,
        "HasErrors": False,
        "Payments": [
            payment_summary(tenant.payments[p]) for p in i.payment_ids if tenant.payments[p].status != "DELETED"
        ]
        if i.payment_ids
        else [],
        "CreditNotes": credit_notes,
        "Overpayments": overpayments,
        "Prepayments": [],
    }
    if i.due_date is not None:
        out["DueDate"] = ms_date(i.due_date)
    if i.fully_paid_on is not None:
        out["FullyPaidOnDate"] = ms_date(i.fully_paid_on)
    if not summary:
        out["LineItems"] = [line(li, unitdp) for li in i.lines]
    return out


def allocation(tenant: Tenant, a: Allocation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AllocationID": a.allocation_id,
        "Amount": _money(a.amount),
        "Date": ms_date(a.date),
        "Invoice": invoice_ref(tenant, tenant.invoices[a.invoice_id]),
        "IsDeleted": a.is_deleted,
    }
    if a.source_kind == "CREDITNOTE":
        note = tenant.credit_notes[a.source_id]
        out["CreditNote"] = {"CreditNoteID": note.credit_note_id, "CreditNoteNumber": note.number, "Type": note.type}
    else:
        out["Overpayment"] = {"OverpaymentID": a.source_id, "Type": "RECEIVE-OVERPAYMENT"}
    return out


def credit_note(tenant: Tenant, n: CreditNote, unitdp: int = 2) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Type": n.type,
        "CreditNoteID": n.credit_note_id,
        "CreditNoteNumber": n.number,
        "Reference": n.reference or "",
        "Contact": contact_ref(tenant, n.contact_id),
        "Date": ms_date(n.date),
        "Status": n.status,
        "LineAmountTypes": n.line_amount_types,
        "LineItems": [line(li, unitdp) for li in n.lines],
        "SubTotal": _money(n.sub_total),
        "TotalTax": _money(n.total_tax),
        "Total": _money(n.total),
        "UpdatedDateUTC": ms_datetime(n.updated),
        "CurrencyCode": n.currency_code,
        "CurrencyRate": n.currency_rate.quantize(RATE),
        "RemainingCredit": _money(n.remaining_credit),
        "Allocations": [allocation(tenant, tenant.allocations[a]) for a in n.allocation_ids],
        "Payments": _refunds(tenant, n.payment_ids),
        "HasAttachments": False,
        "HasErrors": False,
    }
    if n.fully_paid_on is not None:
        out["FullyPaidOnDate"] = ms_date(n.fully_paid_on)
    return out


def account_ref(account: Account | None, code: str) -> dict[str, Any]:
    if account is None:
        return {"Code": code}
    return {"AccountID": account.account_id, "Code": account.code, "Name": account.name}


def overpayment(tenant: Tenant, o: Overpayment) -> dict[str, Any]:
    return {
        "Type": o.type,
        "OverpaymentID": o.overpayment_id,
        "Contact": contact_ref(tenant, o.contact_id),
        "Date": ms_date(o.date),
        "Status": o.status,
        "LineAmountTypes": o.line_amount_types,
        "LineItems": [line(li, 2) for li in o.lines],
        "SubTotal": _money(o.sub_total),
        "TotalTax": _money(o.total_tax),
        "Total": _money(o.total),
        "UpdatedDateUTC": ms_datetime(o.updated),
        "CurrencyCode": o.currency_code,
        "CurrencyRate": o.currency_rate.quantize(RATE),
        "RemainingCredit": _money(o.remaining_credit),
        "Allocations": [allocation(tenant, tenant.allocations[a]) for a in o.allocation_ids],
        "Payments": _refunds(tenant, o.payment_ids),
        "HasAttachments": False,
        "Reference": o.reference or "",
    }


def bank_transaction(tenant: Tenant, b: BankTransaction) -> dict[str, Any]:
    out: dict[str, Any] = {
        "BankTransactionID": b.bank_transaction_id,
        "Type": b.type,
        "Contact": contact_ref(tenant, b.contact_id),
        "BankAccount": account_ref(tenant.account_by_code(b.bank_account_code), b.bank_account_code),
        "LineItems": [line(li, 2) for li in b.lines],
        "IsReconciled": b.is_reconciled,
        "Date": ms_date(b.date),
        "Reference": b.reference or "",
        "CurrencyCode": b.currency_code,
        "CurrencyRate": b.currency_rate.quantize(RATE),
        "Status": b.status,
        "LineAmountTypes": b.line_amount_types,
        "SubTotal": _money(b.sub_total),
        "TotalTax": _money(b.total_tax),
        "Total": _money(b.total),
        "UpdatedDateUTC": ms_datetime(b.updated),
        "HasAttachments": False,
    }
    if b.overpayment_id:
        out["OverpaymentID"] = b.overpayment_id
    return out
