"""The general ledger implied by the documents, in base currency, for the TrialBalance report.

Debits are positive. Invoices debit accounts receivable (610) and credit income and tax; credit notes
reverse invoices; overpayments debit the bank and credit receivables.

Settlements clear receivables at the rate of the document they settle and the difference is a
realised currency gain or loss (498), as Xero books it:

- a payment debits the bank with its value at the payment's rate and credits receivables;
- a refund of a credit note or an overpayment credits the bank and debits receivables;
- an allocation debits receivables for the credit (at the credit's rate) and credits them for the
  invoice (at the invoice's rate).

What a settlement clears from a document is the fall in the document's open amount valued at the
document's rate (to 2 places, taken in date order), so the rounding never strands a cent: the debtors
control account equals the open items (AmountDue, RemainingCredit) each at its own rate.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from cynare.sandbox.xero.money import to_base
from cynare.sandbox.xero.state import Allocation, CreditNote, Document, Invoice, Overpayment, Payment, Tenant

LIVE = ("AUTHORISED", "PAID")


def _code(tenant: Tenant, system: str, default: str) -> str:
    return next((a.code for a in tenant.accounts if a.system_account == system), default)


class _Open:
    """A document's open amount and its base-currency value as settlements take it down."""

    def __init__(self, doc: Document) -> None:
        self.rate = doc.currency_rate
        self.left = doc.total
        self.base = to_base(doc.total, self.rate)

    def clear(self, amount: Decimal) -> Decimal:
        self.left -= amount
        after = to_base(self.left, self.rate)
        cleared, self.base = self.base - after, after
        return cleared


def _receivable(doc: Invoice | CreditNote | Overpayment) -> bool:
    if isinstance(doc, Invoice):
        return doc.type == "ACCREC"
    if isinstance(doc, CreditNote):
        return doc.type == "ACCRECCREDIT"
    return doc.type == "RECEIVE-OVERPAYMENT"


def _settlements(tenant: Tenant, as_at: date) -> list[Payment | Allocation]:
    live: list[Payment | Allocation] = [p for p in tenant.payments.values() if p.status == "AUTHORISED"]
    live.extend(a for a in tenant.allocations.values() if not a.is_deleted)
    chosen = [s for s in live if s.date <= as_at]
    chosen.sort(key=lambda s: (s.date, s.updated))
    return chosen


def balances(tenant: Tenant, as_at: date) -> dict[str, Decimal]:
    debtors = _code(tenant, "DEBTORS", "610")
    tax_code = _code(tenant, "GST", "820")
    gains = _code(tenant, "REALISEDCURRENCYGAIN", "498")
    out: dict[str, Decimal] = defaultdict(Decimal)
    open_items: dict[str, _Open] = {}

    def opened(key: str, doc: Document) -> _Open:
        found = open_items.get(key)
        if found is None:
            found = open_items[key] = _Open(doc)
        return found

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
    for overpayment in tenant.overpayments.values():
        if overpayment.status in LIVE and overpayment.date <= as_at:
            transaction = tenant.bank_transactions[overpayment.bank_transaction_id]
            amount = to_base(overpayment.total, overpayment.currency_rate)
            out[transaction.bank_account_code] += amount
            out[debtors] -= amount

    for settlement in _settlements(tenant, as_at):
        if isinstance(settlement, Allocation):
            invoice = tenant.invoices[settlement.invoice_id]
            credit: CreditNote | Overpayment = (
                tenant.credit_notes[settlement.source_id]
                if settlement.source_kind == "CREDITNOTE"
                else tenant.overpayments[settlement.source_id]
            )
            if not (_receivable(invoice) and _receivable(credit)):
                continue
            from_invoice = opened(invoice.invoice_id, invoice).clear(settlement.amount)
            from_credit = opened(settlement.source_id, credit).clear(settlement.amount)
            out[debtors] += from_credit - from_invoice
            out[gains] += from_invoice - from_credit
            continue
        doc: Invoice | CreditNote | Overpayment
        if settlement.invoice_id:
            doc, key, sign = tenant.invoices[settlement.invoice_id], settlement.invoice_id, 1
        elif settlement.credit_note_id:
            doc, key, sign = tenant.credit_notes[settlement.credit_note_id], settlement.credit_note_id, -1
        else:
            key = str(settlement.overpayment_id)
            doc, sign = tenant.overpayments[key], -1
        if not _receivable(doc):
            continue
        banked = to_base(settlement.amount, settlement.currency_rate)
        cleared = opened(key, doc).clear(settlement.amount)
        # A receipt (sign 1) debits the bank; a refund (sign -1) credits it.
        out[settlement.account_code] += sign * banked
        out[debtors] -= sign * cleared
        out[gains] += sign * (cleared - banked)
    return {code: amount for code, amount in out.items() if amount}
