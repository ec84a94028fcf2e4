"""The lifecycle of every document in the warehouse: its states, their history, and the decisions that move it.

    received ──► ready ──► posting ──► posted
        │          ▲          │           │
        ▼          │          ▼           ▼
     waiting ──────┘       rejected    cancelled (voided in Xero, or withdrawn before it got there)

A document is `waiting` while it is held, each hold saying what would release it; `posting`
while an attempt's outcome is unknown. Every decision below is a pure function from what is
stored to what should be stored: the warehouse persists its result guarded by the ETag it read,
so of two writers working from the same version only one wins. At any time every row received is
counted once: in a document, in whatever state, or in the import's row rejections.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cynare.domain.documents import Document
from cynare.domain.holds import Hold, reason_of
from cynare.errors import CynareError


class State(StrEnum):
    RECEIVED = "received"
    READY = "ready"
    WAITING = "waiting"
    POSTING = "posting"
    POSTED = "posted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


OPEN_STATES = frozenset({State.RECEIVED, State.READY, State.WAITING, State.POSTING})

_ALLOWED: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.READY, State.WAITING, State.REJECTED}),
    State.WAITING: frozenset({State.READY, State.WAITING, State.REJECTED, State.CANCELLED}),
    State.READY: frozenset({State.POSTING, State.WAITING, State.REJECTED, State.READY, State.CANCELLED}),
    # posting -> posting: a new version arrived during the attempt, which must end first.
    State.POSTING: frozenset({State.POSTED, State.REJECTED, State.READY, State.POSTING}),
    # A posted or rejected document changed in the PMS goes round again as a new version.
    State.POSTED: frozenset({State.READY, State.WAITING, State.CANCELLED}),
    State.REJECTED: frozenset({State.READY, State.WAITING, State.CANCELLED}),
    State.CANCELLED: frozenset({State.CANCELLED}),
}
HISTORY_KEPT = 40


class IllegalTransition(CynareError, ValueError):
    """A document cannot move from its state to the one asked."""


@dataclass(frozen=True, slots=True)
class Transition:
    at: datetime
    state: State
    reason: str = ""

    def as_list(self) -> list[str]:
        return [self.at.isoformat(), self.state.value, self.reason]

    @classmethod
    def from_list(cls, item: list[str]) -> Transition:
        return cls(datetime.fromisoformat(item[0]), State(item[1]), item[2])


@dataclass(frozen=True, slots=True)
class Stamp:
    """Which batch wrote a version: the agent's commit order decides which of two versions is newer."""

    batch_id: str
    source: str
    sequence: int


@dataclass(frozen=True, slots=True)
class StoredDocument:
    document: Document
    state: State
    reason: str
    history: tuple[Transition, ...]
    stamp: Stamp
    holds: tuple[Hold, ...] = ()
    xero_id: str = ""
    etag: str = ""  # the store's version of this record; "" for one not stored yet

    @property
    def batch_id(self) -> str:
        return self.stamp.batch_id


def check_transition(current: State, new: State) -> None:
    if new not in _ALLOWED[current]:
        raise IllegalTransition(f"a {current.value} document cannot become {new.value}")


def _move(stored: StoredDocument, state: State, reason: str, at: datetime, **changes: object) -> StoredDocument:
    check_transition(stored.state, state)
    history = (*stored.history, Transition(at, state, reason))[-HISTORY_KEPT:]
    return dataclasses.replace(stored, state=state, reason=reason, history=history, **changes)  # type: ignore[arg-type]


def is_older(incoming: Stamp, current: Stamp) -> bool:
    """A batch committed before the one that wrote the stored version, by the same source."""
    return incoming.source == current.source and incoming.sequence < current.sequence


def arrive(
    current: StoredDocument | None, document: Document, holds: tuple[Hold, ...], stamp: Stamp, at: datetime
) -> StoredDocument | None:
    """A version of a document arrives; None when nothing is to be written (same version, or an older batch)."""
    state = State.WAITING if holds else State.READY
    reason = reason_of(holds)
    if current is None:
        arrival = (Transition(at, State.RECEIVED, f"batch {stamp.batch_id}"), Transition(at, state, reason))
        return StoredDocument(document, state, reason, arrival, stamp, holds)
    if current.document.version == document.version or is_older(stamp, current.stamp):
        return None
    note = f"new version {document.version} from batch {stamp.batch_id}"
    if current.state is State.POSTING:
        # An attempt is in flight: it must end first; the poster then sees the new version.
        state, reason, holds = State.POSTING, "a new version arrived while an attempt was in flight", ()
    elif current.state is State.CANCELLED:
        state, reason, holds = State.CANCELLED, f"changed in the PMS after it was cancelled: {current.reason}", ()
    else:
        reason = reason or "changed in the PMS"
    moved = _move(current, state, f"{note}: {reason}", at, document=document, stamp=stamp, holds=holds)
    return dataclasses.replace(moved, reason=reason)


