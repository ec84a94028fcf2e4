"""Documents: PK entity, RK "dataset|firm id"; one entity's documents, each write guarded by its ETag.

A document not stored yet is created (a create that finds the row already there lost to another
writer); a stored one is replaced only if its row still has the ETag it was read with. Writes go
in entity group transactions; a transaction fails whole, so when one does its operations are
tried one by one to find which of them lost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

from cynare.adapters.tables.codec import from_entity, to_entity
from cynare.adapters.tables.keys import odata, partition, row_prefix, row_range
from cynare.adapters.tables.payload_blobs import PayloadBlobs
from cynare.adapters.tables.transactions import Operation, chunks
from cynare.adapters.tables.xero_ids import TableXeroIds
from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State, StoredDocument
from cynare.service_layer.unit_of_work import StateCount

POINT_READS = 50  # up to this many keys of one dataset, point reads beat scanning the dataset's key range


class TableDocuments:
    def __init__(
        self, table: TableClient, xero_ids: TableXeroIds, entity: str, payloads: PayloadBlobs | None = None
    ) -> None:
        self._table = table
        self._xero_ids = xero_ids
        self._entity = entity
        self._payloads = payloads

    def _offload(self, stored: StoredDocument, text: str) -> str:
        assert self._payloads is not None
        return self._payloads.put(self._entity, stored.document.key, stored.document.version, text)

    def _decode(self, row: Any) -> StoredDocument:
        return from_entity(row, self._payloads.get if self._payloads is not None else None)

    def get_many(self, keys: Iterable[DocKey]) -> dict[DocKey, StoredDocument]:
        by_dataset: dict[str, set[DocKey]] = {}
        for key in keys:
            by_dataset.setdefault(key.dataset, set()).add(key)
        found: dict[DocKey, StoredDocument] = {}
        for wanted in by_dataset.values():
            found.update(self._point_reads(wanted) if len(wanted) <= POINT_READS else self._scan(wanted))
        return found

    def _point_reads(self, wanted: set[DocKey]) -> Iterator[tuple[DocKey, StoredDocument]]:
        for key in sorted(wanted):
            try:
                row = self._table.get_entity(self._entity, str(key))
            except ResourceNotFoundError:
                continue
            yield key, self._decode(row)

    def _scan(self, wanted: set[DocKey]) -> Iterator[tuple[DocKey, StoredDocument]]:
        # One query over the dataset's keys, bounded by the lowest and highest wanted: a batch of new
        # documents with rising ids reads next to nothing, however large the dataset.
        row_keys = {str(key): key for key in wanted}
        low, high = min(row_keys), max(row_keys)
        for row in self._table.query_entities(row_range(self._entity, low, high)):
            key = row_keys.get(str(row["RowKey"]))
            if key is not None:  # decode only what was asked for
                yield key, self._decode(row)

    def in_state(self, state: State, dataset: str | None = None) -> Iterator[StoredDocument]:
        where = row_prefix(self._entity, f"{dataset}|") if dataset else partition(self._entity)
        for row in self._table.query_entities(f"{where} and State eq {odata(state.value)}"):
            yield self._decode(row)

    def children(self, dataset: str, parent_id: str) -> list[StoredDocument]:
        query = row_prefix(self._entity, f"{dataset}|{parent_id}|")
        return [self._decode(row) for row in self._table.query_entities(query)]

    def counts(self) -> list[StateCount]:
        totals: dict[tuple[str, str], list[int]] = {}
        for row in self._table.query_entities(partition(self._entity), select=["Dataset", "State", "Rows"]):
            bucket = totals.setdefault((str(row["Dataset"]), str(row["State"])), [0, 0])
            bucket[0] += 1
            bucket[1] += int(row["Rows"])
        return [
            StateCount(dataset, State(state), docs, rows) for (dataset, state), (docs, rows) in sorted(totals.items())
        ]

    def save(self, documents: Sequence[StoredDocument]) -> list[DocKey]:
        return self.save_tracked(documents)[1]

    def save_tracked(self, documents: Sequence[StoredDocument]) -> tuple[list[StoredDocument], list[DocKey]]:
        self._check(documents)
        offload = self._offload if self._payloads is not None else None
        ordered = sorted(documents, key=_row_key)
        operations = [_operation(to_entity(stored, offload), stored.etag) for stored in ordered]
        by_key = {str(stored.document.key): stored for stored in ordered}
        # The Xero id's index row first: a crash after it leaves a harmless row (see xero_ids.py); a
        # crash before the document write never leaves a posted document that key_for cannot find.
        self._xero_ids.index(documents)
        saved: list[StoredDocument] = []
        lost: list[DocKey] = []
        for chunk in chunks(operations):
            try:
                results = self._table.submit_transaction(chunk)
            except TableTransactionError:
                # Nothing of a failed transaction was written: each operation alone says whether it lost.
                for operation in chunk:
                    stored = by_key[operation[1]["RowKey"]]
                    etag = self._write_one(operation[1], stored.etag)
                    if etag is None:
                        lost.append(stored.document.key)
                    else:
                        saved.append(dataclasses.replace(stored, etag=etag))
                continue
            for operation, result in zip(chunk, results, strict=True):
                saved.append(dataclasses.replace(by_key[operation[1]["RowKey"]], etag=str(result["etag"])))
        return saved, lost

    def _check(self, documents: Sequence[StoredDocument]) -> None:
        seen: set[DocKey] = set()
        for stored in documents:
            document = stored.document
            if document.entity != self._entity:
                raise ValueError(f"document {document.key} belongs to {document.entity}, not {self._entity}")
            if document.key in seen:
                raise ValueError(f"document {document.key} is twice in one save")
            seen.add(document.key)

    def _write_one(self, entity: dict[str, Any], etag: str) -> str | None:
        """Write one document alone; its new ETag, or None when it lost to another writer."""
        try:
            result = self._table.update_entity(entity, **_guard(etag)) if etag else self._table.create_entity(entity)
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
            return None
        return str(result["etag"])


def _row_key(stored: StoredDocument) -> str:
    return str(stored.document.key)


def _guard(etag: str) -> dict[str, Any]:
    # REPLACE, not MERGE: a payload that shrank must not keep the old one's trailing parts.
    return {"mode": UpdateMode.REPLACE, "etag": etag, "match_condition": MatchConditions.IfNotModified}


def _operation(entity: dict[str, Any], etag: str) -> Operation:
    return ("update", entity, _guard(etag)) if etag else ("create", entity)
