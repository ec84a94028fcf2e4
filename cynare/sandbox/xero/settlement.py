"""Keeping AmountDue, RemainingCredit and status right as money moves (AUTHORISED to PAID and back)."""

from __future__ import annotations

from datetime import date, datetime

from cynare.sandbox.xero.state import CreditNote, Invoice, Overpayment


def settle_invoice(invoice: Invoice, when: date, now: datetime) -> None:
    if invoice.status not in ("AUTHORISED", "PAID"):
        return
    if invoice.amount_due <= 0 and invoice.total > 0:
        if invoice.status != "PAID":
            invoice.status = "PAID"
            invoice.fully_paid_on = when
    else:
        invoice.status = "AUTHORISED"
        invoice.fully_paid_on = None
    invoice.updated = now


def settle_credit(credit: CreditNote | Overpayment, when: date, now: datetime) -> None:
    if credit.status not in ("AUTHORISED", "PAID"):
        return
    credit.status = "PAID" if credit.remaining_credit <= 0 else "AUTHORISED"
    if isinstance(credit, CreditNote):
        credit.fully_paid_on = when if credit.status == "PAID" else None
    credit.updated = now
