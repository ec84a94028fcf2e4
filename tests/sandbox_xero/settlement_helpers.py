"""Building books through the SDK for the settlement tests: documents in any currency, the trial balance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from xero_python.accounting import (
    Account,
    BankTransaction,
    BankTransactions,
    Contact,
    CreditNote,
    CreditNotes,
    CurrencyCode,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    Payment,
)

from tests.sandbox_xero.conftest import UK, invoice


def _money(currency: str | None, rate: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if currency:
        fields["currency_code"] = CurrencyCode(currency)
    if rate:
        fields["currency_rate"] = Decimal(rate)
    return fields


def make_invoice(
    api: Any, contact: str = "Payer Ltd", net: str = "100.00", currency: str | None = None, rate: str | None = None
) -> Invoice:
    """An AUTHORISED ACCREC invoice: one line of `net` at 20% VAT."""
    made = invoice(contact=contact, amount=net, **_money(currency, rate))
    return api.create_invoices(UK, Invoices(invoices=[made])).invoices[0]


def make_credit_note(
    api: Any,
    contact: str = "Payer Ltd",
    net: str = "50.00",
    currency: str | None = None,
    rate: str | None = None,
    status: str = "AUTHORISED",
) -> CreditNote:
    note = CreditNote(
        type="ACCRECCREDIT",
        contact=Contact(name=contact),
        date=date(2026, 5, 5),
        status=status,
        line_items=[
            LineItem(
                description="credit", quantity=Decimal(1), unit_amount=Decimal(net), account_code="200", tax_type="NONE"
            )
        ],
        **_money(currency, rate),
    )
    return api.create_credit_notes(UK, CreditNotes(credit_notes=[note])).credit_notes[0]


def make_overpayment(
    api: Any,
    contact: str = "Payer Ltd",
    amount: str = "30.00",
    currency: str | None = None,
    rate: str | None = None,
    bank: str = "090",
) -> BankTransaction:
    transaction = BankTransaction(
        type="RECEIVE-OVERPAYMENT",
        contact=Contact(name=contact),
        bank_account=Account(code=bank),
        date=date(2026, 5, 7),
        line_amount_types=LineAmountTypes("NoTax"),
        line_items=[LineItem(description="Unallocated cash", line_amount=Decimal(amount))],
        **_money(currency, rate),
    )
    return api.create_bank_transactions(UK, BankTransactions(bank_transactions=[transaction])).bank_transactions[0]


def pay(
    invoice_id: str, amount: str, day: date = date(2026, 5, 10), account: str = "090", rate: str | None = None
) -> Payment:
    extra = {"currency_rate": Decimal(rate)} if rate else {}
    return Payment(
        invoice=Invoice(invoice_id=invoice_id), account=Account(code=account), amount=Decimal(amount), date=day, **extra
    )


def trial_balance(api: Any, on: date = date(2026, 5, 31)) -> dict[str, Decimal]:
    """Account code -> balance (debit positive) from Reports/TrialBalance."""
    report = api.get_report_trial_balance(UK, date=on).reports[0]
    out: dict[str, Decimal] = {}
    for section in report.rows:
        for row in section.rows or []:
            name = row.cells[0].value
            if getattr(row.row_type, "value", row.row_type) == "Row":
                code = name.rsplit("(", 1)[1].rstrip(")")
                out[code] = Decimal(row.cells[1].value) - Decimal(row.cells[2].value)
            elif name == "Total":
                out["debits"], out["credits"] = Decimal(row.cells[1].value), Decimal(row.cells[2].value)
    return out
