"""About four requests a second per webhook, as Teams takes them; beyond that a 429 with Retry-After."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

REQUESTS_PER_SECOND = 4
WINDOW = 1.0  # seconds


class RateLimit:
    """A sliding one-second window: a request is taken while fewer than `per_second` were taken in it."""

    def __init__(self, per_second: int = REQUESTS_PER_SECOND, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second < 1:
            raise ValueError("per_second must be at least 1")
        self.per_second = per_second
        self._clock = clock
        self._taken: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """None when the request may go ahead, else the whole seconds to wait (for Retry-After)."""
        with self._lock:
            now = self._clock()
            while self._taken and self._taken[0] <= now - WINDOW:
                self._taken.popleft()
            if len(self._taken) >= self.per_second:
                return max(1, math.ceil(self._taken[0] + WINDOW - now))
            self._taken.append(now)
            return None

    def clear(self) -> None:
        with self._lock:
            self._taken.clear()
