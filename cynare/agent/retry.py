"""Retry with exponential backoff, for failures that may pass (a lost network, a busy service)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    retries: int = 5
    first_wait: float = 2.0
    sleep: Callable[[float], None] | None = None

    def call(self, action: Callable[[], T], what: str, transient: tuple[type[Exception], ...]) -> T:
        import time

        sleep = self.sleep or time.sleep
        for attempt in range(self.retries + 1):
            try:
                return action()
            except transient as exc:
                if attempt == self.retries:
                    raise
                wait = self.first_wait * 2**attempt
                log.warning("%s failed (%s), retry %d of %d in %.1fs", what, exc, attempt + 1, self.retries, wait)
                sleep(wait)
        raise AssertionError("unreachable")
