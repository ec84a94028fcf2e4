"""The one place that chooses how to reach Azure Storage: a connection string locally, a managed identity in Azure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from cynare.adapters.tables.connection import StorageSettings

Client = TypeVar("Client")


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
