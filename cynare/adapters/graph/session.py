"""The msgraph-sdk client for one send: pointed at Graph (or the local stand-in), its retries off.

msgraph-sdk retries 429, 503 and 504 up to three times on its own, sleeping out Retry-After; the
reconciliation's delivery has its own retry policy (cynare.service_layer.reconciliation.deliver), so
the SDK's RetryHandler is told not to retry and one policy decides. The httpx client belongs to the
event loop it was made in, so each send makes its own and closes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from cynare.adapters.graph.credentials import GRAPH_SCOPE

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from msgraph.graph_service_client import GraphServiceClient

GRAPH_URL = "https://graph.microsoft.com"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where Graph is: `url` is its root (Graph's own, or the stand-in's `http://127.0.0.1:PORT`)."""

    url: str = GRAPH_URL
    timeout: float = 60.0

    @property
    def api(self) -> str:
        return f"{self.url.rstrip('/')}/v1.0"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def http_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))


@asynccontextmanager
async def graph_client(credential: TokenCredential, endpoint: Endpoint) -> AsyncIterator[GraphServiceClient]:
    # Imported here: msgraph-sdk is large, and only a send needs it.
    from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
    from kiota_http.middleware.options import RetryHandlerOption
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_request_adapter import options as sdk_options
    from msgraph.graph_service_client import GraphServiceClient
    from msgraph_core import GraphClientFactory  # msgraph-core ships no py.typed: untyped by the overrides

    # Tokens go only to Graph's own host (or the stand-in's); the scope is Graph's whatever the host.
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_SCOPE], allowed_hosts=[endpoint.host])
    no_retries = RetryHandlerOption(delay=0, max_retries=0, should_retry=False)
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(timeout=endpoint.http_timeout()),
        options={**sdk_options, RetryHandlerOption.get_key(): no_retries},
    )
    try:
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = endpoint.api
        yield GraphServiceClient(request_adapter=adapter)
    finally:
        await http.aclose()
