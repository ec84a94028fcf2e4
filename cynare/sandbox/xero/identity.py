"""Xero's identity service: consent page, token endpoint and /connections.

Grants: authorization_code (web apps, any tenants the user consents to), refresh_token (single use,
rotating, the previous token still good for a 30-minute grace, unused ones dead after 60 days) and
client_credentials (custom connections, one organisation per client id, no refresh token).
All lifetimes are emulated seconds on the injected clock. Tokens and secrets are never logged.

Scopes (scopes.py): an app may ask only for the scopes it is registered for; asking for any other
fails the whole authorisation (`invalid_scope`: a redirect from the consent page, a 400 from the
token endpoint). A custom connection's token carries the scopes asked for, or all the connection's
when none are. Cancel on the consent page redirects with `error=access_denied`. A code challenge
(PKCE, S256) sent to the consent page must be met by the token request's `code_verifier`;
`DELETE /connections/{id}` disconnects one organisation from the app.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from cynare.sandbox.xero import consent_page, scopes
from cynare.sandbox.xero.apps import ClientApp
from cynare.sandbox.xero.clock import Clock
from cynare.sandbox.xero.errors import XeroError, not_found, unauthorized
from cynare.sandbox.xero.scopes import DEFAULT_SCOPE
from cynare.sandbox.xero.state import Tenant

ACCESS_LIFETIME = 30 * 60
REFRESH_GRACE = 30 * 60
REFRESH_UNUSED_LIFETIME = 60 * 24 * 3600
CODE_LIFETIME = 5 * 60
# What the consent page posts back: the app's request as it came, PKCE's challenge included.
HIDDEN = ("client_id", "redirect_uri", "scope", "state", "response_type", "code_challenge", "code_challenge_method")


@dataclass
class Connection:
    connection_id: str
    client_id: str
    tenant_ids: list[str]
    auth_event_id: str
    created: datetime


@dataclass
class AccessToken:
    connection: Connection
    expires_at: float
    scopes: frozenset[str] = frozenset()


@dataclass
class RefreshToken:
    connection: Connection
    expires_at: float
    scope: str
    first_used_at: float | None = None


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    tenant_ids: list[str]
    scope: str
    expires_at: float
    code_challenge: str = ""  # PKCE (S256): the token request must bring the verifier behind it


def _oauth_error(error: str, status: int = 400) -> XeroError:
    return XeroError(status, {"error": error})


@dataclass
class Identity:
    clock: Clock
    clients: dict[str, ClientApp]
    tenants: dict[str, Tenant]
    _access: dict[str, AccessToken] = field(default_factory=dict)
    _refresh: dict[str, RefreshToken] = field(default_factory=dict)
    _codes: dict[str, _Code] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- authorize -------------------------------------------------------------------------
    def _web_client(self, fields: Mapping[str, str]) -> ClientApp:
        client = self.clients.get(fields.get("client_id", ""))
        if client is None or client.custom_tenant_id is not None or not fields.get("redirect_uri"):
            raise _oauth_error("unauthorized_client")
        return client

    def refused_authorisation(self, query: Mapping[str, str]) -> str | None:
        """The redirect that refuses an authorisation asking for scopes the app may not have, if it does."""
        client = self._web_client(query)
        if query.get("response_type") != "code":
            raise _oauth_error("unsupported_response_type")
        if scopes.unknown((query.get("scope") or DEFAULT_SCOPE).split(), client.scopes):
            return _redirect(query, {"error": "invalid_scope"})
        return None

    def consent_page(self, query: Mapping[str, str]) -> str:
        client = self._web_client(query)
        return consent_page.render(
            client.name,
            [(t, self.tenants[t].name) for t in client.tenant_ids if t in self.tenants],
            {k: query.get(k, "") for k in HIDDEN},
            (query.get("scope") or DEFAULT_SCOPE).split(),
        )

    def consent(self, form: Mapping[str, str], chosen: list[str]) -> str:
        """The redirect URL after the user allowed access to `chosen` organisations, or cancelled."""
        client = self._web_client(form)
        if form.get("cancel"):
            return _redirect(form, {"error": "access_denied"})
        if scopes.unknown((form.get("scope") or DEFAULT_SCOPE).split(), client.scopes):
            return _redirect(form, {"error": "invalid_scope"})
        tenant_ids = [t for t in chosen if t in client.tenant_ids]
        if not tenant_ids:
            return _redirect(form, {"error": "access_denied"})
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(
                client.client_id,
                form.get("redirect_uri", ""),
                tenant_ids,
                form.get("scope") or DEFAULT_SCOPE,
                self.clock.seconds() + CODE_LIFETIME,
                form.get("code_challenge", ""),
            )
        return _redirect(form, {"code": code, "scope": form.get("scope") or DEFAULT_SCOPE})

    # --- token -----------------------------------------------------------------------------
    def _client(self, form: Mapping[str, str], authorization: str | None) -> ClientApp:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization and authorization.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            except ValueError as exc:
                raise _oauth_error("invalid_client") from exc
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, secret):
            raise _oauth_error("invalid_client")
        return client

    def token(self, form: Mapping[str, str], authorization: str | None) -> dict[str, Any]:
        client = self._client(form, authorization)
        grant = form.get("grant_type")
        now = self.clock.seconds()
        with self._lock:
            if grant == "client_credentials":
                if client.custom_tenant_id is None:
                    raise _oauth_error("unauthorized_client")
                scope = " ".join((form.get("scope") or "").split()) or client.default_scope
                if scopes.unknown(scope.split(), client.scopes):
                    raise _oauth_error("invalid_scope")
                connection = self._connect(client.client_id, [client.custom_tenant_id])
                return self._issue(connection, scope, refresh=False)
            if grant == "authorization_code":
                code = self._codes.pop(form.get("code", ""), None)
                if code is None or code.expires_at < now or code.client_id != client.client_id:
                    raise _oauth_error("invalid_grant")
                if form.get("redirect_uri") != code.redirect_uri:
                    raise _oauth_error("invalid_grant")
                if code.code_challenge and _s256(form.get("code_verifier", "")) != code.code_challenge:
                    raise _oauth_error("invalid_grant")
                return self._issue(self._connect(client.client_id, code.tenant_ids), code.scope, refresh=True)
            if grant == "refresh_token":
                old = self._refresh.get(form.get("refresh_token", ""))
                if old is None or old.connection.client_id != client.client_id or old.expires_at < now:
                    raise _oauth_error("invalid_grant")
                if old.first_used_at is None:
                    old.first_used_at = now
                elif now - old.first_used_at > REFRESH_GRACE:
                    raise _oauth_error("invalid_grant")
                return self._issue(old.connection, old.scope, refresh=True)
        raise _oauth_error("unsupported_grant_type")

    def _connect(self, client_id: str, tenant_ids: list[str]) -> Connection:
        now = self.clock.now()
        return Connection(secrets.token_hex(16), client_id, list(tenant_ids), secrets.token_hex(16), now)

    def _issue(self, connection: Connection, scope: str, refresh: bool) -> dict[str, Any]:
        now = self.clock.seconds()
        access = secrets.token_urlsafe(32)
        self._access[access] = AccessToken(connection, now + ACCESS_LIFETIME, frozenset(scope.split()))
        body: dict[str, Any] = {
            "access_token": access,
            # Real seconds, so that a client's own expiry arithmetic matches the emulated clock.
            "expires_in": max(1, round(ACCESS_LIFETIME * self.clock.time_scale)),
            "token_type": "Bearer",
            "scope": scope,
        }
        if refresh:
            token = secrets.token_urlsafe(32)
            self._refresh[token] = RefreshToken(connection, now + REFRESH_UNUSED_LIFETIME, scope)
            body["refresh_token"] = token
        return body

    # --- resource side ---------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> AccessToken:
        if not authorization or not authorization.startswith("Bearer "):
            raise unauthorized("AuthenticationUnsuccessful")
        with self._lock:
            token = self._access.get(authorization[7:].strip())
        if token is None:
            raise unauthorized("AuthenticationUnsuccessful")
        if token.expires_at < self.clock.seconds():
            expired = datetime.fromtimestamp(token.expires_at, UTC)
            raise unauthorized(f"TokenExpired: token expired at {expired:%m/%d/%Y %H:%M:%S}")
        return token

    def connections(self, authorization: str | None) -> list[dict[str, Any]]:
        connection = self.authenticate(authorization).connection
        stamp = connection.created.replace(tzinfo=None).isoformat(timespec="milliseconds")
        return [
            {
                "id": _connection_id(connection, tenant_id),
                "authEventId": connection.auth_event_id,
                "tenantId": tenant_id,
                "tenantType": "ORGANISATION",
                "tenantName": self.tenants[tenant_id].name,
                "createdDateUtc": stamp,
                "updatedDateUtc": stamp,
            }
            for tenant_id in connection.tenant_ids
            if tenant_id in self.tenants
        ]

    def disconnect(self, authorization: str | None, connection_id: str) -> None:
        """DELETE /connections/{id}: the app stops reaching that organisation (Xero answers 204)."""
        connection = self.authenticate(authorization).connection
        with self._lock:
            for tenant_id in list(connection.tenant_ids):
                if _connection_id(connection, tenant_id) == connection_id.strip().lower():
                    connection.tenant_ids.remove(tenant_id)
                    return
        raise not_found()

    def reset(self) -> None:
        with self._lock:
            self._access.clear()
            self._refresh.clear()
            self._codes.clear()


def _redirect(fields: Mapping[str, str], params: dict[str, str]) -> str:
    """The app's redirect URI with `params` and the app's `state`, as the authorisation ends."""
    if fields.get("state"):
        params = {**params, "state": fields["state"]}
    return f"{fields.get('redirect_uri')}?{urlencode(params)}"


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _connection_id(connection: Connection, tenant_id: str) -> str:
    raw = connection.connection_id
    tail = tenant_id.replace("-", "")[-12:]
    return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-8{raw[17:20]}-{tail}"
