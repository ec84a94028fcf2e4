"""Reports/BalanceSheet: the same ledger as the trial balance, in Xero's standard layout.

Sections: Assets (Bank, Current Assets, Fixed Assets, Non-current Assets), Liabilities (Current,
Non-current), Net Assets, Equity. Assets are shown as debits, liabilities and equity as credits.
Equity adds two rows Xero computes: Current Year Earnings (income less expenses since the financial
year began) and Retained Earnings (the retained earnings account plus the earnings of earlier years),
so that Net Assets equals Total Equity. `periods` (up to 11) and `timeframe` (MONTH, QUARTER, YEAR) add
earlier columns; `paymentsOnly=true` reads the cash-basis ledger; `standardLayout` is accepted (the
emulator has no custom layouts); tracking options are refused, not ignored.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.errors import bad_request
from cynare.sandbox.xero.reports import Balances, basis, cell, report, report_date
from cynare.sandbox.xero.state import Account, Tenant

_STEPS = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}
_ASSETS = (
    ("Bank", ("BANK",)),
    ("Current Assets", ("CURRENT", "PREPAYMENT", "INVENTORY")),
    ("Fixed Assets", ("FIXED",)),
    ("Non-current Assets", ("NONCURRENT",)),
)
_LIABILITIES = (("Current Liabilities", ("CURRLIAB", "LIABILITY", "PAYG")), ("Non-current Liabilities", ("TERMLIAB",)))
ZERO = Decimal("0.00")


def months_back(when: date, months: int) -> date:
    """The same day `months` earlier (the month's last day if `when` is a month end or the day is missing)."""
    year, month = divmod(when.year * 12 + when.month - 1 - months, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    month_end = when.day == calendar.monthrange(when.year, when.month)[1]
    return date(year, month, last if month_end else min(when.day, last))


def year_start(tenant: Tenant, when: date) -> date:
    """The first day of the financial year `when` falls in."""

    def year_end(year: int) -> date:
        return date(
            year, tenant.year_end_month, min(tenant.year_end_day, calendar.monthrange(year, tenant.year_end_month)[1])
        )

    last_end = year_end(when.year)
    if last_end >= when:
        last_end = year_end(when.year - 1)
    return last_end + timedelta(days=1)


class _Column:
    """One column's balances: accounts by code, and the earnings Xero adds to equity."""

    def __init__(self, tenant: Tenant, ledger: Balances, when: date) -> None:
        self.amounts = ledger(tenant, when)
        profit_kinds = ("REVENUE", "EXPENSE")
        profit_codes = {a.code for a in tenant.accounts if a.account_class in profit_kinds}
        before = ledger(tenant, year_start(tenant, when) - timedelta(days=1))
        # Credits are negative in the ledger: earnings are the credit balance of income less expenses.
        self.earlier = -sum((v for c, v in before.items() if c in profit_codes), ZERO)
        self.current = -sum((v for c, v in self.amounts.items() if c in profit_codes), ZERO) - self.earlier

    def shown(self, account: Account) -> Decimal:
        amount = self.amounts.get(account.code, ZERO)
        return amount if account.account_class == "ASSET" else -amount


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _summary(title: str, values: list[Decimal]) -> dict[str, Any]:
    return {"RowType": "SummaryRow", "Cells": [cell(title)] + [cell(_money(v)) for v in values]}


def _group(
    tenant: Tenant, columns: list[_Column], title: str, types: tuple[str, ...]
) -> tuple[dict[str, Any] | None, list[Decimal]]:
    rows: list[dict[str, Any]] = []
    totals = [ZERO for _ in columns]
    for account in tenant.accounts:
        if account.type not in types or account.system_account == "RETAINEDEARNINGS":
            continue
        values = [column.shown(account) for column in columns]
        if not any(values):
            continue
        tag = ("account", account.account_id)
        rows.append({"RowType": "Row", "Cells": [cell(account.name, tag)] + [cell(_money(v), tag) for v in values]})
        totals = [t + v for t, v in zip(totals, values, strict=True)]
    if not rows:
        return None, totals
    rows.append(_summary(f"Total {title}", totals))
    return {"RowType": "Section", "Title": title, "Rows": rows}, totals


def _equity(tenant: Tenant, columns: list[_Column]) -> tuple[dict[str, Any], list[Decimal]]:
    section, totals = _group(tenant, columns, "Equity", ("EQUITY",))
    rows = section["Rows"][:-1] if section else []
    retained = next((a for a in tenant.accounts if a.system_account == "RETAINEDEARNINGS"), None)
    extra: list[tuple[str, list[Decimal], Account | None]] = [
        ("Current Year Earnings", [c.current for c in columns], None)
    ]
    retained_values = [c.earlier + (c.shown(retained) if retained else ZERO) for c in columns]
    extra.append(("Retained Earnings", retained_values, retained))
    for name, values, account in extra:
        tag = ("account", account.account_id) if account else None
        rows.append({"RowType": "Row", "Cells": [cell(name, tag)] + [cell(_money(v), tag) for v in values]})
        totals = [t + v for t, v in zip(totals, values, strict=True)]
    rows.append(_summary("Total Equity", totals))
    return {"RowType": "Section", "Title": "Equity", "Rows": rows}, totals


def _dates(call: Call) -> list[date]:
    as_at = report_date(call) or call.today
    timeframe = (call.query.get("timeframe") or "MONTH").upper()
    if timeframe not in _STEPS:
        raise bad_request("timeframe must be MONTH, QUARTER or YEAR")
    try:
        periods = int(call.query.get("periods") or 0)
    except ValueError as exc:
        raise bad_request("periods must be a whole number") from exc
    if not 0 <= periods <= 11:
        raise bad_request("periods must be between 0 and 11")
    return [months_back(as_at, k * _STEPS[timeframe]) for k in range(periods + 1)]


def balance_sheet(call: Call) -> dict[str, Any]:
    for name in ("trackingOptionID1", "trackingOptionID2"):
        if call.query.get(name):
            raise bad_request(f"The emulator does not filter the BalanceSheet by tracking option ({name})")
    tenant = call.tenant
    dates = _dates(call)
    ledger = basis(call)
    columns = [_Column(tenant, ledger, when) for when in dates]
    rows: list[dict[str, Any]] = [
        {"RowType": "Header", "Cells": [cell("")] + [cell(f"{d.day} {d:%b %Y}") for d in dates]}
    ]
    sides: list[list[Decimal]] = []
    for heading, groups in (("Assets", _ASSETS), ("Liabilities", _LIABILITIES)):
        rows.append({"RowType": "Section", "Title": heading, "Rows": []})
        side = [ZERO for _ in columns]
        for title, types in groups:
            section, totals = _group(tenant, columns, title, types)
            if section is not None:
                rows.append(section)
            side = [s + t for s, t in zip(side, totals, strict=True)]
        rows.append({"RowType": "Section", "Title": "", "Rows": [_summary(f"Total {heading}", side)]})
        sides.append(side)
    net = [a - liability for a, liability in zip(sides[0], sides[1], strict=True)]
    rows.append({"RowType": "Section", "Title": "", "Rows": [_summary("Net Assets", net)]})
    rows.append(_equity(tenant, columns)[0])
    titles = ["Balance Sheet", tenant.name, f"As at {dates[0].day} {dates[0]:%B %Y}"]
    return report(call, "BalanceSheet", "Balance Sheet", titles, call.today, rows)
