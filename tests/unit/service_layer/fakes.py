"""In-memory repositories with the warehouse's rules: one entity per unit, versions that guard every write."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from itertools import count
from typing import TYPE_CHECKING, Any

from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State, StoredDocument
from cynare.domain.reconciliation import XeroContact, XeroEntry, XeroKind
from cynare.extract.reader import Rejection
from cynare.service_layer.unit_of_work import (
    BatchRecord,
    EntitySettings,
    EntityWork,
    ReferenceRows,
    SnapshotMark,
    StateCount,
)
from tests.unit.service_layer.posting_fakes import FakeConnections, FakeCursors, FakeIssues, FakeOutbox, FakeUsage

_etags = count(1)


class FakeBatches:
    def __init__(self) -> None:
        self.records: dict[str, BatchRecord] = {}

    def get(self, batch_id: str) -> BatchRecord | None:
        return self.records.get(batch_id)

    def all(self) -> list[BatchRecord]:
        return list(self.records.values())

    def record(self, record: BatchRecord, manifest_json: str) -> None:
        self.records[record.batch_id] = record


class FakeDocuments:
    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.rows: dict[DocKey, StoredDocument] = {}
        self.writes = 0

    def get_many(self, keys: Iterable[DocKey]) -> dict[DocKey, StoredDocument]:
        return {key: self.rows[key] for key in set(keys) if key in self.rows}

    def in_state(self, state: State, dataset: str | None = None) -> Iterator[StoredDocument]:
        for stored in list(self.rows.values()):
            if stored.state is state and (dataset is None or stored.document.key.dataset == dataset):
                yield stored

    def save(self, documents: Sequence[StoredDocument]) -> list[DocKey]:
        return self.save_tracked(documents)[1]

    def children(self, dataset: str, parent_id: str) -> list[StoredDocument]:
        return [
            s for k, s in sorted(self.rows.items()) if k.dataset == dataset and k.firm_id.startswith(f"{parent_id}|")
        ]

    def save_tracked(self, documents: Sequence[StoredDocument]) -> tuple[list[StoredDocument], list[DocKey]]:
        lost: list[DocKey] = []
        saved: list[StoredDocument] = []
        for stored in documents:
            if stored.document.entity != self.entity:
                raise ValueError(f"{stored.document.key} belongs to {stored.document.entity}, not {self.entity}")
            key = stored.document.key
            current = self.rows.get(key)
            if (current.etag if current else "") != stored.etag:
                lost.append(key)
                continue
            self.rows[key] = dataclasses.replace(stored, etag=f"W/{next(_etags)}")
            saved.append(self.rows[key])
            self.writes += 1
        return saved, lost

    def counts(self) -> list[StateCount]:
        totals: dict[tuple[str, State], list[int]] = {}
        for stored in self.rows.values():
            bucket = totals.setdefault((stored.document.key.dataset, stored.state), [0, 0])
            bucket[0] += 1
            bucket[1] += stored.document.rows
        return [StateCount(d, s, n, r) for (d, s), (n, r) in sorted(totals.items())]


class FakeReference:
    def __init__(self) -> None:
        self.tables: dict[str, dict[str, dict[str, Any]]] = {}
        self.newest: dict[str, SnapshotMark] = {}

    def store(self, dataset: str, rows: ReferenceRows) -> None:
        self.tables.setdefault(dataset, {}).update({key: dict(row) for key, row in rows})

    def rows(self, dataset: str) -> dict[str, dict[str, Any]]:
        return dict(self.tables.get(dataset, {}))

    def store_snapshot(
        self, dataset: str, as_at: date, rows: ReferenceRows, extracted_at: datetime | None = None
    ) -> None:
        self.tables[f"{dataset}@{as_at}"] = {key: dict(row) for key, row in rows}
        newest = self.newest.get(dataset)
        if newest is None or as_at > newest.as_at or (as_at == newest.as_at and extracted_at is not None):
            self.newest[dataset] = SnapshotMark(as_at, extracted_at)

    def snapshot(self, dataset: str, as_at: date) -> dict[str, dict[str, Any]]:
        return dict(self.tables.get(f"{dataset}@{as_at}", {}))

    def latest_snapshot(self, dataset: str) -> SnapshotMark | None:
        return self.newest.get(dataset)


class FakeIdentities:
    def __init__(self) -> None:
        self.home: str | None = None
        self.saved: dict[str, dict[tuple[str, str], str]] = {}

    def home_source(self) -> str | None:
        return self.home

    def claim_home_source(self, source: str) -> str:
        self.home = self.home or source
        return self.home

    def links(self, source: str) -> dict[tuple[str, str], str]:
        return dict(self.saved.get(source, {}))

    def save_links(self, source: str, links: dict[tuple[str, str], str]) -> None:
        self.saved.setdefault(source, {}).update(links)


class FakeXeroIds:
    def __init__(self, documents: FakeDocuments) -> None:
        self.documents = documents

    def key_for(self, dataset: str, xero_id: str) -> DocKey | None:
        return next((key for key, stored in self.documents.rows.items()
                     if key.dataset == dataset and stored.xero_id == xero_id), None)  # fmt: skip


class FakeRejections:
    def __init__(self) -> None:
        self.by_batch: dict[str, list[Rejection]] = {}

    def store(self, batch_id: str, rejections: Sequence[Rejection]) -> None:
        self.by_batch[batch_id] = list(rejections)

    def for_batch(self, batch_id: str) -> list[Rejection]:
        return list(self.by_batch.get(batch_id, []))

    def all(self) -> Iterator[tuple[str, Rejection]]:
        for batch_id, rejections in self.by_batch.items():
            for rejection in rejections:
                yield batch_id, rejection


class InMemoryXeroLedger:
    """The cached Xero ledger: upserts by kind and Xero id, contacts by id."""

    def __init__(self) -> None:
        self.rows: dict[tuple[XeroKind, str], XeroEntry] = {}
        self.contact_rows: dict[str, XeroContact] = {}
        self.saves = 0

    def entries(self) -> Iterator[XeroEntry]:
        yield from list(self.rows.values())

    def contacts(self) -> dict[str, XeroContact]:
        return dict(self.contact_rows)

    def save_entries(self, entries: Sequence[XeroEntry]) -> None:
        self.saves += 1
        self.rows.update({(entry.kind, entry.xero_id): entry for entry in entries})

    def save_contacts(self, contacts: Sequence[XeroContact]) -> None:
        self.contact_rows.update({contact.contact_id: contact for contact in contacts})


class FakeUnitOfWork:
    def __init__(self, settings: Mapping[str, EntitySettings] | None = None) -> None:
        self.settings = dict(settings or {})
        self.works: dict[str, EntityWork] = {}

    @contextmanager
    def for_entity(self, entity: str) -> Iterator[EntityWork]:
        if entity not in self.works:
            documents = FakeDocuments(entity)
            self.works[entity] = EntityWork(
                entity, FakeBatches(), documents, FakeReference(), FakeIdentities(), FakeXeroIds(documents),
                FakeRejections(), self.settings.get(entity), FakeConnections(entity), FakeIssues(entity), FakeUsage(),
                FakeOutbox(), FakeCursors(), InMemoryXeroLedger(),
            )  # fmt: skip
        yield self.works[entity]

    def entities(self) -> list[str]:
        return sorted(self.settings)

    def documents(self, entity: str) -> dict[DocKey, StoredDocument]:
        with self.for_entity(entity) as work:
            assert isinstance(work.documents, FakeDocuments)
            return work.documents.rows


if TYPE_CHECKING:  # mypy holds each fake to its protocol
    from cynare.service_layer.reconciliation.ports import XeroLedgerRepository
    from cynare.service_layer.unit_of_work import ReferenceRepository

    _reference: ReferenceRepository = FakeReference()
    _ledger: XeroLedgerRepository = InMemoryXeroLedger()
