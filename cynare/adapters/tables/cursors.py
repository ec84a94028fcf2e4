"""Cursors: PK entity, RK the Xero resource (e.g. "Payments"); how far the last sync read it.

The next sync asks Xero for what changed since then (If-Modified-Since), per entity and resource.
"""

from __future__ import annotations

from datetime import datetime

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from cynare.adapters.tables.connections import stored_time
from cynare.adapters.tables.keys import check_entity, checked


class TableCursors:
    def __init__(self, table: TableClient, entity: str) -> None:
        self._table = table
        self._entity = check_entity(entity)

    def get(self, name: str) -> datetime | None:
        try:
            row = self._table.get_entity(self._entity, checked(name, "cursor"))
        except ResourceNotFoundError:
            return None
        return stored_time(row.get("At"))

    def set(self, name: str, at: datetime) -> None:
        row = {"PartitionKey": self._entity, "RowKey": checked(name, "cursor"), "At": at}
        self._table.upsert_entity(row, mode=UpdateMode.REPLACE)
