"""The ledger on a cash basis (paymentsOnly=true): income and tax count only as documents are settled.

Debits are positive, in base currency. Raising an invoice or a credit note posts nothing; each
settlement recognises the settled share of the document's lines and tax:

- a payment of an invoice debits the bank and credits each line's account with its share of the
  payment (its value at the payment's rate), the tax account with the rest;
- a refund of a credit note credits the bank and debits the credit note's lines and tax likewise;
- an overpayment debits the bank and credits receivables (610) until it is allocated or refunded;
  an allocation of it moves its share from receivables to the invoice's lines and tax;
- an allocation of a credit note to an invoice credits the invoice's lines (at the invoice's rate)
  and debits the credit note's (at its rate).
Differences of rate between the two sides go to realised currency gains (498), so every settlement
balances. Bills (ACCPAY) and bank transactions other than overpayments are left out, as in ledger.py.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from cynare.sandbox.xero.money import to_base
from cynare.sandbox.xero.state import Document, Tenant

_RECEIVABLE = ("ACCREC", "ACCRECCREDIT", "RECEIVE-OVERPAYMENT")


def _code(tenant: Tenant, system: str, default: str) -> str:
    return next((a.code for a in tenant.accounts if a.system_account == system), default)


def _shares(doc: Document, amount: Decimal, rate: Decimal, tax_code: str) -> list[tuple[str, Decimal]]:
    """The base-currency value of `amount` of `doc` at `rate`, split over its lines' accounts and tax."""
    whole = to_base(amount, rate)
    if not doc.total:
        return [(tax_code, whole)]
    parts: list[tuple[str, Decimal]] = []
    for line in doc.lines:
        net = line.line_amount - line.tax_amount if doc.line_amount_types == "Inclusive" else line.line_amount
        parts.append((line.account_code, to_base(net * amount / doc.total, rate)))
    parts.append((tax_code, whole - sum((p for _, p in parts), Decimal(0))))
    return parts


def balances(tenant: Tenant, as_at: date) -> dict[str, Decimal]:
    debtors = _code(tenant, "DEBTORS", "610")
    tax_code = _code(tenant, "GST", "820")
    gains = _code(tenant, "REALISEDCURRENCYGAIN", "498")
    out: dict[str, Decimal] = defaultdict(Decimal)

    def recognise(doc: Document, amount: Decimal, rate: Decimal, sign: int) -> Decimal:
        """Credit (sign 1) or debit (sign -1) the document's share; returns its base value."""
        total = Decimal(0)
        for code, value in _shares(doc, amount, rate, tax_code):
            out[code] -= sign * value
            total += value
        return total

    for over in tenant.overpayments.values():
        if over.status in ("AUTHORISED", "PAID") and over.date <= as_at:
            bank = tenant.bank_transactions.get(over.bank_transaction_id)
            value = to_base(over.total, over.currency_rate)
            out[bank.bank_account_code if bank else debtors] += value
            out[debtors] -= value
    for payment in tenant.payments.values():
        if payment.status != "AUTHORISED" or payment.date > as_at:
            continue
        banked = to_base(payment.amount, payment.currency_rate)
        invoice = tenant.invoices.get(payment.invoice_id) if payment.invoice_id else None
        note = tenant.credit_notes.get(payment.credit_note_id or "")
        refunded = tenant.overpayments.get(payment.overpayment_id or "")
        if invoice is not None and invoice.type in _RECEIVABLE:
            out[payment.account_code] += banked
            recognise(invoice, payment.amount, payment.currency_rate, 1)
        elif note is not None and note.type in _RECEIVABLE:
            out[payment.account_code] -= banked
            recognise(note, payment.amount, payment.currency_rate, -1)
        elif refunded is not None:
            held = to_base(payment.amount, refunded.currency_rate)
            out[payment.account_code] -= banked
            out[debtors] += held
            out[gains] += banked - held
    for allocation in tenant.allocations.values():
        if allocation.is_deleted or allocation.date > as_at:
            continue
        invoice = tenant.invoices.get(allocation.invoice_id)
        if invoice is None or invoice.type not in _RECEIVABLE:
            continue
        earned = recognise(invoice, allocation.amount, invoice.currency_rate, 1)
        if allocation.source_kind == "CREDITNOTE":
            source: Document | None = tenant.credit_notes.get(allocation.source_id)
            given = recognise(source, allocation.amount, source.currency_rate, -1) if source else Decimal(0)
        else:
            source = tenant.overpayments.get(allocation.source_id)
            given = to_base(allocation.amount, source.currency_rate) if source else Decimal(0)
            out[debtors] += given
        out[gains] += earned - given
    return {code: amount for code, amount in out.items() if amount}
