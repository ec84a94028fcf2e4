"""Use case: the exceptions a person works, and the two actions on each: retry, or skip with a note.

An exception is a document Xero refused (or that conflicts with what Xero has), with Xero's words
and the action to take; or an issue that stopped a whole entity (not connected, connection broken,
day limit, a queue message that failed five times). Retrying sends a document again on the next
run; skipping settles it for good, with the note saying why (entered in Xero by hand, say); a document
held before Xero (waiting) may be skipped too. Running a stopped entity again queues it now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State, retried, skipped
from cynare.errors import CynareError
from cynare.service_layer.ports import WorkQueue
from cynare.service_layer.unit_of_work import UnitOfWork
from cynare.service_layer.xero_port import EntityIssue, IssueKind


class NoSuchException(CynareError):
    """The document named is not an exception of the entity (not there, or not refused)."""


@dataclass(frozen=True, slots=True)
class DocumentException:
    entity: str
    key: DocKey
    source_id: str
    reason: str
    since: datetime | None


@dataclass(frozen=True, slots=True)
class Exceptions:
    documents: list[DocumentException]
    issues: list[EntityIssue]


def list_exceptions(uow: UnitOfWork, entity: str) -> Exceptions:
    with uow.for_entity(entity) as work:
        refused = [
            DocumentException(entity, s.document.key, s.document.source_id, s.reason,
                              s.history[-1].at if s.history else None)
            for s in work.documents.in_state(State.REJECTED)
        ]  # fmt: skip
        return Exceptions(sorted(refused, key=lambda e: e.key), work.issues.open())


def retry(uow: UnitOfWork, queue: WorkQueue, entity: str, key: DocKey, by: str, clock: Callable[[], datetime]) -> None:
    _act(uow, entity, key, lambda stored: retried(stored, by, clock()), "retried")
    queue.announce(entity, f"{key} retried by {by}")


def skip(uow: UnitOfWork, entity: str, key: DocKey, by: str, note: str, clock: Callable[[], datetime]) -> None:
    if not note.strip():
        raise NoSuchException("say why the document is skipped (--note): the note is what the team reads later")
    _act(uow, entity, key, lambda stored: skipped(stored, by, note.strip(), clock()), "skipped", SKIPPABLE)


SKIPPABLE = frozenset({State.REJECTED, State.WAITING})  # refused by Xero, or held before it
RUN_AGAIN = frozenset({IssueKind.POISONED, IssueKind.CONNECTION_BROKEN, IssueKind.NOT_CONNECTED})


def run_again(uow: UnitOfWork, queue: WorkQueue, entity: str, kind: IssueKind, by: str) -> None:
    """A stopped entity's cause is fixed: queue its posting now. A poisoned message is gone for good, so its
    issue is cleared here; the run itself clears a connection's issue once it connects (or raises it again)."""
    if kind not in RUN_AGAIN:
        raise NoSuchException(f"{entity} stopped on its {kind} runs again by itself when the limit resets")
    with uow.for_entity(entity) as work:
        if all(issue.kind is not kind for issue in work.issues.open()):
            raise NoSuchException(f"{entity} has no open {kind} issue: look again, it may be settled already")
        if kind is IssueKind.POISONED:
            work.issues.clear(kind)
    queue.announce(entity, f"run again by {by} after {kind}")


def _act(
    uow: UnitOfWork,
    entity: str,
    key: DocKey,
    decide: Callable[..., object],
    what: str,
    allowed: frozenset[State] = frozenset({State.REJECTED}),
) -> None:
    with uow.for_entity(entity) as work:
        stored = work.documents.get_many([key]).get(key)
        if stored is None or stored.state not in allowed:
            state = stored.state.value if stored else "not in the warehouse"
            wanted = " or ".join(sorted(s.value for s in allowed))
            raise NoSuchException(f"{entity} {key} cannot be {what}: it is {state}, not {wanted}")
        if work.documents.save([decide(stored)]):  # type: ignore[list-item]
            raise NoSuchException(f"{entity} {key} changed while it was being {what}: look again and repeat")
