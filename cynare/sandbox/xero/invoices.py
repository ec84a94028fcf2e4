"""Invoices: batch create and update, reads with filters, and the status rules around them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cynare.sandbox.xero import documents, messages, query, render
from cynare.sandbox.xero.call import Call, run_batch
from cynare.sandbox.xero.errors import not_found
from cynare.sandbox.xero.fields import SUMMARY_HIDES, summarise
from cynare.sandbox.xero.settlement import settle_invoice
from cynare.sandbox.xero.state import Contact, Invoice, Tenant

TYPES = ("ACCREC", "ACCPAY")
NEW_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
_MOVES = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}
_CONTENT = ("LineItems", "Contact", "Date", "CurrencyCode", "LineAmountTypes", "CurrencyRate")


def _next_number(tenant: Tenant) -> str:
    while True:
        tenant.invoice_seq += 1
        number = f"INV-{tenant.invoice_seq:04d}"
        if number not in tenant.invoice_numbers:
            return number


def find(tenant: Tenant, raw: dict[str, Any]) -> Invoice | None:
    if raw.get("InvoiceID"):
        return tenant.invoices.get(str(raw["InvoiceID"]).lower())
    if raw.get("InvoiceNumber"):
        number = str(raw["InvoiceNumber"])
        return next((i for i in tenant.invoices.values() if i.number == number and i.type == "ACCREC"), None)
    return None


def _read(call: Call, el: dict[str, Any], existing: Invoice | None) -> tuple[Invoice | None, Contact | None, list[str]]:
    tenant = call.tenant
    errors: list[str] = []
    if existing is not None:
        return _read_update(call, el, existing)
    kind = str(el.get("Type") or "")
    if kind not in TYPES:
        errors.append("Invoice Type must be ACCREC or ACCPAY")
    status = str(el.get("Status") or "DRAFT")
    if status not in NEW_STATUSES:
        errors.append(f"Invoice Status {status} is not valid for a new invoice")
    contact = documents.resolve_contact(tenant, el.get("Contact"), call.now, errors)
    when = documents.read_date(el.get("Date"), "Date", errors) or call.today
    due = documents.read_date(el.get("DueDate"), "DueDate", errors)
    documents.check_lock(tenant, when, errors)
    currency, rate = documents.resolve_currency(tenant, el, errors)
    lat = documents.read_line_amount_types(el, errors)
    lines = documents.read_lines(tenant, el.get("LineItems"), lat, call.unitdp(), errors)
    if status == "AUTHORISED" and not lines:
        errors.append(messages.NO_LINE_ITEMS)
    number = str(el.get("InvoiceNumber") or "").strip()
    if kind == "ACCREC" and number and number in tenant.invoice_numbers:
        errors.append(messages.INVOICE_NUMBER_TAKEN)
    if errors or contact is None:
        return None, None, errors
    invoice = Invoice(
        **documents.document_fields(contact, when, status, lat, currency, rate, lines, call.now, el.get("Reference")),
        invoice_id=documents.new_id(),
        type=kind,
        number=number or (_next_number(tenant) if kind == "ACCREC" else ""),
        due_date=due,
    )
    return invoice, contact, []


def _read_update(call: Call, el: dict[str, Any], existing: Invoice) -> tuple[Invoice | None, Contact | None, list[str]]:
    tenant = call.tenant
    errors: list[str] = []
    status = str(el.get("Status") or existing.status)
    allowed = _MOVES.get(existing.status, set())
    if status not in allowed:
        return None, None, [messages.NOT_VALID_FOR_MODIFICATION]
    touched = existing.amount_paid > 0 or existing.amount_credited > 0
    if status == "VOIDED" and touched:
        return None, None, [messages.VOID_WITH_PAYMENTS]
    if touched and any(k in el for k in _CONTENT):
        return None, None, [messages.HAS_PAYMENTS]
    lock = tenant.lock_date()
    if lock is not None and existing.date <= lock:
        return None, None, [messages.locked(lock)]
    contact: Contact | None = tenant.contacts.get(existing.contact_id)
    if "Contact" in el:
        contact = documents.resolve_contact(tenant, el.get("Contact"), call.now, errors)
    when = documents.read_date(el.get("Date"), "Date", errors) or existing.date
    documents.check_lock(tenant, when, errors)
    due = documents.read_date(el.get("DueDate"), "DueDate", errors) or existing.due_date
    currency, rate = existing.currency_code, existing.currency_rate
    if "CurrencyCode" in el or "CurrencyRate" in el:
        currency, rate = documents.resolve_currency(tenant, {"CurrencyCode": currency, **el}, errors)
    lat = documents.read_line_amount_types(el, errors, existing.line_amount_types)
    lines = existing.lines
    if "LineItems" in el or lat != existing.line_amount_types:
        raw_lines = el.get("LineItems") or [render.line(li, 4) for li in existing.lines]
        lines = documents.read_lines(tenant, raw_lines, lat, call.unitdp(), errors)
    if status == "AUTHORISED" and not lines:
        errors.append(messages.NO_LINE_ITEMS)
    number = str(el.get("InvoiceNumber") or existing.number)
    if existing.type == "ACCREC" and number != existing.number and number in tenant.invoice_numbers:
        errors.append(messages.INVOICE_NUMBER_TAKEN)
    if errors or contact is None:
        return None, None, errors
    sums = documents.totals(lines, lat)
    updated = replace(
        existing,
        contact_id=contact.contact_id,
        date=when,
        due_date=due,
        status=status,
        currency_code=currency,
        currency_rate=rate,
        line_amount_types=lat,
        lines=lines,
        sub_total=sums.sub_total,
        total_tax=sums.total_tax,
        total=sums.total,
        number=number,
        reference=el.get("Reference", existing.reference),
        updated=call.now,
        payment_ids=list(existing.payment_ids),
        allocation_ids=list(existing.allocation_ids),
    )
    return updated, contact, []


def _save(call: Call, el: dict[str, Any], existing: Invoice | None) -> tuple[dict[str, Any] | None, list[str]]:
    invoice, contact, errors = _read(call, el, existing)
    if invoice is None or contact is None:
        return None, errors
    tenant = call.tenant
    tenant.contacts.setdefault(contact.contact_id, contact)
    if invoice.type == "ACCREC":
        tenant.invoice_numbers.add(invoice.number)
    tenant.invoices[invoice.invoice_id] = invoice
    if existing is None:
        tenant.note(
            invoice.invoice_id,
            "Created",
            f"INV {invoice.number} to {contact.name} for {invoice.total}.",
            call.now,
            call.user,
        )
    elif existing.status != invoice.status:
        tenant.note(
            invoice.invoice_id, invoice.status.title(), f"Status changed to {invoice.status}.", call.now, call.user
        )
    else:
        tenant.note(invoice.invoice_id, "Edited", f"INV {invoice.number} updated.", call.now, call.user)
    settle_invoice(invoice, call.today, call.now)
    return render.invoice(tenant, invoice, call.unitdp()), []


def create(call: Call) -> dict[str, Any]:
    return run_batch(call, "Invoices", "HasErrors", call.elements("Invoices"), lambda el: _save(call, el, None))


def update_or_create(call: Call) -> dict[str, Any]:
    def process(el: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
        existing = find(call.tenant, el)
        if el.get("InvoiceID") and existing is None:
            return None, [messages.not_found("Invoice", str(el["InvoiceID"]))]
        return _save(call, el, existing)

    return run_batch(call, "Invoices", "HasErrors", call.elements("Invoices"), process)


def _by_path(call: Call) -> Invoice:
    key = call.params["InvoiceID"]
    invoice = call.tenant.invoices.get(key.lower()) or find(call.tenant, {"InvoiceNumber": key})
    if invoice is None:
        raise not_found()
    return invoice


def update_one(call: Call) -> dict[str, Any]:
    existing = _by_path(call)
    elements = call.elements("Invoices")[:1]
    return run_batch(call, "Invoices", "HasErrors", elements, lambda el: _save(call, el, existing))


def get_one(call: Call) -> dict[str, Any]:
    return {"Invoices": [render.invoice(call.tenant, _by_path(call), call.unitdp())]}


def get_many(call: Call) -> dict[str, Any]:
    """`searchTerm` looks in InvoiceNumber and Reference (the fields the spec names); `createdByMyApp`
    keeps the invoices the calling app created (not those entered in Xero or by another app)."""
    ids = {i.lower() for i in query.csv(call, "IDs") or []}
    numbers = set(query.csv(call, "InvoiceNumbers") or [])
    contacts = {c.lower() for c in query.csv(call, "ContactIDs") or []}
    statuses = set(query.csv(call, "Statuses") or [])
    term = (call.query.get("searchTerm") or "").casefold()
    summary = call.flag("summaryOnly", False)
    mine = call.flag("createdByMyApp", False)

    def made_here(i: Invoice) -> bool:
        """Created by the calling app: the invoice's first history record names the app."""
        history = call.tenant.history.get(i.invoice_id) or []
        return bool(history) and history[0].user == call.user

    def keep(i: Invoice) -> bool:
        return (
            (not mine or made_here(i))
            and (not ids or i.invoice_id in ids)
            and (not numbers or i.number in numbers)
            and (not contacts or i.contact_id in contacts)
            and (not statuses or i.status in statuses)
            and (not term or term in i.number.casefold() or term in (i.reference or "").casefold())
        )

    def rendered(i: Invoice) -> dict[str, Any]:
        item = render.invoice(call.tenant, i, call.unitdp(), summary)
        return summarise("Invoices", item) if summary else item

    hidden = SUMMARY_HIDES["Invoices"] if summary else frozenset()
    return query.listing(call, "Invoices", call.tenant.invoices.values(), lambda i: i.updated, rendered, keep, hidden)
