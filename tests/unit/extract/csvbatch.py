"""Build extract CSV text and in-memory batches for the unit tests of the extract contract."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime
from typing import IO

from cynare.extract.batch import ValidatedBatch, validate_batch
from cynare.extract.datasets import DATASETS
from cynare.extract.manifest import MANIFEST_NAME, FileEntry, Manifest, Period, compute_batch_id
from cynare.extract.reader import ParsedFile, Rejection, read_csv

# One valid row per dataset, as the cells of a CSV file. Together they form a consistent batch:
# bill B001 (2 x 50.00 + 20.00 VAT) is paid by receipt R001, whose one allocation is the whole 120.00;
# credit note CN001 (10.00 + 2.00) relates to B001; return RR001 reverses R001's allocation to B001.
GOOD: dict[str, dict[str, str]] = {
    "vat_codes": {
        "vat_code": "S",
        "description": "Standard rate",
        "treatment": "rated",
        "rate": "20",
        "bad_debt_relief": "yes",
    },
    "clients": {
        "client_id": "C001",
        "name": "Smith & Co Ltd",
        "email": "accounts@smith.example",
        "address_line1": "1 High Street",
        "address_line2": "",
        "city": "London",
        "region": "",
        "postal_code": "EC1A 1AA",
        "country": "GB",
        "tax_number": "GB123456789",
        "default_currency": "GBP",
        "status": "active",
        "archived_on": "",
    },
    "bills": {
        "bill_id": "B001",
        "bill_number": "INV-1001",
        "client_id": "C001",
        "date": "2026-11-02",
        "due_date": "2026-12-02",
        "currency": "GBP",
        "exchange_rate": "1",
        "total": "120.00",
        "reference": "Matter 42",
    },
    "bill_lines": {
        "bill_id": "B001",
        "line_no": "1",
        "description": "Professional fees",
        "nominal_code": "4000",
        "vat_code": "S",
        "quantity": "2",
        "unit_price": "50.00",
        "net": "100.00",
        "vat": "20.00",
        "office": "LON",
        "department": "LIT",
        "fee_earner": "JS",
    },
    "credit_notes": {
        "credit_note_id": "CN001",
        "credit_note_number": "CN-1",
        "client_id": "C001",
        "related_bill_id": "B001",
        "date": "2026-11-10",
        "currency": "GBP",
        "exchange_rate": "1",
        "total": "12.00",
        "reason": "Fee reduction",
    },
    "credit_note_lines": {
        "credit_note_id": "CN001",
        "line_no": "1",
        "description": "Fee reduction",
        "nominal_code": "4000",
        "vat_code": "S",
        "quantity": "1",
        "unit_price": "10.00",
        "net": "10.00",
        "vat": "2.00",
        "office": "LON",
        "department": "LIT",
        "fee_earner": "JS",
    },
    "write_offs": {
        "write_off_id": "W001",
        "client_id": "C001",
        "bill_id": "B001",
        "date": "2026-11-15",
        "currency": "GBP",
        "exchange_rate": "1",
        "nominal_code": "8100",
        "vat_code": "S",
        "net": "10.00",
        "vat": "2.00",
        "amount": "12.00",
        "reason": "Client insolvent",
    },
    "receipts": {
        "receipt_id": "R001",
        "client_id": "C001",
        "date": "2026-11-20",
        "currency": "GBP",
        "exchange_rate": "1",
        "amount": "120.00",
        "bank_account": "BANK1",
        "reference": "BACS",
    },
    "receipt_allocations": {"receipt_id": "R001", "bill_id": "B001", "amount": "120.00"},
    "returned_receipts": {
        "return_id": "RR001",
        "receipt_id": "R001",
        "date": "2026-11-22",
        "currency": "GBP",
        "reason": "Cheque returned unpaid",
        "amount": "120.00",
    },
    "returned_allocations": {"return_id": "RR001", "bill_id": "B001", "amount": "120.00"},
    "unallocated_receipts": {
        "unallocated_id": "U001",
        "client_id": "C001",
        "date": "2026-11-21",
        "currency": "GBP",
        "exchange_rate": "1",
        "amount": "50.00",
        "bank_account": "BANK1",
        "reference": "",
    },
    "allocations": {
        "allocation_id": "A001",
        "source_type": "unallocated_receipt",
        "source_id": "U001",
        "bill_id": "B001",
        "date": "2026-11-23",
        "currency": "GBP",
        "amount": "50.00",
    },
    "cancellations": {"kind": "bill", "document_id": "B000", "date": "2026-11-24", "reason": "Raised in error"},
    "debtors": {"client_id": "C001", "currency": "GBP", "balance": "0.00", "as_at": "2026-11-25"},
    "map_nominal": {"nominal_code": "4000", "xero_account_code": "200"},
    "map_vat": {"vat_code": "S", "xero_tax_type": "OUTPUT2"},
    "map_tracking": {"dimension": "office", "pms_value": "LON", "xero_category": "Office", "xero_option": "London"},
    "map_bank": {"bank_account": "BANK1", "xero_account_code": "090"},
    "organisation": {"entity": "UK", "organisation_name": "Smith LLP (UK)", "base_currency": "GBP"},
    "identity_links": {"kind": "client", "source_id": "C001", "previous_source": "old-pms", "previous_id": "00042"},
}


def good(dataset: str, **changes: str) -> dict[str, str]:
    """The dataset's valid row with some cells changed."""
    unknown = set(changes) - set(DATASETS[dataset].columns)
    assert not unknown, f"{dataset} has no column(s) {unknown}"
    return {**GOOD[dataset], **changes}


