"""Use case: one entity's sync, on its own connection: what changed in Xero goes to the PMS's write-back.

The sync itself is cynare.service_layer.sync_from_xero; this opens the entity's door to its
organisation (the binding checked as for posting), counts the calls, and turns a broken
connection into the entity's issue instead of a failure of every entity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from cynare.errors import CynareError
from cynare.service_layer.posting.run import XeroConnector
from cynare.service_layer.sync_from_xero import OUTBOX_LIMIT, SyncOutcome, sync_from_xero
from cynare.service_layer.unit_of_work import UnitOfWork
from cynare.service_layer.xero_port import EntityIssue, IssueKind, WritebackOutbox, XeroCallFailed

__all__ = ["SyncOutcome", "sync_entity"]
MAX_DOCUMENTS = 20  # write-back documents one sync may write (100,000 items)


def sync_entity(
    entity: str,
    uow: UnitOfWork,
    connector: XeroConnector,
    writeback: WritebackOutbox,
    clock: Callable[[], datetime],
) -> SyncOutcome:
    with uow.for_entity(entity) as work:
        binding = work.connection.binding()
        if binding is None:
            return _nothing(entity, f"{entity} is not connected to Xero: nothing to read")
        try:
            xero = connector.connect(binding, work.connection)
        except (XeroCallFailed, CynareError) as failure:  # CynareError: the sealed secrets do not open
            message = f"{entity}'s sync stopped: {failure}"
            work.issues.raise_issue(EntityIssue(entity, IssueKind.CONNECTION_BROKEN, message, clock()))
            return _nothing(entity, message)
        try:
            # One document holds at most OUTBOX_LIMIT items: after a first night, several go in one sync.
            outcome = sync_from_xero(work, xero, work.outbox, work.cursors, writeback, clock)
            for _ in range(MAX_DOCUMENTS - 1):
                if sum(outcome.counts.values()) < OUTBOX_LIMIT:
                    break
                outcome = _merged(outcome, sync_from_xero(work, xero, work.outbox, work.cursors, writeback, clock))
            return outcome
        finally:
            work.usage.add(clock().date(), xero.usage)


def _nothing(entity: str, problem: str) -> SyncOutcome:
    return SyncOutcome(entity, {}, {}, None, None, 0, 0, problems=(problem,))


def _merged(first: SyncOutcome, then: SyncOutcome) -> SyncOutcome:
    """Two documents of one sync, told as one: the counts added, the last document's id."""
    counts = {k: first.counts.get(k, 0) + then.counts.get(k, 0) for k in {*first.counts, *then.counts}}
    found = {k: first.found.get(k, 0) + then.found.get(k, 0) for k in {*first.found, *then.found}}
    return dataclasses.replace(
        then,
        counts=counts,
        found=found,
        calls=first.calls + then.calls,
        bytes_read=first.bytes_read + then.bytes_read,
        deferred=first.deferred + then.deferred,
        problems=first.problems + then.problems,
    )
