"""Contacts: create, update, archive, and paged reads with filters."""

from __future__ import annotations

import re
from typing import Any

from cynare.sandbox.xero import documents, messages, query, render
from cynare.sandbox.xero.call import Call, run_batch
from cynare.sandbox.xero.errors import not_found
from cynare.sandbox.xero.fields import SUMMARY_HIDES, summarise
from cynare.sandbox.xero.state import Contact, Tenant

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_FIELDS = {
    "ContactNumber": "contact_number",
    "AccountNumber": "account_number",
    "FirstName": "first_name",
    "LastName": "last_name",
    "EmailAddress": "email",
    "TaxNumber": "tax_number",
    "DefaultCurrency": "default_currency",
}


def _clashes(tenant: Tenant, name: str | None, number: str | None, own_id: str | None) -> list[str]:
    errors = []
    if name and any(c.status == "ACTIVE" and c.contact_id != own_id for c in tenant.contacts_named(name)):
        errors.append(messages.contact_name_taken(name))
    others = [c for c in tenant.contacts.values() if c.status == "ACTIVE" and c.contact_id != own_id] if number else []
    if number and any(c.contact_number == number for c in others):
        errors.append(messages.contact_number_taken(number))
    return errors


def _apply(contact: Contact, el: dict[str, Any]) -> None:
    for key, attr in _FIELDS.items():
        if key in el:
            setattr(contact, attr, el[key] or None)
    if "IsCustomer" in el:
        contact.is_customer = bool(el["IsCustomer"])
    if "IsSupplier" in el:
        contact.is_supplier = bool(el["IsSupplier"])


def _create(call: Call, el: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    name = str(el.get("Name") or "").strip()
    if not name:
        return None, ["The contact name must be specified"]
    number = el.get("ContactNumber")
    errors = _clashes(call.tenant, name, number, None)
    if number is not None and len(str(number)) > 50:
        errors.append("The ContactNumber must not be longer than 50 characters")
    if errors:
        return None, errors
    contact = Contact(documents.new_id(), name, call.now)
    _apply(contact, el)
    call.tenant.contacts[contact.contact_id] = contact
    call.tenant.note(contact.contact_id, "Created", f"Contact {name} created.", call.now, call.user)
    return render.contact(call.tenant, contact), []


def _update(call: Call, el: dict[str, Any], contact: Contact) -> tuple[dict[str, Any] | None, list[str]]:
    status = str(el.get("ContactStatus") or contact.status)
    if status not in ("ACTIVE", "ARCHIVED"):
        return None, [f"ContactStatus {status} cannot be set through the API"]
    name = str(el.get("Name") or contact.name).strip()
    number = el.get("ContactNumber", contact.contact_number)
    if status == "ACTIVE":
        errors = _clashes(
            call.tenant,
            name if name != contact.name or contact.status != "ACTIVE" else None,
            number,
            contact.contact_id,
        )
        if errors:
            return None, errors
    before = contact.status
    if name != contact.name:
        call.tenant.names_version += 1
    contact.name = name
    contact.status = status
    _apply(contact, el)
    contact.updated = call.now
    change = "Archived" if status == "ARCHIVED" and before != status else "Updated"
    call.tenant.note(contact.contact_id, change, f"Contact {name} {change.lower()}.", call.now, call.user)
    return render.contact(call.tenant, contact), []


def _find(tenant: Tenant, el: dict[str, Any]) -> Contact | None:
    if el.get("ContactID"):
        return tenant.contacts.get(str(el["ContactID"]).lower())
    if el.get("ContactNumber"):
        return documents.find_contact(tenant, {"ContactNumber": el["ContactNumber"]})
    return None


def create(call: Call) -> dict[str, Any]:
    return run_batch(call, "Contacts", "HasValidationErrors", call.elements("Contacts"), lambda el: _create(call, el))


def update_or_create(call: Call) -> dict[str, Any]:
    def process(el: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
        existing = _find(call.tenant, el)
        if existing is None and el.get("ContactID"):
            return None, [messages.not_found("Contact", str(el["ContactID"]))]
        return _update(call, el, existing) if existing else _create(call, el)

    return run_batch(call, "Contacts", "HasValidationErrors", call.elements("Contacts"), process)


def by_path(call: Call) -> Contact:
    key = call.params["ContactID"]
    found = (
        call.tenant.contacts.get(key.lower())
        if _UUID.match(key)
        else documents.find_contact(call.tenant, {"ContactNumber": key})
    )
    if found is None:
        raise not_found()
    return found


def update_one(call: Call) -> dict[str, Any]:
    contact = by_path(call)
    elements = call.elements("Contacts")[:1]
    return run_batch(call, "Contacts", "HasValidationErrors", elements, lambda el: _update(call, el, contact))


def get_one(call: Call) -> dict[str, Any]:
    return {"Contacts": [render.contact(call.tenant, by_path(call))]}


def get_many(call: Call) -> dict[str, Any]:
    """`searchTerm` looks in Name, FirstName, LastName, ContactNumber and EmailAddress (the spec's list)."""
    ids = {i.lower() for i in query.csv(call, "IDs") or []}
    archived = call.flag("includeArchived", False)
    term = (call.query.get("searchTerm") or "").casefold()
    summary = call.flag("summaryOnly", False)

    def keep(c: Contact) -> bool:
        if ids and c.contact_id not in ids:
            return False
        if not archived and not ids and c.status == "ARCHIVED":
            return False
        fields = (c.name, c.first_name or "", c.last_name or "", c.email or "", c.contact_number or "")
        return not term or any(term in f.casefold() for f in fields)

    def rendered(c: Contact) -> dict[str, Any]:
        item = render.contact(call.tenant, c, balances=not summary)
        return summarise("Contacts", item) if summary else item

    hidden = SUMMARY_HIDES["Contacts"] if summary else frozenset()
    return query.listing(call, "Contacts", call.tenant.contacts.values(), lambda c: c.updated, rendered, keep, hidden)
