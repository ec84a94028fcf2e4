"""Applying a credit (credit note or overpayment) to an invoice, `PUT .../{id}/Allocations`, and taking
it back, `DELETE .../{id}/Allocations/{AllocationID}` (the invoice's AmountDue and the credit's
RemainingCredit return, PAID goes back to AUTHORISED; the answer is the Allocation with IsDeleted)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cynare.sandbox.xero import documents, messages, render
from cynare.sandbox.xero.call import Call, run_batch
from cynare.sandbox.xero.errors import not_found, refused
from cynare.sandbox.xero.money import cents, to_decimal
from cynare.sandbox.xero.settlement import settle_credit, settle_invoice
from cynare.sandbox.xero.state import Allocation, CreditNote, Invoice, Overpayment, Tenant

_KIND_NAMES = {"CREDITNOTE": "Credit Note", "OVERPAYMENT": "Overpayment"}


def allocate(
    call: Call, source: CreditNote | Overpayment, kind: str, el: dict[str, Any]
) -> tuple[dict[str, Any] | None, list[str]]:
    tenant = call.tenant
    errors: list[str] = []
    given = el.get("Invoice")
    raw_invoice: dict[str, Any] = given if isinstance(given, dict) else {}
    invoice = tenant.invoices.get(str(raw_invoice.get("InvoiceID") or "").lower()) if raw_invoice else None
    amount = to_decimal(el.get("Amount"))
    when = documents.read_date(el.get("Date"), "Date", errors) or call.today
    if invoice is None:
        return None, [messages.not_found("Invoice", str(raw_invoice.get("InvoiceID")))]
    errors.extend(check(tenant, source, kind, invoice, amount))
    documents.check_lock(tenant, when, errors)
    if errors or amount is None:
        return None, errors
    record = apply(tenant, source, kind, invoice, cents(amount), when, call)
    return render.allocation(tenant, record), []


def check(
    tenant: Tenant, source: CreditNote | Overpayment, kind: str, invoice: Invoice, amount: Decimal | None
) -> list[str]:
    name = _KIND_NAMES[kind]
    if amount is None or amount <= 0:
        return [messages.AMOUNT_POSITIVE]
    if source.status != "AUTHORISED" or invoice.status != "AUTHORISED":
        if invoice.status == "PAID":
            return ["The invoice you are trying to allocate to has already been paid off"]
        return [messages.ALLOCATE_UNAUTHORISED]
    errors = []
    if source.contact_id != invoice.contact_id:
        errors.append(messages.ALLOCATE_CONTACT)
    if source.currency_code != invoice.currency_code:
        errors.append(messages.ALLOCATE_CURRENCY)
    if amount > source.remaining_credit:
        errors.append(messages.allocation_exceeds_credit(name))
    if amount > invoice.amount_due:
        errors.append(messages.allocation_exceeds_due(name))
    return errors


def apply(
    tenant: Tenant,
    source: CreditNote | Overpayment,
    kind: str,
    invoice: Invoice,
    amount: Decimal,
    when: Any,
    call: Call,
) -> Allocation:
    source_id = source.credit_note_id if isinstance(source, CreditNote) else source.overpayment_id
    record = Allocation(documents.new_id(), kind, source_id, invoice.invoice_id, amount, when, call.now)
    tenant.allocations[record.allocation_id] = record
    source.allocated += amount
    source.allocation_ids.append(record.allocation_id)
    invoice.amount_credited += amount
    invoice.allocation_ids.append(record.allocation_id)
    settle_credit(source, when, call.now)
    settle_invoice(invoice, when, call.now)
    detail = f"{_KIND_NAMES[kind]} of {amount} applied to {invoice.number}."
    tenant.note(source_id, "Credit Applied", detail, call.now, call.user)
    tenant.note(invoice.invoice_id, "Credit Applied", detail, call.now, call.user)
    return record


def credit_note_allocations(call: Call) -> dict[str, Any]:
    note = call.tenant.credit_notes.get(call.params["CreditNoteID"].lower())
    if note is None:
        raise not_found()
    elements = call.elements("Allocations")
    return run_batch(call, "Allocations", "HasErrors", elements, lambda el: allocate(call, note, "CREDITNOTE", el))


def overpayment_allocations(call: Call) -> dict[str, Any]:
    overpayment = call.tenant.overpayments.get(call.params["OverpaymentID"].lower())
    if overpayment is None:
        raise not_found()
    elements = call.elements("Allocations")
    return run_batch(
        call, "Allocations", "HasErrors", elements, lambda el: allocate(call, overpayment, "OVERPAYMENT", el)
    )


def _delete(call: Call, source: CreditNote | Overpayment, kind: str) -> dict[str, Any]:
    tenant = call.tenant
    source_id = source.credit_note_id if isinstance(source, CreditNote) else source.overpayment_id
    record = tenant.allocations.get(call.params["AllocationID"].lower())
    if record is None or record.is_deleted or record.source_kind != kind or record.source_id != source_id:
        raise not_found()
    errors: list[str] = []
    documents.check_lock(tenant, record.date, errors)
    if errors:
        raise refused(errors, {"AllocationID": record.allocation_id})
    invoice = tenant.invoices[record.invoice_id]
    record.is_deleted = True
    record.updated = call.now
    source.allocated -= record.amount
    source.allocation_ids.remove(record.allocation_id)
    invoice.amount_credited -= record.amount
    invoice.allocation_ids.remove(record.allocation_id)
    settle_credit(source, call.today, call.now)
    settle_invoice(invoice, call.today, call.now)
    detail = f"{_KIND_NAMES[kind]} of {record.amount} removed from {invoice.number}."
    tenant.note(source_id, "Allocation Deleted", detail, call.now, call.user)
    tenant.note(invoice.invoice_id, "Allocation Deleted", detail, call.now, call.user)
    return render.allocation(tenant, record)


def delete_credit_note_allocation(call: Call) -> dict[str, Any]:
    note = call.tenant.credit_notes.get(call.params["CreditNoteID"].lower())
    if note is None:
        raise not_found()
    return _delete(call, note, "CREDITNOTE")


def delete_overpayment_allocation(call: Call) -> dict[str, Any]:
    overpayment = call.tenant.overpayments.get(call.params["OverpaymentID"].lower())
    if overpayment is None:
        raise not_found()
    return _delete(call, overpayment, "OVERPAYMENT")
