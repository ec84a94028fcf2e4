"""Issues: PK entity, RK the issue's kind; the entity's open issues, at most one of each kind.

Raising an issue of a kind already open replaces it (the newest message and time); clearing it
deletes the row. `cynare status` and the nightly report list what is open.
"""

from __future__ import annotations

from typing import Any

from azure.data.tables import TableClient, UpdateMode

from cynare.adapters.tables.connections import stored_time
from cynare.adapters.tables.keys import check_entity, partition
from cynare.service_layer.xero_port import EntityIssue, IssueKind


class TableIssues:
    def __init__(self, table: TableClient, entity: str) -> None:
        self._table = table
        self._entity = check_entity(entity)

    def raise_issue(self, issue: EntityIssue) -> None:
        if issue.entity != self._entity:
            raise ValueError(f"an issue of {issue.entity} cannot be raised for {self._entity}")
        row = {
            "PartitionKey": self._entity,
            "RowKey": issue.kind.value,
            "Message": issue.message,
            "At": issue.at,
            "Until": issue.until,  # None: no property
        }
        self._table.upsert_entity(row, mode=UpdateMode.REPLACE)

    def clear(self, kind: IssueKind) -> None:
        self._table.delete_entity(self._entity, kind.value)  # nothing open of that kind: nothing to do

    def open(self) -> list[EntityIssue]:
        return [self._issue(row) for row in self._table.query_entities(partition(self._entity))]

    def _issue(self, row: Any) -> EntityIssue:
        at = stored_time(row.get("At"))
        assert at is not None, "an issue row always has At"
        return EntityIssue(
            entity=self._entity,
            kind=IssueKind(row["RowKey"]),
            message=str(row.get("Message", "")),
            at=at,
            until=stored_time(row.get("Until")),
        )
