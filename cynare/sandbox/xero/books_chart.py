"""A books file's chart: currencies, tax rates, accounts and tracking categories of one organisation."""

from __future__ import annotations

from decimal import Decimal

from cynare.sandbox.xero.books_fields import Fields, stable_id
from cynare.sandbox.xero.money import places
from cynare.sandbox.xero.state import Account, TaxRate, Tenant, TrackingCategory, TrackingOption

ACCOUNT_CLASSES = {
    **dict.fromkeys(("BANK", "CURRENT", "FIXED", "INVENTORY", "NONCURRENT", "PREPAYMENT"), "ASSET"),
    **dict.fromkeys(("CURRLIAB", "LIABILITY", "TERMLIAB", "PAYG"), "LIABILITY"),
    "EQUITY": "EQUITY",
    **dict.fromkeys(("REVENUE", "SALES", "OTHERINCOME"), "REVENUE"),
    **dict.fromkeys(("EXPENSE", "DIRECTCOSTS", "OVERHEADS", "DEPRECIATN"), "EXPENSE"),
}
SYSTEM_ACCOUNTS = (
    *("DEBTORS", "CREDITORS", "BANKCURRENCYGAIN", "GST", "GSTONIMPORTS", "HISTORICAL", "REALISEDCURRENCYGAIN"),
    *("RETAINEDEARNINGS", "ROUNDING", "TRACKINGTRANSFERS", "UNPAIDEXPCLM", "UNREALISEDCURRENCYGAIN", "WAGEPAYABLES"),
)
_ACCOUNT_FIELDS = (
    *("code", "name", "type", "tax_type", "system_account", "bank_account_number", "currency", "enable_payments"),
    "status",
)


def currencies(f: Fields, base: str) -> dict[str, Decimal]:
    raw = f.raw.get("currencies") or {}
    if not isinstance(raw, dict):
        f.problem("currencies", 'must be an object of currency codes and default rates, e.g. {"EUR": "1.17"}')
        return {}
    rates: dict[str, Decimal] = {}
    holder = Fields(raw, "currencies", f.problems)
    for code in raw:
        if not isinstance(code, str) or len(code) != 3 or not code.isalpha() or not code.isupper():
            holder.problem(str(code), "is not a currency code such as EUR")
        elif code == base:
            holder.problem(code, "is the base currency: list only the other subscribed currencies")
        else:
            rates[code] = places(holder.number(code, positive=True), 6)
    return rates


def tax_rates(f: Fields) -> list[TaxRate]:
    found: list[TaxRate] = []
    for item in f.objects("tax_rates"):
        item.only(("name", "tax_type", "rate", "report_tax_type", "status"))
        tax_type = item.text("tax_type", longest=50, pattern=r"[A-Z0-9_]+")
        if any(r.tax_type == tax_type for r in found):
            item.problem("tax_type", f"{tax_type} is given twice")
        report = item.optional("report_tax_type")
        status = item.choice("status", ("ACTIVE", "DELETED", "ARCHIVED"), "ACTIVE")
        found.append(TaxRate(item.text("name", longest=50), tax_type, item.number("rate"), report, status))
    if not any(r.tax_type == "NONE" for r in found):
        f.problem("tax_rates", "needs a rate with tax_type NONE (documents without tax use it)")
    return found


def accounts(f: Fields, tenant: Tenant) -> list[Account]:
    found: list[Account] = []
    for item in f.objects("accounts"):
        item.only(_ACCOUNT_FIELDS)
        code = item.text("code", longest=10)
        kind = item.choice("type", ACCOUNT_CLASSES)
        tax_type = item.text("tax_type", "NONE")
        if tenant.tax_rate(tax_type) is None:
            item.problem("tax_type", f"{tax_type} is not one of this organisation's tax rates")
        system = item.choice("system_account", SYSTEM_ACCOUNTS) if item.has("system_account") else None
        currency = item.text("currency", tenant.base_currency) if kind == "BANK" else None
        if currency is not None and currency not in tenant.currencies:
            item.problem("currency", f"{currency} is not a subscribed currency")
        if any(a.code == code for a in found):
            item.problem("code", f"{code} is given twice")
        if system and any(a.system_account == system for a in found):
            item.problem("system_account", f"{system} is given twice")
        found.append(
            Account(
                stable_id(tenant.entity_code, "account", code),
                code,
                item.text("name", longest=150),
                kind,
                ACCOUNT_CLASSES.get(kind, "ASSET"),
                tax_type,
                item.choice("status", ("ACTIVE", "ARCHIVED"), "ACTIVE"),
                system,
                item.text("bank_account_number", "") if kind == "BANK" else None,
                currency,
                item.flag("enable_payments", False),
            )
        )
    needed = ["DEBTORS", "GST"] + (["REALISEDCURRENCYGAIN"] if tenant.rates else [])
    for system in needed:
        if not any(a.system_account == system for a in found):
            f.problem("accounts", f"needs an account with system_account {system} (the ledger posts to it)")
    return found


def tracking(f: Fields, entity: str) -> list[TrackingCategory]:
    found: list[TrackingCategory] = []
    for item in f.objects("tracking_categories"):
        item.only(("name", "options", "status"))
        name = item.text("name", longest=100)
        options = item.strings("options")
        if len(set(options)) != len(options):
            item.problem("options", "an option is given twice")
        if any(c.name == name for c in found):
            item.problem("name", f"{name} is given twice")
        status = item.choice("status", ("ACTIVE", "ARCHIVED"), "ACTIVE")
        found.append(
            TrackingCategory(
                stable_id(entity, "tracking", name),
                name,
                [TrackingOption(stable_id(entity, name, option), option) for option in options],
                status,
            )
        )
    if sum(c.status == "ACTIVE" for c in found) > 2:
        f.problem("tracking_categories", "Xero allows at most two active tracking categories")
    return found
