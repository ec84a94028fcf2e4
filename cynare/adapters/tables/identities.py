"""An entity's identities: its home source (Entities) and the links tying a later PMS's ids to firm ids.

- Entities:   PK "entity", RK entity, HomeSource (the first source to feed it).
- Identities: PK "entity|source", RK "dataset|source id", FirmId.
"""

from __future__ import annotations

import contextlib

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient

from cynare.adapters.tables.keys import checked, partition
from cynare.adapters.tables.transactions import REPLACE, Operation, submit_all


class TableIdentities:
    def __init__(self, entities: TableClient, identities: TableClient, entity: str) -> None:
        self._entities = entities
        self._identities = identities
        self._entity = entity

    def home_source(self) -> str | None:
        try:
            return str(self._entities.get_entity("entity", self._entity)["HomeSource"])
        except ResourceNotFoundError:
            return None

    def claim_home_source(self, source: str) -> str:
        # Whichever source creates the row first is the home source; the others read it.
        with contextlib.suppress(ResourceExistsError):
            self._entities.create_entity({"PartitionKey": "entity", "RowKey": self._entity, "HomeSource": source})
        home = self.home_source()
        assert home is not None, "the entity's row was just created or found"
        return home

    def links(self, source: str) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        for row in self._identities.query_entities(partition(self._partition(source))):
            dataset, _, source_id = str(row["RowKey"]).partition("|")
            found[(dataset, source_id)] = str(row["FirmId"])
        return found

    def save_links(self, source: str, links: dict[tuple[str, str], str]) -> None:
        key = self._partition(source)
        operations: list[Operation] = [
            (
                "upsert",
                {"PartitionKey": key, "RowKey": checked(f"{dataset}|{source_id}", "identity"), "FirmId": firm_id},
                REPLACE,
            )
            for (dataset, source_id), firm_id in sorted(links.items())
        ]
        submit_all(self._identities, operations)

    def _partition(self, source: str) -> str:
        return checked(f"{self._entity}|{source}", "identity partition")
