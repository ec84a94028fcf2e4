"""The writer: what the agent produces reads back with no rejection and a batch id fixed by content."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cynare.extract.batch import FolderBatch, validate_batch
from cynare.extract.datasets import DATASETS
from cynare.extract.manifest import MANIFEST_NAME, FileEntry, Manifest, Period
from cynare.extract.rows import Bill, BillLine, Client
from cynare.extract.writer import DatasetWriter, commit_manifest, format_cell
from tests.unit.extract.csvbatch import GOOD

PERIOD = Period(start=date(2026, 11, 1), end=date(2026, 11, 25))


def typed_rows() -> dict[str, list[dict[str, Any]]]:
    """Rows as the agent holds them: Decimals, dates and None, not text."""
    return {
        "clients": [
            {
                "client_id": "C001",
                "name": 'Smith, Jones & "Partners"',
                "address_line1": "Suite 4,\nFloor 2",
                "email": None,
                "default_currency": "GBP",
                "status": "active",
            },
            {
                "client_id": "C002",
                "name": "Tanaka KK",
                "default_currency": "JPY",
                "status": "archived",
                "archived_on": date(2026, 10, 31),
            },
        ],
        "bills": [
            {
                "bill_id": "B001",
                "bill_number": "INV-1001",
                "client_id": "C002",
                "date": date(2026, 11, 2),
                "due_date": date(2026, 12, 2),
                "currency": "JPY",
                "exchange_rate": Decimal("187.1234"),
                "total": Decimal("11000"),
            }
        ],
        "bill_lines": [
            {
                "bill_id": "B001",
                "line_no": 1,
                "description": "Fees",
                "nominal_code": "4000",
                "vat_code": "S",
                "quantity": Decimal("2.5"),
                "unit_price": Decimal("4000.0000"),
                "net": Decimal("10000"),
                "vat": Decimal("1E+3"),
            }
        ],
    }


def write(folder: Path, rows: dict[str, list[dict[str, Any]]], **manifest: Any) -> Manifest:
    folder.mkdir(parents=True, exist_ok=True)
    entries: list[FileEntry] = []
    for dataset, dataset_rows in rows.items():
        writer = DatasetWriter(folder, dataset)
        for row in dataset_rows:
            writer.write(row)
        entries.append(writer.close())
    settings: dict[str, Any] = {
        "firm": "smith-llp",
        "source_system": "pms-a",
        "entity": "UK",
        "sequence": 1,
        "pms_product": "Test PMS 7.2",
        "extracted_at": datetime(2026, 11, 26, 1, 30, tzinfo=UTC),
        "period": PERIOD,
    }
    settings.update(manifest)
    return commit_manifest(folder, files=entries, **settings)


def test_what_is_written_validates_with_no_rejection(tmp_path: Path) -> None:
    manifest = write(tmp_path, typed_rows())
    result = validate_batch(FolderBatch(tmp_path))
    assert result.rejections == []
    assert result.manifest == manifest
    assert result.counts() == {"bill_lines": (1, 1, 0), "bills": (1, 1, 0), "clients": (2, 2, 0)}
    client = result.files["clients"].accepted[0][1]
    assert isinstance(client, Client)
    assert (client.name, client.address_line1, client.email) == ('Smith, Jones & "Partners"', "Suite 4,\nFloor 2", None)
    bill = result.files["bills"].accepted[0][1]
    assert isinstance(bill, Bill)
    assert (bill.date, bill.exchange_rate, bill.total) == (date(2026, 11, 2), Decimal("187.1234"), Decimal(11000))
    archived = result.files["clients"].accepted[1][1]
    assert isinstance(archived, Client)
    assert (archived.status, archived.archived_on) == ("archived", date(2026, 10, 31))
    line = result.files["bill_lines"].accepted[0][1]
    assert isinstance(line, BillLine)
    assert (line.quantity, line.unit_price, line.net) == (Decimal("2.5"), Decimal(4000), Decimal(10000))


def test_every_dataset_round_trips(tmp_path: Path) -> None:
    write(tmp_path, {name: [dict(row)] for name, row in GOOD.items()})
    result = validate_batch(FolderBatch(tmp_path))
    assert result.rejections == []
    assert set(result.files) == set(DATASETS)


def test_the_same_content_gives_the_same_batch_id(tmp_path: Path) -> None:
    first = write(tmp_path / "first", typed_rows())
    again = write(
        tmp_path / "again", typed_rows(), extracted_at=datetime(2026, 11, 27, 3, 0, tzinfo=timezone(timedelta(hours=1)))
    )
    assert again.batch_id == first.batch_id
    assert again.extracted_at == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "change",
    ["amount", "row", "entity", "source", "period", "sequence"],
)
def test_different_content_gives_a_different_batch_id(tmp_path: Path, change: str) -> None:
    first = write(tmp_path / "first", typed_rows())
    rows = typed_rows()
    manifest: dict[str, Any] = {}
    if change == "amount":
        rows["bills"][0]["total"] = Decimal("11001")
    elif change == "row":
        rows["clients"].append({"client_id": "C003", "name": "New", "default_currency": "GBP", "status": "active"})
    elif change == "entity":
        manifest["entity"] = "IE"
    elif change == "source":
        manifest["source_system"] = "pms-b"
    elif change == "sequence":
        manifest["sequence"] = 2
    else:
        manifest["period"] = Period(start=date(2026, 11, 1), end=date(2026, 11, 26))
    assert write(tmp_path / "second", rows, **manifest).batch_id != first.batch_id


def test_content_sent_again_after_a_change_is_a_new_batch(tmp_path: Path) -> None:
    """A, then B, then A again: the third batch puts back what the second changed, so it must be imported."""
    changed = typed_rows()
    changed["bills"][0]["total"] = Decimal("11001")
    a = write(tmp_path / "a", typed_rows(), sequence=1)
    b = write(tmp_path / "b", changed, sequence=2)
    a_again = write(tmp_path / "a-again", typed_rows(), sequence=3)
    assert a_again.files == a.files  # the same content...
    assert len({a.batch_id, b.batch_id, a_again.batch_id}) == 3  # ...is a new batch
    assert [m.sequence for m in (a, b, a_again)] == [1, 2, 3]
    assert validate_batch(FolderBatch(tmp_path / "a-again")).manifest == a_again


def test_the_file_entry_matches_the_file_written(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path, "clients")
    for row in typed_rows()["clients"]:
        writer.write(row)
    entry = writer.close()
    data = (tmp_path / "clients.csv").read_bytes()
    assert entry == FileEntry(dataset="clients", file="clients.csv", rows=2, sha256=hashlib.sha256(data).hexdigest())
    assert data.startswith(b"client_id,name,email,address_line1,")
    assert data.endswith(b"archived,2026-10-31\r\n")
    assert b'"Smith, Jones & ""Partners"""' in data
    assert b'"Suite 4,\nFloor 2"' in data


