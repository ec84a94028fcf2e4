"""Outbox: PK entity, RK the item's key (escaped for Table Storage); write-back items not yet in a document.

An item's key names what it reports (e.g. "posted|bills|B1|<version>"), so putting it again after
a replay replaces the row instead of adding a second one. A key may carry a PMS id, which may hold
characters a RowKey refuses (`/ \\ # ?`, control characters): those, and `%` itself, are written as
`%XX`, and the row keeps the key as it was in `Key`. `pending` answers items in RowKey order.
"""

from __future__ import annotations

import json
import re
from typing import Any

from azure.data.tables import TableClient, TableTransactionError

from cynare.adapters.tables.codec import join_text, split_text
from cynare.adapters.tables.connections import stored_time
from cynare.adapters.tables.keys import check_entity, checked, partition
from cynare.adapters.tables.transactions import REPLACE, Operation, submit_all
from cynare.service_layer.xero_port import OutboxItem

_UNSAFE = re.compile(r"[%/\\#?\x00-\x1f\x7f-\x9f]")


def row_key(key: str) -> str:
    """The item's key as a RowKey: the characters Table Storage refuses (and `%`) as `%XX`."""
    return checked(_UNSAFE.sub(lambda found: f"%{ord(found.group()):02X}", key), "outbox key")


class TableOutbox:
    def __init__(self, table: TableClient, entity: str) -> None:
        self._table = table
        self._entity = check_entity(entity)

    def put(self, items: list[OutboxItem]) -> None:
        latest = {row_key(item.key): item for item in items}  # a key twice in one put: the last one
        operations: list[Operation] = [
            ("upsert", self._row(safe, item), REPLACE) for safe, item in sorted(latest.items())
        ]
        submit_all(self._table, operations)

    def pending(self, limit: int = 5000) -> list[OutboxItem]:
        found: list[OutboxItem] = []
        if limit <= 0:
            return found
        for row in self._table.query_entities(partition(self._entity), results_per_page=min(limit, 1000)):
            found.append(self._item(row))
            if len(found) == limit:
                break
        return found

    def remove(self, keys: list[str]) -> None:
        operations: list[Operation] = [
            ("delete", {"PartitionKey": self._entity, "RowKey": safe}) for safe in sorted({row_key(k) for k in keys})
        ]
        try:
            submit_all(self._table, operations)
        except TableTransactionError:
            # A key already removed fails its whole transaction: delete one by one, where a missing row is fine.
            for operation in operations:
                self._table.delete_entity(self._entity, operation[1]["RowKey"])

    def _row(self, safe: str, item: OutboxItem) -> dict[str, Any]:
        return {
            "PartitionKey": self._entity,
            "RowKey": safe,
            "Key": item.key,
            "At": item.at,
            **split_text("Item", json.dumps(item.item, sort_keys=True)),
        }

    def _item(self, row: Any) -> OutboxItem:
        at = stored_time(row.get("At"))
        assert at is not None, "an outbox row always has At"
        return OutboxItem(key=str(row["Key"]), item=json.loads(join_text(row, "Item")), at=at)
