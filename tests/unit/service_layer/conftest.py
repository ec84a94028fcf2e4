"""The import's rules on in-memory repositories: batches written to a folder, no Azurite."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cynare.extract.batch import FolderBatch
from cynare.service_layer.import_batch import ImportOutcome, import_batch
from cynare.service_layer.unit_of_work import EntitySettings
from tests.batches import Rows, write_batch
from tests.unit.service_layer.fakes import FakeUnitOfWork

SOURCES = frozenset({"pms-a", "old-pms", "new-pms"})
SETTINGS = {
    "UK": EntitySettings("UK", "GBP", frozenset({"GBP", "EUR", "USD"}), SOURCES),
    "IE": EntitySettings("IE", "EUR", frozenset({"EUR", "GBP"}), SOURCES),
}
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


class FolderInbox:
    """Committed batches in `root/{entity}/{batch_id}/`, as the blob inbox lays them out."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def committed_batches(self) -> Iterator[tuple[str, str]]:
        for manifest in sorted(self.root.glob("*/*/manifest.json")):
            yield manifest.parent.parent.name, manifest.parent.name

    def open_batch(self, entity: str, batch_id: str) -> FolderBatch:
        return FolderBatch(self.root / entity / batch_id)

    def manifest_version(self, entity: str, batch_id: str) -> str:
        manifest = (self.root / entity / batch_id / "manifest.json").read_bytes()
        return hashlib.sha256(manifest).hexdigest()


class RecordingQueue:
    def __init__(self) -> None:
        self.announced: list[str] = []

    def announce(self, entity: str, reason: str, delay_seconds: float = 0.0) -> None:
        self.announced.append(entity)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(SETTINGS)


Importer = Callable[..., ImportOutcome]


@pytest.fixture
def load(tmp_path: Path, uow: FakeUnitOfWork) -> Importer:
    """Write `rows` as a batch and import it; keyword arguments go to write_batch (entity, sequence, source)."""
    made = iter(range(1_000_000))

    def run(rows: Rows, **options: object) -> ImportOutcome:
        folder = tmp_path / f"batch{next(made)}"
        manifest = write_batch(folder, rows, **options)  # type: ignore[arg-type]
        return import_batch(FolderBatch(folder), manifest.entity, uow, clock)

    return run
