"""Send the report on each channel on its own: a channel's failure never stops the other, and is itself
reported (in the run's outcome, on the other channel, and in the next day's report)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from cynare.service_layer.reconciliation.ports import DeliveryFailed

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 4
FIRST_WAIT = 2.0  # seconds; doubled at each attempt unless the channel says how long (Retry-After)
LONGEST_WAIT = 60.0


@dataclass(frozen=True, slots=True)
class Delivery:
    channel: str  # "email", "Teams"
    sent: bool
    attempts: int
    problem: str = ""  # why it was not sent, for a person

    def __str__(self) -> str:
        if self.sent:
            return f"{self.channel}: sent" + (f" after {self.attempts} attempts" if self.attempts > 1 else "")
        return f"{self.channel}: NOT sent after {self.attempts} attempt(s): {self.problem}"


def deliver(channel: str, send: Callable[[], None], sleep: Callable[[float], None]) -> Delivery:
    """Try `send` up to ATTEMPTS times while the failure is one that passes (throttled, unavailable)."""
    wait = FIRST_WAIT
    for attempt in range(1, ATTEMPTS + 1):
        try:
            send()
        except DeliveryFailed as failure:
            log.warning("the reconciliation %s failed (attempt %d of %d): %s", channel, attempt, ATTEMPTS, failure)
            if not failure.retryable or attempt == ATTEMPTS:
                return Delivery(channel, False, attempt, str(failure))
            sleep(min(failure.retry_after if failure.retry_after is not None else wait, LONGEST_WAIT))
            wait *= 2
        else:
            return Delivery(channel, True, attempt)
    raise AssertionError("unreachable: the loop returns on its last attempt")
