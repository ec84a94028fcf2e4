"""Reference: PK "entity|dataset", RK the row's key, Payload its JSON (VAT codes, mappings, debtors).

A snapshot (a list as at a date, such as the debtors) lives in PK "entity|dataset@YYYY-MM-DD":
storing it again for the same date replaces the whole list, so a client no longer on it is gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from azure.data.tables import TableClient

from cynare.adapters.tables.codec import join_text, split_text
from cynare.adapters.tables.keys import checked, partition
from cynare.adapters.tables.transactions import REPLACE, Operation, submit_all
from cynare.service_layer.unit_of_work import ReferenceRows


class TableReference:
    def __init__(self, table: TableClient, entity: str) -> None:
        self._table = table
        self._entity = entity

    def store(self, dataset: str, rows: ReferenceRows) -> None:
        submit_all(self._table, self._upserts(self._partition(dataset), rows))

    def rows(self, dataset: str) -> dict[str, dict[str, Any]]:
        return self._read(self._partition(dataset))

    def store_snapshot(self, dataset: str, as_at: date, rows: ReferenceRows) -> None:
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

    def snapshot(self, dataset: str, as_at: date) -> dict[str, dict[str, Any]]:
        return self._read(self._partition(f"{dataset}@{as_at.isoformat()}"))

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
