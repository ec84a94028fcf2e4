"""Open the warehouse's tables (created when missing), each name under the deployment's prefix."""

from __future__ import annotations

import contextlib

from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableClient, TableServiceClient

from cynare.adapters.storage import StorageSettings, connect

__all__ = ["TABLES", "StorageSettings", "open_tables", "table_service"]

TABLES = (
    "Documents",
    "Batches",
    "Rejections",
    "Reference",
    "Identities",
    "XeroIds",
    "Entities",
    "Connections",
    "Issues",
    "Usage",
    "Outbox",
    "Cursors",
    "History",
    "Audit",
    "XeroLedger",
    "ConnectAttempts",  # the connect pages' OAuth attempts, each used once
)


def table_service(settings: StorageSettings) -> TableServiceClient:
    return connect(
        settings,
        "table",
        TableServiceClient.from_connection_string,
        lambda url, credential: TableServiceClient(endpoint=url, credential=credential),
    )


def open_tables(settings: StorageSettings, *, create: bool = True) -> dict[str, TableClient]:
    service = table_service(settings)
    clients: dict[str, TableClient] = {}
    for name in TABLES:
        full_name = f"{settings.table_prefix}{name}"
        if create:
            with contextlib.suppress(ResourceExistsError):
                service.create_table(full_name)
        clients[name] = service.get_table_client(full_name)
    return clients
