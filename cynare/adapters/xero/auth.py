"""Connecting an entity to its Xero organisation and keeping its access token valid.

Two kinds of connection (docs/xero-connections.md): a custom connection per entity (client
credentials, one organisation, a new 30-minute token whenever needed, no refresh token) and one Xero
app reaching several organisations through the authorization code flow with PKCE (rotating refresh
tokens: single use, so workers must never refresh the same connection at once, and the new refresh
token is stored before the access token is used).

Nothing here chooses an organisation: the binding (tenant id, organisation name, base currency) is
set when the entity is connected, and `check_binding` compares it with Xero on every run.
No secret (client secret, access or refresh token) is ever logged or put in a message.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode, urlparse

import requests

from cynare.adapters.xero import jsonio
from cynare.adapters.xero.http import session_without_retries
from cynare.service_layer.xero_port import (
    Binding,
    ConnectionKind,
    ConnectionRepository,
    Credentials,
    Problem,
    XeroApi,
    XeroCallFailed,
)

logger = logging.getLogger(__name__)

OFFLINE_ACCESS = "offline_access"
# What Cynare Link does in each organisation, in the granular scopes Xero gives apps from March 2026.
REQUIRED_SCOPES: tuple[str, ...] = (
    "accounting.contacts",  # clients become contacts
    "accounting.invoices",  # bills and credit notes, and their allocations
    "accounting.payments",  # receipts, returned receipts, overpayment allocations
    "accounting.banktransactions",  # unallocated cash (RECEIVE-OVERPAYMENT)
    "accounting.settings.read",  # organisation, accounts, tax rates, currencies, tracking categories
    "accounting.reports.trialbalance.read",  # the debtors control account for reconciliation
    "accounting.reports.aged.read",  # aged receivables for a client
)
# An app must also keep access between runs, which is what a refresh token is.
APP_SCOPES: tuple[str, ...] = (*REQUIRED_SCOPES, OFFLINE_ACCESS)
# The broad scopes older apps and custom connections may hold in place of each granular one.
_COVERED_BY: dict[str, tuple[str, ...]] = {
    "accounting.invoices": ("accounting.transactions",),
    "accounting.payments": ("accounting.transactions",),
    "accounting.banktransactions": ("accounting.transactions",),
    "accounting.settings.read": ("accounting.settings",),
    "accounting.reports.trialbalance.read": ("accounting.reports.read",),
    "accounting.reports.aged.read": ("accounting.reports.read",),
}

ACCESS_MARGIN = timedelta(minutes=2)  # a token with less left may expire in the middle of a batch
CLAIM_FOR = timedelta(seconds=60)  # how long one worker holds the right to refresh a connection
WAIT_FOR_SECONDS = 30.0
POLL_SECONDS = 0.5

_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --- the identity service --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What the token endpoint gave. The repr shows no secret."""

    access_token: str = field(repr=False)
    expires_at: datetime
    refresh_token: str = field(default="", repr=False)  # "" for a custom connection
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TenantConnection:
    """One organisation a connection reaches (GET /connections)."""

    tenant_id: str
    tenant_name: str
    tenant_type: str
    auth_event_id: str
    connection_id: str = ""  # the id DELETE /connections/{id} takes to disconnect the organisation


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)  # 86 characters, within the 43 to 128 allowed
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


