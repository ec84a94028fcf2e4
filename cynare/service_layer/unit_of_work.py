"""A unit of work per entity: narrow repositories, every one scoped to that entity's partition.

    with uow.for_entity("UK") as work:
        work.documents.get_many(keys)        # UK's documents only
        work.reference.rows("map_nominal")   # UK's mappings only

Table Storage has no transaction across tables or partitions, so a unit of work does not commit
as one: each repository write is atomic on its own and guarded by the ETag it read, and the use
cases order their writes so that a crash between two of them is finished by the next run.
Posting keeps its records here too: the entity's Xero binding and sealed secrets, its open issues,
its Xero calls per day, the write-back items waiting for the PMS, and the sync's cursors; and the
reconciliation its cached copy of the organisation's receivables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State, StoredDocument
from cynare.extract.reader import Rejection
from cynare.service_layer.reconciliation.ports import XeroLedgerRepository
from cynare.service_layer.xero_port import (
    ConnectionRepository,
    CursorRepository,
    IssueRepository,
    OutboxRepository,
    UsageRepository,
)

ReferenceRows = Sequence[tuple[str, dict[str, Any]]]


class BatchState(StrEnum):
    IMPORTED = "imported"
    REJECTED = "rejected"  # refused whole, with the reason; skipped until a corrected batch (a new manifest) arrives
    HELD = "held"  # not imported yet for a reason the cloud's settings can lift (an undeclared source): tried each run


@dataclass(frozen=True, slots=True)
class BatchRecord:
    entity: str
    batch_id: str
    state: BatchState
    reason: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    sequence: int = 0
    at: datetime | None = None
    manifest_version: str = ""  # the inbox's version of the manifest it was decided on (a blob's ETag)


class SnapshotMark(NamedTuple):
    as_at: date
    extracted_at: datetime | None  # None for a list stored without its extract time


class StateCount(NamedTuple):
    dataset: str
    state: State
    documents: int
    rows: int


class CashDirection(StrEnum):
    """Where an entity's receipts are recorded first."""

    PMS = "pms"  # entered in the PMS and posted to Xero
    XERO = "xero"  # recorded in Xero from the bank feed, and written back to the PMS


@dataclass(frozen=True, slots=True)
class EntitySettings:
    """What the cloud knows of an entity that no extract may say: its organisation's currencies, its PMS sources."""

    entity: str
    base_currency: str
    currencies: frozenset[str]
    sources: frozenset[str] = frozenset()  # the source systems whose batches may feed it
    receipts_from: CashDirection = CashDirection.PMS
    day_limit: int | None = None  # Xero's calls a day for this organisation, when not the app's setting


class BatchRepository(Protocol):
    def get(self, batch_id: str) -> BatchRecord | None: ...

    def all(self) -> list[BatchRecord]: ...

    def record(self, record: BatchRecord, manifest_json: str) -> None: ...


class DocumentRepository(Protocol):
    def get_many(self, keys: Iterable[DocKey]) -> dict[DocKey, StoredDocument]: ...

    def in_state(self, state: State, dataset: str | None = None) -> Iterator[StoredDocument]:
        """The entity's documents in `state`, of one dataset when it is given."""
        ...

    def save(self, documents: Sequence[StoredDocument]) -> list[DocKey]:
        """Write each document if its record is still at its `etag` ("" = not stored yet).

        Returns the keys that lost to a concurrent writer; the caller reads them again and decides again.
        """
        ...

    def children(self, dataset: str, parent_id: str) -> list[StoredDocument]:
        """Documents of `dataset` whose firm id is "{parent_id}|...": a receipt's allocations."""
        ...

    def save_tracked(self, documents: Sequence[StoredDocument]) -> tuple[list[StoredDocument], list[DocKey]]:
        """As `save`, also answering the documents written, each with its new `etag` for the next guarded write."""
        ...

    def counts(self) -> list[StateCount]: ...


class ReferenceRepository(Protocol):
    def store(self, dataset: str, rows: ReferenceRows) -> None: ...

    def rows(self, dataset: str) -> dict[str, dict[str, Any]]: ...

    def store_snapshot(
        self, dataset: str, as_at: date, rows: ReferenceRows, extracted_at: datetime | None = None
    ) -> None:
        """The whole list as at `as_at`, replacing any earlier list for that date; `extracted_at` is when
        the PMS was read for it."""
        ...

    def snapshot(self, dataset: str, as_at: date) -> dict[str, dict[str, Any]]: ...

    def latest_snapshot(self, dataset: str) -> SnapshotMark | None:
        """The newest list stored for `dataset`: its date and when the PMS was read for it. A list for an
        older date (or read earlier) stored later never moves it back."""
        ...


class IdentityRepository(Protocol):
    def home_source(self) -> str | None: ...

    def claim_home_source(self, source: str) -> str: ...

    def links(self, source: str) -> dict[tuple[str, str], str]: ...

    def save_links(self, source: str, links: dict[tuple[str, str], str]) -> None: ...


class XeroIdRepository(Protocol):
    def key_for(self, dataset: str, xero_id: str) -> DocKey | None: ...


class RejectionRepository(Protocol):
    def store(self, batch_id: str, rejections: Sequence[Rejection]) -> None: ...

    def for_batch(self, batch_id: str) -> list[Rejection]: ...

    def all(self) -> Iterator[tuple[str, Rejection]]:
        """Every row rejection of the entity, with its batch id."""
        ...


@dataclass(frozen=True, slots=True)
class EntityWork:
    entity: str
    batches: BatchRepository
    documents: DocumentRepository
    reference: ReferenceRepository
    identities: IdentityRepository
    xero_ids: XeroIdRepository
    rejections: RejectionRepository
    settings: EntitySettings | None
    # What posting and sync keep beside the documents (cynare.service_layer.xero_port).
    connection: ConnectionRepository
    issues: IssueRepository
    usage: UsageRepository
    outbox: OutboxRepository
    cursors: CursorRepository
    # The reconciliation's copy of the organisation's receivables, kept between runs.
    xero_ledger: XeroLedgerRepository


class UnitOfWork(Protocol):
    def for_entity(self, entity: str) -> AbstractContextManager[EntityWork]: ...

    def entities(self) -> list[str]:
        """The entities declared in the settings: no other entity is ever created."""
        ...
