"""Rejections: PK "entity|batch", RK "file|row" (row zero-padded so a partition reads in file order)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from azure.data.tables import TableClient

from cynare.adapters.tables.keys import checked, partition, partition_prefix
from cynare.adapters.tables.transactions import REPLACE, Operation, submit_all
from cynare.extract.reader import Rejection


class TableRejections:
    def __init__(self, table: TableClient, entity: str) -> None:
        self._table = table
        self._entity = entity

    def store(self, batch_id: str, rejections: Sequence[Rejection]) -> None:
        key = self._partition(batch_id)
        rows: dict[str, dict[str, Any]] = {}
        for item in rejections:
            row_key = checked(f"{item.file}|{item.row:08d}", "rejection")
            # One row per extract row: a transaction cannot hold the same row twice; its first reason is kept.
            rows.setdefault(row_key, {"PartitionKey": key, "RowKey": row_key, "File": item.file, "Row": item.row,
                                      "Column": item.column, "Rule": item.rule})  # fmt: skip
        operations: list[Operation] = [("upsert", row, REPLACE) for _, row in sorted(rows.items())]
        submit_all(self._table, operations)

    def for_batch(self, batch_id: str) -> list[Rejection]:
        return [_rejection(row) for row in self._table.query_entities(partition(self._partition(batch_id)))]

    def all(self) -> Iterator[tuple[str, Rejection]]:
        prefix = f"{self._entity}|"
        for row in self._table.query_entities(partition_prefix(prefix)):
            yield str(row["PartitionKey"])[len(prefix) :], _rejection(row)

    def _partition(self, batch_id: str) -> str:
        return checked(f"{self._entity}|{batch_id}", "rejection partition")


def _rejection(row: Mapping[str, Any]) -> Rejection:
    return Rejection(str(row["File"]), int(row["Row"]), str(row["Column"]), str(row["Rule"]))
