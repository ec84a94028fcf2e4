"""Drive the registered Functions from their entrypoints, against Azurite."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure.functions.timer import TimerRequest
from azure.storage.blob import BlobServiceClient

from cynare.adapters.tables.connection import StorageSettings
from cynare.adapters.work_queue import StorageWorkQueue
from cynare.service_layer.unit_of_work import BatchState
from tests.batches import sample_rows, write_batch
from tests.e2e.functions import TEST_ENTITIES, function_named, registered_functions, run_now, warehouse_of_this_test


def test_function_app_registers_its_functions_and_nothing_else() -> None:
    assert sorted(registered_functions()) == [
        "import_catch_up", "import_extracts", "pages", "post_to_xero", "reconcile", "start_night", "start_reconcile",
        "start_sync", "sync_from_xero", "xero_post_poisoned",
    ]  # fmt: skip


def test_import_timer_imports_committed_batches_and_queues_work(
    tmp_path: Path, storage_connection: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_now(monkeypatch, storage_connection, unique_name)
    manifest = write_batch(tmp_path / "batch", sample_rows())
    container = BlobServiceClient.from_connection_string(storage_connection).get_container_client(f"{unique_name}in")
    container.create_container()
    for path in sorted(tmp_path.joinpath("batch").iterdir(), key=lambda p: p.name == "manifest.json"):
        container.upload_blob(f"UK/{manifest.batch_id}/{path.name}", path.read_bytes(), overwrite=True)

    function_named("import_extracts")(TimerRequest(past_due=False))

    with warehouse_of_this_test().for_entity("UK") as work:
        record = work.batches.get(manifest.batch_id)
        datasets = {count.dataset for count in work.documents.counts()}
    assert record is not None and record.state is BatchState.IMPORTED
    assert datasets == {"clients", "bills", "receipts", "receipt_allocations"}
    queue = StorageWorkQueue(StorageSettings(connection_string=storage_connection))
    assert "UK" in queue.peek_entities()


def test_import_timer_waits_for_the_local_run_time(
    storage_connection: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CYNARE_STORAGE_CONNECTION", storage_connection)
    monkeypatch.setenv("CYNARE_TABLE_PREFIX", unique_name)
    monkeypatch.setenv("CYNARE_TIME_ZONE", "UTC")
    later = (datetime.now(UTC).hour + 6) % 24
    monkeypatch.setenv("CYNARE_IMPORT_LOCAL_TIME", f"{later:02d}:00")
    monkeypatch.setenv("CYNARE_INBOUND_CONTAINER", f"{unique_name}in")
    monkeypatch.setenv("CYNARE_ENTITIES", TEST_ENTITIES)
    folder = Path(tempfile.mkdtemp()) / "b"
    manifest = write_batch(folder, sample_rows())
    container = BlobServiceClient.from_connection_string(storage_connection).create_container(f"{unique_name}in")
    for path in sorted(folder.iterdir(), key=lambda p: p.name == "manifest.json"):
        container.upload_blob(f"UK/{manifest.batch_id}/{path.name}", path.read_bytes())
    function_named("import_extracts")(TimerRequest(past_due=False))
    with warehouse_of_this_test().for_entity("UK") as work:
        assert work.documents.counts() == [] and work.batches.all() == []


def test_the_hourly_catch_up_finishes_a_night_the_nightly_timer_missed(
    tmp_path: Path, storage_connection: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_now(monkeypatch, storage_connection, unique_name)
    later = (datetime.now(UTC).hour + 6) % 24
    monkeypatch.setenv("CYNARE_IMPORT_LOCAL_TIME", f"{later:02d}:00")  # not the nightly time: only the catch-up runs
    manifest = write_batch(tmp_path / "batch", sample_rows())
    container = BlobServiceClient.from_connection_string(storage_connection).create_container(f"{unique_name}in")
    for path in sorted(tmp_path.joinpath("batch").iterdir(), key=lambda p: p.name == "manifest.json"):
        container.upload_blob(f"UK/{manifest.batch_id}/{path.name}", path.read_bytes())
    function_named("import_extracts")(TimerRequest(past_due=False))
    with warehouse_of_this_test().for_entity("UK") as work:
        assert work.batches.get(manifest.batch_id) is None
    function_named("import_catch_up")(TimerRequest(past_due=True))
    with warehouse_of_this_test().for_entity("UK") as work:
        record = work.batches.get(manifest.batch_id)
    assert record is not None and record.state is BatchState.IMPORTED


def test_the_sdks_request_lines_are_not_logged_at_information() -> None:
    import logging

    registered_functions()
    assert logging.getLogger("azure").getEffectiveLevel() == logging.WARNING
    host = json.loads((Path(__file__).resolve().parents[2] / "host.json").read_text(encoding="utf-8"))
    assert host["logging"]["logLevel"]["Azure.Core"] == "Warning"
