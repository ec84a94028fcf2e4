"""`Idempotency-Key` on POST/PUT: a repeat within 6 emulated minutes of the first call gets the first
response without doing anything; the same key with a different request is a 400."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from cynare.sandbox.xero.clock import Clock
from cynare.sandbox.xero.errors import bad_request

WINDOW = 6 * 60.0
MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class Saved:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]


@dataclass
class _Entry:
    fingerprint: str
    expires_at: float
    saved: Saved | None = None


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


class IdempotencyStore:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._entries: dict[tuple[str, str, str], _Entry] = {}
        self._lock = threading.Lock()

    def check(self, scope: tuple[str, str], key: str, print_: str) -> Saved | None:
        """The saved response for a repeat, None for a first call; raises for a misuse of the key."""
        if len(key) > MAX_KEY_LENGTH:
            raise bad_request(f"The Idempotency-Key must be at most {MAX_KEY_LENGTH} characters")
        now = self.clock.seconds()
        with self._lock:
            entry = self._entries.get((*scope, key))
            if entry is None or entry.expires_at <= now:
                return None
            if entry.fingerprint != print_:
                raise bad_request("The Idempotency-Key has already been used with a different request")
            return entry.saved

    def save(self, scope: tuple[str, str], key: str, print_: str, saved: Saved) -> None:
        now = self.clock.seconds()
        with self._lock:
            entry = self._entries.get((*scope, key))
            if entry is None or entry.expires_at <= now:
                self._entries[(*scope, key)] = _Entry(print_, now + WINDOW, saved)
            # Expired entries go lazily: drop them now and then so the store stays small.
            if len(self._entries) > 10_000:
                self._entries = {k: e for k, e in self._entries.items() if e.expires_at > now}

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
