"""XeroLedger: an entity's receivables as last read from its Xero organisation, for the reconciliation.

PK "entity|kind" (invoice, credit_note, overpayment, payment), RK the record's Xero id; PK
"entity|contacts", RK the ContactID, for the contacts. Amounts are kept as their exact decimal text
(never a float): Effect, Open, Rate. Saving a record again replaces its row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from azure.data.tables import TableClient

from cynare.adapters.tables.connections import stored_time
from cynare.adapters.tables.keys import check_entity, checked, partition
from cynare.adapters.tables.transactions import REPLACE, Operation, submit_all
from cynare.domain.reconciliation import XeroContact, XeroEntry, XeroKind

# The PartitionKey's second part: short, and free of the spaces of the kinds' own names.
_KIND_KEYS = {kind: kind.name.lower() for kind in XeroKind}
_CONTACTS = "contacts"


class TableXeroLedger:
    def __init__(self, table: TableClient, entity: str) -> None:
        self._table = table
        self._entity = check_entity(entity)

    def entries(self) -> Iterator[XeroEntry]:
        for kind, key in _KIND_KEYS.items():
            for row in self._table.query_entities(partition(self._partition(key))):
                yield _entry(kind, row)

    def contacts(self) -> dict[str, XeroContact]:
        return {
            str(row["RowKey"]): XeroContact(str(row["RowKey"]), str(row.get("Name", "")), str(row.get("Number", "")))
            for row in self._table.query_entities(partition(self._partition(_CONTACTS)))
        }

    def save_entries(self, entries: Sequence[XeroEntry]) -> None:
        # One row per kind and id: the last of a record given twice wins (a transaction cannot hold both).
        latest = {(_KIND_KEYS[e.kind], checked(e.xero_id, "Xero id")): e for e in entries}
        operations: list[Operation] = [
            ("upsert", self._row(kind, entry), REPLACE) for (kind, _), entry in sorted(latest.items())
        ]
        submit_all(self._table, operations)

    def save_contacts(self, contacts: Sequence[XeroContact]) -> None:
        latest = {checked(c.contact_id, "ContactID"): c for c in contacts}
        operations: list[Operation] = [
            ("upsert", _compact({"PartitionKey": self._partition(_CONTACTS), "RowKey": contact_id,
                                 "Name": c.name, "Number": c.contact_number}), REPLACE)
            for contact_id, c in sorted(latest.items())
        ]  # fmt: skip
        submit_all(self._table, operations)

    def _partition(self, key: str) -> str:
        return f"{self._entity}|{key}"

    def _row(self, kind: str, entry: XeroEntry) -> dict[str, Any]:
        return _compact(
            {
                "PartitionKey": self._partition(kind),
                "RowKey": entry.xero_id,
                "Contact": entry.contact_id,
                "Currency": entry.currency,
                "Number": entry.number,
                "Effect": str(entry.effect),
                "Open": str(entry.open),
                "Live": entry.live,
                "Rate": str(entry.rate),
                "Updated": entry.updated,
                "Group": entry.group_id,
                "Document": entry.document_id,
            }
        )


def _compact(row: dict[str, Any]) -> dict[str, Any]:
    """Without the empty text and missing times: fewer bytes per row, read back as their defaults."""
    return {name: value for name, value in row.items() if value is not None and value != ""}


def _entry(kind: XeroKind, row: Mapping[str, Any]) -> XeroEntry:
    return XeroEntry(
        xero_id=str(row["RowKey"]),
        kind=kind,
        contact_id=str(row.get("Contact", "")),
        currency=str(row.get("Currency", "")),
        number=str(row.get("Number", "")),
        effect=Decimal(str(row["Effect"])),
        open=Decimal(str(row["Open"])),
        live=bool(row.get("Live", False)),
        rate=Decimal(str(row.get("Rate", "1"))),
        updated=stored_time(row.get("Updated")),
        group_id=str(row.get("Group", "")),
        document_id=str(row.get("Document", "")),
    )
