"""Build small, valid extract batches for tests, with the project's own writer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cynare.extract.manifest import Manifest, Period
from cynare.extract.writer import DatasetWriter, commit_manifest

Rows = dict[str, list[dict[str, Any]]]


def client(client_id: str, name: str | None = None, currency: str = "GBP", **extra: Any) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "name": name or f"Client {client_id}",
        "email": f"{client_id.lower()}@example.com",
        "default_currency": currency,
        "status": "active",
        **extra,
    }


def bill(
    bill_id: str, client_id: str, net: str, vat: str, currency: str = "GBP", *, nominal: str = "4000",
    office: str = "LON", day: str = "2026-11-02",
) -> Rows:  # fmt: skip
    total = str(Decimal(net) + Decimal(vat))
    return {
        "bills": [
            {
                "bill_id": bill_id,
                "bill_number": f"INV-{bill_id}",
                "client_id": client_id,
                "date": day,
                "due_date": "2026-12-31",
                "currency": currency,
                "exchange_rate": "1",
                "total": total,
            }
        ],
        "bill_lines": [
            {
                "bill_id": bill_id,
                "line_no": 1,
                "description": "Professional fees",
                "nominal_code": nominal,
                "vat_code": "S",
                "net": net,
                "vat": vat,
                "office": office,
                "department": "LIT",
            }
        ],
    }


def mappings(**overrides: list[dict[str, Any]]) -> Rows:
    """Mappings for every code the sample documents use (nominal 4000, VAT S, LON, LIT, BANK1)."""
    rows: Rows = {
        "map_nominal": [{"nominal_code": "4000", "xero_account_code": "200"}],
        "map_vat": [{"vat_code": "S", "xero_tax_type": "OUTPUT2"}],
        "map_tracking": [
            {"dimension": "office", "pms_value": "LON", "xero_category": "Office", "xero_option": "London"},
            {"dimension": "department", "pms_value": "LIT", "xero_category": "Department", "xero_option": "Litigation"},
        ],
        "map_bank": [{"bank_account": "BANK1", "xero_account_code": "090"}],
    }
    rows.update(overrides)
    return rows


def receipt(receipt_id: str, client_id: str, allocations: dict[str, str], currency: str = "GBP",
            bank: str = "BANK1") -> Rows:  # fmt: skip
    total = sum((Decimal(amount) for amount in allocations.values()), Decimal(0))
    return {
        "receipts": [
            {
                "receipt_id": receipt_id,
                "client_id": client_id,
                "date": "2026-11-20",
                "currency": currency,
                "exchange_rate": "1",
                "amount": str(total),
                "bank_account": bank,
            }
        ],
        "receipt_allocations": [
            {"receipt_id": receipt_id, "bill_id": bill_id, "amount": amount} for bill_id, amount in allocations.items()
        ],
    }


def merge(*parts: Rows) -> Rows:
    merged: Rows = {}
    for part in parts:
        for dataset, rows in part.items():
            merged.setdefault(dataset, []).extend(rows)
    return merged


def sample_rows() -> Rows:
    return merge(
        {
            "clients": [client("C001"), client("C002"), client("C003", currency="EUR")],
            "vat_codes": [{"vat_code": "S", "description": "Standard", "treatment": "rated", "rate": "20"}],
            **mappings(),
            "debtors": [{"client_id": "C001", "currency": "GBP", "balance": "0.00", "as_at": "2026-11-25"}],
        },
        bill("B001", "C001", "100.00", "20.00"),
        bill("B002", "C002", "250.00", "50.00"),
        {
            "receipts": [
                {
                    "receipt_id": "R001",
                    "client_id": "C001",
                    "date": "2026-11-20",
                    "currency": "GBP",
                    "exchange_rate": "1",
                    "amount": "120.00",
                    "bank_account": "BANK1",
                }
            ],
            "receipt_allocations": [{"receipt_id": "R001", "bill_id": "B001", "amount": "120.00"}],
        },
    )


def write_batch(
    folder: Path,
    rows: Rows,
    *,
    entity: str = "UK",
    source: str = "pms-a",
    sequence: int = 1,
    period_end: date = date(2026, 11, 25),
    extracted_at: datetime = datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
) -> Manifest:
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for dataset, dataset_rows in rows.items():
        writer = DatasetWriter(folder, dataset)
        for row in dataset_rows:
            writer.write(row)
        entries.append(writer.close())
    return commit_manifest(
        folder,
        firm="test-firm",
        source_system=source,
        entity=entity,
        sequence=sequence,
        pms_product="Test PMS",
        extracted_at=extracted_at,
        period=Period(start=date(2026, 1, 1), end=period_end),
        files=entries,
    )
