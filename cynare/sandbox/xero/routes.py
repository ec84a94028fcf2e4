"""The Accounting API's routes under /api.xro/2.0: method, path pattern, handler."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cynare.sandbox.xero import (
    allocations,
    batch_payments,
    contacts,
    credit_notes,
    history,
    invoices,
    overpayments,
    payments,
    report_aged,
    report_balance_sheet,
    reports,
    settings,
)
from cynare.sandbox.xero.call import Handler

_ID = r"(?P<{}>[^/]+)"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def _route(method: str, template: str, handler: Handler) -> Route:
    regex = re.sub(r"\{(\w+)\}", lambda m: _ID.format(m.group(1)), template)
    return Route(method, re.compile(f"^{regex}$", re.IGNORECASE), handler)


_HISTORY = (
    "/(?P<Endpoint>Invoices|CreditNotes|Payments|BatchPayments|Contacts|Overpayments|BankTransactions)"
    "/{RecordID}/History"
)

ROUTES: tuple[Route, ...] = (
    _route("GET", "/Organisation", settings.organisation),
    _route("GET", "/Accounts", settings.accounts),
    _route("GET", "/TaxRates", settings.tax_rates),
    _route("GET", "/Currencies", settings.currencies),
    _route("GET", "/TrackingCategories", settings.tracking_categories),
    _route("GET", "/Contacts", contacts.get_many),
    _route("PUT", "/Contacts", contacts.create),
    _route("POST", "/Contacts", contacts.update_or_create),
    _route("GET", "/Contacts/{ContactID}", contacts.get_one),
    _route("POST", "/Contacts/{ContactID}", contacts.update_one),
    _route("GET", "/Invoices", invoices.get_many),
    _route("PUT", "/Invoices", invoices.create),
    _route("POST", "/Invoices", invoices.update_or_create),
    _route("GET", "/Invoices/{InvoiceID}", invoices.get_one),
    _route("POST", "/Invoices/{InvoiceID}", invoices.update_one),
    _route("GET", "/CreditNotes", credit_notes.get_many),
    _route("PUT", "/CreditNotes", credit_notes.create),
    _route("POST", "/CreditNotes", credit_notes.update_or_create),
    _route("GET", "/CreditNotes/{CreditNoteID}", credit_notes.get_one),
    _route("POST", "/CreditNotes/{CreditNoteID}", credit_notes.update_one),
    _route("PUT", "/CreditNotes/{CreditNoteID}/Allocations", allocations.credit_note_allocations),
    _route(
        "DELETE", "/CreditNotes/{CreditNoteID}/Allocations/{AllocationID}", allocations.delete_credit_note_allocation
    ),
    _route("GET", "/Payments", payments.get_many),
    _route("PUT", "/Payments", payments.create_many),
    _route("POST", "/Payments", payments.create_one),
    _route("GET", "/Payments/{PaymentID}", payments.get_one),
    _route("POST", "/Payments/{PaymentID}", payments.delete),
    _route("GET", "/BatchPayments", batch_payments.get_many),
    _route("PUT", "/BatchPayments", batch_payments.create),
    _route("POST", "/BatchPayments", batch_payments.delete_by_body),
    _route("GET", "/BatchPayments/{BatchPaymentID}", batch_payments.get_one),
    _route("POST", "/BatchPayments/{BatchPaymentID}", batch_payments.delete_by_path),
    _route("GET", "/BankTransactions", overpayments.get_transactions),
    _route("PUT", "/BankTransactions", overpayments.create),
    _route("POST", "/BankTransactions", overpayments.update_or_create),
    _route("GET", "/BankTransactions/{BankTransactionID}", overpayments.get_transaction),
    _route("POST", "/BankTransactions/{BankTransactionID}", overpayments.update_one),
    _route("GET", "/Overpayments", overpayments.get_overpayments),
    _route("GET", "/Overpayments/{OverpaymentID}", overpayments.get_overpayment),
    _route("PUT", "/Overpayments/{OverpaymentID}/Allocations", allocations.overpayment_allocations),
    _route(
        "DELETE", "/Overpayments/{OverpaymentID}/Allocations/{AllocationID}", allocations.delete_overpayment_allocation
    ),
    _route("GET", _HISTORY, history.get),
    _route("PUT", _HISTORY, history.add),
    _route("GET", "/Reports/TrialBalance", reports.trial_balance),
    _route("GET", "/Reports/BalanceSheet", report_balance_sheet.balance_sheet),
    _route("GET", "/Reports/AgedReceivablesByContact", report_aged.aged_receivables_by_contact),
)


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        found = route.pattern.match(path)
        if found and route.method == method:
            return route, {k: v for k, v in found.groupdict().items() if v is not None}
    return None


def path_known(path: str) -> bool:
    return any(route.pattern.match(path) for route in ROUTES)
