"""A large batch is placed a slice at a time, its writes in two halves at once: it decides exactly what placing
it whole decides (holds on documents arriving in other slices, releases, cancellations, dormant clients)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State, rejected
from cynare.extract.batch import FolderBatch
from cynare.service_layer import import_batch as module
from cynare.service_layer.import_batch import import_batch
from tests.batches import Rows, bill, client, mappings, merge, receipt, sample_rows, write_batch
from tests.unit.service_layer.conftest import NOW, SETTINGS, clock
from tests.unit.service_layer.fakes import FakeUnitOfWork


def cancellation(kind: str, document_id: str) -> Rows:
    return {"cancellations": [{"kind": kind, "document_id": document_id, "date": "2026-11-24", "reason": "voided"}]}


def batches() -> list[Rows]:
    archived = {"clients": [client("C8", status="archived", archived_on="2026-10-31"),
                            client("C9", status="archived", archived_on="2026-10-31")]}  # fmt: skip
    first = merge(
        sample_rows(), archived,
        bill("B7", "C8", "10.00", "2.00", day="2026-11-02"),  # dated after its client's archive date
        bill("B8", "C001", "10.00", "2.00", nominal="4010"),  # an unmapped nominal
        receipt("R7", "C002", {"B002": "300.00", "B404": "5.00"}),  # B404 arrives with the next batch
        cancellation("bill", "B9"),  # arrives before its bill
        *(bill(f"B{number}", "C003", "1.00", "0.20", "EUR") for number in range(100, 130)),
    )  # fmt: skip
    first["debtors"] = [{"client_id": f"C00{number}", "currency": currency, "balance": "1.00", "as_at": "2026-11-25"}
                        for number in (1, 2, 3) for currency in ("GBP", "EUR")]  # fmt: skip
    second = merge(
        {"map_nominal": [*mappings()["map_nominal"], {"nominal_code": "4010", "xero_account_code": "210"}]},
        bill("B404", "C002", "4.00", "1.00"),
        bill("B9", "C001", "10.00", "2.00"),
        bill("B6", "C9", "10.00", "2.00", day="2026-10-30"),  # needs the dormant client
        bill("B100", "C003", "2.00", "0.40", "EUR"),  # a new version
    )  # fmt: skip
    return [first, second, second]


def run(tmp_path: Path) -> tuple[list[Any], dict[str, Any]]:
    uow = FakeUnitOfWork(SETTINGS)
    outcomes = []
    for number, rows in enumerate(batches(), start=1):
        folder = tmp_path / f"batch{number}"
        write_batch(folder, rows, sequence=number)
        outcome = import_batch(FolderBatch(folder), "UK", uow, clock)
        outcomes.append((outcome.status, outcome.rows, outcome.documents, outcome.waiting, outcome.released,
                         outcome.cancelled))  # fmt: skip
    documents = {str(key): (stored.state, stored.reason, stored.holds, stored.document.version, stored.stamp,
                            [(step.state, step.reason) for step in stored.history])
                 for key, stored in uow.documents("UK").items()}  # fmt: skip
    with uow.for_entity("UK") as work:
        documents["debtors"] = work.reference.snapshot("debtors", date(2026, 11, 25))
    return outcomes, documents


@pytest.mark.parametrize(("slice_size", "split_from"), [(1, 2), (3, 2), (7, 4)])
def test_placing_in_slices_decides_what_placing_whole_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_size: int, split_from: int
) -> None:
    whole = run(tmp_path / "whole")
    monkeypatch.setattr(module, "_SLICE", slice_size)
    monkeypatch.setattr(module, "_SPLIT_FROM", split_from)
    sliced = run(tmp_path / "sliced")
    assert sliced == whole
    outcomes, documents = whole
    assert outcomes[1][4] > 0 and outcomes[0][3] > 0, "the batches hold documents and release them"
    assert len(documents) > 40


def test_a_dependency_only_the_warehouse_holds_is_judged_on_arrival(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "_SLICE", 1)
    uow = FakeUnitOfWork(SETTINGS)
    write_batch(tmp_path / "b1", sample_rows())
    import_batch(FolderBatch(tmp_path / "b1"), "UK", uow, clock)
    with uow.for_entity("UK") as work:
        stored = work.documents.get_many([DocKey("bills", "B002")])[DocKey("bills", "B002")]
        work.documents.save([rejected(stored, "Xero: the period is locked", NOW)])
    write_batch(tmp_path / "b2", receipt("R7", "C002", {"B002": "300.00"}), sequence=2)
    import_batch(FolderBatch(tmp_path / "b2"), "UK", uow, clock)
    stored = uow.documents("UK")[DocKey("receipt_allocations", "R7|B002")]
    reason = "waiting on a rejected document: bills|B002 (Xero: the period is locked)"
    assert [(step.state, step.reason) for step in stored.history] == [
        (State.RECEIVED, f"batch {stored.batch_id}"),
        (State.WAITING, reason),
    ], "decided once, on arrival: not first as not received and then corrected"
