"""Faults injected per test: the next N requests whose path contains a given text answer a chosen
status and Graph error code (429 with Retry-After, 503, 400 ErrorInvalidRecipients, ...), answer after
a delay, or lose their connection without an answer (status 0)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

# Graph's usual code and message for each status a test is likely to ask for.
DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is invalid."),
    401: ("InvalidAuthenticationToken", "Access token validation failure."),
    403: ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    404: ("ErrorItemNotFound", "The specified object was not found in the store."),
    429: ("ApplicationThrottled", "Application is over its MailboxConcurrency limit."),
    500: ("generalException", "General exception while processing."),
    502: ("BadGateway", "The gateway received an invalid response."),
    503: ("ServiceNotAvailable", "The service is temporarily unavailable. Please retry later."),
    504: ("GatewayTimeout", "The gateway did not receive a response in time."),
}


@dataclass
class Fault:
    status: int  # 0: drop the connection without answering
    remaining: int = 1
    path: str = ""  # a text the request path must contain ("sendMail", "/messages", "token"); "" for any
    code: str = ""
    message: str = ""
    retry_after: int | None = None
    seconds: float = 0.0  # wait this long before answering (or dropping)

    def __post_init__(self) -> None:
        if self.status != 0 and not 400 <= self.status <= 599:
            raise ValueError(f"fault status {self.status}: give 400-599, or 0 to drop the connection")
        if self.remaining < 1:
            raise ValueError("fault count must be at least 1")
        default_code, default_message = DEFAULT_ERRORS.get(self.status, ("UnknownError", "An error occurred."))
        self.code = self.code or default_code
        self.message = self.message or default_message


class Faults:
    def __init__(self) -> None:
        self._queue: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(fault)

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._queue:
                if fault.path.lower() in path.lower():
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._queue.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return [
                Fault(f.status, f.remaining, f.path, f.code, f.message, f.retry_after, f.seconds) for f in self._queue
            ]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
