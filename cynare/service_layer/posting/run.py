"""Use case: post one entity's ready documents to its own Xero organisation, once, within Xero's limits.

    post_to_xero("UK", uow, connector, lock, queue, clock, sleep)

One poster per entity at a time (a lease), on the organisation the entity was bound to when it was
connected, checked before the first call. First the attempts of an earlier run whose outcome is
unknown are looked up in Xero; then documents held only until what they need reached Xero are
judged again; then each dataset in posting order. When the run's time or calls are spent, or Xero
keeps saying "not now", the entity's message is queued again with a delay; a day limit or a broken
connection stops the entity with an issue a person sees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from cynare.domain.holds import HoldKind
from cynare.domain.lifecycle import State, StoredDocument
from cynare.errors import CynareError
from cynare.service_layer.holding import mapping_book
from cynare.service_layer.ports import WorkQueue
from cynare.service_layer.posting import steps
from cynare.service_layer.posting.ledger import Ledger
from cynare.service_layer.posting.lookup import settle_unknown
from cynare.service_layer.posting.sender import Budget, EntityStopped, OutcomeUnknown, RunOver, Sender
from cynare.service_layer.unit_of_work import CashDirection, EntityWork, UnitOfWork
from cynare.service_layer.xero_port import (
    Binding,
    ConnectionRepository,
    EntityIssue,
    IssueKind,
    PosterLock,
    Problem,
    Usage,
    XeroApi,
    XeroCallFailed,
)

# Holds the poster decides (what a document needs is not in Xero yet); the import decides the others.
POSTING_HOLDS = frozenset({HoldKind.NOT_IN_XERO, HoldKind.PARENT_REJECTED, HoldKind.PARENT_CANCELLED,
                           HoldKind.NOT_RECEIVED})  # fmt: skip
# What an entity whose receipts are recorded in Xero (bank feed) does not post from the PMS.
CASH_DATASETS = ("receipts", "receipt_allocations", "returned_receipts", "unallocated_receipts")
AFTER_UNKNOWN = 60.0  # seconds before a run that met unknown outcomes is followed by the lookups
AFTER_DAY_LIMIT = 3600.0
CONNECT_ATTEMPTS = 3
# Xero's passing troubles while the binding is checked: tried again, never taken for a broken connection.
PASSING = frozenset({Problem.MINUTE_LIMIT, Problem.CONCURRENT_LIMIT, Problem.APP_MINUTE_LIMIT,
                     Problem.SERVER_ERROR, Problem.TIMEOUT, Problem.DROPPED})  # fmt: skip


class XeroConnector(Protocol):
    def connect(self, binding: Binding, connection: ConnectionRepository) -> XeroApi:
        """The entity's door to its organisation, after checking the binding (tenant, name, base currency).

        Raises XeroCallFailed when the connection no longer reaches the bound organisation.
        """
        ...


class PostingStatus(StrEnum):
    DONE = "done"  # nothing ready is left
    MORE = "more to post"  # queued again
    STOPPED = "stopped"  # an issue a person must see (day limit, connection)
    NOT_CONNECTED = "not connected"
    BUSY = "busy"  # another poster holds the entity


@dataclass(frozen=True, slots=True)
class PostingOutcome:
    entity: str
    status: PostingStatus
    message: str = ""
    tally: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (dataset, outcome) -> documents
    usage: Usage = field(default_factory=Usage)
    found_after_unknown: int = 0
    requeue_after: float | None = None


def post_to_xero(
    entity: str,
    uow: UnitOfWork,
    connector: XeroConnector,
    lock: PosterLock,
    queue: WorkQueue,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    budget: Budget | None = None,
) -> PostingOutcome:
    if entity not in uow.entities():
        raise ValueError(f"{entity} is not an entity of this firm (CYNARE_ENTITIES)")
    with lock.hold(entity) as held:
        if not held:
            return PostingOutcome(entity, PostingStatus.BUSY, f"another poster is posting {entity}; it goes on")
        with uow.for_entity(entity) as work:
            outcome = _post(work, connector, clock, sleep, budget or Budget())
    if outcome.requeue_after is not None:
        queue.announce(entity, outcome.status.value, outcome.requeue_after)
    return outcome


def _post(
    work: EntityWork,
    connector: XeroConnector,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    budget: Budget,
) -> PostingOutcome:
    entity = work.entity
    binding = work.connection.binding()
    if binding is None or work.settings is None:
        message = (f"{entity} is not connected to a Xero organisation: connect it (cynare connect {entity} ...) "
                   "and its documents will post on the next run")  # fmt: skip
        work.issues.raise_issue(EntityIssue(entity, IssueKind.NOT_CONNECTED, message, clock()))
        return PostingOutcome(entity, PostingStatus.NOT_CONNECTED, message)
    opened = _connect(work, binding, connector, clock, sleep, budget)
    if isinstance(opened, PostingOutcome):
        return opened
    xero = opened
    for kind in (IssueKind.NOT_CONNECTED, IssueKind.CONNECTION_BROKEN, IssueKind.DAY_LIMIT):
        work.issues.clear(kind)
    ledger = Ledger(work, clock)
    if work.settings.day_limit is not None:  # this organisation's own tier (Starter: 1,000 a day)
        budget = dataclasses.replace(budget, day_limit=work.settings.day_limit)
    sender = Sender(xero, budget, clock, sleep, calls_today=work.usage.for_day(clock().date()).calls)
    run = steps.Run(entity, work.settings.base_currency, ledger, sender, mapping_book(work), clock)
    found = 0
    status, message, requeue = PostingStatus.DONE, "", None
    try:
        found = settle_unknown(run)
        _post_ready(run)
    except RunOver as over:
        status, message, requeue = PostingStatus.MORE, str(over), over.delay_seconds
    except OutcomeUnknown as unknown:
        status, requeue = PostingStatus.MORE, AFTER_UNKNOWN
        message = f"an attempt's outcome is unknown ({unknown}); the next run looks it up in Xero first"
    except EntityStopped as stopped:
        status, message = PostingStatus.STOPPED, stopped.message
        work.issues.raise_issue(EntityIssue(entity, stopped.kind, stopped.message, clock(), stopped.until))
        wait = (stopped.until - clock()).total_seconds() if stopped.until else AFTER_DAY_LIMIT
        requeue = max(wait, 1.0) if stopped.kind is IssueKind.DAY_LIMIT else None
    finally:
        # The day's usage also counts the documents put in Xero: the status page's posted volume per day.
        usage = dataclasses.replace(xero.usage, posted=xero.usage.posted + posted_in(ledger.tally))
        work.usage.add(clock().date(), usage)
    return PostingOutcome(entity, status, message, dict(ledger.tally), usage, found, requeue)


def posted_in(tally: Mapping[tuple[str, str], int]) -> int:
    """Documents a run put in Xero (found there after an unknown outcome included)."""
    return sum(count for (_, outcome), count in tally.items() if outcome == "posted")


def _connect(
    work: EntityWork,
    binding: Binding,
    connector: XeroConnector,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    budget: Budget,
) -> XeroApi | PostingOutcome:
    """Open the entity's door, the binding checked; Xero's passing troubles are retried, not called broken."""
    entity = work.entity
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            return connector.connect(binding, work.connection)
        except XeroCallFailed as failure:
            if failure.problem is Problem.DAY_LIMIT:
                until = clock() + timedelta(seconds=failure.retry_after or AFTER_DAY_LIMIT)
                message = f"{entity} reached Xero's daily call limit: posting goes on at {until:%Y-%m-%d %H:%M} UTC"
                work.issues.raise_issue(EntityIssue(entity, IssueKind.DAY_LIMIT, message, clock(), until))
                wait = (until - clock()).total_seconds()
                return PostingOutcome(entity, PostingStatus.STOPPED, message, requeue_after=wait)
            if failure.problem in PASSING:
                if attempt < CONNECT_ATTEMPTS:
                    sleep((failure.retry_after or 2.0**attempt) * (1.0 if failure.retry_after else budget.time_scale))
                    continue
                return PostingOutcome(entity, PostingStatus.MORE, f"Xero did not answer: {failure}",
                                      requeue_after=AFTER_UNKNOWN)  # fmt: skip
            message = f"{entity} stopped: {failure}"
        except CynareError as error:  # the sealed secrets do not open (copied row, key changed), no key set
            message = f"{entity} stopped: {error}"
        work.issues.raise_issue(EntityIssue(entity, IssueKind.CONNECTION_BROKEN, message, clock()))
        return PostingOutcome(entity, PostingStatus.STOPPED, message)
    raise AssertionError("unreachable")


def _post_ready(run: steps.Run) -> None:
    documents = run.ledger.work.documents
    settings = run.ledger.work.settings
    if settings is not None and settings.receipts_from is CashDirection.XERO:
        steps.leave_cash_to_xero(
            run, [s for dataset in CASH_DATASETS for s in documents.in_state(State.READY, dataset)]
        )

    def ready(dataset: str) -> list[StoredDocument]:
        """Ready documents, and those waiting only on what may have reached Xero earlier in this run."""
        listed = list(documents.in_state(State.READY, dataset))
        listed += [s for s in documents.in_state(State.WAITING, dataset)
                   if s.holds and all(h.kind in POSTING_HOLDS for h in s.holds)]  # fmt: skip
        run.ledger.remember(listed)
        return listed

    steps.post_clients(run, steps.sendable(run, ready("clients")))
    steps.post_bills(run, steps.sendable(run, ready("bills")))
    steps.post_credit_notes(run, steps.sendable(run, ready("credit_notes")))
    steps.post_write_offs(run, steps.sendable(run, ready("write_offs")))
    # A bill paid, returned and paid again: the second payment waits until the return has reopened the bill.
    returns = ready("returned_receipts")
    reopening = steps.bills_reopened_by(run, returns)
    returning = frozenset(r.document.body.receipt_id for r in returns)  # type: ignore[union-attr]
    steps.post_receipts(run, ready("receipts"), ready("receipt_allocations"), reopening, returning)
    steps.post_returned_receipts(run, steps.sendable(run, returns))
    if reopening:
        steps.post_receipts(run, ready("receipts"), ready("receipt_allocations"))
    steps.post_unallocated(run, steps.sendable(run, ready("unallocated_receipts")))
    steps.post_allocations(run, steps.sendable(run, ready("allocations")))
    steps.post_cancellations(run, steps.sendable(run, ready("cancellations")))
