"""History: PK "days", RK "YYYY-MM-DD|entity|currency"; each day's reconciliation figures, for the trend.

One partition for the firm: a year of three entities in two currencies is about 2,000 small rows, and
the report reads a month of them as one range of row keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from azure.data.tables import TableClient

from cynare.adapters.tables.keys import checked
from cynare.adapters.tables.transactions import REPLACE, Operation, submit_all
from cynare.domain.reconciliation import DayFigure, Status

_PARTITION = "days"


class TableHistory:
    def __init__(self, table: TableClient) -> None:
        self._table = table

    def record(self, figures: Iterable[DayFigure]) -> None:
        operations: list[Operation] = [
            (
                "upsert",
                {
                    "PartitionKey": _PARTITION,
                    "RowKey": checked(f"{f.day.isoformat()}|{f.entity}|{f.currency}", "history row"),
                    "Entity": f.entity,
                    "Currency": f.currency,
                    "Day": f.day.isoformat(),
                    "Difference": str(f.difference),
                    "Unexplained": str(f.unexplained),
                    "Status": f.status.value,
                },
                REPLACE,
            )
            for f in figures
        ]
        submit_all(self._table, operations)

    def since(self, first_day: date) -> list[DayFigure]:
        query = "PartitionKey eq @p and RowKey ge @first"
        rows = self._table.query_entities(query, parameters={"p": _PARTITION, "first": first_day.isoformat()})
        return [
            DayFigure(str(row["Entity"]), str(row["Currency"]), date.fromisoformat(str(row["Day"])),
                      Decimal(str(row["Difference"])), Decimal(str(row["Unexplained"])), Status(str(row["Status"])))
            for row in rows
        ]  # fmt: skip
