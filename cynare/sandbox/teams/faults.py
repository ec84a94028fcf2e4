"""Faults injected per test: the next N posts are answered with an error status, slowed, or dropped
without an answer."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

STATUSES = ("429", "500", "502", "503", "504")
KINDS = (*STATUSES, "slow", "drop")


@dataclass
class Fault:
    kind: str  # an HTTP status from STATUSES, "slow" (answer after `seconds`) or "drop" (close, no answer)
    remaining: int
    retry_after: int | None = None  # sent as Retry-After with a status
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Faults:
    def __init__(self) -> None:
        self._queue: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, count: int = 1, retry_after: int | None = None, seconds: float = 0.0) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}: choose from {', '.join(KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if kind == "slow" and seconds <= 0:
            raise ValueError('a "slow" fault needs "seconds" above 0')
        if kind == "429" and retry_after is None:
            retry_after = 1
        fault = Fault(kind, count, retry_after, seconds)
        with self._lock:
            self._queue.append(fault)
        return fault

    def take(self) -> Fault | None:
        with self._lock:
            if not self._queue:
                return None
            fault = self._queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._queue.pop(0)
            return Fault(fault.kind, 1, fault.retry_after, fault.seconds)

    def pending(self) -> list[Fault]:
        with self._lock:
            return [Fault(f.kind, f.remaining, f.retry_after, f.seconds) for f in self._queue]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
