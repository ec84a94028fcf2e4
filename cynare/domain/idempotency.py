"""Idempotency keys: the same documents, operation and versions always give the same key.

Xero replays the first answer to a key for 6 minutes, which covers a retry inside one run. A key
is a digest of (entity, operation, each document's key, version and attempt number), so a batch
sent again after a timeout carries the key Xero saw, while a new version, or a new attempt after a
refusal was fixed (which Xero must not answer from its cache), never reuses an old key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from cynare.domain.documents import DocKey

MAX_LENGTH = 128  # Xero's limit on the header


def idempotency_key(entity: str, operation: str, documents: Iterable[tuple[DocKey, str, int]]) -> str:
    parts = [entity, operation, *sorted(f"{key}@{version}#{attempt}" for key, version, attempt in documents)]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    key = f"cynare-{operation}-{digest}"
    assert len(key) <= MAX_LENGTH
    return key
