"""The ports the use cases take as arguments. Adapters implement them; tests may pass fakes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cynare.domain.documents import DocKey, Document
from cynare.domain.lifecycle import State, Transition
from cynare.extract.batch import BatchFiles
from cynare.extract.reader import Rejection


@dataclass(frozen=True, slots=True)
class StoredDocument:
    document: Document
    state: State
    reason: str
    history: tuple[Transition, ...]
    etag: str
    batch_id: str
    xero_id: str = ""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a document goes in the warehouse: its state on arrival and why."""

    document: Document
    state: State
    reason: str = ""


@dataclass(slots=True)
class UpsertCounts:
    created: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class BatchRecord:
    entity: str
    batch_id: str
    state: str  # imported | rejected
    reason: str = ""
    counts: dict[str, Any] = field(default_factory=dict)


class Warehouse(Protocol):
    """CynareLink: documents with their lifecycle, batches, row rejections, reference data, identities."""

    def batch(self, entity: str, batch_id: str) -> BatchRecord | None: ...

    def record_batch(self, record: BatchRecord, manifest_json: str, at: datetime) -> None: ...

    def home_source(self, entity: str) -> str | None: ...

    def claim_home_source(self, entity: str, source: str) -> str: ...

    def identity_links(self, entity: str, source: str) -> dict[tuple[str, str], str]: ...

    def save_identity_links(self, entity: str, source: str, links: dict[tuple[str, str], str]) -> None: ...

    def store_rejections(self, entity: str, batch_id: str, rejections: Sequence[Rejection]) -> None: ...

    def rejections(self, entity: str, batch_id: str) -> list[Rejection]: ...

    def store_reference(self, entity: str, dataset: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None: ...

    def reference(self, entity: str, dataset: str) -> dict[str, dict[str, Any]]: ...

    def states(self, entity: str, keys: Iterable[DocKey]) -> dict[DocKey, State]: ...

    def upsert_documents(
        self, entity: str, placements: Sequence[Placement], batch_id: str, at: datetime
    ) -> UpsertCounts: ...

    def documents_in_state(self, entity: str, state: State) -> Iterator[StoredDocument]: ...

    def get(self, entity: str, key: DocKey) -> StoredDocument | None: ...

    def move(self, entity: str, stored: StoredDocument, state: State, reason: str, at: datetime) -> StoredDocument: ...

    def record_xero_id(self, entity: str, key: DocKey, xero_id: str) -> None: ...

    def key_for_xero_id(self, entity: str, dataset: str, xero_id: str) -> DocKey | None: ...

    def summary(self, entity: str) -> list[tuple[str, str, int, int]]: ...


class Inbox(Protocol):
    """Committed batches waiting in the `inbound` container."""

    def committed_batches(self) -> Iterator[tuple[str, str]]: ...  # (entity, batch_id)

    def open_batch(self, entity: str, batch_id: str) -> BatchFiles: ...


class WorkQueue(Protocol):
    def announce(self, entity: str, reason: str) -> None: ...
