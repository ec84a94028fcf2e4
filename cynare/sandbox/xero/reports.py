"""Reports/TrialBalance, and what every report shares: cells, the report envelope, the basis.

Every report reads one ledger: ledger.balances (accrual, Xero's default) or, with paymentsOnly=true,
cash_basis.balances (income and tax only as they are paid).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from cynare.sandbox.xero import cash_basis, documents, ledger
from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.errors import bad_request
from cynare.sandbox.xero.jsondates import ms_datetime
from cynare.sandbox.xero.state import Tenant

_SECTIONS = (
    ("REVENUE", "Revenue"),
    ("EXPENSE", "Expenses"),
    ("ASSET", "Assets"),
    ("LIABILITY", "Liabilities"),
    ("EQUITY", "Equity"),
)
ZERO = Decimal("0.00")
Balances = Callable[[Tenant, date], dict[str, Decimal]]


def cell(value: str, attribute: tuple[str, str] | None = None) -> dict[str, Any]:
    """A report cell; `attribute` is (Id, Value), e.g. ("account", account id)."""
    out: dict[str, Any] = {"Value": value}
    if attribute is not None:
        out["Attributes"] = [{"Value": attribute[1], "Id": attribute[0]}]
    return out


def report_date(call: Call, name: str = "date") -> date | None:
    errors: list[str] = []
    found = documents.read_date(call.query.get(name), name, errors)
    if errors:
        raise bad_request(errors[0])
    return found


def basis(call: Call) -> Balances:
    """The ledger a report reads: cash basis with paymentsOnly=true, else accrual."""
    return cash_basis.balances if call.flag("paymentsOnly", False) else ledger.balances


def report(call: Call, report_id: str, name: str, titles: list[str], when: date, rows: list[Any]) -> dict[str, Any]:
    return {
        "Reports": [
            {
                "ReportID": report_id,
                "ReportName": name,
                "ReportType": report_id,
                "ReportTitles": titles,
                "ReportDate": f"{when.day} {when:%B %Y}",
                "UpdatedDateUTC": ms_datetime(call.now),
                "Fields": [],
                "Rows": rows,
            }
        ]
    }


def trial_balance(call: Call) -> dict[str, Any]:
    as_at = report_date(call) or call.today
    tenant = call.tenant
    amounts = basis(call)(tenant, as_at)
    rows: list[dict[str, Any]] = [
        {
            "RowType": "Header",
            "Cells": [cell("Account"), cell("Debit"), cell("Credit"), cell("YTD Debit"), cell("YTD Credit")],
        }
    ]
    total_debit = total_credit = ZERO
    for account_class, title in _SECTIONS:
        section_rows = []
        for account in tenant.accounts:
            amount = amounts.get(account.code)
            if account.account_class != account_class or not amount:
                continue
            debit, credit = (amount, ZERO) if amount > 0 else (ZERO, -amount)
            total_debit += debit
            total_credit += credit
            values = [f"{debit:.2f}", f"{credit:.2f}", f"{debit:.2f}", f"{credit:.2f}"]
            tag = ("account", account.account_id)
            section_rows.append(
                {
                    "RowType": "Row",
                    "Cells": [cell(f"{account.name} ({account.code})", tag)] + [cell(v, tag) for v in values],
                }
            )
        rows.append({"RowType": "Section", "Title": title, "Rows": section_rows})
    totals = [f"{total_debit:.2f}", f"{total_credit:.2f}", f"{total_debit:.2f}", f"{total_credit:.2f}"]
    rows.append(
        {
            "RowType": "Section",
            "Title": "",
            "Rows": [{"RowType": "SummaryRow", "Cells": [cell("Total")] + [cell(v) for v in totals]}],
        }
    )
    titles = ["Trial Balance", tenant.name, f"As at {as_at:%d %B %Y}"]
    body = report(call, "TrialBalance", "Trial Balance", titles, as_at, rows)
    body["Reports"][0]["ReportDate"] = f"{as_at:%d %B %Y}"
    return body
