"""Keeps one entity's calls inside Xero's limits before Xero has to refuse them.

Xero allows each app 60 calls a minute and 5 in flight per organisation. Its minute windows are fixed
and start at a time we cannot see, so the pacer keeps a stricter rule: at most `per_minute` starts in
any rolling window of `minute_seconds`, which fits inside every fixed window Xero could be using.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)
# Xero counts a call when it arrives, we when its slot is granted: a call slow to arrive can land in the
# next fixed window beside the calls after it. A rolling window 2% longer than the minute leaves room for it.
WINDOW_MARGIN = 1.02
# Float rounding can leave a wait a hair short; a floor keeps every wait large enough to move a clock.
_MIN_WAIT = 1e-6


class Pacer:
    """Thread-safe: share one per entity between every thread that calls its organisation.

    `minute_seconds` lets a local run follow the emulator's time scale (`time_scale * 60`);
    `clock` and `sleep` let tests drive time by hand.
    """

    def __init__(
        self,
        per_minute: int = 60,
        concurrent: int = 5,
        minute_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute < 1 or concurrent < 1 or minute_seconds <= 0:
            raise ValueError("per_minute, concurrent and minute_seconds must be positive")
        self.per_minute = per_minute
        self.concurrent = concurrent
        self.minute_seconds = minute_seconds
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._starts: deque[float] = deque()
        self._in_flight = 0
        self._paused_until = float("-inf")

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait until a call may start; the call is in flight until the block ends."""
        self._acquire()
        try:
            yield
        finally:
            self._release()

    def pause(self, seconds: float) -> None:
        """Hold every slot for `seconds` from now (Xero said so in a minute 429's Retry-After)."""
        if seconds <= 0:
            return
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
        logger.debug("pacer paused for %.3fs", seconds)

    @property
    def in_flight(self) -> int:
        with self._cond:
            return self._in_flight

    def _acquire(self) -> None:
        while True:
            with self._cond:
                now = self._clock()
                horizon = now - self.minute_seconds * WINDOW_MARGIN
                while self._starts and self._starts[0] <= horizon:
                    self._starts.popleft()
                if self._paused_until > now:
                    wait = self._paused_until - now
                elif len(self._starts) >= self.per_minute:
                    # The oldest start leaves the window after this long.
                    wait = self._starts[0] - horizon
                elif self._in_flight >= self.concurrent:
                    # A release wakes us; time does not help here.
                    self._cond.wait()
                    continue
                else:
                    self._starts.append(now)
                    self._in_flight += 1
                    return
            # Sleep outside the lock so that other threads can finish their calls meanwhile.
            self._sleep(max(wait, _MIN_WAIT))

    def _release(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify()
