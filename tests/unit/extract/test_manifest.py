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
    batch_id = compute_batch_id("pms-a", "UK", 1, PERIOD, (entry(),))
    assert re.fullmatch(r"20261125-[0-9a-f]{16}", batch_id)


def test_the_batch_id_does_not_depend_on_file_order_or_extract_time() -> None:
    files = (entry(), entry("bills", 2, SHA_B))
    assert compute_batch_id("pms-a", "UK", 1, PERIOD, files) == compute_batch_id("pms-a", "UK", 1, PERIOD, files[::-1])
    first = manifest_for(files)
    later = Manifest.model_validate(
        json.loads(first.to_json())
        | {"extracted_at": "2026-11-27T05:00:00Z", "files": [f.model_dump() for f in files[::-1]]}
    )
    assert later.batch_id == first.batch_id


@pytest.mark.parametrize(
    ("source", "entity", "sequence", "period", "files"),
    [
        ("pms-b", "UK", 1, PERIOD, (entry(),)),
        ("pms-a", "IE", 1, PERIOD, (entry(),)),
        ("pms-a", "UK", 2, PERIOD, (entry(),)),
        ("pms-a", "UK", 1, Period(start=date(2026, 10, 1), end=date(2026, 11, 25)), (entry(),)),
        ("pms-a", "UK", 1, Period(start=date(2026, 11, 1), end=date(2026, 11, 26)), (entry(),)),
        ("pms-a", "UK", 1, PERIOD, (entry(rows=4),)),
        ("pms-a", "UK", 1, PERIOD, (entry(sha256=SHA_B),)),
        ("pms-a", "UK", 1, PERIOD, (entry(), entry("bills", 2, SHA_B))),
    ],
)
def test_the_batch_id_changes_with_what_the_batch_holds(
    source: str, entity: str, sequence: int, period: Period, files: tuple[FileEntry, ...]
) -> None:
    changed = compute_batch_id(source, entity, sequence, period, files)
    assert changed != compute_batch_id("pms-a", "UK", 1, PERIOD, (entry(),))


def test_the_same_content_sent_again_after_a_change_is_a_new_batch() -> None:
    """A, then B, then A again: the third batch undoes the second, so it must not be taken for the first."""
    content_a, content_b = (entry(sha256=SHA_A),), (entry(sha256=SHA_B),)
    first = manifest_for(content_a, sequence=1)
    second = manifest_for(content_b, sequence=2)
    third = manifest_for(content_a, sequence=3)
    assert len({first.batch_id, second.batch_id, third.batch_id}) == 3
    assert third.files == first.files
    assert manifest_for(content_a, sequence=1).batch_id == first.batch_id  # the same run again is the same batch


def test_the_sequence_is_in_the_manifest_and_counts_from_one() -> None:
    manifest = manifest_for([entry()], sequence=7)
    assert manifest.sequence == 7
    assert json.loads(manifest.to_json())["sequence"] == 7
    for sequence in (0, -1):
        data = manifest_dict(sequence=sequence)
        data["batch_id"] = compute_batch_id("pms-a", "UK", sequence, PERIOD, (entry(), entry("bills", 2, SHA_B)))
        with pytest.raises(ValidationError, match="sequence"):
            Manifest.model_validate(data)
    data = manifest_dict()
    del data["sequence"]
    with pytest.raises(ValidationError, match=r"sequence\n  Field required"):
        Manifest.model_validate(data)


def test_a_changed_sequence_with_the_old_batch_id_is_refused() -> None:
    with pytest.raises(ValidationError, match="does not match its contents"):
        Manifest.model_validate(manifest_dict(sequence=2))


def test_a_manifest_survives_its_own_json() -> None:
    manifest = manifest_for([entry(), entry("bills", 2, SHA_B)])
    assert Manifest.parse(manifest.to_json(), "here") == manifest
    assert manifest.format_version == "2"
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
        ({"format_version": "3"}, "format_version"),
        ({"format_version": 2}, "format_version"),
        ({"sequence": "first"}, "sequence"),
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
    data["batch_id"] = compute_batch_id("pms-a", "UK", 1, PERIOD, files)
    with pytest.raises(ValidationError, match="a dataset is listed more than once"):
        Manifest.model_validate(data)


def test_parse_turns_any_problem_into_a_batch_rejection_naming_the_manifest() -> None:
    with pytest.raises(BatchRejected) as raised:
        Manifest.parse(b'{"format_version": "2", "batch_id": ', "inbound/UK/20261125-x")
    assert raised.value.batch == "inbound/UK/20261125-x"
    assert str(raised.value).startswith("batch inbound/UK/20261125-x rejected: manifest.json is not valid JSON: ")

    with pytest.raises(BatchRejected, match=r"manifest\.json is not a valid manifest: manifest: .*dictionary"):
        Manifest.parse(b"[]", "b")

    data = manifest_dict(batch_id="20261125-ffffffffffffffff")
    with pytest.raises(BatchRejected, match=r"manifest\.json is not a valid manifest: .*does not match its contents"):
        Manifest.parse(json.dumps(data).encode(), "b")

    data = manifest_dict()
    data["files"][0]["dataset"] = "invoices"
    with pytest.raises(BatchRejected, match=r"files\.0\.dataset: .*unknown dataset 'invoices'"):
        Manifest.parse(json.dumps(data).encode(), "b")


def version_1_manifest() -> dict[str, Any]:
    """A manifest as a version-1 agent wrote it: no sequence, and the batch id of version 1."""
    data = manifest_dict(format_version="1")
    del data["sequence"]
    return data


def test_a_version_1_manifest_is_refused_telling_to_upgrade_the_agent() -> None:
    with pytest.raises(BatchRejected) as raised:
        Manifest.parse(json.dumps(version_1_manifest()).encode(), "inbound/UK/20261125-v1")
    assert raised.value.batch == "inbound/UK/20261125-v1"
    assert raised.value.reason.startswith("extract format version 1: this Cynare Link reads version 2; ")
    assert "upgrade the agent" in raised.value.reason
    assert "cynare-agent run --full" in raised.value.reason


def test_a_version_1_manifest_is_refused_whatever_else_it_holds() -> None:
    """Version 1 is refused before any other rule: it is never read as version 2, not even in part."""
    for data in (version_1_manifest(), manifest_dict(format_version="1"), {"format_version": "1"}):
        with pytest.raises(BatchRejected, match="upgrade the agent"):
            Manifest.parse(json.dumps(data).encode(), "b")
