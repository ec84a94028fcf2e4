"""Helpers for tests and scripts: a xero-python client pointed at an emulator, with no silent retries,
and a client for its /_sandbox/ admin surface that sends the run's admin token."""

from __future__ import annotations

import time
from typing import Any

import requests
import urllib3
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token

from cynare.sandbox.xero.emulator import Emulator


def sdk_configuration(client_id: str, client_secret: str) -> Configuration:
    """A Configuration that really carries these credentials.

    xero-python's Configuration is a metaclass singleton: every `Configuration(...)` returns a copy
    of the first one made in the process and ignores its own arguments, so set the token afterwards.
    """
    config = Configuration()
    config.oauth2_token = OAuth2Token(client_id=client_id, client_secret=client_secret)
    return config


def sdk_client(
    emulator: Emulator, entity: str, timeout: float | None = None, scope: str | None = None
) -> AccountingApi:
    """An AccountingApi for the entity's custom connection (client credentials), pointed at `emulator`.

    `scope` asks for fewer scopes than the connection has (space-separated); by default the token has
    all of them. urllib3's retries are off: the SDK would otherwise sleep out a 429's Retry-After and
    try again behind the caller's back.
    """
    client = emulator.client_for(entity)
    token: dict[str, Any] = {
        "access_token": emulator.token(entity, scope),
        "token_type": "Bearer",
        "expires_in": 1800,
        "expires_at": time.time() + 1800,
        "scope": (scope or client.default_scope).split(),
    }
    config = sdk_configuration(client.client_id, client.client_secret)
    api_client = ApiClient(config, pool_threads=1, oauth2_token_getter=lambda: token, oauth2_token_saver=token.update)
    api_client.set_oauth2_token(token)
    api_client.rest_client.pool_manager = urllib3.PoolManager(
        num_pools=2, maxsize=8, retries=False, timeout=urllib3.Timeout(total=timeout) if timeout else None
    )
    return AccountingApi(api_client, base_url=emulator.accounting_url)


class SandboxAdmin:
    """The served emulator's /_sandbox/ admin surface, with the run's admin token on every request.

    `admin.get("state")`, `admin.post("UK/lock-date", {"period_lock_date": "2026-06-30"})`,
    `admin.post("snapshot/save", {"name": "books.json"})`; each returns the `requests.Response`.
    """

    def __init__(self, emulator: Emulator, timeout: float = 10.0) -> None:
        self.base = f"{emulator.url}/_sandbox"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update(emulator.admin_headers)

    def get(self, path: str) -> requests.Response:
        return self.session.get(f"{self.base}/{path.lstrip('/')}", timeout=self.timeout)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.session.post(f"{self.base}/{path.lstrip('/')}", json=body, timeout=self.timeout)

    def close(self) -> None:
        self.session.close()
