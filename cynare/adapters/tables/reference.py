"""Reference: PK "entity|dataset", RK the row's key, Payload its JSON (VAT codes, mappings, debtors).

A snapshot (a list as at a date, such as the debtors) lives in PK "entity|dataset@YYYY-MM-DD":
storing it again for the same date replaces the whole list, so a client no longer on it is gone.
PK "entity|snapshots", RK the dataset, `AsAt` the date of its newest list and `ExtractedAt` when the
PMS was read for it: written after the list itself, and only ever moved forward, so a late list for
an earlier date never lowers it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from cynare.adapters.tables.codec import join_text, split_text
from cynare.adapters.tables.keys import checked, partition
from cynare.adapters.tables.transactions import REPLACE, Operation, submit_all
from cynare.errors import ConcurrentChange
from cynare.service_layer.unit_of_work import ReferenceRows, SnapshotMark

_SNAPSHOTS = "snapshots"
_TRIES = 10


class TableReference:
    def __init__(self, table: TableClient, entity: str) -> None:
        self._table = table
        self._entity = entity

    def store(self, dataset: str, rows: ReferenceRows) -> None:
        submit_all(self._table, self._upserts(self._partition(dataset), rows))

    def rows(self, dataset: str) -> dict[str, dict[str, Any]]:
        return self._read(self._partition(dataset))

    def store_snapshot(
        self, dataset: str, as_at: date, rows: ReferenceRows, extracted_at: datetime | None = None
    ) -> None:
        key = self._partition(f"{dataset}@{as_at.isoformat()}")
        upserts = self._upserts(key, rows)
        keep = {operation[1]["RowKey"] for operation in upserts}
        stale = [row["RowKey"] for row in self._table.query_entities(partition(key), select=["RowKey"])]
        deletes: list[Operation] = [
            ("delete", {"PartitionKey": key, "RowKey": row_key}) for row_key in stale if row_key not in keep
        ]
        # Upserts before deletes: a crash in between leaves a list too long, never one missing a row
        # (a list of up to 100 rows is one transaction and cannot stop half way).
        submit_all(self._table, upserts + deletes)
        self._note_snapshot(dataset, SnapshotMark(as_at, extracted_at))

    def snapshot(self, dataset: str, as_at: date) -> dict[str, dict[str, Any]]:
        return self._read(self._partition(f"{dataset}@{as_at.isoformat()}"))

    def latest_snapshot(self, dataset: str) -> SnapshotMark | None:
        try:
            row = self._table.get_entity(self._partition(_SNAPSHOTS), checked(dataset, "dataset"))
        except ResourceNotFoundError:
            return None
        return _mark(row)

    def _note_snapshot(self, dataset: str, mark: SnapshotMark) -> None:
        """Move the dataset's newest list to `mark` if it is later (by date, then by extract time); guarded
        by the row's ETag against a concurrent import noting another list."""
        key, row_key = self._partition(_SNAPSHOTS), checked(dataset, "dataset")
        read_at = mark.extracted_at.astimezone(UTC).isoformat() if mark.extracted_at else ""
        entity = {"PartitionKey": key, "RowKey": row_key, "AsAt": mark.as_at.isoformat(), "ExtractedAt": read_at}
        for _ in range(_TRIES):
            try:
                row = self._table.get_entity(key, row_key)
            except ResourceNotFoundError:
                row = None
            if row is not None and _later_or_same(_mark(row), mark):
                return
            try:
                if row is None:
                    self._table.create_entity(entity)
                else:
                    self._table.update_entity(entity, mode=UpdateMode.REPLACE, etag=row.metadata["etag"],
                                              match_condition=MatchConditions.IfNotModified)  # fmt: skip
            except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
                continue  # another import noted a date meanwhile: judge again against it
            return
        raise ConcurrentChange(
            f"the newest {dataset} list of {self._entity} kept changing under other imports: run again"
        )

    def _partition(self, dataset: str) -> str:
        return checked(f"{self._entity}|{dataset}", "reference partition")

    def _read(self, key: str) -> dict[str, dict[str, Any]]:
        return {
            str(row["RowKey"]): json.loads(join_text(row, "Payload"))
            for row in self._table.query_entities(partition(key))
        }

    @staticmethod
    def _upserts(key: str, rows: Iterable[tuple[str, dict[str, Any]]]) -> list[Operation]:
        latest = dict(rows)  # a key twice would fail the transaction: the last row for a key wins
        return [
            ("upsert", {"PartitionKey": key, "RowKey": checked(row_key, "reference key"),
                        **split_text("Payload", json.dumps(payload, sort_keys=True))}, REPLACE)
            for row_key, payload in sorted(latest.items())
        ]  # fmt: skip


def _mark(row: Any) -> SnapshotMark:
    read_at = str(row.get("ExtractedAt") or "")
    return SnapshotMark(date.fromisoformat(str(row["AsAt"])), datetime.fromisoformat(read_at) if read_at else None)


def _later_or_same(held: SnapshotMark, new: SnapshotMark) -> bool:
    if held.as_at != new.as_at:
        return held.as_at > new.as_at
    return new.extracted_at is None or (held.extracted_at is not None and held.extracted_at >= new.extracted_at)
