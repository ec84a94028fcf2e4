"""Use case: read the PMS into one committed batch per entity, on local disk, streaming.

Each entity's batch is written in a hidden folder and renamed to its batch id only after its
manifest is committed, and the watermarks move in the same state transaction that records it.
A run that stops half way leaves nothing that looks like a batch, and reads the same rows again.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from cynare.agent.columns import RowShape
from cynare.agent.errors import SourceBusy
from cynare.agent.sources import Source
from cynare.agent.state import AgentState, BatchRecord
from cynare.extract.datasets import DATASETS
from cynare.extract.manifest import FileEntry, Period
from cynare.extract.writer import DatasetWriter, commit_manifest

log = logging.getLogger(__name__)
_CHUNK = 2_000


class Progress(Protocol):
    def start(self, label: str) -> None: ...

    def advance(self, rows: int) -> None: ...


class Silent:
    def start(self, label: str) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Identity:
    firm: str
    source_system: str
    pms_product: str


@dataclass(frozen=True, slots=True)
class EntityOutcome:
    entity: str
    batch_id: str | None
    rows: int
    note: str


@dataclass(slots=True)
class _Extracted:
    entries: list[FileEntry] = field(default_factory=list)
    watermarks: dict[str, Any] = field(default_factory=dict)
    snapshots: dict[str, str] = field(default_factory=dict)
    changed_rows: int = 0
    first_date: str | None = None


@dataclass
class Extractor:
    source: Source
    state: AgentState
    identity: Identity
    batches: Path
    busy_retries: int = 5
    busy_wait_seconds: float = 2.0
    progress: Progress = field(default_factory=Silent)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def run(self, entities: list[str], *, as_at: date, full: bool = False) -> list[EntityOutcome]:
        return [self.extract_entity(entity, as_at=as_at, full=full) for entity in entities]

    def extract_entity(self, entity: str, *, as_at: date, full: bool) -> EntityOutcome:
        folder = self.batches / entity
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".building-*"):
            shutil.rmtree(stale, ignore_errors=True)
        since = {} if full else self.state.watermarks(entity)
        for attempt in range(self.busy_retries + 1):
            building = folder / f".building-{uuid.uuid4().hex}"
            building.mkdir()
            try:
                extracted = self._read(entity, building, since, as_at)
                return self._commit(entity, building, extracted, since, as_at, full)
            except SourceBusy as exc:
                if attempt == self.busy_retries:
                    raise SourceBusy(
                        f"{exc}; still locked or busy after {attempt + 1} attempts: nothing was written for "
                        f"entity {entity}, and the next run will try again"
                    ) from None
                wait = self.busy_wait_seconds * 2**attempt
                log.warning("PMS busy while extracting %s (attempt %d), retrying in %.1fs", entity, attempt + 1, wait)
                self.sleep(wait)
            finally:
                shutil.rmtree(building, ignore_errors=True)
        raise AssertionError("unreachable")

    def _read(self, entity: str, building: Path, since: dict[str, Any], as_at: date) -> _Extracted:
        extracted = _Extracted()
        with self.source.session(entity) as session:
            for name in self.source.datasets():
                stream = session.read(name, restore_watermark(since.get(name)), as_at)
                if stream is None:
                    continue
                dataset = DATASETS[name]
                shape = RowShape(dataset, stream.names, stream.origin)
                writer = DatasetWriter(building, name)
                self.progress.start(f"{entity} {name}")
                watermark_at = shape.watermark_index
                date_at = dataset.columns.index("date") if "date" in dataset.columns else None
                high: Any = None
                low: str | None = None
                chunk: list[list[str]] = []
                try:
                    for number, values in enumerate(stream.rows, start=stream.first_row_number):
                        cells = shape.cells(values, number)
                        chunk.append(cells)
                        if watermark_at is not None:
                            mark = values[watermark_at]
                            if mark is not None and (high is None or mark > high):
                                high = mark
                        if date_at is not None and (low is None or cells[date_at] < low):
                            low = cells[date_at]
                        if len(chunk) >= _CHUNK:
                            writer.write_rows(chunk)
                            self.progress.advance(len(chunk))
                            chunk.clear()
                    writer.write_rows(chunk)
                    self.progress.advance(len(chunk))
                finally:
                    entry = writer.close()
                extracted.entries.append(entry)
                if watermark_at is None:
                    extracted.snapshots[name] = entry.sha256
                else:
                    extracted.changed_rows += entry.rows
                    if high is not None:
                        extracted.watermarks[name] = _storable(high)
                if low is not None and (extracted.first_date is None or low < extracted.first_date):
                    extracted.first_date = low
        return extracted

    def _commit(
        self, entity: str, building: Path, extracted: _Extracted, since: dict[str, Any], as_at: date, full: bool
    ) -> EntityOutcome:
        unchanged = not full and since and extracted.changed_rows == 0
        if unchanged and extracted.snapshots == self.state.snapshot_hashes(entity):
            return EntityOutcome(entity, None, 0, "no changes since the last batch")
        start = min(date.fromisoformat(extracted.first_date), as_at) if extracted.first_date else as_at
        manifest = commit_manifest(
            building,
            firm=self.identity.firm,
            source_system=self.identity.source_system,
            entity=entity,
            pms_product=self.identity.pms_product,
            extracted_at=self.clock(),
            period=Period(start=start, end=as_at),
            files=extracted.entries,
        )
        rows = sum(entry.rows for entry in manifest.files)
        final = self.batches / entity / manifest.batch_id
        note = "new batch"
        if self.state.has_batch(entity, manifest.batch_id):
            note = "same as a batch already extracted"
        elif final.exists():
            note = "recovered a batch committed by an interrupted run"
        else:
            building.rename(final)
        record = BatchRecord(entity, manifest.batch_id, final, rows, self.clock().isoformat(timespec="seconds"), None)
        self.state.record_batch(record, {**since, **extracted.watermarks}, extracted.snapshots)
        log.info("entity %s: %s %s (%d rows)", entity, note, manifest.batch_id, rows)
        return EntityOutcome(entity, manifest.batch_id, rows, note)


def _storable(value: Any) -> Any:
    """A watermark as JSON keeps it, with its type: the next run passes it back as the database gave it."""
    if isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, bytes | bytearray):  # SQL Server rowversion
        return {"bytes": bytes(value).hex()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    raise TypeError(f"a watermark of type {type(value).__name__} cannot be kept; select it as text or a number")


def restore_watermark(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    kind, text = next(iter(value.items()))
    readers: dict[str, Callable[[str], Any]] = {
        "datetime": datetime.fromisoformat, "date": date.fromisoformat, "bytes": bytes.fromhex, "decimal": Decimal,
    }  # fmt: skip
    return readers[kind](text)
