"""The organisation's settings: Organisation, Accounts, TaxRates, Currencies, TrackingCategories."""

from __future__ import annotations

from typing import Any

from cynare.sandbox.xero import query
from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.jsondates import ms_date, ms_datetime
from cynare.sandbox.xero.state import Account, TaxRate

_CURRENCY_NAMES = {
    "AUD": "Australian Dollar",
    "CAD": "Canadian Dollar",
    "CHF": "Swiss Franc",
    "DKK": "Danish Krone",
    "EUR": "Euro",
    "GBP": "British Pound",
    "HKD": "Hong Kong Dollar",
    "JPY": "Japanese Yen",
    "NOK": "Norwegian Krone",
    "NZD": "New Zealand Dollar",
    "SEK": "Swedish Krona",
    "SGD": "Singapore Dollar",
    "USD": "United States Dollar",
    "ZAR": "South African Rand",
}


def organisation(call: Call) -> dict[str, Any]:
    t = call.tenant
    out: dict[str, Any] = {
        "OrganisationID": t.tenant_id,
        "APIKey": "",
        "Name": t.name,
        "LegalName": t.legal_name,
        "PaysTax": t.pays_tax,
        "Version": t.version,
        "OrganisationType": t.organisation_type,
        "BaseCurrency": t.base_currency,
        "CountryCode": t.country_code,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": t.year_end_day,
        "FinancialYearEndMonth": t.year_end_month,
        "SalesTaxBasis": "ACCRUALS" if t.pays_tax else "NONE",
        "SalesTaxPeriod": "QUARTERLY" if t.pays_tax else "NONE",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": ms_datetime(t.created),
        "Timezone": t.timezone,
        "OrganisationEntityType": t.organisation_type,
        "ShortCode": t.short_code,
        "Class": t.organisation_class,
        "Edition": "BUSINESS",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }
    if t.period_lock_date is not None:
        out["PeriodLockDate"] = ms_date(t.period_lock_date)
    if t.end_of_year_lock_date is not None:
        out["EndOfYearLockDate"] = ms_date(t.end_of_year_lock_date)
    return {"Organisations": [out]}


def _account(a: Account) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AccountID": a.account_id,
        "Code": a.code,
        "Name": a.name,
        "Status": a.status,
        "Type": a.type,
        "TaxType": a.tax_type,
        "Class": a.account_class,
        "EnablePaymentsToAccount": a.enable_payments,
        "ShowInExpenseClaims": False,
        "ReportingCode": a.account_class[:3],
        "HasAttachments": False,
        "AddToWatchlist": False,
    }
    if a.system_account:
        out["SystemAccount"] = a.system_account
    if a.type == "BANK":
        out["BankAccountType"] = "BANK"
        out["BankAccountNumber"] = a.bank_account_number or ""
        out["CurrencyCode"] = a.currency_code
    return out


def accounts(call: Call) -> dict[str, Any]:
    """The chart; with If-Modified-Since, none once it is later than the organisation's creation (the
    emulator's accounts never change)."""
    since = query.modified_since(call)
    if since is not None and call.tenant.created.replace(microsecond=0) < since:
        return {"Accounts": []}
    return {"Accounts": query.select(call, "Account", [_account(a) for a in call.tenant.accounts])}


def _tax_rate(r: TaxRate) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Name": r.name,
        "TaxType": r.tax_type,
        "Status": r.status,
        "TaxComponents": [
            {"Name": "VAT" if r.rate else "None", "Rate": r.rate, "IsCompound": False, "IsNonRecoverable": False}
        ],
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToExpenses": True,
        "CanApplyToLiabilities": True,
        "CanApplyToRevenue": True,
        "DisplayTaxRate": r.rate,
        "EffectiveRate": r.rate,
    }
    if r.report_tax_type:
        out["ReportTaxType"] = r.report_tax_type
    return out


def tax_rates(call: Call) -> dict[str, Any]:
    return {"TaxRates": query.select(call, "TaxRate", [_tax_rate(r) for r in call.tenant.tax_rates])}


def currencies(call: Call) -> dict[str, Any]:
    listed = [{"Code": code, "Description": _CURRENCY_NAMES.get(code, code)} for code in call.tenant.currencies]
    return {"Currencies": query.select(call, "Currency", listed)}


def tracking_categories(call: Call) -> dict[str, Any]:
    archived = call.flag("includeArchived", False)
    out = []
    for category in call.tenant.tracking:
        if category.status != "ACTIVE" and not archived:
            continue
        out.append(
            {
                "TrackingCategoryID": category.category_id,
                "Name": category.name,
                "Status": category.status,
                "Options": [
                    {
                        "TrackingOptionID": o.option_id,
                        "Name": o.name,
                        "Status": o.status,
                        "TrackingCategoryID": category.category_id,
                    }
                    for o in category.options
                    if archived or o.status == "ACTIVE"
                ],
            }
        )
    return {"TrackingCategories": query.select(call, "TrackingCategory", out)}
