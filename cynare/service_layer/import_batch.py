"""Use case: import one committed batch into its entity's part of the warehouse.

Idempotent: a batch already imported changes nothing; a batch interrupted half way is imported
again from the start (every write is keyed by content and guarded by the version it read) and
only then marked imported. Each document is placed with its holds decided before Xero is called;
a batch older than the version a document already has never overwrites it.
"""

from __future__ import annotations

import logging
from collections import ChainMap
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import NamedTuple

from cynare.domain.documents import DocKey, Document
from cynare.domain.holds import MappingBook
from cynare.domain.identity import IdentityMap, firm_id_of
from cynare.domain.lifecycle import Stamp, State, StoredDocument, arrive, reassess
from cynare.errors import ConcurrentChange
from cynare.extract.batch import BatchFiles, RowCounts, ValidatedBatch, read_manifest, validate_batch
from cynare.extract.datasets import KIND_DATASETS
from cynare.extract.manifest import BatchRejected, Manifest
from cynare.extract.rows import IdentityLink, Row
from cynare.service_layer.assembly import assemble_taking
from cynare.service_layer.holding import Arrivals, HoldJudge, mapping_book, reassess_waiting, related_keys
from cynare.service_layer.unit_of_work import BatchRecord, BatchState, DocumentRepository, EntityWork, UnitOfWork

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
_CONFLICT_ROUNDS = 5
_SLICE = 2_000  # documents placed at a time: the import holds the records and writes of one slice, not the batch's
_SPLIT_FROM = 200  # a slice's writes from this many go in two halves at once (fewer: two transactions at most)


class DocumentCounts(NamedTuple):
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    older: int = 0  # a version from a batch committed before the one already applied


class ImportStatus(StrEnum):
    IMPORTED = "imported"
    ALREADY_IMPORTED = "already imported"
    REJECTED = "rejected"  # the whole batch refused, with the reason; a corrected batch is imported
    HELD = "held"  # not imported until the settings allow it (an undeclared source); tried on every run
    FAILED = "failed"  # an unexpected error; the next run tries again


@dataclass
class ImportOutcome:
    entity: str
    batch_id: str
    status: ImportStatus
    reason: str = ""
    rows: dict[str, RowCounts] = field(default_factory=dict)
    documents: DocumentCounts = field(default_factory=DocumentCounts)
    waiting: int = 0
    released: int = 0
    cancelled: int = 0


def import_batch(
    batch: BatchFiles,
    expected_entity: str,
    uow: UnitOfWork,
    now: Clock,
    manifest: Manifest | None = None,
    manifest_version: str = "",
) -> ImportOutcome:
    if manifest is None:
        try:
            manifest = read_manifest(batch)
        except BatchRejected as exc:
            # No valid manifest: nothing in it can be trusted, not even its batch id.
            log.error("%s rejected: %s", batch.name, exc.reason)
            raise
    with uow.for_entity(expected_entity) as work:
        if manifest.entity != expected_entity:
            # The folder decides which entity a batch may feed: a manifest cannot redirect it to another.
            reason = f"manifest names entity {manifest.entity!r} but the batch was delivered for {expected_entity!r}"
            return _reject(work, manifest, reason, now, manifest_version)
        previous = work.batches.get(manifest.batch_id)
        if previous is not None and previous.state is BatchState.IMPORTED:
            return ImportOutcome(
                work.entity, manifest.batch_id, ImportStatus.ALREADY_IMPORTED, rows=previous.counts.get("rows", {})
            )
        if work.settings is None or manifest.source_system not in work.settings.sources:
            reason = (
                f"source system {manifest.source_system!r} is not declared for {work.entity} in CYNARE_ENTITIES: "
                "add it there if it is the firm's PMS (the batch is then imported on the next run), or delete the batch"
            )
            return _reject(work, manifest, reason, now, manifest_version, BatchState.HELD)
        try:
            validated = validate_batch(batch, manifest)
        except BatchRejected as exc:
            return _reject(work, manifest, exc.reason, now, manifest_version)
        mismatch = _organisation_mismatch(validated, work)
        if mismatch:
            return _reject(work, manifest, mismatch, now, manifest_version)
        return _warehouse(validated, work, now, manifest_version)


