"""`cynare status`: holds and row rejections by reason, per entity."""

from __future__ import annotations

from cynare.service_layer.status import entity_status
from tests.batches import bill, merge, sample_rows
from tests.unit.service_layer.conftest import Importer
from tests.unit.service_layer.fakes import FakeUnitOfWork


def test_holds_are_counted_by_reason_and_rejections_by_rule(load: Importer, uow: FakeUnitOfWork) -> None:
    rows = merge(sample_rows(), bill("B8", "C001", "10.00", "2.00", nominal="4010"),
                 bill("B9", "C002", "10.00", "2.00", nominal="4010"))  # fmt: skip
    rows["clients"].append({"client_id": "C9", "name": "Bad", "default_currency": "GBP", "status": "gone"})
    rows["clients"].append({"client_id": "C10", "name": "Worse", "default_currency": "GBP", "status": "closed"})
    load(rows)
    status = entity_status(uow, "UK")
    assert status.holds[0].reason == "waiting on mapping: nominal 4010 (UK) (no mapping row)"
    assert (status.holds[0].datasets, status.holds[0].documents) == ("bills", 2)
    (rejection,) = status.rejections
    assert (rejection.file, rejection.column, rejection.rows) == ("clients.csv", "status", 2)
    assert "'active' or 'archived'" in rejection.rule
    assert entity_status(uow, "IE").holds == []
