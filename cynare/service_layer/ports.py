"""The ports the use cases take as arguments, besides the unit of work. Adapters implement them; tests pass fakes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from cynare.extract.batch import BatchFiles


class Inbox(Protocol):
    """Committed batches waiting in the `inbound` container."""

    def committed_batches(self) -> Iterator[tuple[str, str]]: ...  # (entity, batch_id)

    def open_batch(self, entity: str, batch_id: str) -> BatchFiles: ...

    def manifest_version(self, entity: str, batch_id: str) -> str:
        """Changes whenever the batch's manifest is written again (a blob's ETag): a corrected batch."""
        ...


class WorkQueue(Protocol):
    def announce(self, entity: str, reason: str, delay_seconds: float = 0.0) -> None:
        """Queue one `xero-post` message for the entity, seen by the poster after `delay_seconds`."""
        ...
