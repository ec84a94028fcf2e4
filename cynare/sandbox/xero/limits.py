"""Xero's rate limits: per app and organisation 5 in flight, 60 a minute and a daily quota
(5,000, or 1,000 on the Starter tier); per app 10,000 a minute. Windows are fixed and start at each
key's first call, so they reset at different times per tenant. Durations are emulated seconds.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from cynare.sandbox.xero.clock import Clock

CONCURRENT = 5
PER_MINUTE = 60
APP_PER_MINUTE = 10_000
MINUTE = 60.0
DAY = 86_400.0


@dataclass
class _Window:
    length: float
    start: float = -math.inf
    used: int = 0

    def roll(self, now: float) -> None:
        if now >= self.start + self.length:
            self.start, self.used = now, 0

    def remaining(self, limit: int, now: float) -> int:
        self.roll(now)
        return max(0, limit - self.used)

    def wait(self, now: float) -> float:
        return max(0.0, self.start + self.length - now)


@dataclass
class Refusal:
    problem: str
    retry_after: int | None  # real seconds


@dataclass
class _Key:
    minute: _Window = field(default_factory=lambda: _Window(MINUTE))
    day: _Window = field(default_factory=lambda: _Window(DAY))
    in_flight: int = 0


class RateLimits:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._keys: dict[tuple[str, str], _Key] = {}
        self._apps: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self.enabled = True

    def _real(self, emulated: float) -> int:
        return max(1, math.ceil(emulated * self.clock.time_scale))

    def acquire(self, app: str, tenant_id: str, day_limit: int) -> Refusal | None:
        """Take a slot for one call, or say why not; a refused call uses no quota."""
        now = self.clock.seconds()
        with self._lock:
            key = self._keys.setdefault((app, tenant_id), _Key())
            app_window = self._apps.setdefault(app, _Window(MINUTE))
            if self.enabled:
                if key.in_flight >= CONCURRENT:
                    return Refusal("concurrent", None)
                if key.day.remaining(day_limit, now) <= 0:
                    return Refusal("day", self._real(key.day.wait(now)))
                if key.minute.remaining(PER_MINUTE, now) <= 0:
                    return Refusal("minute", self._real(key.minute.wait(now)))
                if app_window.remaining(APP_PER_MINUTE, now) <= 0:
                    return Refusal("appminute", self._real(app_window.wait(now)))
            key.day.roll(now)
            key.minute.roll(now)
            app_window.roll(now)
            key.day.used += 1
            key.minute.used += 1
            app_window.used += 1
            key.in_flight += 1
            return None

    def in_flight(self, app: str, tenant_id: str) -> int:
        with self._lock:
            key = self._keys.get((app, tenant_id))
            return key.in_flight if key else 0

    def release(self, app: str, tenant_id: str) -> None:
        with self._lock:
            key = self._keys.get((app, tenant_id))
            if key is not None:  # gone if the emulator was reset while the call ran
                key.in_flight = max(0, key.in_flight - 1)

    def headers(self, app: str, tenant_id: str, day_limit: int) -> dict[str, str]:
        now = self.clock.seconds()
        with self._lock:
            key = self._keys.setdefault((app, tenant_id), _Key())
            app_window = self._apps.setdefault(app, _Window(MINUTE))
            return {
                "X-DayLimit-Remaining": str(key.day.remaining(day_limit, now)),
                "X-MinLimit-Remaining": str(key.minute.remaining(PER_MINUTE, now)),
                "X-AppMinLimit-Remaining": str(app_window.remaining(APP_PER_MINUTE, now)),
            }

    def reset(self) -> None:
        with self._lock:
            self._keys.clear()
            self._apps.clear()
