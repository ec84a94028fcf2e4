"""Reports/TrialBalance: balances per account as at a date, grouped the way Xero groups them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cynare.sandbox.xero import documents
from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.errors import bad_request
from cynare.sandbox.xero.jsondates import ms_datetime
from cynare.sandbox.xero.ledger import balances

_SECTIONS = (
    ("REVENUE", "Revenue"),
    ("EXPENSE", "Expenses"),
    ("ASSET", "Assets"),
    ("LIABILITY", "Liabilities"),
    ("EQUITY", "Equity"),
)
ZERO = Decimal("0.00")


def _cell(value: str, account_id: str | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {"Value": value}
    if account_id:
        cell["Attributes"] = [{"Value": account_id, "Id": "account"}]
    return cell


def trial_balance(call: Call) -> dict[str, Any]:
    errors: list[str] = []
    as_at = documents.read_date(call.query.get("date"), "date", errors) or call.today
    if errors:
        raise bad_request(errors[0])
    tenant = call.tenant
    amounts = balances(tenant, as_at)
    rows: list[dict[str, Any]] = [
        {
            "RowType": "Header",
            "Cells": [_cell("Account"), _cell("Debit"), _cell("Credit"), _cell("YTD Debit"), _cell("YTD Credit")],
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
            section_rows.append(
                {
                    "RowType": "Row",
                    "Cells": [_cell(f"{account.name} ({account.code})", account.account_id)]
                    + [_cell(v, account.account_id) for v in values],
                }
            )
        rows.append({"RowType": "Section", "Title": title, "Rows": section_rows})
    totals = [f"{total_debit:.2f}", f"{total_credit:.2f}", f"{total_debit:.2f}", f"{total_credit:.2f}"]
    rows.append(
        {
            "RowType": "Section",
            "Title": "",
            "Rows": [{"RowType": "SummaryRow", "Cells": [_cell("Total")] + [_cell(v) for v in totals]}],
        }
    )
    report = {
        "ReportID": "TrialBalance",
        "ReportName": "Trial Balance",
        "ReportType": "TrialBalance",
        "ReportTitles": ["Trial Balance", tenant.name, f"As at {as_at:%d %B %Y}"],
        "ReportDate": f"{as_at:%d %B %Y}",
        "UpdatedDateUTC": ms_datetime(call.now),
        "Fields": [],
        "Rows": rows,
    }
    return {"Reports": [report]}
