"""The lifecycle of every document in the warehouse, and its history.

    received ──► ready ──► posting ──► posted
        │          ▲          │
        ▼          │          ▼
     waiting ──────┘       rejected (with the reason a person must act on)

A document is `waiting` while it depends on another that has not arrived or was rejected;
`posting` while an attempt's outcome is unknown. At any time every row received is counted
once: in a posted, rejected or still-open (received, ready, waiting, posting) document, or in
the import's row rejections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class State(StrEnum):
    RECEIVED = "received"
    READY = "ready"
    WAITING = "waiting"
    POSTING = "posting"
    POSTED = "posted"
    REJECTED = "rejected"


OPEN_STATES = frozenset({State.RECEIVED, State.READY, State.WAITING, State.POSTING})

_ALLOWED: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.READY, State.WAITING, State.REJECTED}),
    State.WAITING: frozenset({State.READY, State.WAITING, State.REJECTED}),
    State.READY: frozenset({State.POSTING, State.WAITING, State.REJECTED, State.READY}),
    State.POSTING: frozenset({State.POSTED, State.REJECTED, State.READY}),
    # A posted or rejected document changed in the PMS goes round again as a new version.
    State.POSTED: frozenset({State.READY, State.WAITING}),
    State.REJECTED: frozenset({State.READY, State.WAITING}),
}


class IllegalTransition(ValueError):
    pass


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


def check_transition(current: State, new: State) -> None:
    if new not in _ALLOWED[current]:
        raise IllegalTransition(f"a {current.value} document cannot become {new.value}")
