"""The Xero emulator's own tests use the fixtures it offers to the rest of the project."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from cynare.sandbox.xero.seed import UK_TENANT_ID

UK = UK_TENANT_ID


@pytest.fixture
def uk() -> str:
    return UK


def invoice(contact: str = "Acme Ltd", amount: str = "100.00", **extra: Any) -> Any:
    """An AUTHORISED ACCREC invoice model with one line at 20% VAT."""
    from xero_python.accounting import Contact, Invoice, LineItem

    fields: dict[str, Any] = {
        "type": "ACCREC",
        "contact": Contact(name=contact),
        "date": date(2026, 5, 1),
        "due_date": date(2026, 5, 31),
        "status": "AUTHORISED",
        "line_items": [
            LineItem(
                description="Fees",
                quantity=Decimal(1),
                unit_amount=Decimal(amount),
                account_code="200",
                tax_type="OUTPUT2",
            )
        ],
    }
    fields.update(extra)
    return Invoice(**fields)


def errors(exc: Any) -> list[str]:
    """Xero's validation messages from a 400 the SDK raised (AccountingBadRequestException)."""
    body = json.loads(exc.body)
    return [e["Message"] for el in body["Elements"] for e in el["ValidationErrors"]]
