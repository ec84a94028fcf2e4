"""OAuth scopes: what each accounting call needs, what each scope means in words, and Xero's refusal.

Xero has two generations of accounting scopes (../shared/XERO.md). Apps created from 2 March 2026 ask
for granular ones (`accounting.invoices`, `accounting.payments`, `accounting.banktransactions`,
`accounting.reports.trialbalance.read`, ...); older apps keep the broad ones (`accounting.transactions`,
`accounting.reports.read`) until September 2027 and may move to granular ones. Contacts, settings and
attachments are the same in both. A call passes when the token holds, for the call's resource, the
granular scope or the broad one, or for a read either one's `.read` form; otherwise Xero answers 401
with `AuthorizationUnsuccessful` and does nothing.
"""

from __future__ import annotations

import uuid

from cynare.sandbox.xero.errors import XeroError

IDENTITY = {
    "openid": "Know who you are in Xero (your user ID)",
    "profile": "See your name",
    "email": "See your email address",
    "offline_access": "Keep access while you are not using the app (a refresh token)",
}
BROAD = {
    "accounting.transactions": "View and change invoices, credit notes, payments, bank transactions and items",
    "accounting.transactions.read": "View invoices, credit notes, payments, bank transactions and items",
    "accounting.reports.read": "View all your reports",
}
GRANULAR = {
    "accounting.invoices": "View and change invoices, credit notes and items",
    "accounting.invoices.read": "View invoices, credit notes and items",
    "accounting.payments": "View and change payments, batch payments, overpayments and prepayments",
    "accounting.payments.read": "View payments, batch payments, overpayments and prepayments",
    "accounting.banktransactions": "View and change bank transactions and bank transfers",
    "accounting.banktransactions.read": "View bank transactions and bank transfers",
    "accounting.reports.aged.read": "View the aged payables and aged receivables reports",
    "accounting.reports.balancesheet.read": "View the balance sheet report",
    "accounting.reports.profitandloss.read": "View the profit and loss report",
    "accounting.reports.trialbalance.read": "View the trial balance report",
}
UNCHANGED = {
    "accounting.contacts": "View and change your contacts",
    "accounting.contacts.read": "View your contacts",
    "accounting.settings": "View and change your organisation settings: chart of accounts, tax rates, currencies",
    "accounting.settings.read": "View your organisation settings: chart of accounts, tax rates, currencies",
    "accounting.attachments": "View and add attachments",
    "accounting.attachments.read": "View attachments",
    "accounting.journals.read": "View your general ledger journals",
    "accounting.budgets.read": "View your budgets",
}
WORDS = {**IDENTITY, **BROAD, **GRANULAR, **UNCHANGED}

OLDER_APP = frozenset(IDENTITY) | frozenset(BROAD) | frozenset(GRANULAR) | frozenset(UNCHANGED)
NEW_APP = frozenset(IDENTITY) | frozenset(GRANULAR) | frozenset(UNCHANGED)
DEFAULT_SCOPE = "accounting.transactions accounting.contacts accounting.settings accounting.reports.read"

# The first part of an accounting path -> (granular scope, broad scope).
_RESOURCES = {
    **dict.fromkeys(("Invoices", "CreditNotes", "Items"), ("accounting.invoices", "accounting.transactions")),
    **dict.fromkeys(
        ("Payments", "BatchPayments", "Overpayments", "Prepayments"), ("accounting.payments", "accounting.transactions")
    ),
    **dict.fromkeys(("BankTransactions", "BankTransfers"), ("accounting.banktransactions", "accounting.transactions")),
    **dict.fromkeys(("Contacts", "ContactGroups"), ("accounting.contacts", "accounting.contacts")),
    **dict.fromkeys(
        ("Organisation", "Accounts", "TaxRates", "Currencies", "TrackingCategories", "BrandingThemes"),
        ("accounting.settings", "accounting.settings"),
    ),
}
# Reports/{name} -> the granular scope; the broad one is accounting.reports.read.
_REPORTS = {
    "AgedReceivablesByContact": "accounting.reports.aged.read",
    "AgedPayablesByContact": "accounting.reports.aged.read",
    "BalanceSheet": "accounting.reports.balancesheet.read",
    "ProfitAndLoss": "accounting.reports.profitandloss.read",
    "TrialBalance": "accounting.reports.trialbalance.read",
}


_BY_NAME = {name.lower(): scopes for name, scopes in _RESOURCES.items()}
_REPORTS_BY_NAME = {name.lower(): scope for name, scope in _REPORTS.items()}


def accepted(method: str, path: str) -> frozenset[str] | None:
    """The scopes any one of which lets this call through; None for a path no scope is known for."""
    parts = path.strip("/").lower().split("/")
    if parts[0] == "reports":
        report = _REPORTS_BY_NAME.get(parts[1]) if len(parts) > 1 else None
        return frozenset({report, "accounting.reports.read"}) if report else None
    found = _BY_NAME.get(parts[0])
    if found is None:
        return None
    granular, broad = found
    if method.upper() in ("GET", "HEAD"):
        return frozenset({granular, broad, f"{granular}.read", f"{broad}.read"})
    return frozenset({granular, broad})


def refusal() -> XeroError:
    """Xero's answer to a call outside the token's scopes (nothing is done)."""
    return XeroError(
        401,
        {
            "Type": None,
            "Title": "Unauthorized",
            "Status": 401,
            "Detail": "AuthorizationUnsuccessful",
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        },
    )


def unknown(requested: list[str], allowed: frozenset[str]) -> list[str]:
    """The requested scopes the app may not have (any unknown scope included)."""
    return [scope for scope in requested if scope not in allowed]
