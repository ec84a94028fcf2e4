"""The one place that chooses how to reach Azure Storage: a connection string locally, a managed identity in Azure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

Client = TypeVar("Client")


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


def connect(
    settings: StorageSettings,
    service: str,
    from_connection_string: Callable[[str], Client],
    from_endpoint: Callable[[str, Any], Client],
) -> Client:
    """`from_endpoint(url, credential)` in Azure (no keys anywhere); the connection string when one is set."""
    if settings.connection_string:
        return from_connection_string(settings.connection_string)
    from azure.identity import DefaultAzureCredential

    return from_endpoint(settings.service_url(service), DefaultAzureCredential())
