"""The general ledger implied by the documents, in base currency, for the TrialBalance report.

Debits are positive. Invoices debit accounts receivable (610) and credit income and tax; payments
debit the bank and credit receivables at the invoice's rate, the difference going to realised
currency gains; credit notes reverse invoices; overpayments debit the bank and credit receivables.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from cynare.sandbox.xero.money import to_base
from cynare.sandbox.xero.state import Document, Tenant

LIVE = ("AUTHORISED", "PAID")


def _code(tenant: Tenant, system: str, default: str) -> str:
    return next((a.code for a in tenant.accounts if a.system_account == system), default)


def balances(tenant: Tenant, as_at: date) -> dict[str, Decimal]:
    debtors = _code(tenant, "DEBTORS", "610")
    tax_code = _code(tenant, "GST", "820")
    gains = _code(tenant, "REALISEDCURRENCYGAIN", "498")
    out: dict[str, Decimal] = defaultdict(Decimal)

    def post_document(doc: Document, sign: int, receivable: str) -> None:
        rate = doc.currency_rate
        total = to_base(doc.total, rate)
        out[receivable] += sign * total
        posted = Decimal(0)
        for line in doc.lines:
            net = line.line_amount - line.tax_amount if doc.line_amount_types == "Inclusive" else line.line_amount
            amount = to_base(net, rate)
            out[line.account_code or receivable] -= sign * amount
            posted += amount
        out[tax_code] -= sign * (total - posted)

    for invoice in tenant.invoices.values():
        if invoice.type == "ACCREC" and invoice.status in LIVE and invoice.date <= as_at:
            post_document(invoice, 1, debtors)
    for note in tenant.credit_notes.values():
        if note.type == "ACCRECCREDIT" and note.status in LIVE and note.date <= as_at:
            post_document(note, -1, debtors)
    for payment in tenant.payments.values():
        invoice = tenant.invoices[payment.invoice_id]
        if payment.status != "AUTHORISED" or payment.date > as_at or invoice.type != "ACCREC":
            continue
        banked = to_base(payment.amount, payment.currency_rate)
        cleared = to_base(payment.amount, invoice.currency_rate)
        out[payment.account_code] += banked
        out[debtors] -= cleared
        out[gains] -= banked - cleared
    for overpayment in tenant.overpayments.values():
        if overpayment.status in LIVE and overpayment.date <= as_at:
            transaction = tenant.bank_transactions[overpayment.bank_transaction_id]
            amount = to_base(overpayment.total, overpayment.currency_rate)
            out[transaction.bank_account_code] += amount
            out[debtors] -= amount
    return {code: amount for code, amount in out.items() if amount}
