"""XeroIds: PK "entity|dataset", RK Xero id, Key the document's key; which document has this Xero id.

The index row is written before the document that carries the id (see documents.py): if that
write then loses or never happens, the row points at a document that is not (yet) posted with
that id. That is harmless, because the id did come back from Xero for that document; key_for
answers the key and checks nothing more.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient

from cynare.adapters.tables.keys import checked
from cynare.adapters.tables.transactions import REPLACE, Operation, submit_all
from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import StoredDocument


class TableXeroIds:
    def __init__(self, table: TableClient, entity: str) -> None:
        self._table = table
        self._entity = entity

    def key_for(self, dataset: str, xero_id: str) -> DocKey | None:
        try:
            row = self._table.get_entity(f"{self._entity}|{dataset}", checked(xero_id, "Xero id"))
        except ResourceNotFoundError:
            return None
        return DocKey.parse(str(row["Key"]))

    def index(self, documents: Iterable[StoredDocument]) -> None:
        """Index rows for every document that carries a Xero id (an upsert: the same row again changes nothing)."""
        rows = sorted(
            (
                f"{self._entity}|{stored.document.key.dataset}",
                checked(stored.xero_id, "Xero id"),
                str(stored.document.key),
            )
            for stored in documents
            if stored.xero_id
        )
        for before, after in itertools.pairwise(rows):
            if before[:2] == after[:2]:
                raise ValueError(f"documents {before[2]} and {after[2]} cannot both have Xero id {after[1]}")
        operations: list[Operation] = [
            ("upsert", {"PartitionKey": partition, "RowKey": xero_id, "Key": key}, REPLACE)
            for partition, xero_id, key in rows
        ]
        submit_all(self._table, operations)
