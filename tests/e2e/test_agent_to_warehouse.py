"""The whole night on one entity: the agent extracts the demo PMS and uploads, the timer imports.

This is the contract between the office and the cloud: the cloud accepts exactly what the agent
produces, with no row lost or rejected.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from azure.functions.timer import TimerRequest

from cynare.adapters.tables.connection import StorageSettings
from cynare.adapters.tables.warehouse import TableWarehouse
from cynare.agent.api import run_agent
from cynare.agent.demo_pms import write_demo_workspace
from cynare.domain.lifecycle import State
from tests.e2e.functions import function_named, run_now


def test_agent_extract_is_imported_whole(
    tmp_path: Path, storage_connection: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_demo_workspace(tmp_path / "demo-pms.sqlite", scale=1)
    text = config.read_text(encoding="utf-8")
    text = text.replace('entities = ["UK", "IE", "US"]', 'entities = ["US"]')  # the smallest entity keeps it quick
    text = text.replace('inbound_container = "inbound"', f'inbound_container = "{unique_name}in"')
    text = text.replace('writeback_container = "writeback"', f'writeback_container = "{unique_name}wb"')
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CYNARE_AGENT_STORAGE_CONNECTION", storage_connection)
    run_now(monkeypatch, storage_connection, unique_name)

    report = run_agent(config, as_at=date(2026, 11, 25), writeback=False)
    [extracted] = report.extracted
    function_named("import_extracts")(TimerRequest(past_due=False))

    warehouse = TableWarehouse(StorageSettings(connection_string=storage_connection, table_prefix=unique_name))
    [batch_id] = [outcome.batch_id for outcome in report.uploaded]
    record = warehouse.batch("US", batch_id)
    assert record is not None and record.state == "imported", record
    rows = record.counts["rows"]
    assert sum(read for read, _, _ in rows.values()) == extracted.rows
    assert sum(rejected for _, _, rejected in rows.values()) == 0
    summary = warehouse.summary("US")
    assert {state for _, state, _, _ in summary} == {State.READY.value}
    folded = sum(stored_rows for _, _, _, stored_rows in summary)
    document_rows = sum(accepted for dataset, (_, accepted, _) in rows.items() if not _is_reference(dataset))
    assert folded == document_rows
    assert warehouse.reference("US", "map_entity")["US"]["base_currency"] == "USD"


def _is_reference(dataset: str) -> bool:
    from cynare.domain.assembly import REFERENCE_DATASETS

    return dataset in REFERENCE_DATASETS
