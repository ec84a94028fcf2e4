"""Emulated time: real time stretched or squeezed by one factor, or moved by hand in tests.

`time_scale` is real seconds per emulated second: 1/60 makes an emulated minute last one real second.
Rate-limit windows, token lifetimes and idempotency windows all read this clock.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    time_scale: float

    def now(self) -> datetime: ...

    def seconds(self) -> float: ...


class ScaledClock:
    """Emulated UTC time that starts at the real time and runs `1 / time_scale` times as fast."""

    def __init__(self, time_scale: float = 1.0, start: datetime | None = None) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._origin = (start or datetime.now(UTC)).timestamp()
        self._real_origin = time.monotonic()

    def seconds(self) -> float:
        return self._origin + (time.monotonic() - self._real_origin) / self.time_scale

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.seconds(), UTC)


class ManualClock:
    """A clock that only moves when told to, for tests of windows and expiries."""

    def __init__(self, start: datetime | None = None, time_scale: float = 1.0) -> None:
        self.time_scale = time_scale
        self._now = (start or datetime.now(UTC)).timestamp()
        self._lock = threading.Lock()

    def seconds(self) -> float:
        with self._lock:
            return self._now

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.seconds(), UTC)

    def advance(self, delta: timedelta | float) -> None:
        step = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        with self._lock:
            self._now += step


def today(clock: Clock) -> date:
    return clock.now().date()


def real_seconds(clock: Clock, emulated: float) -> float:
    """How long `emulated` seconds last on the wall clock."""
    return emulated * clock.time_scale
