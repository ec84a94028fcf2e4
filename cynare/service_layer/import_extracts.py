"""Use case: import every committed batch not yet imported, in the agent's order, and announce each entity with work.

Batches of one entity and source are applied in the order the agent committed them (the
manifest's sequence), whatever their ids. One batch failing never stops the others: its failure
is logged with what to do and the run goes on. Whether an entity has work follows from the
warehouse (documents ready to post), not from what this run changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from cynare.domain.lifecycle import State
from cynare.extract.batch import read_manifest
from cynare.extract.manifest import BatchRejected, Manifest
from cynare.service_layer.import_batch import Clock, ImportOutcome, ImportStatus, import_batch
from cynare.service_layer.ports import Inbox, WorkQueue
from cynare.service_layer.unit_of_work import BatchState, UnitOfWork

log = logging.getLogger(__name__)
Progress = Callable[[ImportOutcome], None]


@dataclass(frozen=True, slots=True)
class _Pending:
    entity: str
    batch_id: str
    manifest: Manifest

    @property
    def order(self) -> tuple[str, str, int, str]:
        return (self.entity, self.manifest.source_system, self.manifest.sequence, self.batch_id)


def import_extracts(
    inbox: Inbox, uow: UnitOfWork, queue: WorkQueue, now: Clock, progress: Progress | None = None
) -> list[ImportOutcome]:
    outcomes: list[ImportOutcome] = []

    def report(outcome: ImportOutcome) -> None:
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)

    pending: list[_Pending] = []
    for entity, batch_id in sorted(inbox.committed_batches()):
        with uow.for_entity(entity) as work:
            previous = work.batches.get(batch_id)
        # A rejected batch is tried again: the agent may have uploaded it again, whole this time.
        if previous is not None and previous.state is BatchState.IMPORTED:
            continue
        try:
            pending.append(_Pending(entity, batch_id, read_manifest(inbox.open_batch(entity, batch_id))))
        except BatchRejected as exc:
            log.error("batch %s/%s rejected: %s", entity, batch_id, exc.reason)
            report(ImportOutcome(entity, batch_id, ImportStatus.REJECTED, exc.reason))
    for item in sorted(pending, key=lambda p: p.order):
        try:
            outcome = import_batch(inbox.open_batch(item.entity, item.batch_id), item.entity, uow, now, item.manifest)
        except Exception as exc:  # one batch must not block the others
            log.exception("batch %s/%s could not be imported; it will be tried again on the next run",
                          item.entity, item.batch_id)  # fmt: skip
            outcome = ImportOutcome(
                item.entity, item.batch_id, ImportStatus.FAILED, reason=f"{type(exc).__name__}: {exc}"
            )
        report(outcome)
    for entity in sorted({outcome.entity for outcome in outcomes}):
        if has_work(uow, entity):
            queue.announce(entity, "import")
    return outcomes


def has_work(uow: UnitOfWork, entity: str) -> bool:
    with uow.for_entity(entity) as work:
        return next(iter(work.documents.in_state(State.READY)), None) is not None
