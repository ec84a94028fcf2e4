"""Opening an entity's door to its organisation: token, scopes, tenant and binding checked, then the API.

One Pacer per tenant for the whole process, so every run that posts to an organisation shares its
60-a-minute and 5-in-flight allowance. The binding (set when the entity was connected) is checked
before the first call of every run: a connection that now reaches another organisation, or one of
another name or base currency, stops the entity instead of posting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from cynare.adapters.xero.auth import (
    TokenKeeper,
    XeroIdentity,
    check_binding,
    check_scopes,
    verify_tenant_reachable,
)
from cynare.adapters.xero.http import XeroHttpApi
from cynare.adapters.xero.pacer import Pacer
from cynare.service_layer.connect import ConnectRefused, OrganisationSeen
from cynare.service_layer.xero_port import Binding, ConnectionKind, ConnectionRepository, Credentials, XeroApi

REAL_ACCOUNTING_URL = "https://api.xero.com/api.xro/2.0"


class HttpXeroConnector:
    def __init__(
        self,
        accounting_url: str,
        identity: XeroIdentity,
        clock: Callable[[], datetime],
        *,
        minute_seconds: float = 60.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.accounting_url = accounting_url
        self.identity = identity
        self._clock = clock
        self._minute_seconds = minute_seconds
        self._timeout = timeout
        self._sleep = sleep
        self._pacers: dict[str, Pacer] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_url(cls, xero_url: str, clock: Callable[[], datetime], time_scale: float = 1.0) -> HttpXeroConnector:
        """Real Xero when `xero_url` is empty; else the local Xero served at that address."""
        if not xero_url:
            return cls(REAL_ACCOUNTING_URL, XeroIdentity.real(), clock)
        base = xero_url.rstrip("/")
        return cls(f"{base}/api.xro/2.0", XeroIdentity.local(base), clock, minute_seconds=60.0 * time_scale)

    def pacer(self, tenant_id: str) -> Pacer:
        with self._lock:
            if tenant_id not in self._pacers:
                self._pacers[tenant_id] = Pacer(minute_seconds=self._minute_seconds, sleep=self._sleep)
            return self._pacers[tenant_id]

    def connect(self, binding: Binding, connection: ConnectionRepository) -> XeroApi:
        keeper = TokenKeeper(binding, connection, self.identity, self._clock, self._sleep)
        token = keeper.access_token()
        credentials = connection.credentials()
        check_scopes(binding.entity, credentials.scopes if credentials else (), binding.kind)
        if binding.kind is ConnectionKind.APP:
            verify_tenant_reachable(self.identity, token, binding)
        api = XeroHttpApi(binding.entity, binding.tenant_id, self.accounting_url, keeper.access_token,
                          pacer=self.pacer(binding.tenant_id), timeout=self._timeout)  # fmt: skip
        check_binding(api, binding)
        return api

    def discover_custom(self, entity: str, client_id: str, client_secret: str) -> tuple[OrganisationSeen, Credentials]:
        """What a custom connection reaches (one organisation), with the credentials to keep for it."""
        grant = self.identity.client_credentials(client_id, client_secret, entity=entity)
        check_scopes(entity, grant.scopes, ConnectionKind.CUSTOM)
        tenants = self.identity.connections(grant.access_token, entity=entity)
        if len(tenants) != 1:
            raise ConnectRefused(
                f"the custom connection {client_id} reaches {len(tenants)} organisations; a custom connection "
                f"reaches exactly one: check the client id given for {entity}"
            )
        tenant = tenants[0]
        api = XeroHttpApi(entity, tenant.tenant_id, self.accounting_url, lambda force: grant.access_token,
                          pacer=self.pacer(tenant.tenant_id), timeout=self._timeout)  # fmt: skip
        organisation = api.call("GET", "/Organisation").body["Organisations"][0]
        seen = OrganisationSeen(tenant.tenant_id, str(organisation["Name"]), str(organisation["BaseCurrency"]))
        credentials = Credentials(client_secret=client_secret, access_token=grant.access_token,
                                  access_expires_at=grant.expires_at, scopes=grant.scopes)  # fmt: skip
        return seen, credentials