class XeroIdentity:
    """Xero's identity service: the token endpoint, GET /connections and the consent page.

    `XeroIdentity.real()` for Xero itself, `XeroIdentity.local(url)` for the local emulator.
    Methods taking `entity` use it only to name the entity in messages; `now` is when the request
    is made (the grant's expiry is counted from it).
    """

    def __init__(
        self,
        token_url: str,
        connections_url: str,
        authorize_url: str,
        timeout: float = 30.0,
        *,
        session: requests.Session | None = None,
    ) -> None:
        self.token_url = token_url
        self.connections_url = connections_url
        # Kept under another name: `authorize_url(...)` is the method that builds the consent link.
        self.authorize_endpoint = authorize_url
        self.timeout = timeout
        self._session = session if session is not None else session_without_retries()

    @classmethod
    def real(cls, timeout: float = 30.0) -> XeroIdentity:
        return cls(
            "https://identity.xero.com/connect/token",
            "https://api.xero.com/connections",
            "https://login.xero.com/identity/connect/authorize",
            timeout,
        )

    @classmethod
    def local(cls, emulator_url: str, timeout: float = 30.0) -> XeroIdentity:
        url = emulator_url.rstrip("/")
        return cls(f"{url}/connect/token", f"{url}/connections", f"{url}/identity/connect/authorize", timeout)

    def __repr__(self) -> str:
        return f"XeroIdentity(token_url={self.token_url!r}, connections_url={self.connections_url!r})"

    def authorize_url(
        self, client_id: str, redirect_uri: str, scopes: Iterable[str], state: str, code_challenge: str
    ) -> str:
        """Where to send the person connecting an app: Xero's consent page, PKCE with S256."""
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.authorize_endpoint}?{urlencode(query, quote_via=quote)}"

    def client_credentials(
        self,
        client_id: str,
        client_secret: str,
        scopes: Iterable[str] | None = None,
        *,
        entity: str = "",
        now: datetime | None = None,
    ) -> TokenGrant:
        """A custom connection's access token; `scopes` may ask for fewer than the connection has."""
        form = {"grant_type": "client_credentials"}
        asked = tuple(scopes) if scopes is not None else ()
        if asked:
            form["scope"] = " ".join(asked)
        return self._grant(form, client_id, client_secret, entity, now, asked)

    def exchange_code(
        self,
        client_id: str,
        client_secret: str,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        *,
        entity: str = "",
        now: datetime | None = None,
    ) -> TokenGrant:
        """The tokens for an authorisation code the consent page redirected back with."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        return self._grant(form, client_id, client_secret, entity, now, ())

    def refresh(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        entity: str = "",
        now: datetime | None = None,
    ) -> TokenGrant:
        """A new access token and a new refresh token; the one given is spent (30 minutes' grace)."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._grant(form, client_id, client_secret, entity, now, ())

    def connections(self, access_token: str, *, entity: str = "") -> list[TenantConnection]:
        """The organisations the connection behind `access_token` reaches."""
        who = entity or "the connection"
        reply = self._request(
            "GET",
            self.connections_url,
            who,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        if reply.status_code == 401:
            raise XeroCallFailed(
                Problem.UNAUTHORIZED,
                f"Xero refused the access token when listing the organisations {who} reaches (401): "
                f"reconnect {who} to Xero",
                status=401,
            )
        self._raise_for_unexpected(reply, who, "listing the organisations the connection reaches")
        body = _json(reply, who)
        if not isinstance(body, list):
            raise XeroCallFailed(
                Problem.SERVER_ERROR, f"Xero's list of the organisations {who} reaches was not a list", status=200
            )
        return [
            TenantConnection(
                str(item.get("tenantId", "")),
                str(item.get("tenantName") or ""),
                str(item.get("tenantType") or ""),
                str(item.get("authEventId") or ""),
                str(item.get("id") or ""),
            )
            for item in body
            if isinstance(item, dict)
        ]

    def disconnect(self, access_token: str, connection_id: str, *, entity: str = "") -> None:
        """Tell Xero the app no longer reaches one organisation (DELETE /connections/{id})."""
        who = entity or "the connection"
        reply = self._request(
            "DELETE",
            f"{self.connections_url}/{quote(connection_id, safe='')}",
            who,
            what="disconnect",
            headers={"Authorization": f"Bearer {access_token}"},
        )
        if reply.status_code == 404:
            return  # already disconnected in Xero
        if reply.status_code == 401:
            raise XeroCallFailed(
                Problem.UNAUTHORIZED,
                f"Xero refused the access token when disconnecting {who} (401): remove Cynare Link from the "
                "organisation in Xero (Settings, Connected apps)",
                status=401,
            )
        self._raise_for_unexpected(reply, who, "disconnecting the organisation")

    # --- the token endpoint --------------------------------------------------------------------
    def _grant(
        self,
        form: dict[str, str],
        client_id: str,
        client_secret: str,
        entity: str,
        now: datetime | None,
        asked: tuple[str, ...],
    ) -> TokenGrant:
        who = entity or "the connection"
        grant_type = form["grant_type"]
        auth: tuple[str, str] | None = None
        if client_secret:
            auth = (client_id, client_secret)  # HTTP basic, which Xero prefers
        else:
            form = {**form, "client_id": client_id}  # a PKCE app without a secret
        started = now or _utc_now()
        reply = self._request(
            "POST", self.token_url, who, data=form, auth=auth, headers={"Accept": "application/json"}, what=grant_type
        )
        if reply.status_code in (400, 401):
            raise XeroCallFailed(
                Problem.UNAUTHORIZED,
                _refusal(_error_code(reply), grant_type, who),
                status=reply.status_code,
            )
        self._raise_for_unexpected(reply, who, "asking for an access token")
        body = _json(reply, who)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise XeroCallFailed(
                Problem.SERVER_ERROR, f"Xero's token answer for {who} held no access token", status=reply.status_code
            )
        seconds = _seconds(body.get("expires_in"))
        refresh = body.get("refresh_token")
        scope = body.get("scope")
        scopes = tuple(scope.split()) if isinstance(scope, str) else asked
        return TokenGrant(
            token,
            started + timedelta(seconds=seconds),
            refresh if isinstance(refresh, str) else "",
            scopes,
        )

    def _request(
        self,
        method: str,
        url: str,
        who: str,
        *,
        what: str = "",
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        started = time.monotonic()
        path = urlparse(url).path
        try:
            reply = self._session.request(
                method,
                url,
                data=data,
                auth=auth,
                headers=dict(headers or {}),
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            logger.debug("xero identity %s %s %s -> timeout", method, path, what)
            raise XeroCallFailed(
                Problem.TIMEOUT, f"Xero's identity service did not answer for {who} within {self.timeout:g} s"
            ) from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            logger.debug("xero identity %s %s %s -> dropped", method, path, what)
            raise XeroCallFailed(
                Problem.DROPPED, f"the connection to Xero's identity service broke while working for {who}"
            ) from exc
        # Never the form or the headers: they carry secrets.
        logger.debug(
            "xero identity %s %s %s -> %s in %.3fs",
            method,
            path,
            what,
            reply.status_code,
            time.monotonic() - started,
        )
        return reply

    @staticmethod
    def _raise_for_unexpected(reply: requests.Response, who: str, doing: str) -> None:
        status = reply.status_code
        if 200 <= status < 300:
            return
        if status == 403:
            raise XeroCallFailed(
                Problem.FORBIDDEN,
                f"Xero refused {who} while {doing} (403): reconnect {who} to Xero",
                status=status,
            )
        if status == 429:
            raw = reply.headers.get("Retry-After")
            try:
                wait = float(raw) if raw is not None else None
            except ValueError:
                wait = None
            raise XeroCallFailed(
                Problem.MINUTE_LIMIT,
                f"Xero's identity service asked {who} to slow down while {doing} (429)",
                status=status,
                retry_after=wait,
            )
        if status >= 500:
            raise XeroCallFailed(
                Problem.SERVER_ERROR,
                f"Xero's identity service failed while {doing} for {who} ({status})",
                status=status,
            )
        raise XeroCallFailed(
            Problem.UNAUTHORIZED,
            f"Xero's identity service refused {who} while {doing} ({status}): reconnect {who} to Xero",
            status=status,
        )


def _json(reply: requests.Response, who: str) -> Any:
    try:
        return jsonio.loads(reply.content)
    except (ValueError, UnicodeDecodeError):
        raise XeroCallFailed(
            Problem.SERVER_ERROR,
            f"Xero's identity service answered {who} with something that is not JSON",
            status=reply.status_code,
        ) from None


def _seconds(lifetime: Any) -> float:
    """A token's expires_in; Xero's tokens live 30 minutes when it does not say."""
    try:
        seconds = float(lifetime) if isinstance(lifetime, int | Decimal | str) else 1800.0
    except ValueError:
        return 1800.0
    return seconds if seconds > 0 else 1800.0


def _error_code(reply: requests.Response) -> str:
    try:
        body = jsonio.loads(reply.content)
    except (ValueError, UnicodeDecodeError):
        return ""
    code = body.get("error") if isinstance(body, dict) else None
    # Only a plain OAuth error code is repeated: anything else could echo what was sent.
    return code if isinstance(code, str) and _ERROR_CODE.match(code) else ""


def _refusal(code: str, grant_type: str, who: str) -> str:
    """What the identity service's refusal means, and what the person should do."""
    if code == "invalid_client":
        return (
            f"Xero did not accept the client id and secret for {who} (invalid_client): check the client id and "
            f"secret stored for {who}; a secret regenerated in Xero's developer portal must be stored again"
        )
    if code == "invalid_scope":
        return (
            f"Xero refused the scopes asked for {who} (invalid_scope): the app or custom connection is not "
            "registered for one of them; ask only for scopes it has, or add them in Xero's developer portal "
            "(docs/xero-connections.md)"
        )
    if code == "unauthorized_client":
        return (
            f"this client may not use the {grant_type} grant for {who} (unauthorized_client): a custom "
            "connection connects with its client id and secret, an app with the authorization code flow; "
            f"check {who}'s connection kind and client id"
        )
    if code == "invalid_grant" and grant_type == "refresh_token":
        return (
            f"Xero refused {who}'s refresh token (invalid_grant): it was unused for 60 days, revoked when the "
            f"organisation was disconnected, or replaced by a newer one; reconnect {who} to Xero"
        )
    if code == "invalid_grant" and grant_type == "authorization_code":
        return (
            f"Xero refused the authorisation code for {who} (invalid_grant): it expired, was used already or "
            f"was issued for another redirect URI; start connecting {who} again"
        )
    said = f" ({code})" if code else ""
    return f"Xero's identity service refused the {grant_type} request for {who}{said}: reconnect {who} to Xero"


# --- scopes ----------------------------------------------------------------------------------


def missing_scopes(granted: Iterable[str] | str, kind: ConnectionKind = ConnectionKind.CUSTOM) -> list[str]:
    """The required scopes the connection lacks, accepting the broad scopes older apps hold.

    An app connection also needs `offline_access` (its refresh token).
    """
    have = set(granted.split() if isinstance(granted, str) else granted)
    needed = APP_SCOPES if kind is ConnectionKind.APP else REQUIRED_SCOPES
    return [scope for scope in needed if scope not in have and not have.intersection(_COVERED_BY.get(scope, ()))]


def check_scopes(entity: str, granted: Iterable[str] | str, kind: ConnectionKind = ConnectionKind.CUSTOM) -> None:
    """Refuse a connection that lacks a scope Cynare Link needs, naming every one missing."""
    missing = missing_scopes(granted, kind)
    if not missing:
        return
    noun = "scope" if len(missing) == 1 else "scopes"
    raise XeroCallFailed(
        Problem.UNAUTHORIZED,
        f"connecting {entity} to Xero needs the {noun} {', '.join(missing)}, which the connection was not "
        f"granted: add them to the app or custom connection in Xero's developer portal and connect {entity} "
        "again (older apps may hold accounting.transactions, accounting.settings and accounting.reports.read "
        "instead; see docs/xero-connections.md)",
    )


# --- the binding -----------------------------------------------------------------------------


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def check_binding(api: XeroApi, binding: Binding) -> None:
    """Compare the organisation behind `api` with what the entity was bound to: Name and BaseCurrency.

    For an APP binding, call `verify_tenant_reachable` as well.
    """
    entity = binding.entity
    if api.tenant_id != binding.tenant_id:
        raise XeroCallFailed(
            Problem.FORBIDDEN,
            f"{entity} is bound to tenant {binding.tenant_id} but its Xero client was set up for tenant "
            f"{api.tenant_id}: correct the configuration; nothing may post until they agree",
        )
    reply = api.call("GET", "/Organisation")
    organisations = reply.body.get("Organisations") if isinstance(reply.body, dict) else None
    if not isinstance(organisations, list) or not organisations or not isinstance(organisations[0], dict):
        raise XeroCallFailed(
            Problem.SERVER_ERROR, f"Xero's answer about {entity}'s organisation held no organisation", status=200
        )
    found = organisations[0]
    name = str(found.get("Name") or "")
    currency = str(found.get("BaseCurrency") or "")
    if not _same_name(name, binding.organisation_name):
        raise XeroCallFailed(
            Problem.FORBIDDEN,
            f'{entity} is bound to the Xero organisation "{binding.organisation_name}", but tenant '
            f'{binding.tenant_id} is now called "{name}": if the organisation was only renamed, correct '
            f"{entity}'s binding to the new name; otherwise reconnect {entity} to the right organisation",
        )
    if currency.upper() != binding.base_currency.upper():
        raise XeroCallFailed(
            Problem.FORBIDDEN,
            f'{entity} is bound to "{binding.organisation_name}" with base currency {binding.base_currency}, '
            f'but the organisation "{name}" (tenant {binding.tenant_id}) keeps its books in {currency}: '
            f"reconnect {entity} to the right organisation or correct the binding",
        )


def verify_tenant_reachable(identity: XeroIdentity, access_token: str, binding: Binding) -> TenantConnection:
    """An app connection reaches several organisations: the bound one must still be among them."""
    for connection in identity.connections(access_token, entity=binding.entity):
        if connection.tenant_id.lower() == binding.tenant_id.lower():
            return connection
    raise XeroCallFailed(
        Problem.FORBIDDEN,
        f'{binding.entity}\'s Xero connection no longer reaches "{binding.organisation_name}" (tenant '
        f"{binding.tenant_id}): the organisation was disconnected from the app in Xero, or the connection was "
        f"made for other organisations; reconnect {binding.entity} and choose that organisation",
    )


# --- keeping the access token ------------------------------------------------------------------


class TokenKeeper:
    """One entity's access token, from the credentials its ConnectionRepository keeps.

    `access_token()` returns the stored token while it has more than `margin` left (the last one this
    keeper handed out is remembered, so that a fresh token costs no read of the store). Otherwise a custom
    connection asks for a new one with its client secret; an app connection refreshes, and only the
    worker holding the repository's refresh claim does so (refresh tokens are single use): it stores
    the rotated refresh token before it returns the access token, and the others wait and read it.
    `clock` gives aware UTC datetimes; `sleep` is how a waiting worker waits.
    """

    def __init__(
        self,
        binding: Binding,
        connections: ConnectionRepository,
        identity: XeroIdentity,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None] = time.sleep,
        *,
        margin: timedelta = ACCESS_MARGIN,
        claim_for: timedelta = CLAIM_FOR,
        wait_for: float = WAIT_FOR_SECONDS,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.binding = binding
        self._connections = connections
        self._identity = identity
        self._clock = clock
        self._sleep = sleep
        self._margin = margin
        self._claim_for = claim_for
        self._wait_for = wait_for
        self._poll = poll
        self._lock = threading.Lock()  # one refresh at a time in this process
        self._given: Credentials | None = None  # what was last handed out, to tell a newer stored token
        self._obtained_at: datetime | None = None

    def __repr__(self) -> str:
        return f"TokenKeeper(entity={self.binding.entity!r}, kind={self.binding.kind.value!r})"

    def access_token(self, force_refresh: bool = False) -> str:
        """A usable access token; `force_refresh` after Xero refused the last one (401)."""
        with self._lock:
            now = self._clock()
            given = self._given
            if not force_refresh and given is not None and self._fresh(given, now):
                return given.access_token  # an access token stays valid when another worker renews
            credentials = self._read()
            if self._reusable(credentials, now, force_refresh):
                chosen = credentials
            elif self.binding.kind is ConnectionKind.CUSTOM:
                chosen = self._client_credentials(credentials, now)
            else:
                chosen = self._refresh(credentials, force_refresh)
            self._given = chosen
            return chosen.access_token

    # --- custom connection -------------------------------------------------------------------------
    def _client_credentials(self, credentials: Credentials, now: datetime) -> Credentials:
        entity = self.binding.entity
        if not credentials.client_secret:
            raise XeroCallFailed(
                Problem.UNAUTHORIZED,
                f"{entity} has no client secret stored for its custom connection: connect {entity} again "
                "with the connection's client id and secret",
            )
        grant = self._identity.client_credentials(
            self.binding.client_id, credentials.client_secret, entity=entity, now=now
        )
        fresh = replace(
            credentials,
            access_token=grant.access_token,
            access_expires_at=grant.expires_at,
            scopes=grant.scopes or credentials.scopes,
        )
        if self._connections.save_credentials(fresh):
            self._obtained_at = now
            return fresh
        # Another worker stored a token first: use theirs, so that every worker shares one.
        winner = self._read()
        if self._fresh(winner, self._clock()):
            return winner
        return fresh  # still valid, merely not the stored one

    # --- app connection ----------------------------------------------------------------------------
    def _refresh(self, seen: Credentials, force: bool) -> Credentials:
        waited = 0.0
        while True:
            now = self._clock()
            if self._connections.claim_refresh(until=now + self._claim_for, now=now):
                # Someone may have refreshed between our read and our claim.
                current = self._read()
                if current.etag != seen.etag and self._reusable(current, now, force):
                    return current
                return self._refresh_with(current, now)
            if waited >= self._wait_for:
                raise XeroCallFailed(
                    Problem.UNAUTHORIZED,
                    f"another worker holds the refresh of {self.binding.entity}'s Xero token and did not finish "
                    f"within {self._wait_for:g} s: run again shortly; if this persists, reconnect "
                    f"{self.binding.entity} to Xero",
                )
            self._sleep(self._poll)
            waited += self._poll
            current = self._read()
            if self._reusable(current, self._clock(), force):
                return current

    def _refresh_with(self, current: Credentials, now: datetime) -> Credentials:
        entity = self.binding.entity
        if not current.refresh_token:
            raise XeroCallFailed(
                Problem.UNAUTHORIZED, f"{entity} has no refresh token stored: reconnect {entity} to Xero"
            )
        grant = self._identity.refresh(
            self.binding.client_id, current.client_secret, current.refresh_token, entity=entity, now=now
        )
        rotated = bool(grant.refresh_token)
        for _attempt in range(3):
            fresh = replace(
                current,
                access_token=grant.access_token,
                access_expires_at=grant.expires_at,
                refresh_token=grant.refresh_token if rotated else current.refresh_token,
                refresh_issued_at=now if rotated else current.refresh_issued_at,
                scopes=grant.scopes or current.scopes,
            )
            # The old refresh token is spent: the new one is stored before the access token is used.
            if self._connections.save_credentials(fresh):
                self._obtained_at = now
                return fresh
            latest = self._read()
            if self._fresh(latest, self._clock()) and latest.refresh_token != current.refresh_token:
                return latest  # a newer refresh was stored meanwhile
            if latest.refresh_token != current.refresh_token:
                break  # the connection was replaced (reconnected): ours must not overwrite it
            current = latest  # another field changed: store ours on top of it
        raise XeroCallFailed(
            Problem.UNAUTHORIZED,
            f"{entity}'s new Xero refresh token could not be stored, as the connection kept changing under "
            f"it: run again; if this persists, reconnect {entity} to Xero",
        )

    # --- shared --------------------------------------------------------------------------------------
    def _read(self) -> Credentials:
        credentials = self._connections.credentials()
        if credentials is None:
            entity = self.binding.entity
            raise XeroCallFailed(
                Problem.UNAUTHORIZED,
                f"{entity} is not connected to Xero: connect it (docs/xero-connections.md) before it can post",
            )
        return credentials

    def _fresh(self, credentials: Credentials, now: datetime) -> bool:
        expires = credentials.access_expires_at
        return bool(credentials.access_token) and expires is not None and expires - now > self._margin

    def _reusable(self, credentials: Credentials, now: datetime, force: bool) -> bool:
        if not self._fresh(credentials, now):
            return False
        if not force:
            return True
        # Xero refused a token handed out earlier: a stored one other than the last handed out is newer,
        # and one this keeper obtained moments ago answers another thread's 401 on the token before it.
        recent = self._obtained_at is not None and now - self._obtained_at < self._claim_for
        given = self._given.access_token if self._given is not None else ""
        return credentials.access_token != given or recent
