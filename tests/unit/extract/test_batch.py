"""A whole batch: what rejects all of it (manifest, hash, row count, missing file, header, encoding)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cynare.extract.batch import FolderBatch, validate_batch
from cynare.extract.manifest import MANIFEST_NAME, BatchRejected, Manifest, compute_batch_id
from tests.unit.extract.csvbatch import (
    GOOD,
    MemoryBatch,
    dataset_csv,
    file_entry,
    good,
    manifest_for,
    memory_batch,
)


def good_batch() -> MemoryBatch:
    return memory_batch(
        {
            "clients": dataset_csv("clients", [good("clients"), good("clients", client_id="C002")]),
            "bills": dataset_csv("bills", [good("bills")]),
            "bill_lines": dataset_csv("bill_lines", [good("bill_lines")]),
        }
    )


def rejected(batch: MemoryBatch | FolderBatch) -> str:
    with pytest.raises(BatchRejected) as raised:
        validate_batch(batch)
    assert raised.value.batch == batch.name
    assert str(raised.value) == f"batch {batch.name} rejected: {raised.value.reason}"
    return raised.value.reason


def rewrite_manifest(batch: MemoryBatch, **changes: object) -> None:
    data = json.loads(batch.files[MANIFEST_NAME])
    data.update(changes)
    batch.files[MANIFEST_NAME] = json.dumps(data).encode()


def test_a_good_batch_is_validated() -> None:
    result = validate_batch(good_batch())
    assert result.rejections == []
    assert result.counts() == {"clients": (2, 2, 0), "bills": (1, 1, 0), "bill_lines": (1, 1, 0)}
    assert result.manifest.entity == "UK"


def test_bad_rows_do_not_reject_the_batch() -> None:
    batch = memory_batch({"clients": dataset_csv("clients", [good("clients", status="gone"), good("clients")])})
    result = validate_batch(batch)
    assert [str(r) for r in result.rejections] == [
        "clients.csv row 2, column status: Input should be 'active' or 'archived' (got 'gone')"
    ]
    assert result.counts() == {"clients": (2, 1, 1)}


def test_no_manifest_means_the_batch_is_not_committed() -> None:
    batch = good_batch()
    del batch.files[MANIFEST_NAME]
    assert rejected(batch) == "no manifest.json: the batch is not committed yet"


def test_a_manifest_that_is_not_json_rejects_the_batch() -> None:
    batch = good_batch()
    batch.files[MANIFEST_NAME] = batch.files[MANIFEST_NAME][:40]
    assert rejected(batch).startswith("manifest.json is not valid JSON: ")


def test_a_version_1_batch_is_refused_telling_to_upgrade_the_agent() -> None:
    batch = good_batch()
    data = json.loads(batch.files[MANIFEST_NAME])
    data["format_version"] = "1"
    del data["sequence"]
    batch.files[MANIFEST_NAME] = json.dumps(data).encode()
    reason = rejected(batch)
    assert reason.startswith("extract format version 1: this Cynare Link reads version 2; upgrade the agent")
    assert "run --full" in reason


def test_a_tampered_batch_id_rejects_the_batch() -> None:
    batch = good_batch()
    rewrite_manifest(batch, batch_id="20261125-0123456789abcdef")
    reason = rejected(batch)
    assert reason.startswith("manifest.json is not a valid manifest: ")
    assert "batch_id 20261125-0123456789abcdef does not match its contents" in reason


def test_a_changed_entity_with_the_old_batch_id_rejects_the_batch() -> None:
    batch = good_batch()
    rewrite_manifest(batch, entity="IE")
    assert "does not match its contents" in rejected(batch)


def test_a_changed_sequence_with_the_old_batch_id_rejects_the_batch() -> None:
    batch = good_batch()
    rewrite_manifest(batch, sequence=2)
    assert "does not match its contents" in rejected(batch)


def test_an_unknown_dataset_in_the_manifest_rejects_the_batch() -> None:
    batch = good_batch()
    data = json.loads(batch.files[MANIFEST_NAME])
    data["files"].append({"dataset": "invoices", "file": "invoices.csv", "rows": 0, "sha256": "0" * 64})
    batch.files[MANIFEST_NAME] = json.dumps(data).encode()
    batch.files["invoices.csv"] = b"id\r\n"
    reason = rejected(batch)
    assert "manifest.json" in reason
    assert "unknown dataset 'invoices'" in reason


def test_a_file_changed_after_the_manifest_rejects_the_batch() -> None:
    batch = good_batch()
    batch.files["clients.csv"] = batch.files["clients.csv"].replace(b"Smith & Co Ltd", b"Smith & Co Plc")
    reason = rejected(batch)
    assert reason.startswith("clients.csv SHA-256 ")
    assert "differs from the manifest's" in reason


def test_a_truncated_file_rejects_the_batch() -> None:
    batch = good_batch()
    data = batch.files["clients.csv"]
    batch.files["clients.csv"] = data[: data.rindex(b"\r\n", 0, len(data) - 2) + 2]  # the last row lost
    assert rejected(batch).startswith("clients.csv SHA-256")


def test_a_row_count_that_disagrees_with_the_manifest_rejects_the_batch() -> None:
    text = dataset_csv("clients", [good("clients"), good("clients", client_id="C002")])
    batch = memory_batch({"clients": text}, rows={"clients": 3})
    assert rejected(batch) == "clients.csv has 2 rows, the manifest says 3"


def test_a_missing_data_file_rejects_the_batch() -> None:
    batch = good_batch()
    del batch.files["bill_lines.csv"]
    assert rejected(batch) == "bill_lines.csv is listed in the manifest but missing"


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("client_id,default_currency,status", "missing column(s) name"),
        ("client_id,name,default_currency,status,phone", "unknown column(s) phone"),
        ("client_id,name,name,default_currency,status", "repeated column(s) name"),
    ],
)
def test_a_bad_header_rejects_the_batch(header: str, problem: str) -> None:
    batch = memory_batch({"clients": f"{header}\r\n", "bills": dataset_csv("bills", [good("bills")])})
    assert rejected(batch) == f"clients.csv header: {problem}"


def test_an_empty_file_rejects_the_batch() -> None:
    batch = memory_batch({"vat_codes": b""})
    assert rejected(batch).startswith("vat_codes.csv is empty: it needs a header row")


def test_a_file_that_is_not_utf8_rejects_the_batch() -> None:
    data = dataset_csv("clients", [good("clients", name="Société Générale")]).encode("cp1252")
    batch = memory_batch({"clients": data}, rows={"clients": 1})
    reason = rejected(batch)
    assert reason.startswith("clients.csv is not valid UTF-8 CSV")
    assert "utf-8" in reason


@pytest.mark.parametrize(
    "row",
    ['S,"Standard"rate,rated,20', 'S,"Standard rate,rated,20'],
    ids=["text after a closing quote", "a quote never closed"],
)
def test_a_file_that_is_not_rfc_4180_rejects_the_batch(row: str) -> None:
    text = f"vat_code,description,treatment,rate\r\nZ,Zero,rated,0\r\n{row}\r\n"
    batch = memory_batch({"vat_codes": text}, rows={"vat_codes": 2})
    assert rejected(batch).startswith("vat_codes.csv is not valid UTF-8 CSV")


def test_the_first_broken_file_names_itself_even_when_others_are_good() -> None:
    batch = good_batch()
    batch.files["bills.csv"] += b"B002,INV-2,C001,2026-11-02,2026-12-02,GBP,1,1.00,\r\n"
    assert rejected(batch).startswith("bills.csv ")


def test_files_not_listed_in_the_manifest_are_not_read() -> None:
    batch = good_batch()
    batch.files["receipts.csv"] = b"this is not a receipts file"
    batch.files["notes.txt"] = b"hello"
    result = validate_batch(batch)
    assert set(result.files) == {"clients", "bills", "bill_lines"}
    assert result.rejections == []


def test_a_folder_batch_reads_files_from_disk(tmp_path: Path) -> None:
    texts = {name: dataset_csv(name, [row]) for name, row in GOOD.items()}
    entries = []
    for name, text in texts.items():
        (tmp_path / f"{name}.csv").write_bytes(text.encode())
        entries.append(file_entry(name, text.encode()))
    manifest = manifest_for(entries)
    (tmp_path / MANIFEST_NAME).write_bytes(manifest.to_json())
    folder = FolderBatch(tmp_path)
    assert folder.name == str(tmp_path)
    result = validate_batch(folder)
    assert result.rejections == []
    assert result.manifest == manifest
    assert result.manifest.batch_id == compute_batch_id("pms-a", "UK", 1, manifest.period, manifest.files)

    (tmp_path / "debtors.csv").unlink()
    assert rejected(folder) == "debtors.csv is listed in the manifest but missing"
    (tmp_path / MANIFEST_NAME).unlink()
    assert rejected(folder) == "no manifest.json: the batch is not committed yet"


def test_a_manifest_may_list_a_subset_of_datasets() -> None:
    batch = memory_batch({"debtors": dataset_csv("debtors", [good("debtors")])})
    manifest = Manifest.parse(batch.files[MANIFEST_NAME], "b")
    assert [entry.dataset for entry in manifest.files] == ["debtors"]
    assert validate_batch(batch).counts() == {"debtors": (1, 1, 0)}
