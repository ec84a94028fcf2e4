"""Audit: PK "YYYY-MM", RK the inverted time and a random tail; newest first within a month, never overwritten."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from azure.data.tables import TableClient

from cynare.service_layer.audit import AuditEntry

_LATEST = 10**16  # microseconds: inverted so that a plain query reads the newest first


class TableAuditLog:
    def __init__(self, table: TableClient) -> None:
        self._table = table

    def record(self, entry: AuditEntry) -> None:
        at = entry.at.astimezone(UTC)
        micros = int(at.timestamp() * 1_000_000)
        self._table.create_entity({
            "PartitionKey": at.strftime("%Y-%m"),
            "RowKey": f"{_LATEST - micros:017d}-{secrets.token_hex(4)}",
            "At": at.isoformat(), "Who": entry.who, "Action": entry.action, "Entity": entry.entity,
            "Detail": entry.detail[:30_000],
        })  # fmt: skip

    def recent(self, limit: int = 200, entity: str = "") -> list[AuditEntry]:
        found: list[AuditEntry] = []
        month = datetime.now(UTC).replace(day=1)
        for _ in range(24):  # two years back at most
            query = "PartitionKey eq @p" + (" and Entity eq @e" if entity else "")
            for row in self._table.query_entities(query, parameters={"p": month.strftime("%Y-%m"), "e": entity}):
                found.append(AuditEntry(datetime.fromisoformat(str(row["At"])), str(row["Who"]), str(row["Action"]),
                                        str(row.get("Entity", "")), str(row.get("Detail", ""))))  # fmt: skip
                if len(found) >= limit:
                    return found
            month = (month - timedelta(days=1)).replace(day=1)  # the month before
        return found
