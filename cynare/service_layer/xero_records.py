"""Reading Xero's JSON records without trusting their shape: a missing or odd field is empty, never a crash.

Shared by the sync and the reconciliation's ledger, which read the same lists (Payments, CreditNotes,
Overpayments) for different ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def text_of(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    return str(value) if value is not None else ""


def part_of(record: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = record.get(name)
    return value if isinstance(value, Mapping) else {}


def items_of(record: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = record.get(name)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
