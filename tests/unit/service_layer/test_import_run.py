"""The nightly run: declared entities and sources only, refusals recorded and skipped, outages retried."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cynare.extract.batch import FolderBatch
from cynare.service_layer.import_batch import ImportStatus
from cynare.service_layer.import_extracts import RETRY_WAITS, import_extracts
from cynare.service_layer.status import entity_status
from cynare.service_layer.unit_of_work import BatchState
from tests.batches import sample_rows, write_batch
from tests.unit.service_layer.conftest import SETTINGS, FolderInbox, RecordingQueue, clock
from tests.unit.service_layer.fakes import FakeUnitOfWork


def commit(inbox: FolderInbox, entity: str, folder: str | None = None, **options: object) -> str:
    """A batch for `entity`, delivered under `folder` (the entity's own by default)."""
    staging = inbox.root.parent / "staging"
    manifest = write_batch(staging, sample_rows(), entity=entity, **options)  # type: ignore[arg-type]
    (inbox.root / (folder or entity)).mkdir(parents=True, exist_ok=True)
    staging.rename(inbox.root / (folder or entity) / manifest.batch_id)
    return manifest.batch_id


@pytest.fixture
def inbox(tmp_path: Path) -> FolderInbox:
    return FolderInbox(tmp_path / "inbound")


@pytest.mark.parametrize("folder", ["ＵＫ", "U\u200bK", "FR"])
def test_a_folder_that_is_not_a_declared_entity_is_refused_and_nothing_is_created(
    inbox: FolderInbox, uow: FakeUnitOfWork, folder: str
) -> None:
    commit(inbox, "UK", folder)  # a look-alike folder: the contract refuses such a name in a manifest anyway
    [outcome] = import_extracts(inbox, uow, RecordingQueue(), clock)
    assert outcome.status is ImportStatus.REJECTED
    assert "is not an entity declared in CYNARE_ENTITIES (IE, UK)" in outcome.reason
    assert folder not in uow.works


def test_a_batch_from_an_undeclared_source_is_held_until_the_settings_declare_it(
    inbox: FolderInbox, uow: FakeUnitOfWork
) -> None:
    batch_id = commit(inbox, "UK", source="test-laptop")
    [held] = import_extracts(inbox, uow, RecordingQueue(), clock)
    assert held.status is ImportStatus.HELD and "source system 'test-laptop' is not declared for UK" in held.reason
    assert uow.documents("UK") == {}
    with uow.for_entity("UK") as work:
        assert work.identities.home_source() is None, "a stray source never becomes the entity's home"
    [again] = import_extracts(inbox, uow, RecordingQueue(), clock)
    assert again.status is ImportStatus.HELD, "a held batch is tried on every run"
    [shown] = entity_status(uow, "UK").refused_batches
    assert (shown.batch_id, shown.state) == (batch_id, BatchState.HELD)
    uk = SETTINGS["UK"]
    uow.works.clear()
    uow.settings["UK"] = dataclasses.replace(uk, sources=uk.sources | {"test-laptop"})
    [imported] = import_extracts(inbox, uow, RecordingQueue(), clock)
    assert (imported.batch_id, imported.status) == (batch_id, ImportStatus.IMPORTED)


def test_a_refused_manifest_is_recorded_shown_and_skipped_until_it_changes(
    inbox: FolderInbox, uow: FakeUnitOfWork
) -> None:
    batch_id = commit(inbox, "UK")
    manifest = inbox.root / "UK" / batch_id / "manifest.json"
    good = manifest.read_bytes()
    manifest.write_text("{not json", encoding="utf-8")
    [refused] = import_extracts(inbox, uow, RecordingQueue(), clock)
    assert refused.status is ImportStatus.REJECTED
    [shown] = entity_status(uow, "UK").refused_batches
    assert (shown.batch_id, shown.state) == (batch_id, BatchState.REJECTED) and "not valid JSON" in shown.reason
    assert import_extracts(inbox, uow, RecordingQueue(), clock) == []
    manifest.write_bytes(good)
    [imported] = import_extracts(inbox, uow, RecordingQueue(), clock)
    assert imported.status is ImportStatus.IMPORTED


def test_a_manifest_in_another_batchs_folder_is_refused(inbox: FolderInbox, uow: FakeUnitOfWork) -> None:
    batch_id = commit(inbox, "UK")
    (inbox.root / "UK" / batch_id).rename(inbox.root / "UK" / "20261125-0000000000000000")
    [outcome] = import_extracts(inbox, uow, RecordingQueue(), clock)
    assert outcome.status is ImportStatus.REJECTED and f"batch_id {batch_id} is not its folder's name" in outcome.reason


def test_an_outage_of_a_few_seconds_is_waited_out_within_the_run(tmp_path: Path, uow: FakeUnitOfWork) -> None:
    inbox = FolderInbox(tmp_path / "inbound")
    commit(inbox, "UK")
    waits: list[float] = []
    calls = iter([None, ConnectionError("storage unreachable"), ConnectionError("storage unreachable")])

    class Outage(FolderInbox):
        def open_batch(self, entity: str, batch_id: str) -> FolderBatch:
            failure = next(calls, None)
            if failure is not None:
                raise failure
            return super().open_batch(entity, batch_id)

    [outcome] = import_extracts(Outage(inbox.root), uow, RecordingQueue(), clock, sleep=waits.append)
    assert outcome.status is ImportStatus.IMPORTED
    assert waits == list(RETRY_WAITS[:2])


def test_a_lasting_outage_fails_the_batch_and_the_next_run_finishes_it(tmp_path: Path, uow: FakeUnitOfWork) -> None:
    inbox = FolderInbox(tmp_path / "inbound")
    commit(inbox, "UK")
    reads = 0

    class Down(FolderInbox):
        def open_batch(self, entity: str, batch_id: str) -> FolderBatch:
            nonlocal reads
            reads += 1
            if reads > 1:  # the manifest is read, then storage goes away
                raise ConnectionError("storage unreachable")
            return super().open_batch(entity, batch_id)

    waits: list[float] = []
    [failed] = import_extracts(Down(inbox.root), uow, RecordingQueue(), clock, sleep=waits.append)
    assert failed.status is ImportStatus.FAILED and "storage unreachable" in failed.reason
    assert waits == list(RETRY_WAITS)
    queue = RecordingQueue()
    [finished] = import_extracts(inbox, uow, queue, clock)
    assert finished.status is ImportStatus.IMPORTED and queue.announced == ["UK"]
