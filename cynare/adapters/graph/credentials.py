"""The credentials the Graph adapter signs in with.

In Azure the Function app's managed identity (ManagedIdentityCredential) or an app registration's
client secret (ClientSecretCredential). On a developer's machine the local Graph stand-in issues the
tokens: azure-identity accepts only https authorities, so LocalStandInCredential asks the stand-in's
token endpoint itself, with the same client-credentials grant.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
_REFRESH_MARGIN = 60.0  # seconds before expiry a cached token is replaced


class LocalStandInCredential:
    """A TokenCredential for the local Graph stand-in only (`cynare sandbox graph`), over plain HTTP.

    Sends the client-credentials grant to `{stand_in_url}/{tenant_id}/oauth2/v2.0/token` and keeps the
    token until a minute before it expires. Failures raise azure-core's exceptions, as azure-identity's
    credentials do: ClientAuthenticationError when the stand-in refuses, ServiceRequestError when it
    cannot be reached.
    """

    def __init__(
        self, stand_in_url: str, tenant_id: str, client_id: str, client_secret: str, timeout: float = 10.0
    ) -> None:
        self.token_url = f"{stand_in_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self.client_id = client_id
        self._client_secret = client_secret
        self._timeout = timeout
        self._cached: AccessToken | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalStandInCredential(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def get_token(self, *scopes: str, **_options: Any) -> AccessToken:
        with self._lock:
            cached = self._cached
            if cached is not None and cached.expires_on - _REFRESH_MARGIN > time.time():
                return cached
            self._cached = self._request(" ".join(scopes) or GRAPH_SCOPE)
            return self._cached

    def close(self) -> None:
        return

    def _request(self, scope: str) -> AccessToken:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "scope": scope,
        }
        try:
            reply = requests.post(self.token_url, data=form, timeout=self._timeout)
        except requests.RequestException as exc:
            raise ServiceRequestError(
                f"could not reach the local Graph stand-in's token endpoint {self.token_url} ({type(exc).__name__}): "
                "is `cynare sandbox graph` running there?"
            ) from None
        if reply.status_code == 429 or reply.status_code >= 500:
            raise ServiceResponseError(
                f"the local Graph stand-in's token endpoint answered {reply.status_code}; try again later"
            )
        if reply.status_code != 200:
            raise ClientAuthenticationError(
                f"the local Graph stand-in refused the token request: {_entra_error(reply)}", response=None
            )
        try:
            body = reply.json()
            return AccessToken(str(body["access_token"]), int(time.time()) + int(body["expires_in"]))
        except (ValueError, KeyError, TypeError):
            raise ClientAuthenticationError(
                f"the local Graph stand-in's token endpoint answered {reply.status_code} without a token"
            ) from None


def _entra_error(reply: requests.Response) -> str:
    """Entra's error and the first sentence or so of its description (AADSTS number included)."""
    try:
        body = reply.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return f"{reply.status_code} (not Entra's error shape)"
    description = str(body.get("error_description", "")).split(" Trace ID:")[0]
    return f"{reply.status_code} {body['error']}: {description}"
