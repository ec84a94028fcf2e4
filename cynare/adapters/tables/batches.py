"""Batches: PK entity, RK batch id; a batch is imported once, a rejected one keeps its reason."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import EdmType, EntityProperty, TableClient, UpdateMode

from cynare.adapters.tables.keys import checked, partition
from cynare.service_layer.unit_of_work import BatchRecord, BatchState

MANIFEST_KEPT = 30_000  # one string property holds 32K characters; the manifest is kept for reading only


class TableBatches:
    def __init__(self, table: TableClient, entity: str) -> None:
        self._table = table
        self._entity = entity

    def get(self, batch_id: str) -> BatchRecord | None:
        try:
            row = self._table.get_entity(self._entity, checked(batch_id, "batch id"))
        except ResourceNotFoundError:
            return None
        return self._record(row)

    def all(self) -> list[BatchRecord]:
        return [self._record(row) for row in self._table.query_entities(partition(self._entity))]

    def record(self, record: BatchRecord, manifest_json: str) -> None:
        if record.entity != self._entity:
            raise ValueError(f"batch {record.batch_id} belongs to {record.entity}, not {self._entity}")
        row = {
            "PartitionKey": self._entity,
            "RowKey": checked(record.batch_id, "batch id"),
            "State": record.state.value,
            "Reason": record.reason,
            "Counts": json.dumps(record.counts, sort_keys=True),
            "Source": record.source,
            "Sequence": EntityProperty(record.sequence, EdmType.INT64),
            "At": record.at,  # None: no property
            "Manifest": manifest_json[:MANIFEST_KEPT],
            "ManifestVersion": record.manifest_version,
        }
        self._table.upsert_entity(row, mode=UpdateMode.REPLACE)

    def _record(self, row: Mapping[str, Any]) -> BatchRecord:
        sequence = row.get("Sequence", 0)
        return BatchRecord(
            entity=self._entity,
            batch_id=str(row["RowKey"]),
            state=BatchState(row["State"]),
            reason=str(row.get("Reason", "")),
            counts=json.loads(row.get("Counts") or "{}"),
            source=str(row.get("Source", "")),
            sequence=int(sequence.value if isinstance(sequence, EntityProperty) else sequence),
            at=_plain(row.get("At")),
            manifest_version=str(row.get("ManifestVersion", "")),
        )


def _plain(value: Any) -> datetime | None:
    # The SDK answers a datetime subclass that remembers the service's text; callers get a plain one.
    if not isinstance(value, datetime):
        return None
    return datetime(
        value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, value.tzinfo
    )