def _organisation_mismatch(validated: ValidatedBatch, work: EntityWork) -> str:
    """What the PMS says of the organisation is only a check against the cloud's own settings."""
    parsed = validated.files.get("organisation")
    if parsed is None or work.settings is None:
        return ""
    for _, row in parsed.accepted:
        said = getattr(row, "base_currency")  # noqa: B009
        if getattr(row, "entity") == work.entity and said != work.settings.base_currency:  # noqa: B009
            return (
                f"the PMS says {work.entity}'s organisation has base currency {said}, but CYNARE_ENTITIES says "
                f"{work.settings.base_currency}: correct whichever is wrong, then upload the batch again"
            )
    return ""


def _row_counts(record: BatchRecord) -> dict[str, RowCounts]:
    return {name: RowCounts(*counts) for name, counts in record.counts.get("rows", {}).items()}


def _reject(
    work: EntityWork,
    manifest: Manifest,
    reason: str,
    now: Clock,
    manifest_version: str,
    state: BatchState = BatchState.REJECTED,
) -> ImportOutcome:
    log.error("batch %s for %s %s: %s", manifest.batch_id, work.entity, state.value, reason)
    record = BatchRecord(work.entity, manifest.batch_id, state, reason, source=manifest.source_system,
                         sequence=manifest.sequence, at=now(), manifest_version=manifest_version)  # fmt: skip
    work.batches.record(record, manifest.model_dump_json())
    status = ImportStatus.HELD if state is BatchState.HELD else ImportStatus.REJECTED
    return ImportOutcome(work.entity, manifest.batch_id, status, reason)


def _warehouse(validated: ValidatedBatch, work: EntityWork, now: Clock, manifest_version: str) -> ImportOutcome:
    manifest = validated.manifest
    source = manifest.source_system
    rows, rejections = validated.counts(), validated.rejections
    accepted = _take_rows(validated)
    home = work.identities.home_source() or work.identities.claim_home_source(source)
    identities = IdentityMap(home, source, work.identities.links(source))
    new_links = _resolve_links(work, home, accepted.get("identity_links", []))
    if new_links:
        identities.links.update(new_links)
        work.identities.save_links(source, new_links)
    assembled = assemble_taking(work.entity, identities, accepted)
    for dataset, reference in assembled.reference.items():
        work.reference.store(dataset, reference)
    assembled.reference.clear()
    snapshots: list[Future[None]] = []
    for dataset, (as_at, snapshot) in assembled.snapshots.items():
        if len(snapshot) < _SPLIT_FROM:
            work.reference.store_snapshot(dataset, as_at, snapshot, manifest.extracted_at)
        else:  # a long one (the debtors) is written while the documents are placed: nothing of the import reads it
            snapshots.append(
                _sender().submit(work.reference.store_snapshot, dataset, as_at, snapshot, manifest.extracted_at)
            )
    assembled.snapshots.clear()
    try:
        work.rejections.store(manifest.batch_id, rejections)
        stamp = Stamp(manifest.batch_id, source, manifest.sequence)
        book = mapping_book(work)  # after this batch's mappings are stored: they may release what waits
        counts, waiting = _place(work, book, assembled.documents, stamp, now)
        released, cancelled = reassess_waiting(work, book, now)
    finally:
        wait(snapshots)  # nothing of this import is still being written once it has ended
    for written in snapshots:
        written.result()  # a snapshot that failed fails the import before it is recorded
    outcome = ImportOutcome(work.entity, manifest.batch_id, ImportStatus.IMPORTED, rows=rows, documents=counts,
                            waiting=waiting, released=released, cancelled=cancelled)  # fmt: skip
    record = BatchRecord(work.entity, manifest.batch_id, BatchState.IMPORTED, counts={"rows": outcome.rows},
                         source=source, sequence=manifest.sequence, at=now(), manifest_version=manifest_version)  # fmt: skip
    work.batches.record(record, manifest.model_dump_json())  # last: the import's own commit
    return outcome


def _take_rows(validated: ValidatedBatch) -> dict[str, list[Row]]:
    """The accepted rows, taken out of the validated batch (its counts are read first): assembly frees each as it goes."""
    taken: dict[str, list[Row]] = {}
    for name, parsed in validated.files.items():
        taken[name] = [row for _, row in parsed.accepted]
        parsed.accepted.clear()
    return taken


def _resolve_links(work: EntityWork, home: str, links: Sequence[Row]) -> dict[tuple[str, str], str]:
    resolved: dict[tuple[str, str], str] = {}
    earlier: dict[str, dict[tuple[str, str], str]] = {}
    for link in links:
        assert isinstance(link, IdentityLink)
        dataset = KIND_DATASETS[link.kind]
        if link.previous_source not in earlier:
            earlier[link.previous_source] = work.identities.links(link.previous_source)
        resolved[(dataset, link.source_id)] = earlier[link.previous_source].get(
            (dataset, link.previous_id), firm_id_of(home, link.previous_source, link.previous_id)
        )
    return resolved


