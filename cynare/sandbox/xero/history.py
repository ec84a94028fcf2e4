"""History and notes: `GET` and `PUT {Endpoint}/{Guid}/History` (notes cannot be edited)."""

from __future__ import annotations

from typing import Any

from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.errors import not_found, refused
from cynare.sandbox.xero.jsondates import ms_datetime
from cynare.sandbox.xero.state import Tenant

MAX_DETAILS = 2500


_BOOKS = {
    "Invoices": "invoices",
    "CreditNotes": "credit_notes",
    "Payments": "payments",
    "BatchPayments": "batch_payments",
    "Contacts": "contacts",
    "Overpayments": "overpayments",
    "BankTransactions": "bank_transactions",
}


def _exists(tenant: Tenant, kind: str, record_id: str) -> bool:
    books: dict[str, object] = getattr(tenant, _BOOKS[kind])
    return record_id in books


def _record_id(call: Call) -> str:
    record_id = call.params["RecordID"].lower()
    if not _exists(call.tenant, call.params["Endpoint"], record_id):
        raise not_found()
    return record_id


def get(call: Call) -> dict[str, Any]:
    records = call.tenant.history.get(_record_id(call), [])
    return {
        "HistoryRecords": [
            {"Changes": r.changes, "DateUTC": ms_datetime(r.date_utc), "User": r.user, "Details": r.details}
            for r in records
        ]
    }


def add(call: Call) -> dict[str, Any]:
    record_id = _record_id(call)
    elements = call.elements("HistoryRecords")
    for element in elements:
        details = str(element.get("Details") or "")
        if not details or len(details) > MAX_DETAILS:
            raise refused([f"The Details field must be between 1 and {MAX_DETAILS} characters"], element)
    out = []
    for element in elements:
        call.tenant.note(record_id, "Note", str(element["Details"]), call.now, call.user)
        out.append(
            {"Changes": "Note", "DateUTC": ms_datetime(call.now), "User": call.user, "Details": element["Details"]}
        )
    return {"HistoryRecords": out}
