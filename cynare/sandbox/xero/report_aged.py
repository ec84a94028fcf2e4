"""Reports/AgedReceivablesByContact: one contact's open sales documents as at a date, from the ledger's figures.

Rows are the contact's invoices, credit notes and overpayments (credits negative) still open at `date`
(payments and allocations dated up to then count), dated from `fromDate` to `toDate`; documents dated
before `fromDate` make the Opening Balance. Amounts are in base currency, each document at its own
rate and each settlement clearing the fall in its base value, as ledger.py books them: the closing
balances of all contacts add up to the debtors control account (610) of the trial balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.errors import bad_request, not_found
from cynare.sandbox.xero.money import to_base
from cynare.sandbox.xero.reports import cell, report, report_date
from cynare.sandbox.xero.state import Allocation, CreditNote, Invoice, Overpayment, Payment, Tenant

Document = Invoice | CreditNote | Overpayment
ZERO = Decimal("0.00")
_LIVE = ("AUTHORISED", "PAID")


@dataclass
class _Line:
    doc: Document
    total: Decimal
    paid: Decimal = ZERO
    credited: Decimal = ZERO
    due: Decimal = ZERO


def _key(doc: Document) -> str:
    if isinstance(doc, Invoice):
        return doc.invoice_id
    return doc.credit_note_id if isinstance(doc, CreditNote) else doc.overpayment_id


def _documents(tenant: Tenant, contact_id: str, as_at: date) -> list[Document]:
    found: list[Document] = [i for i in tenant.invoices.values() if i.type == "ACCREC"]
    found += [n for n in tenant.credit_notes.values() if n.type == "ACCRECCREDIT"]
    found += list(tenant.overpayments.values())
    return [d for d in found if d.contact_id == contact_id and d.status in _LIVE and d.date <= as_at]


def _settles(settlement: Payment | Allocation, key: str) -> bool:
    if isinstance(settlement, Allocation):
        return key in (settlement.invoice_id, settlement.source_id)
    return key in (settlement.invoice_id, settlement.credit_note_id, settlement.overpayment_id)


def _line(tenant: Tenant, doc: Document, as_at: date) -> _Line:
    """The document's base-currency figures at `as_at`, cleared settlement by settlement in date order."""
    key, sign = _key(doc), (1 if isinstance(doc, Invoice) else -1)
    settlements: list[Payment | Allocation] = [
        p for p in tenant.payments.values() if p.status == "AUTHORISED" and p.date <= as_at and _settles(p, key)
    ]
    settlements += [a for a in tenant.allocations.values() if not a.is_deleted and a.date <= as_at and _settles(a, key)]
    settlements.sort(key=lambda s: (s.date, s.updated))
    left, base = doc.total, to_base(doc.total, doc.currency_rate)
    line = _Line(doc, sign * base)
    for settlement in settlements:
        left -= settlement.amount
        after = to_base(left, doc.currency_rate)
        if isinstance(settlement, Allocation):
            line.credited += sign * (base - after)
        else:
            line.paid += sign * (base - after)
        base = after
    line.due = sign * base
    return line


def _number(doc: Document) -> str:
    if isinstance(doc, Overpayment):
        return doc.reference or "Overpayment"
    return doc.number


def _row(line: _Line, as_at: date) -> dict[str, Any]:
    doc = line.doc
    kind = (
        "invoiceID" if isinstance(doc, Invoice) else "creditNoteID" if isinstance(doc, CreditNote) else "overpaymentID"
    )
    due_date = doc.due_date if isinstance(doc, Invoice) else None
    late = (as_at - due_date).days if due_date is not None and line.due > 0 else 0
    values = [
        f"{doc.date:%Y-%m-%d} 00:00:00",
        _number(doc),
        f"{due_date:%Y-%m-%d} 00:00:00" if due_date else "",
        f"{late} days overdue" if late > 0 else "",
        *(f"{v:.2f}" for v in (line.total, line.paid, line.credited, line.due)),
    ]
    tag = (kind, _key(doc))
    return {"RowType": "Row", "Cells": [cell(v, tag) for v in values]}


def _summary(title: str, figures: list[Decimal]) -> dict[str, Any]:
    return {
        "RowType": "SummaryRow",
        "Cells": [cell(title), cell(""), cell(""), cell("")] + [cell(f"{v:.2f}") for v in figures],
    }


def aged_receivables_by_contact(call: Call) -> dict[str, Any]:
    tenant = call.tenant
    raw = (call.query.get("contactId") or call.query.get("contactID") or "").strip().lower()
    if not raw:
        raise bad_request("contactId is required: the report is for one contact")
    contact = tenant.contacts.get(raw)
    if contact is None:
        raise not_found(f"No contact with ContactID {raw}")
    as_at = report_date(call) or call.today
    lines = [_line(tenant, doc, as_at) for doc in _documents(tenant, contact.contact_id, as_at)]
    lines = [line for line in lines if line.due]
    lines.sort(key=lambda line: (line.doc.date, _number(line.doc)))
    start = report_date(call, "fromDate") or min((line.doc.date for line in lines), default=as_at)
    end = report_date(call, "toDate") or as_at
    shown = [line for line in lines if start <= line.doc.date <= end]
    opening = sum((line.due for line in lines if line.doc.date < start), ZERO)
    totals = [sum((getattr(line, name) for line in shown), ZERO) for name in ("total", "paid", "credited", "due")]
    blank = [cell("") for _ in range(5)]
    rows: list[dict[str, Any]] = [
        {
            "RowType": "Header",
            "Cells": [cell(v) for v in ("Date", "Number", "Due Date", "", "Total", "Paid", "Credited", "Due")],
        },
        {
            "RowType": "Section",
            "Title": "",
            "Rows": [
                {
                    "RowType": "Row",
                    "Cells": [
                        cell(f"{start:%Y-%m-%d} 00:00:00"),
                        cell("Opening Balance"),
                        *blank,
                        cell(f"{opening:.2f}"),
                    ],
                }
            ],
        },
        {
            "RowType": "Section",
            "Title": "",
            "Rows": [_row(line, as_at) for line in shown] + [_summary("Total", totals)],
        },
        {"RowType": "Section", "Title": "", "Rows": [_summary("Closing Balance", [*totals[:3], opening + totals[3]])]},
    ]
    titles = [
        "Invoices",
        contact.name,
        f"From {start.day} {start:%B %Y} to {end.day} {end:%B %Y}",
        f"Showing payments to {as_at.day} {as_at:%B %Y}",
    ]
    return report(call, "AgedReceivablesByContact", "Aged Receivables By Contact", titles, as_at, rows)