def csv_text(rows: Iterable[Sequence[str]], *, newline: str = "\r\n") -> str:
    """RFC 4180 text of `rows` (the header is the first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerows(rows)
    return buffer.getvalue()


def dataset_csv(dataset: str, rows: Iterable[Mapping[str, str]], columns: Sequence[str] | None = None) -> str:
    """A file of `dataset` with the given rows; the header is every column of the dataset unless given."""
    header = list(columns or DATASETS[dataset].columns)
    return csv_text([header, *([row.get(column, "") for column in header] for row in rows)])


def parse(dataset: str, text: str | bytes) -> ParsedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_csv(DATASETS[dataset], io.BytesIO(data))


def parse_rows(dataset: str, *rows: Mapping[str, str]) -> ParsedFile:
    return parse(dataset, dataset_csv(dataset, rows))


def only_rejection(parsed: ParsedFile) -> Rejection:
    assert len(parsed.rejected) == 1, [str(rejection) for rejection in parsed.rejected]
    return parsed.rejected[0]


def assert_conserved(parsed: ParsedFile) -> None:
    """Every row read is either accepted or rejected, once."""
    assert parsed.rows_read == len(parsed.accepted) + len(parsed.rejected)
    rows = [line for line, _ in parsed.accepted] + [rejection.row for rejection in parsed.rejected]
    assert sorted(rows) == list(range(2, parsed.rows_read + 2))


class MemoryBatch:
    """A batch held in memory: file name to bytes."""

    def __init__(self, files: dict[str, bytes], name: str = "inbound/UK/test-batch") -> None:
        self.files = files
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def exists(self, filename: str) -> bool:
        return filename in self.files

    def open(self, filename: str) -> AbstractContextManager[IO[bytes]]:
        return self._open(filename)

    @contextmanager
    def _open(self, filename: str) -> Iterator[IO[bytes]]:
        yield io.BytesIO(self.files[filename])


def count_rows(data: bytes) -> int:
    """Data rows (records after the header) as the reader counts them."""
    records = list(csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"), newline="")))
    return max(len(records) - 1, 0)


def file_entry(dataset: str, data: bytes, rows: int | None = None) -> FileEntry:
    return FileEntry(
        dataset=dataset,
        file=DATASETS[dataset].filename,
        rows=count_rows(data) if rows is None else rows,
        sha256=hashlib.sha256(data).hexdigest(),
    )


PERIOD = Period(start=date(2026, 11, 1), end=date(2026, 11, 25))


def manifest_for(
    entries: Iterable[FileEntry],
    *,
    entity: str = "UK",
    source: str = "pms-a",
    sequence: int = 1,
    period: Period = PERIOD,
) -> Manifest:
    files = tuple(entries)
    return Manifest(
        batch_id=compute_batch_id(source, entity, sequence, period, files),
        sequence=sequence,
        firm="smith-llp",
        source_system=source,
        entity=entity,
        pms_product="Test PMS 7.2",
        extracted_at=datetime(2026, 11, 26, 1, 30, tzinfo=UTC),
        period=period,
        files=files,
    )


def memory_batch(texts: Mapping[str, str | bytes], *, rows: Mapping[str, int] | None = None) -> MemoryBatch:
    """A committed batch of the given data files (dataset name to content) with a matching manifest."""
    files = {name: text.encode("utf-8") if isinstance(text, str) else text for name, text in texts.items()}
    entries = [file_entry(name, data, (rows or {}).get(name)) for name, data in files.items()]
    batch = {DATASETS[name].filename: data for name, data in files.items()}
    batch[MANIFEST_NAME] = manifest_for(entries).to_json()
    return MemoryBatch(batch)


def validate(texts: Mapping[str, str | bytes]) -> ValidatedBatch:
    return validate_batch(memory_batch(texts))


def rows_of(batch: ValidatedBatch, dataset: str) -> list[int]:
    """Row numbers accepted in `dataset`."""
    return [line for line, _ in batch.files[dataset].accepted]


def rejections_of(batch: ValidatedBatch, dataset: str) -> dict[int, Rejection]:
    return {rejection.row: rejection for rejection in batch.files[dataset].rejected}
