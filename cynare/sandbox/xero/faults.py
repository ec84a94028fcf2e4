"""Faults injected per test: the next N calls fail with 500 or 503, time out, are carried out and
then lose their connection before the response, or are slowed (to fill the in-flight limit)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["500", "503", "timeout", "drop_after", "slow"]
KINDS: tuple[str, ...] = ("500", "503", "timeout", "drop_after", "slow")


@dataclass
class Fault:
    kind: FaultKind
    remaining: int
    tenant_id: str | None = None
    seconds: float = 0.0  # real seconds a "timeout" holds the connection or a "slow" call waits


class Faults:
    def __init__(self) -> None:
        self._queue: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: FaultKind, count: int = 1, tenant_id: str | None = None, seconds: float = 0.0) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {', '.join(KINDS)}")
        if kind == "timeout" and not seconds:
            seconds = 5.0
        with self._lock:
            self._queue.append(Fault(kind, count, tenant_id, seconds))

    def take(self, tenant_id: str) -> Fault | None:
        with self._lock:
            for fault in self._queue:
                if fault.tenant_id in (None, tenant_id):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._queue.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return [Fault(f.kind, f.remaining, f.tenant_id, f.seconds) for f in self._queue]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
