"""The manifest: its fields, its consistency rules and the batch id derived from the batch's contents."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from cynare.extract.manifest import BatchRejected, FileEntry, Manifest, Period, compute_batch_id
from tests.unit.extract.csvbatch import PERIOD, manifest_for

SHA_A = "a" * 64
SHA_B = "b" * 64


def entry(dataset: str = "clients", rows: int = 3, sha256: str = SHA_A) -> FileEntry:
    return FileEntry(dataset=dataset, file=f"{dataset}.csv", rows=rows, sha256=sha256)


def manifest_dict(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(manifest_for([entry(), entry("bills", 2, SHA_B)]).to_json())
    data.update(changes)
    return data


def test_the_batch_id_is_the_period_end_and_a_digest() -> None:
    batch_id = compute_batch_id("pms-a", "UK", PERIOD, (entry(),))
    assert re.fullmatch(r"20261125-[0-9a-f]{16}", batch_id)


def test_the_batch_id_does_not_depend_on_file_order_or_extract_time() -> None:
    files = (entry(), entry("bills", 2, SHA_B))
    assert compute_batch_id("pms-a", "UK", PERIOD, files) == compute_batch_id("pms-a", "UK", PERIOD, files[::-1])
    first = manifest_for(files)
    later = Manifest.model_validate(
        json.loads(first.to_json())
        | {"extracted_at": "2026-11-27T05:00:00Z", "files": [f.model_dump() for f in files[::-1]]}
    )
    assert later.batch_id == first.batch_id


@pytest.mark.parametrize(
    ("source", "entity", "period", "files"),
    [
        ("pms-b", "UK", PERIOD, (entry(),)),
        ("pms-a", "IE", PERIOD, (entry(),)),
        ("pms-a", "UK", Period(start=date(2026, 10, 1), end=date(2026, 11, 25)), (entry(),)),
        ("pms-a", "UK", Period(start=date(2026, 11, 1), end=date(2026, 11, 26)), (entry(),)),
        ("pms-a", "UK", PERIOD, (entry(rows=4),)),
        ("pms-a", "UK", PERIOD, (entry(sha256=SHA_B),)),
        ("pms-a", "UK", PERIOD, (entry(), entry("bills", 2, SHA_B))),
    ],
)
def test_the_batch_id_changes_with_what_the_batch_holds(
    source: str, entity: str, period: Period, files: tuple[FileEntry, ...]
) -> None:
    assert compute_batch_id(source, entity, period, files) != compute_batch_id("pms-a", "UK", PERIOD, (entry(),))


def test_a_manifest_survives_its_own_json() -> None:
    manifest = manifest_for([entry(), entry("bills", 2, SHA_B)])
    assert Manifest.parse(manifest.to_json(), "here") == manifest
    assert manifest.format_version == "1"
    assert manifest.entry_for("bills") == entry("bills", 2, SHA_B)
    assert manifest.entry_for("receipts") is None


def test_extracted_at_is_kept_in_utc() -> None:
    data = manifest_dict(extracted_at="2026-11-26T02:30:00+01:00")
    manifest = Manifest.model_validate(data)
    assert manifest.extracted_at == datetime(2026, 11, 26, 1, 30, tzinfo=UTC)
    assert manifest.extracted_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_id": "20261125-0000000000000000"}, "does not match its contents"),
        ({"format_version": "2"}, "format_version"),
        ({"extracted_at": "2026-11-26T01:30:00"}, "extracted_at"),
        ({"period": {"start": "2026-11-25", "end": "2026-11-01"}}, "period end 2026-11-01 is before its start"),
        ({"period": {"start": "01/11/2026", "end": "2026-11-25"}}, "period.start"),
        ({"entity": "UK/EAST"}, "entity"),
        ({"firm": ""}, "firm"),
        ({"pms_product": ""}, "pms_product"),
        ({"colour": "blue"}, "colour"),
        ({"source_system": None}, "source_system"),
    ],
)
def test_a_broken_manifest_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        Manifest.model_validate(manifest_dict(**changes))


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ({"dataset": "invoices", "file": "invoices.csv", "rows": 1, "sha256": SHA_A}, "unknown dataset 'invoices'"),
        ({"dataset": "bills", "file": "Bills.csv", "rows": 1, "sha256": SHA_A}, "must be named bills.csv"),
        ({"dataset": "bills", "file": "bills.csv", "rows": -1, "sha256": SHA_A}, "greater than or equal to 0"),
        ({"dataset": "bills", "file": "bills.csv", "rows": 1, "sha256": "A" * 64}, "should match pattern"),
        ({"dataset": "bills", "file": "bills.csv", "rows": 1, "sha256": "a" * 63}, "should match pattern"),
        ({"dataset": "bills", "file": "bills.csv", "rows": 1}, "Field required"),
    ],
)
def test_a_broken_file_entry_is_refused(file: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        FileEntry.model_validate(file)


def test_a_dataset_may_be_listed_once() -> None:
    files = (entry(), entry(rows=4))
    data = manifest_dict(files=[f.model_dump() for f in files])
    data["batch_id"] = compute_batch_id("pms-a", "UK", PERIOD, files)
    with pytest.raises(ValidationError, match="a dataset is listed more than once"):
        Manifest.model_validate(data)


def test_parse_turns_any_problem_into_a_batch_rejection_naming_the_manifest() -> None:
    with pytest.raises(BatchRejected) as raised:
        Manifest.parse(b'{"format_version": "1", "batch_id": ', "inbound/UK/20261125-x")
    assert raised.value.batch == "inbound/UK/20261125-x"
    assert str(raised.value).startswith("batch inbound/UK/20261125-x rejected: manifest.json is not a valid manifest")

    data = manifest_dict(batch_id="20261125-ffffffffffffffff")
    with pytest.raises(BatchRejected, match=r"manifest\.json is not a valid manifest: .*does not match its contents"):
        Manifest.parse(json.dumps(data).encode(), "b")

    data = manifest_dict()
    data["files"][0]["dataset"] = "invoices"
    with pytest.raises(BatchRejected, match=r"files\.0\.dataset: .*unknown dataset 'invoices'"):
        Manifest.parse(json.dumps(data).encode(), "b")
