"""Use case: read the PMS into one committed batch per entity, on local disk, streaming.

Each entity's batch is written in a hidden folder and renamed to its batch id only after its
manifest is committed. The batch's sequence (the entity's last + 1), the watermarks and the
fingerprints of the documents sent move in the same state transaction that records it. A run that
stops half way leaves nothing that looks like a batch, and reads and sends the same rows again
under the same sequence, so a batch it had already renamed is found again by its id. What each
dataset contributes is `batch_build`'s.
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
from typing import Any

from cynare.agent.batch_build import Built, EntityReader
from cynare.agent.batch_build import Progress as Progress
from cynare.agent.batch_build import Silent as Silent
from cynare.agent.errors import SourceBusy
from cynare.agent.sources import Source
from cynare.agent.state import AgentState, BatchRecord
from cynare.extract.manifest import Period
from cynare.extract.writer import commit_manifest

log = logging.getLogger(__name__)


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
    sequence: int | None = None


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
            self.state.discard_staged(entity)
            try:
                built = self._read(entity, building, since, as_at, full)
                return self._commit(entity, building, built, since, as_at, full)
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
                self.state.discard_staged(entity)
        raise AssertionError("unreachable")

    def _read(self, entity: str, building: Path, since: dict[str, Any], as_at: date, full: bool) -> Built:
        marks = {name: restore_watermark(value) for name, value in since.items()}
        with self.source.session(entity) as session:
            reader = EntityReader(
                session, self.state, entity=entity, as_at=as_at, folder=building, since=marks, full=full,
                progress=self.progress,
            )  # fmt: skip
            return reader.read(self.source.datasets())

    def _commit(
        self, entity: str, building: Path, built: Built, since: dict[str, Any], as_at: date, full: bool
    ) -> EntityOutcome:
        if not full and not built.changed:
            if built.forgotten:  # gone from the PMS with nothing to send (a client): stop tracking them
                self.state.forget_sent(entity, built.forgotten)
            return EntityOutcome(entity, None, 0, "no changes since the last batch")
        sequence = self.state.last_sequence(entity) + 1
        start = min(date.fromisoformat(built.first_date), as_at) if built.first_date else as_at
        manifest = commit_manifest(
            building,
            firm=self.identity.firm,
            source_system=self.identity.source_system,
            entity=entity,
            sequence=sequence,
            pms_product=self.identity.pms_product,
            extracted_at=self.clock(),
            period=Period(start=start, end=as_at),
            files=built.entries,
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
        watermarks = {**since, **{name: _storable(value) for name, value in built.watermarks.items()}}
        self.state.record_batch(record, watermarks, built.snapshots, sequence=sequence, forgotten=built.forgotten)
        log.info("entity %s: %s %s, sequence %d (%d rows)", entity, note, manifest.batch_id, sequence, rows)
        return EntityOutcome(entity, manifest.batch_id, rows, note, sequence)


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
