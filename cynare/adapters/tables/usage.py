"""Usage: PK entity, RK the UTC day (YYYY-MM-DD); what the entity's calls to Xero cost that day.

Each run adds its own counts to the day's row: calls, 429s answered, 429s that ended in a failure,
bytes sent and read, documents posted; the remaining figures (X-DayLimit-Remaining, X-MinLimit-Remaining)
are the last run's. Two runs adding at once both count: the add is a read-modify-write guarded by the row's ETag,
tried again on fresh figures when the other run wrote first.
"""

from __future__ import annotations

import random
import time
from datetime import date
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import EdmType, EntityProperty, TableClient, UpdateMode

from cynare.adapters.tables.keys import check_entity
from cynare.errors import ConcurrentChange
from cynare.service_layer.xero_port import Usage

TRIES = 10
COUNTS = {
    "calls": "Calls",
    "throttled": "Throttled",
    "failed_throttled": "FailedThrottled",
    "bytes_sent": "BytesSent",
    "bytes_read": "BytesRead",
    "posted": "Posted",
}
REMAINING = {"day_remaining": "DayRemaining", "minute_remaining": "MinuteRemaining"}


class TableUsage:
    def __init__(self, table: TableClient, entity: str) -> None:
        self._table = table
        self._entity = check_entity(entity)

    def for_day(self, day: date) -> Usage:
        try:
            row = self._table.get_entity(self._entity, day.isoformat())
        except ResourceNotFoundError:
            return Usage()
        return _usage(row)

    def add(self, day: date, usage: Usage) -> None:
        for attempt in range(TRIES):
            try:
                row = self._table.get_entity(self._entity, day.isoformat())
            except ResourceNotFoundError:
                row = None
            total = _sum(_usage(row) if row is not None else Usage(), usage)
            entity = self._entity_row(day, total)
            try:
                if row is None:
                    self._table.create_entity(entity)
                else:
                    self._table.update_entity(
                        entity,
                        mode=UpdateMode.REPLACE,
                        etag=row.metadata["etag"],
                        match_condition=MatchConditions.IfNotModified,
                    )
            except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
                # Another run wrote first: wait a little (apart from it) and add to its figures.
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
                continue
            return
        raise ConcurrentChange(f"the usage of {self._entity} on {day} kept changing under other runs: run again")

    def _entity_row(self, day: date, usage: Usage) -> dict[str, Any]:
        row: dict[str, Any] = {"PartitionKey": self._entity, "RowKey": day.isoformat()}
        for field, column in COUNTS.items():
            row[column] = EntityProperty(getattr(usage, field), EdmType.INT64)  # bytes outgrow 32 bits
        for field, column in REMAINING.items():
            value = getattr(usage, field)
            row[column] = None if value is None else EntityProperty(value, EdmType.INT64)
        return row


def _sum(stored: Usage, run: Usage) -> Usage:
    total = Usage(**{field: getattr(stored, field) + getattr(run, field) for field in COUNTS})
    for field in REMAINING:
        # The run's figure when it has one (it is the later answer), else the one already kept.
        latest = getattr(run, field)
        setattr(total, field, latest if latest is not None else getattr(stored, field))
    return total


def _usage(row: Any) -> Usage:
    usage = Usage(**{field: _int(row.get(column)) or 0 for field, column in COUNTS.items()})
    for field, column in REMAINING.items():
        setattr(usage, field, _int(row.get(column)))
    return usage


def _int(value: Any) -> int | None:
    if isinstance(value, EntityProperty):
        value = value.value
    return None if value is None else int(value)
