"""Drive the registered Functions from their entrypoints, against Azurite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure.functions.timer import TimerRequest
from azure.storage.blob import BlobServiceClient

from cynare.adapters.tables.connection import StorageSettings
from cynare.adapters.tables.warehouse import TableWarehouse
from cynare.adapters.work_queue import StorageWorkQueue
from tests.batches import sample_rows, write_batch
from tests.e2e.functions import function_named, registered_functions, run_now


def test_function_app_registers_its_functions_and_nothing_else() -> None:
    assert sorted(registered_functions()) == ["import_extracts"]


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

    warehouse = TableWarehouse(StorageSettings(connection_string=storage_connection, table_prefix=unique_name))
    record = warehouse.batch("UK", manifest.batch_id)
    assert record is not None and record.state == "imported"
    assert {dataset for dataset, *_ in warehouse.summary("UK")} == {"clients", "bills", "receipts"}
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
    function_named("import_extracts")(TimerRequest(past_due=False))
    warehouse = TableWarehouse(StorageSettings(connection_string=storage_connection, table_prefix=unique_name))
    assert warehouse.summary("UK") == []
