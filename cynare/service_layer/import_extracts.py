"""Use case: import every committed batch not yet imported, then announce each entity with work.

One batch failing never stops the others: its failure is logged with what to do and the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from cynare.service_layer.import_batch import Clock, ImportOutcome, import_batch
from cynare.service_layer.ports import Inbox, Warehouse, WorkQueue

log = logging.getLogger(__name__)
Progress = Callable[[ImportOutcome], None]


def import_extracts(
    inbox: Inbox, warehouse: Warehouse, queue: WorkQueue, now: Clock, progress: Progress | None = None
) -> list[ImportOutcome]:
    outcomes: list[ImportOutcome] = []
    for entity, batch_id in sorted(inbox.committed_batches(), key=lambda item: (item[0], item[1])):
        previous = warehouse.batch(entity, batch_id)
        # A rejected batch is tried again: the agent may have uploaded it again, whole this time.
        if previous is not None and previous.state == "imported":
            continue
        try:
            outcome = import_batch(inbox.open_batch(entity, batch_id), entity, warehouse, now)
        except Exception as exc:  # one batch must not block the others
            log.exception("batch %s/%s could not be imported; it will be tried again on the next run", entity, batch_id)
            outcome = ImportOutcome(entity, batch_id, "failed", reason=f"{type(exc).__name__}: {exc}")
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    for entity in sorted({outcome.entity for outcome in outcomes if outcome.has_work}):
        queue.announce(entity, "import")
    return outcomes
