"""Rows become typed documents once: parts fold into their parent, ids become firm-level ids, Money keeps its currency."""

from __future__ import annotations

from decimal import Decimal

from cynare.domain import documents as doc
from cynare.domain.documents import DocKey
from cynare.domain.identity import IdentityMap
from cynare.domain.money import Money
from cynare.extract.rows import Allocation, Bill, BillLine, Client, Receipt, ReceiptAllocation, Row, VatCode
from cynare.service_layer.assembly import assemble


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
                quantity=Decimal("2.5"),
                unit_price=Decimal("40"),
                net=Decimal("100.00"),
                vat=Decimal("20.00"),
                office="LON",
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
        "vat_codes": [VatCode(vat_code="S", description="Standard", treatment="rated", rate=Decimal(20))],
    }


def gbp(amount: str) -> Money:
    return Money(Decimal(amount), "GBP")


def test_parts_fold_into_their_documents_with_dependencies() -> None:
    assembled = assemble("UK", IdentityMap("pms", "pms"), rows())
    by_key = {document.key: document for document in assembled.documents}
    bill = by_key[DocKey("bills", "B1")]
    assert bill.rows == 2
    assert isinstance(bill.body, doc.Bill)
    assert bill.body.total == gbp("120.00")
    assert bill.body.lines == (
        doc.Line(1, "Fees", "4000", "S", gbp("100.00"), gbp("20.00"), Decimal("2.5"), Decimal("40"),
                 (doc.Tracking("office", "LON"),)),
    )  # fmt: skip
    assert bill.depends_on == (DocKey("clients", "C1"),)
    assert by_key[DocKey("receipts", "R1")].depends_on == (DocKey("clients", "C1"),)
    allocation_to_bill = by_key[DocKey("receipt_allocations", "R1|B1")]
    assert allocation_to_bill.body == doc.ReceiptAllocation("R1", "B1", gbp("120.00"))
    assert allocation_to_bill.depends_on == (DocKey("bills", "B1"), DocKey("receipts", "R1"))
    allocation = by_key[DocKey("allocations", "A1")]
    assert allocation.depends_on == (DocKey("bills", "B1"), DocKey("credit_notes", "CN1"))
    assert assembled.reference["vat_codes"] == [
        ("S", {"vat_code": "S", "description": "Standard", "treatment": "rated", "rate": "20", "bad_debt_relief": "no"})
    ]
    assert set(by_key) == {DocKey("clients", "C1"), DocKey("bills", "B1"), DocKey("receipts", "R1"),
                           DocKey("receipt_allocations", "R1|B1"), DocKey("allocations", "A1")}  # fmt: skip


def test_a_later_source_refers_to_its_own_ids_unless_linked() -> None:
    identities = IdentityMap("old", "new", {("clients", "C1"): "OLD-1"})
    assembled = assemble("UK", identities, rows())
    by_key = {document.key: document for document in assembled.documents}
    assert DocKey("clients", "OLD-1") in by_key
    assert by_key[DocKey("bills", "new:B1")].depends_on == (DocKey("clients", "OLD-1"),)
    assert by_key[DocKey("bills", "new:B1")].source_id == "B1", "the PMS's own id stays for the write-back"


def test_version_depends_on_content_only() -> None:
    first, again = assemble("UK", IdentityMap("pms", "pms"), rows()), assemble("UK", IdentityMap("pms", "pms"), rows())
    assert [d.version for d in first.documents] == [d.version for d in again.documents]
    changed = rows()
    changed["clients"] = [Client(client_id="C1", name="Acme Ltd", default_currency="GBP", status="active")]
    renamed = assemble("UK", IdentityMap("pms", "pms"), changed).documents[0]
    assert renamed.key == DocKey("clients", "C1") and renamed.version != first.documents[0].version
