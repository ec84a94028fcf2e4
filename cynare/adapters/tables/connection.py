"""Connect to Table Storage: Azurite's connection string locally, the account URL and a managed identity in Azure."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableClient, TableServiceClient

TABLES = ("Documents", "Batches", "Rejections", "Reference", "Identities", "XeroIds", "Entities")


@dataclass(frozen=True, slots=True)
class StorageSettings:
    """Either a connection string (the local emulator) or an account name (Azure: managed identity, no keys)."""

    connection_string: str = ""
    account_name: str = ""
    endpoint_suffix: str = "core.windows.net"
    table_prefix: str = "cynare"

    def service_url(self, service: str) -> str:
        """The account's endpoint for `blob`, `queue` or `table`."""
        if not self.account_name:
            raise ValueError("storage is not configured: set CYNARE_STORAGE_CONNECTION or CYNARE_STORAGE_ACCOUNT")
        return f"https://{self.account_name}.{service}.{self.endpoint_suffix}"

    def __repr__(self) -> str:  # a connection string can hold an account key: never print it
        where = self.account_name or ("connection string" if self.connection_string else "unset")
        return f"StorageSettings({where}, prefix={self.table_prefix!r})"


def table_service(settings: StorageSettings) -> TableServiceClient:
    if settings.connection_string:
        return TableServiceClient.from_connection_string(settings.connection_string)
    from azure.identity import DefaultAzureCredential

    return TableServiceClient(endpoint=settings.service_url("table"), credential=DefaultAzureCredential())


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
