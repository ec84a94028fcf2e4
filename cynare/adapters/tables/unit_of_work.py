"""The unit of work on Azure Table Storage: one entity's repositories over table clients opened once.

Every repository is given its entity when it is made and puts it in every PartitionKey it reads or
writes, so work for one entity cannot see or change another's rows. Nothing is committed on
leaving: each repository write is atomic on its own (see cynare.service_layer.unit_of_work).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from azure.data.tables import TableClient

from cynare.adapters.blob_inbox import blob_service
from cynare.adapters.secrets_box import SecretsBox
from cynare.adapters.tables.batches import TableBatches
from cynare.adapters.tables.connection import StorageSettings, open_tables
from cynare.adapters.tables.connections import TableConnections
from cynare.adapters.tables.cursors import TableCursors
from cynare.adapters.tables.documents import TableDocuments
from cynare.adapters.tables.identities import TableIdentities
from cynare.adapters.tables.issues import TableIssues
from cynare.adapters.tables.keys import check_entity
from cynare.adapters.tables.outbox import TableOutbox
from cynare.adapters.tables.payload_blobs import PayloadBlobs
from cynare.adapters.tables.reference import TableReference
from cynare.adapters.tables.rejections import TableRejections
from cynare.adapters.tables.usage import TableUsage
from cynare.adapters.tables.xero_ids import TableXeroIds
from cynare.adapters.tables.xero_ledger import TableXeroLedger
from cynare.errors import SettingsError
from cynare.service_layer.unit_of_work import EntitySettings, EntityWork


class _NoKey(SecretsBox):
    """Without CYNARE_TOKEN_KEY the import still runs; only reading or writing a connection's secrets fails."""

    def __init__(self) -> None:
        pass

    def seal(self, plaintext: str, context: str) -> str:
        raise SettingsError(NO_KEY)

    def open(self, sealed: str, context: str) -> str:
        raise SettingsError(NO_KEY)


NO_KEY = "CYNARE_TOKEN_KEY is not set: the Xero connections' secrets cannot be read or kept (see docs/deploy.md)"


class TableUnitOfWork:
    def __init__(
        self,
        settings: StorageSettings,
        entity_settings: Mapping[str, EntitySettings],
        box: SecretsBox | None = None,
    ) -> None:
        self._tables: dict[str, TableClient] = open_tables(settings)
        self._entity_settings = dict(entity_settings)
        self._payloads = PayloadBlobs(blob_service(settings), settings.table_prefix)
        self._box = box or _NoKey()

    def entities(self) -> list[str]:
        return sorted(self._entity_settings)

    @contextmanager
    def for_entity(self, entity: str) -> Iterator[EntityWork]:
        check_entity(entity)
        tables = self._tables
        xero_ids = TableXeroIds(tables["XeroIds"], entity)
        yield EntityWork(
            entity=entity,
            batches=TableBatches(tables["Batches"], entity),
            documents=TableDocuments(tables["Documents"], xero_ids, entity, self._payloads),
            reference=TableReference(tables["Reference"], entity),
            identities=TableIdentities(tables["Entities"], tables["Identities"], entity),
            xero_ids=xero_ids,
            rejections=TableRejections(tables["Rejections"], entity),
            settings=self._entity_settings.get(entity),
            connection=TableConnections(tables["Connections"], entity, self._box),
            issues=TableIssues(tables["Issues"], entity),
            usage=TableUsage(tables["Usage"], entity),
            outbox=TableOutbox(tables["Outbox"], entity),
            cursors=TableCursors(tables["Cursors"], entity),
            xero_ledger=TableXeroLedger(tables["XeroLedger"], entity),
        )