def reassess(stored: StoredDocument, holds: tuple[Hold, ...], at: datetime) -> StoredDocument | None:
    """Holds computed again (a mapping arrived, a dependency was received): release or hold; None if unchanged."""
    if stored.state not in {State.READY, State.WAITING} or holds == stored.holds:
        return None
    if not holds:
        return _move(stored, State.READY, "", at, holds=()) if stored.state is State.WAITING else None
    return _move(stored, State.WAITING, reason_of(holds), at, holds=holds)


def begin_posting(stored: StoredDocument, at: datetime) -> StoredDocument:
    return _move(stored, State.POSTING, f"posting version {stored.document.version}", at)


def posted(stored: StoredDocument, xero_id: str, at: datetime, note: str = "") -> StoredDocument:
    """The Xero id and the posted state go in one write; `note` keeps a warning Xero gave or how it was matched."""
    reason = f"in Xero as {xero_id}" + (f"; {note}" if note else "")
    return _move(stored, State.POSTED, reason, at, xero_id=xero_id)


def back_to_ready(stored: StoredDocument, reason: str, at: datetime) -> StoredDocument:
    """An attempt ended without a Xero record: looked up and not there, or refused while a newer version waits."""
    return _move(stored, State.READY, reason, at)


def superseded(stored: StoredDocument, xero_id: str, sent_version: str, at: datetime) -> StoredDocument:
    """An attempt ended in Xero after a newer version arrived: keep the Xero id, and send the newer version."""
    note = f"version {sent_version} in Xero as {xero_id}; version {stored.document.version} to send"
    return _move(stored, State.READY, note, at, xero_id=xero_id)


def progressed(stored: StoredDocument, xero_id: str, step: str, at: datetime) -> StoredDocument:
    """A document that takes two calls (a write-off's credit note, then its allocation) after the first:
    still posting, with the Xero id it got, so a rerun finishes the second call instead of repeating the first."""
    return _move(stored, State.POSTING, step, at, xero_id=xero_id)


def rejected(stored: StoredDocument, reason: str, at: datetime) -> StoredDocument:
    return _move(stored, State.REJECTED, reason, at, holds=())


def cancelled(stored: StoredDocument, reason: str, at: datetime) -> StoredDocument:
    return _move(stored, State.CANCELLED, reason, at, holds=())


def attempt_number(stored: StoredDocument) -> int:
    """How many attempts to post this document have begun (its history's posting moves)."""
    return sum(1 for transition in stored.history if transition.state is State.POSTING)


def sent_version(stored: StoredDocument) -> str:
    """The version the last attempt sent: a newer one may have arrived while it was in flight."""
    prefix = "posting version "
    for transition in reversed(stored.history):
        if transition.state is State.POSTING and transition.reason.startswith(prefix):
            return transition.reason[len(prefix) :]
    return stored.document.version


def retried(stored: StoredDocument, by: str, at: datetime) -> StoredDocument:
    """A person asks for a refused document to go again (its cause fixed in Xero or in the mappings)."""
    if stored.state is not State.REJECTED:
        raise IllegalTransition(f"only a rejected document can be retried; this one is {stored.state.value}")
    return _move(stored, State.READY, f"retry asked by {by}", at, holds=())


def skipped(stored: StoredDocument, by: str, note: str, at: datetime) -> StoredDocument:
    """A person settles a document outside Cynare Link (entered in Xero by hand): it is not sent, and says why."""
    if stored.state in {State.POSTING, State.POSTED}:
        raise IllegalTransition(f"a {stored.state.value} document is in Xero, or may be: it cannot be skipped")
    return _move(stored, State.CANCELLED, f"{SKIPPED_BY}{by}: {note}", at, holds=())


SKIPPED_BY = "skipped by "


def is_skipped(stored: StoredDocument) -> bool:
    """Cancelled here by a person's skip, not in the PMS: the PMS's ledger still counts it."""
    return stored.state is State.CANCELLED and stored.reason.startswith(SKIPPED_BY)


def expire_posting(stored: StoredDocument, now: datetime, after: timedelta) -> StoredDocument | None:
    """A `posting` left by a crashed attempt goes back to ready: the poster looks it up in Xero before resending."""
    if stored.state is not State.POSTING or not stored.history or now - stored.history[-1].at < after:
        return None
    return _move(stored, State.READY, f"attempt outcome unknown after {after}; look up in Xero before sending", now)
