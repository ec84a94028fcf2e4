"""The whole night on one entity: the agent extracts the demo PMS and uploads, the timer imports.

This is the contract between the office and the cloud: the cloud accepts exactly what the agent
produces, with no row lost or rejected.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from azure.functions.timer import TimerRequest

from cynare.agent.api import run_agent
from cynare.agent.demo_pms import write_demo_workspace
from cynare.domain.holds import HoldKind
from cynare.domain.lifecycle import State
from cynare.extract.datasets import DATASETS, Role
from cynare.service_layer.unit_of_work import BatchState
from tests.e2e.functions import function_named, run_now, warehouse_of_this_test


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

    [batch_id] = [outcome.batch_id for outcome in report.uploaded]
    with warehouse_of_this_test().for_entity("US") as work:
        record = work.batches.get(batch_id)
        counts = work.documents.counts()
        organisation = work.reference.rows("organisation")
        held = list(work.documents.in_state(State.WAITING))
    assert record is not None and record.state is BatchState.IMPORTED, record
    rows = record.counts["rows"]
    assert sum(read for read, _, _ in rows.values()) == extracted.rows
    assert sum(rejected for _, _, rejected in rows.values()) == 0
    assert {count.state for count in counts} == {State.READY, State.WAITING}
    # Only archived clients nothing refers to wait: they are not created in Xero.
    assert held and all(stored.document.key.dataset == "clients" for stored in held)
    assert all(hold.kind is HoldKind.DORMANT for stored in held for hold in stored.holds)
    folded = sum(count.rows for count in counts)
    document_rows = sum(accepted for dataset, (_, accepted, _) in rows.items()
                        if DATASETS[dataset].role in {Role.DOCUMENT, Role.PART})  # fmt: skip
    assert folded == document_rows
    assert organisation["US"]["base_currency"] == "USD"