def _place(
    work: EntityWork, book: MappingBook, documents: list[Document], stamp: Stamp, now: Clock
) -> tuple[DocumentCounts, int]:
    """Place the batch's documents a slice at a time, in key order: read a slice's current records, decide,
    save, and let them go. What they depend on that is not arriving is read once for the whole batch."""
    arrivals = Arrivals(documents)
    documents.clear()  # the arrivals hold them, by key
    elsewhere = work.documents.get_many(arrivals.elsewhere)
    totals = [0, 0, 0, 0, 0, 0]
    keys = sorted(arrivals.documents, key=str)  # a slice's own records are one short range of row keys
    for start in range(0, len(keys), _SLICE):
        placed = _place_slice(work, book, arrivals, elsewhere, keys[start : start + _SLICE], stamp, now)
        totals = [total + more for total, more in zip(totals, placed, strict=True)]
    created, changed, unchanged, older, waiting, left = totals
    if left:
        raise ConcurrentChange(f"{left} document(s) kept changing under concurrent writers; import again")
    _activate_needed_clients(work, book, arrivals.needed_clients, now)
    return DocumentCounts(created, changed, unchanged, older), waiting


def _place_slice(
    work: EntityWork,
    book: MappingBook,
    arrivals: Arrivals,
    elsewhere: dict[DocKey, StoredDocument],
    keys: Sequence[DocKey],
    stamp: Stamp,
    now: Clock,
) -> tuple[int, int, int, int, int, int]:
    """Counts of the slice's documents: created, changed, unchanged, older, waiting, and left still losing."""
    created = changed = unchanged = older = waiting = 0
    pending = {key: arrivals.documents[key] for key in keys}
    known: Mapping[DocKey, StoredDocument] = ChainMap(work.documents.get_many(pending), elsewhere)
    for _ in range(_CONFLICT_ROUNDS):
        if not pending:
            break
        judge = HoldJudge(book, known, arrivals)
        at = now()
        writes: list[StoredDocument] = []
        for key, document in pending.items():
            current = known.get(key)
            decided = arrive(current, document, judge.holds(document), stamp, at)
            if decided is None:
                if current is not None and current.document.version != document.version:
                    older += 1
                else:
                    unchanged += 1
                continue
            writes.append(decided)
        lost = _save(work.documents, writes)
        for decided in writes:
            if decided.document.key in lost:
                continue
            created += decided.etag == ""
            changed += decided.etag != ""
            waiting += decided.state is State.WAITING
        pending = {key: pending[key] for key in lost}
        if pending:  # another writer changed them: read them, and what they depend on, again
            known = work.documents.get_many(related_keys(pending.values()))
    return created, changed, unchanged, older, waiting, len(pending)


def _save(documents: DocumentRepository, writes: list[StoredDocument]) -> set[DocKey]:
    """Save `writes`, the keys that lost. Many go in two halves at once, so that one half is encoded and sent
    while the store works on the other; their keys differ, so neither waits on the other."""
    if len(writes) < _SPLIT_FROM:
        return set(documents.save(writes))
    half = len(writes) // 2
    other = _sender().submit(documents.save, writes[half:])
    try:
        lost = documents.save(writes[:half])
    except BaseException:
        wait([other])  # nothing of this import is still being written once it has failed
        raise
    return {*lost, *other.result()}


@cache
def _sender() -> ThreadPoolExecutor:
    """The thread that sends the second halves: one for the process, so that every import reuses its memory."""
    return ThreadPoolExecutor(1, thread_name_prefix="import-save")


def _activate_needed_clients(work: EntityWork, book: MappingBook, needed: Iterable[DocKey], now: Clock) -> None:
    """An archived client held as dormant is created after all once a document refers to it."""
    keys = sorted(needed, key=str)
    for start in range(0, len(keys), _SLICE):
        chunk = keys[start : start + _SLICE]
        clients = work.documents.get_many(chunk)
        judge = HoldJudge(book, clients, [], chunk)
        writes = [decided for stored in clients.values() if stored.state is State.WAITING
                  if (decided := reassess(stored, judge.holds(stored.document), now())) is not None]  # fmt: skip
        work.documents.save(writes)  # a lost write is decided again by the next import's reassessment
