"""The organisation's settings: Organisation, Accounts, TaxRates, Currencies, TrackingCategories."""

from __future__ import annotations

from typing import Any

from cynare.sandbox.xero import query
from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.jsondates import ms_date, ms_datetime
from cynare.sandbox.xero.state import Account, TaxRate

_CURRENCY_NAMES = {"GBP": "British Pound", "EUR": "Euro", "USD": "United States Dollar"}


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
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3,
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
    match = query.where_filter(call)
    return {"Accounts": [item for item in map(_account, call.tenant.accounts) if match(item)]}


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
    match = query.where_filter(call)
    return {"TaxRates": [item for item in map(_tax_rate, call.tenant.tax_rates) if match(item)]}


def currencies(call: Call) -> dict[str, Any]:
    return {
        "Currencies": [
            {"Code": code, "Description": _CURRENCY_NAMES.get(code, code)} for code in call.tenant.currencies
        ]
    }


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
    return {"TrackingCategories": out}
