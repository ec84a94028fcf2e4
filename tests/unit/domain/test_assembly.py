from __future__ import annotations

from decimal import Decimal

from cynare.domain.assembly import assemble
from cynare.domain.documents import DocKey, content_version
from cynare.domain.identity import IdentityMap
from cynare.extract.datasets import DATASETS
from cynare.extract.rows import Allocation, Bill, BillLine, Client, Receipt, ReceiptAllocation, Row, VatCode

KEYS = {name: dataset.key for name, dataset in DATASETS.items()}


def rows() -> dict[str, list[Row]]:
    return {
        "clients": [Client(client_id="C1", name="Acme", default_currency="GBP", status="active")],
        "bills": [
            Bill(
                bill_id="B1",
                bill_number="INV1",
                client_id="C1",
                date="2026-11-01",
                due_date="2026-12-01",
                currency="GBP",
                exchange_rate=Decimal(1),
                total=Decimal("120.00"),
            )
        ],
        "bill_lines": [
            BillLine(
                bill_id="B1",
                line_no=1,
                description="Fees",
                nominal_code="4000",
                vat_code="S",
                net=Decimal("100.00"),
                vat=Decimal("20.00"),
            )
        ],
        "receipts": [
            Receipt(
                receipt_id="R1",
                client_id="C1",
                date="2026-11-20",
                currency="GBP",
                exchange_rate=Decimal(1),
                amount=Decimal("120.00"),
                bank_account="BANK1",
            )
        ],
        "receipt_allocations": [ReceiptAllocation(receipt_id="R1", bill_id="B1", amount=Decimal("120.00"))],
        "allocations": [
            Allocation(
                allocation_id="A1",
                source_type="credit_note",
                source_id="CN1",
                bill_id="B1",
                date="2026-11-21",
                currency="GBP",
                amount=Decimal("5.00"),
            )
        ],
        "vat_codes": [VatCode(vat_code="S", description="Standard", rate=Decimal(20))],
    }


def test_parts_fold_into_their_documents_with_dependencies() -> None:
    assembled = assemble("UK", IdentityMap("pms", "pms"), rows(), KEYS)
    by_key = {document.key: document for document in assembled.documents}
    bill = by_key[DocKey("bills", "B1")]
    assert bill.rows == 2
    assert bill.payload["lines"] == [
        {
            "line_no": 1,
            "description": "Fees",
            "nominal_code": "4000",
            "vat_code": "S",
            "net": "100.00",
            "vat": "20.00",
            "office": None,
            "department": None,
            "fee_earner": None,
        }
    ]
    assert bill.depends_on == (DocKey("clients", "C1"),)
    receipt = by_key[DocKey("receipts", "R1")]
    assert receipt.depends_on == (DocKey("bills", "B1"), DocKey("clients", "C1"))
    allocation = by_key[DocKey("allocations", "A1")]
    assert allocation.depends_on == (DocKey("bills", "B1"), DocKey("credit_notes", "CN1"))
    assert assembled.reference["vat_codes"] == [("S", {"vat_code": "S", "description": "Standard", "rate": "20"})]
    assert set(by_key) == {DocKey("clients", "C1"), DocKey("bills", "B1"), DocKey("receipts", "R1"),
                           DocKey("allocations", "A1")}  # fmt: skip


def test_a_later_source_refers_to_its_own_ids_unless_linked() -> None:
    identities = IdentityMap("old", "new", {("clients", "C1"): "OLD-1"})
    assembled = assemble("UK", identities, rows(), KEYS)
    by_key = {document.key: document for document in assembled.documents}
    assert DocKey("clients", "OLD-1") in by_key
    assert by_key[DocKey("bills", "new:B1")].depends_on == (DocKey("clients", "OLD-1"),)


def test_version_depends_on_content_only() -> None:
    assert content_version({"a": "1", "b": [1, 2]}) == content_version({"b": [1, 2], "a": "1"})
    assert content_version({"a": "1"}) != content_version({"a": "2"})
