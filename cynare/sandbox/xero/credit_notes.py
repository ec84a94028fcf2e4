"""Credit notes: batch create and update, reads, and status moves."""

from __future__ import annotations

from typing import Any

from cynare.sandbox.xero import documents, messages, query, render
from cynare.sandbox.xero.call import Call, run_batch
from cynare.sandbox.xero.errors import not_found
from cynare.sandbox.xero.settlement import settle_credit
from cynare.sandbox.xero.state import CreditNote, Tenant

TYPES = ("ACCRECCREDIT", "ACCPAYCREDIT")
_MOVES = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}


def _next_number(tenant: Tenant) -> str:
    while True:
        tenant.credit_note_seq += 1
        number = f"CN-{tenant.credit_note_seq:04d}"
        if number not in tenant.credit_note_numbers:
            return number


def find(tenant: Tenant, raw: dict[str, Any]) -> CreditNote | None:
    if raw.get("CreditNoteID"):
        return tenant.credit_notes.get(str(raw["CreditNoteID"]).lower())
    if raw.get("CreditNoteNumber"):
        number = str(raw["CreditNoteNumber"])
        return next((c for c in tenant.credit_notes.values() if c.number == number), None)
    return None


def _create(call: Call, el: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    tenant = call.tenant
    errors: list[str] = []
    kind = str(el.get("Type") or "")
    if kind not in TYPES:
        errors.append("Credit note Type must be ACCRECCREDIT or ACCPAYCREDIT")
    status = str(el.get("Status") or "DRAFT")
    if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
        errors.append(f"Credit note Status {status} is not valid for a new credit note")
    contact = documents.resolve_contact(tenant, el.get("Contact"), call.now, errors)
    when = documents.read_date(el.get("Date"), "Date", errors) or call.today
    documents.check_lock(tenant, when, errors)
    currency, rate = documents.resolve_currency(tenant, el, errors)
    lat = documents.read_line_amount_types(el, errors)
    lines = documents.read_lines(tenant, el.get("LineItems"), lat, call.unitdp(), errors)
    if status == "AUTHORISED" and not lines:
        errors.append(messages.NO_LINE_ITEMS)
    number = str(el.get("CreditNoteNumber") or "").strip()
    if kind == "ACCRECCREDIT" and number and number in tenant.credit_note_numbers:
        errors.append(messages.CREDIT_NOTE_NUMBER_TAKEN)
    if errors or contact is None:
        return None, errors
    note = CreditNote(
        **documents.document_fields(contact, when, status, lat, currency, rate, lines, call.now, el.get("Reference")),
        credit_note_id=documents.new_id(),
        type=kind,
        number=number or _next_number(tenant),
    )
    tenant.contacts.setdefault(contact.contact_id, contact)
    tenant.credit_note_numbers.add(note.number)
    tenant.credit_notes[note.credit_note_id] = note
    tenant.note(note.credit_note_id, "Created", f"Credit note {note.number} for {note.total}.", call.now, call.user)
    return render.credit_note(tenant, note, call.unitdp()), []


def _update(call: Call, el: dict[str, Any], note: CreditNote) -> tuple[dict[str, Any] | None, list[str]]:
    tenant = call.tenant
    status = str(el.get("Status") or note.status)
    if status not in _MOVES.get(note.status, set()):
        return None, [messages.NOT_VALID_FOR_MODIFICATION]
    if (note.allocated > 0 or note.refunded > 0) and (status == "VOIDED" or "LineItems" in el):
        return None, [messages.HAS_PAYMENTS]
    errors: list[str] = []
    lock = tenant.lock_date()
    if lock is not None and note.date <= lock:
        errors.append(messages.locked(lock))
    lines = note.lines
    if "LineItems" in el:
        lines = documents.read_lines(tenant, el["LineItems"], note.line_amount_types, call.unitdp(), errors)
    if errors:
        return None, errors
    sums = documents.totals(lines, note.line_amount_types)
    previous = note.status
    note.lines, note.sub_total, note.total_tax, note.total = lines, sums.sub_total, sums.total_tax, sums.total
    note.status = status
    note.reference = el.get("Reference", note.reference)
    note.updated = call.now
    if previous != status:
        tenant.note(note.credit_note_id, status.title(), f"Status changed to {status}.", call.now, call.user)
    settle_credit(note, call.today, call.now)
    return render.credit_note(tenant, note, call.unitdp()), []


def create(call: Call) -> dict[str, Any]:
    return run_batch(call, "CreditNotes", "HasErrors", call.elements("CreditNotes"), lambda el: _create(call, el))


def update_or_create(call: Call) -> dict[str, Any]:
    def process(el: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
        existing = find(call.tenant, el)
        if existing is None and el.get("CreditNoteID"):
            return None, [messages.not_found("Credit note", str(el["CreditNoteID"]))]
        return _update(call, el, existing) if existing else _create(call, el)

    return run_batch(call, "CreditNotes", "HasErrors", call.elements("CreditNotes"), process)


def by_path(call: Call) -> CreditNote:
    note = find(call.tenant, {"CreditNoteID": call.params["CreditNoteID"]}) or find(
        call.tenant, {"CreditNoteNumber": call.params["CreditNoteID"]}
    )
    if note is None:
        raise not_found()
    return note


def update_one(call: Call) -> dict[str, Any]:
    note = by_path(call)
    elements = call.elements("CreditNotes")[:1]
    return run_batch(call, "CreditNotes", "HasErrors", elements, lambda el: _update(call, el, note))


def get_one(call: Call) -> dict[str, Any]:
    return {"CreditNotes": [render.credit_note(call.tenant, by_path(call), call.unitdp())]}


def get_many(call: Call) -> dict[str, Any]:
    return query.listing(
        call,
        "CreditNotes",
        call.tenant.credit_notes.values(),
        lambda n: n.updated,
        lambda n: render.credit_note(call.tenant, n, call.unitdp()),
    )
