"""The batch sequence: the agent's commit order per entity, part of the batch id, recovered after a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cynare.agent.state import AgentState
from tests.agent.small_pms import AS_AT, SmallPms, small_pms


@pytest.fixture
def pms(tmp_path: Path) -> SmallPms:
    return small_pms(tmp_path)


def _manifest(pms: SmallPms, entity: str, batch_id: str | None) -> dict[str, Any]:
    assert batch_id is not None
    loaded: dict[str, Any] = json.loads((pms.batches / entity / batch_id / "manifest.json").read_bytes())
    return loaded


def test_content_a_then_b_then_a_again_is_three_batches_all_waiting_to_upload(pms: SmallPms) -> None:
    extractor = pms.extractor()
    outcomes = []
    for account in ("200", "201", "200"):
        pms.sql("UPDATE nominals SET account = ?", account)
        outcomes.append(extractor.extract_entity("UK", as_at=AS_AT, full=False))
    ids = [outcome.batch_id for outcome in outcomes]
    assert len(set(ids)) == 3 and all(outcome.note == "new batch" for outcome in outcomes)
    assert [_manifest(pms, "UK", batch_id)["sequence"] for batch_id in ids] == [1, 2, 3]
    assert [pms.rows(outcome, "map_nominal")[0]["xero_account_code"] for outcome in outcomes] == ["200", "201", "200"]
    assert [batch.batch_id for batch in extractor.state.batches(waiting_only=True)] == ids
    assert extractor.state.last_sequence("UK") == 3 and extractor.state.last_sequence("IE") == 0


def test_a_run_interrupted_after_the_rename_is_recovered_under_the_same_sequence_and_id(pms: SmallPms) -> None:
    state = AgentState(pms.folder / "state.sqlite")
    extractor = pms.extractor(state)

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process stops between the rename and the state's commit

    real = state.record_batch
    state.record_batch = crash  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        extractor.extract_entity("UK", as_at=AS_AT, full=False)
    state.record_batch = real  # type: ignore[method-assign]
    [interrupted] = [path for path in (pms.batches / "UK").iterdir() if not path.name.startswith(".")]
    assert state.last_sequence("UK") == 0 and list(state.sent_fingerprints("UK", "bills")) == []

    recovered = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    assert recovered.batch_id == interrupted.name and recovered.sequence == 1
    assert recovered.note == "recovered a batch committed by an interrupted run"
    assert [batch.batch_id for batch in state.batches(waiting_only=True)] == [interrupted.name]
    assert len(dict(state.sent_fingerprints("UK", "bills"))) == 3  # recorded with the recovered batch
    assert extractor.extract_entity("UK", as_at=AS_AT, full=False).batch_id is None


def test_full_is_a_new_batch_under_the_next_sequence_with_everything(pms: SmallPms) -> None:
    extractor = pms.extractor()
    first = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    full = extractor.extract_entity("UK", as_at=AS_AT, full=True)
    assert full.batch_id != first.batch_id and full.sequence == 2 and full.note == "new batch"
    assert [row["bill_id"] for row in pms.rows(full, "bills")] == ["B1", "B2", "B3"]
    assert pms.rows(full, "map_nominal") and pms.rows(full, "clients")  # reference data too
    assert _manifest(pms, "UK", full.batch_id)["sequence"] == 2