def test_the_header_is_every_column_of_the_dataset_in_order(tmp_path: Path) -> None:
    for name, dataset in DATASETS.items():
        DatasetWriter(tmp_path, name).close()
        header = (tmp_path / dataset.filename).read_bytes()
        assert header == (",".join(dataset.columns) + "\r\n").encode()


def test_the_manifest_is_written_last_and_whole(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path, "vat_codes")
    writer.write(GOOD["vat_codes"])
    assert not (tmp_path / MANIFEST_NAME).exists()  # a data file alone is not a batch
    entry = writer.close()
    assert not (tmp_path / MANIFEST_NAME).exists()
    manifest = commit_manifest(
        tmp_path,
        firm="smith-llp",
        source_system="pms-a",
        entity="UK",
        sequence=1,
        pms_product="Test PMS",
        extracted_at=datetime(2026, 11, 26, tzinfo=UTC),
        period=PERIOD,
        files=[entry],
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == [MANIFEST_NAME, "vat_codes.csv"]
    assert Manifest.parse((tmp_path / MANIFEST_NAME).read_bytes(), "here") == manifest


def test_manifest_files_are_listed_by_dataset_name(tmp_path: Path) -> None:
    manifest = write(tmp_path, typed_rows())
    assert [entry.dataset for entry in manifest.files] == ["bill_lines", "bills", "clients"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (Decimal("1E+3"), "1000"),
        (Decimal("0.10"), "0.10"),
        (Decimal("-5"), "-5"),
        (Decimal("1.5E-7"), "0.00000015"),
        (date(2026, 1, 5), "2026-01-05"),
        (7, "7"),
        ("text", "text"),
    ],
)
def test_cells_are_formatted_for_the_contract(value: object, cell: str) -> None:
    assert format_cell(value) == cell


def test_floats_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="amounts must be Decimal, never float"):
        format_cell(0.1)
    writer = DatasetWriter(tmp_path, "receipt_allocations")
    with pytest.raises(TypeError, match="never float"):
        writer.write({"receipt_id": "R001", "bill_id": "B001", "amount": 120.0})
    assert writer.close().rows == 0


def test_a_mistyped_column_is_refused_not_dropped(tmp_path: Path) -> None:
    writer = DatasetWriter(tmp_path, "clients")
    with pytest.raises(KeyError, match=r"clients\.csv has no column\(s\) adress_line1"):
        writer.write({"client_id": "C1", "name": "Acme", "adress_line1": "1 High St"})


def test_rows_written_many_at_a_time_give_the_same_bytes_and_hash(tmp_path: Path) -> None:
    rows = [[f"B{n}", str(n % 4 + 1), 'Advice, "urgent"\nsecond line', "4000", "S", "2", "50.00", "100.00", "20.00",
             "LON", "", ""]
            for n in range(5000)]  # fmt: skip
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one_by_one = DatasetWriter(tmp_path / "a", "bill_lines")
    for row in rows:
        one_by_one.write(dict(zip(one_by_one.dataset.columns, row, strict=True)))
    many = DatasetWriter(tmp_path / "b", "bill_lines")
    many.write_rows(rows[:1234])
    many.write_rows(rows[1234:])
    expected, got = one_by_one.close(), many.close()
    assert got == expected and got.rows == 5000
    data = (tmp_path / "b" / "bill_lines.csv").read_bytes()
    assert data == (tmp_path / "a" / "bill_lines.csv").read_bytes()
    assert hashlib.sha256(data).hexdigest() == got.sha256
