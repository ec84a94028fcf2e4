"""The app registration the stand-in knows and Entra's client-credentials grant for it.

One tenant, one app (client id and secret) and the application permissions an administrator granted
it. A token is an opaque random string; it carries the app's permissions (Graph's `roles` claim) and
expires after `token_lifetime` seconds, as Entra's do after about an hour.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from cynare.sandbox.graph.errors import EntraError, invalid_token

GRAPH_SCOPES = frozenset({"https://graph.microsoft.com/.default", "00000003-0000-0000-c000-000000000000/.default"})
MAIL_SEND = "Mail.Send"
MAIL_READ_WRITE = "Mail.ReadWrite"  # creating a draft and attaching to it, for attachments of 3 MB or more


@dataclass(frozen=True, slots=True)
class AppRegistration:
    tenant_id: str
    client_id: str
    client_secret: str
    permissions: frozenset[str]

    def __repr__(self) -> str:
        # The secret stays out of reprs, tracebacks and test output.
        return f"AppRegistration(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, permissions={sorted(self.permissions)})"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    client_id: str
    roles: frozenset[str]
    expires_at: float  # time.monotonic()


class Identity:
    def __init__(self, app: AppRegistration, token_lifetime: int = 3599) -> None:
        self.app = app
        self.token_lifetime = token_lifetime
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()

    def issued(self) -> list[str]:
        """Every access token handed out (tests check that none reached a log)."""
        with self._lock:
            return list(self._tokens)

    # --- POST /{tenant}/oauth2/v2.0/token --------------------------------------------------
    def token(self, tenant: str, form: Mapping[str, str], basic: tuple[str, str] | None) -> dict[str, object]:
        app = self.app
        if tenant.lower() != app.tenant_id.lower():
            raise EntraError(
                400,
                "invalid_request",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
                "into the correct cloud.",
            )
        grant = form.get("grant_type")
        if not grant:
            raise _missing("grant_type")
        if grant != "client_credentials":
            raise EntraError(
                400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'."
            )
        client_id, secret = basic if basic else (form.get("client_id", ""), form.get("client_secret", ""))
        if not client_id:
            raise _missing("client_id")
        if client_id != app.client_id:
            raise EntraError(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{app.tenant_id}'. This can "
                "happen if the application has not been installed by the administrator of the tenant or consented "
                "to by any user in the tenant.",
            )
        if not secret:
            raise EntraError(
                401,
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
            )
        if not hmac.compare_digest(secret.encode("utf-8", "surrogatepass"), app.client_secret.encode("utf-8")):
            raise EntraError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                f"value, not the client secret ID, for a secret added to app '{app.client_id}'.",
            )
        scope = form.get("scope")
        if not scope:
            raise _missing("scope")
        if scope not in GRAPH_SCOPES:
            raise EntraError(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a scope value "
                "with /.default suffixed to the resource identifier (application ID URI); for Graph: "
                "https://graph.microsoft.com/.default.",
            )
        access = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[access] = IssuedToken(app.client_id, app.permissions, time.monotonic() + self.token_lifetime)
        return {
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "ext_expires_in": self.token_lifetime,
            "access_token": access,
        }

    # --- every Graph call -------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> IssuedToken:
        scheme, _, value = (authorization or "").strip().partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            raise invalid_token("Access token is empty.")
        with self._lock:
            found = self._tokens.get(value)
        if found is None:
            raise invalid_token("Access token validation failure. Invalid audience.")
        if time.monotonic() >= found.expires_at:
            raise invalid_token("Lifetime validation failed, the token is expired.")
        return found


def _missing(parameter: str) -> EntraError:
    return EntraError(
        400, "invalid_request", 900144, f"The request body must contain the following parameter: '{parameter}'."
    )
