"""What crossed the emulator: each call, and per-tenant counts of calls, 429s and in-flight peaks."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CallRecord:
    at: datetime
    method: str
    path: str
    tenant_id: str | None
    status: int
    fault: str | None = None
    replayed: bool = False


@dataclass
class TenantCounts:
    calls: int = 0
    throttled: int = 0
    in_flight_peak: int = 0
    by_status: dict[int, int] = field(default_factory=dict)


class CallLog:
    def __init__(self, keep: int = 20_000) -> None:
        self._records: deque[CallRecord] = deque(maxlen=keep)
        self._counts: dict[str, TenantCounts] = {}
        self._lock = threading.Lock()

    def record(self, entry: CallRecord) -> None:
        with self._lock:
            self._records.append(entry)
            if entry.tenant_id:
                counts = self._counts.setdefault(entry.tenant_id, TenantCounts())
                counts.calls += 1
                counts.throttled += entry.status == 429
                counts.by_status[entry.status] = counts.by_status.get(entry.status, 0) + 1

    def in_flight(self, tenant_id: str, now_in_flight: int) -> None:
        with self._lock:
            counts = self._counts.setdefault(tenant_id, TenantCounts())
            counts.in_flight_peak = max(counts.in_flight_peak, now_in_flight)

    def records(self) -> list[CallRecord]:
        with self._lock:
            return list(self._records)

    def counts(self) -> dict[str, TenantCounts]:
        with self._lock:
            return {
                k: TenantCounts(v.calls, v.throttled, v.in_flight_peak, dict(v.by_status))
                for k, v in self._counts.items()
            }

    def summary(self) -> dict[str, Any]:
        return {tenant: asdict(counts) for tenant, counts in self.counts().items()}

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
            self._counts.clear()
