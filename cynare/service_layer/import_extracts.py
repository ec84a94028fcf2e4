"""Use case: import every committed batch not yet imported, in the agent's order, and announce each entity with work.

- Only entities declared in the settings are imported; a folder for any other is refused, never created.
- Batches of one entity and source are applied in the order the agent committed them (the
  manifest's sequence), whatever their ids.
- A batch refused whole is recorded with its reason and skipped until a corrected one (a new
  manifest) arrives; a held batch (an undeclared source) is tried again on every run.
- One batch failing never stops the others. A failure that may pass (storage unreachable for a
  moment) is tried again within the run, with growing waits; what still fails is finished by the
  next run (the nightly timer, or the hourly catch-up).
- Whether an entity has work follows from the warehouse (documents ready to post), not from what
  this run changed; an entity is announced as soon as its batches are in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from cynare.domain.lifecycle import State
from cynare.extract.batch import read_manifest
from cynare.extract.manifest import BatchRejected, Manifest
from cynare.service_layer.import_batch import Clock, ImportOutcome, ImportStatus, import_batch
from cynare.service_layer.ports import Inbox, WorkQueue
from cynare.service_layer.unit_of_work import BatchRecord, BatchState, UnitOfWork

log = logging.getLogger(__name__)
Progress = Callable[[ImportOutcome], None]
Sleep = Callable[[float], None]
RETRY_WAITS = (2.0, 4.0, 8.0, 16.0, 32.0)  # about a minute in all: a storage outage of a few seconds passes


@dataclass(frozen=True, slots=True)
class _Pending:
    entity: str
    batch_id: str
    manifest: Manifest
    manifest_version: str

    @property
    def order(self) -> tuple[str, str, int, str]:
        return (self.entity, self.manifest.source_system, self.manifest.sequence, self.batch_id)


def import_extracts(
    inbox: Inbox,
    uow: UnitOfWork,
    queue: WorkQueue,
    now: Clock,
    progress: Progress | None = None,
    sleep: Sleep = time.sleep,
) -> list[ImportOutcome]:
    outcomes: list[ImportOutcome] = []

    def report(outcome: ImportOutcome) -> None:
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)

    declared = set(uow.entities())
    pending: list[_Pending] = []
    for entity, batch_id in sorted(inbox.committed_batches()):
        if entity not in declared:
            reason = f"{entity!r} is not an entity declared in CYNARE_ENTITIES ({', '.join(sorted(declared))})"
            log.error("batch %r/%r refused: %s", entity, batch_id, reason)
            report(ImportOutcome(entity, batch_id, ImportStatus.REJECTED, reason))
            continue
        found = _pending(inbox, uow, entity, batch_id, now, report)
        if found is not None:
            pending.append(found)
    announced: set[str] = set()
    ordered = sorted(pending, key=lambda item: item.order)
    for index, item in enumerate(ordered):
        report(_import_with_retries(inbox, uow, item, now, sleep))
        last_of_entity = index + 1 == len(ordered) or ordered[index + 1].entity != item.entity
        if last_of_entity and has_work(uow, item.entity):
            queue.announce(item.entity, "import")
            announced.add(item.entity)
    for entity in sorted(declared - announced):  # work left by an earlier run that stopped before announcing
        if has_work(uow, entity):
            queue.announce(entity, "ready documents")
    return outcomes


def _pending(
    inbox: Inbox, uow: UnitOfWork, entity: str, batch_id: str, now: Clock, report: Progress
) -> _Pending | None:
    """The batch to import, or None: imported already, refused and unchanged since, or refused now."""
    with uow.for_entity(entity) as work:
        previous = work.batches.get(batch_id)
        if previous is not None and previous.state is BatchState.IMPORTED:
            return None
        version = inbox.manifest_version(entity, batch_id)
        if previous is not None and previous.state is BatchState.REJECTED and previous.manifest_version == version:
            log.info("batch %s/%s still refused (%s): waiting for a corrected batch", entity, batch_id, previous.reason)
            return None
        try:
            manifest = read_manifest(inbox.open_batch(entity, batch_id))
            if manifest.batch_id != batch_id:
                raise BatchRejected(batch_id, f"the manifest's batch_id {manifest.batch_id} is not its folder's name")
            return _Pending(entity, batch_id, manifest, version)
        except BatchRejected as exc:
            # Nothing in a broken manifest is trusted; the refusal is kept under the batch's folder name.
            log.error("batch %s/%s refused: %s", entity, batch_id, exc.reason)
            record = BatchRecord(entity, batch_id, BatchState.REJECTED, exc.reason, at=now(), manifest_version=version)
            work.batches.record(record, "")
            report(ImportOutcome(entity, batch_id, ImportStatus.REJECTED, exc.reason))
            return None


def _import_with_retries(inbox: Inbox, uow: UnitOfWork, item: _Pending, now: Clock, sleep: Sleep) -> ImportOutcome:
    for attempt, wait in enumerate((*RETRY_WAITS, None), start=1):
        try:
            batch = inbox.open_batch(item.entity, item.batch_id)
            return import_batch(batch, item.entity, uow, now, item.manifest, item.manifest_version)
        except Exception as exc:  # one batch must not block the others
            if wait is None:
                log.exception("batch %s/%s could not be imported after %d attempts; the next run tries again",
                              item.entity, item.batch_id, attempt)  # fmt: skip
                return ImportOutcome(item.entity, item.batch_id, ImportStatus.FAILED, f"{type(exc).__name__}: {exc}")
            log.warning("batch %s/%s: attempt %d failed (%s: %s); trying again in %.0f s",
                        item.entity, item.batch_id, attempt, type(exc).__name__, exc, wait)  # fmt: skip
            sleep(wait)
    raise AssertionError("unreachable")


def has_work(uow: UnitOfWork, entity: str) -> bool:
    with uow.for_entity(entity) as work:
        return next(iter(work.documents.in_state(State.READY)), None) is not None
