"""The connect pages' door to Xero for the firm's web app: the consent link, the code exchanged for tokens,
the organisations the consent reached (each read for its name and base currency), a refresh per entity,
and disconnecting an organisation (DELETE /connections/{id})."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from cynare.adapters.xero.auth import (
    APP_SCOPES,
    TokenKeeper,
    XeroIdentity,
    check_scopes,
    pkce_pair,
)
from cynare.adapters.xero.connector import HttpXeroConnector
from cynare.adapters.xero.http import XeroHttpApi
from cynare.service_layer.connect import OrganisationSeen
from cynare.service_layer.connect_pages import Consent, XeroApp
from cynare.service_layer.xero_port import (
    Binding,
    ConnectionKind,
    ConnectionRepository,
    Credentials,
    Problem,
    XeroCallFailed,
)

WHO = "these organisations"  # how Xero's messages name what is being connected, before any entity is chosen


class XeroAppConnection:
    def __init__(self, connector: HttpXeroConnector, clock: Callable[[], datetime]) -> None:
        self._connector = connector
        self._clock = clock

    @property
    def identity(self) -> XeroIdentity:
        return self._connector.identity

    def pkce_pair(self) -> tuple[str, str]:
        return pkce_pair()

    def authorize_url(self, app: XeroApp, state: str, code_challenge: str) -> str:
        return self.identity.authorize_url(app.client_id, app.redirect_uri, APP_SCOPES, state, code_challenge)

    def consent(self, app: XeroApp, code: str, verifier: str) -> Consent:
        now = self._clock()
        grant = self.identity.exchange_code(app.client_id, app.client_secret, code, app.redirect_uri, verifier,
                                            entity=WHO, now=now)  # fmt: skip
        check_scopes(WHO, grant.scopes, ConnectionKind.APP)
        organisations = []
        for tenant in self.identity.connections(grant.access_token, entity=WHO):
            if tenant.tenant_type.upper() != "ORGANISATION":
                continue  # a practice (Xero HQ) is not an organisation with books
            organisations.append(self._organisation(tenant.tenant_id, tenant.tenant_name, grant.access_token))
        credentials = Credentials(access_token=grant.access_token, access_expires_at=grant.expires_at,
                                  refresh_token=grant.refresh_token, refresh_issued_at=now,
                                  scopes=grant.scopes)  # fmt: skip
        return Consent(credentials, tuple(organisations))

    def fork(self, app: XeroApp, grant: Credentials) -> Credentials:
        now = self._clock()
        fresh = self.identity.refresh(app.client_id, app.client_secret, grant.refresh_token, entity=WHO, now=now)
        return replace(grant, access_token=fresh.access_token, access_expires_at=fresh.expires_at,
                       refresh_token=fresh.refresh_token or grant.refresh_token, refresh_issued_at=now,
                       scopes=fresh.scopes or grant.scopes)  # fmt: skip

    def disconnect(self, binding: Binding, connection: ConnectionRepository) -> bool:
        keeper = TokenKeeper(binding, connection, self.identity, self._clock)
        token = keeper.access_token()
        for tenant in self.identity.connections(token, entity=binding.entity):
            if tenant.tenant_id.lower() == binding.tenant_id.lower() and tenant.connection_id:
                self.identity.disconnect(token, tenant.connection_id, entity=binding.entity)
                return True
        return False  # Xero no longer connects the app to it: nothing to tell

    def _organisation(self, tenant_id: str, listed_name: str, access_token: str) -> OrganisationSeen:
        api = XeroHttpApi(listed_name or tenant_id, tenant_id, self._connector.accounting_url,
                          lambda force: access_token, pacer=self._connector.pacer(tenant_id))  # fmt: skip
        try:
            body = api.call("GET", "/Organisation").body
        finally:
            api.close()
        found = body.get("Organisations") if isinstance(body, dict) else None
        if not isinstance(found, list) or not found or not isinstance(found[0], dict):
            raise XeroCallFailed(Problem.SERVER_ERROR, f"Xero's answer about {listed_name!r} held no organisation: "
                                 "try again shortly", status=200)  # fmt: skip
        organisation = found[0]
        return OrganisationSeen(tenant_id, str(organisation.get("Name") or listed_name),
                                str(organisation.get("BaseCurrency") or ""))  # fmt: skip
