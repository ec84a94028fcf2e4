"""Drive the registered Functions from their entrypoints, against Azurite."""

from __future__ import annotations

import functools
import importlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from azure.functions.timer import TimerRequest
from azure.storage.blob import BlobServiceClient

from cynare.adapters.tables.connection import StorageSettings
from cynare.adapters.tables.warehouse import TableWarehouse
from cynare.adapters.work_queue import StorageWorkQueue
from tests.batches import sample_rows, write_batch


@functools.cache
def _functions() -> dict[str, Any]:
    # The app builds its function list once: a second get_functions() on one app refuses the same names.
    app = importlib.import_module("function_app").app
    return {fn.get_function_name(): fn.get_user_function() for fn in app.get_functions()}


def _function(name: str) -> Any:
    return _functions()[name]


def test_function_app_registers_its_functions_and_nothing_else() -> None:
    assert sorted(_functions()) == ["import_extracts"]


def test_import_timer_imports_committed_batches_and_queues_work(
    tmp_path: Path, storage_connection: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CYNARE_STORAGE_CONNECTION", storage_connection)
    monkeypatch.setenv("CYNARE_TABLE_PREFIX", unique_name)
    # Run now, whatever the hour: the local run time is set to this minute.
    monkeypatch.setenv("CYNARE_TIME_ZONE", "UTC")
    monkeypatch.setenv("CYNARE_IMPORT_LOCAL_TIME", datetime.now(UTC).strftime("%H:%M"))
    manifest = write_batch(tmp_path / "batch", sample_rows())
    container = BlobServiceClient.from_connection_string(storage_connection).get_container_client("inbound")
    if not container.exists():
        container.create_container()
    for path in sorted(tmp_path.joinpath("batch").iterdir(), key=lambda p: p.name == "manifest.json"):
        container.upload_blob(f"UK/{manifest.batch_id}/{path.name}", path.read_bytes(), overwrite=True)

    _function("import_extracts")(TimerRequest(past_due=False))

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
    _function("import_extracts")(TimerRequest(past_due=False))
    warehouse = TableWarehouse(StorageSettings(connection_string=storage_connection, table_prefix=unique_name))
    assert warehouse.summary("UK") == []
