"""The report's email through Microsoft Graph: `graph_mail_sender` builds a GraphMailSender from the
settings (CYNARE_REPORT_MAILBOX, CYNARE_GRAPH_URL, CYNARE_GRAPH_TENANT_ID, CYNARE_GRAPH_CLIENT_ID,
CYNARE_GRAPH_CLIENT_SECRET); the adapter itself is in cynare/adapters/graph/."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cynare.adapters.graph.credentials import LocalStandInCredential
from cynare.adapters.graph.sender import GraphMailSender
from cynare.adapters.graph.session import GRAPH_URL, Endpoint

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

__all__ = ["GraphMailSender", "graph_mail_sender"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def graph_mail_sender(
    mailbox: str,
    *,
    graph_url: str | None,
    tenant_id: str | None,
    client_id: str | None,
    client_secret: str | None,
    timeout: float = 60.0,
) -> GraphMailSender:
    """A GraphMailSender sending as `mailbox`, signed in by the rule:

    1. `graph_url` names a loopback address (`http://127.0.0.1:8766`, the local stand-in from
       `cynare sandbox graph`): the stand-in's own token endpoint, with `tenant_id`, `client_id` and
       `client_secret` (all three required; the stand-in prints them).
    2. Otherwise Graph itself (`graph_url` empty or `https://graph.microsoft.com`):
       - `client_secret` given: that app registration's client secret (ClientSecretCredential; needs
         `tenant_id` and `client_id`);
       - no secret: the Function app's managed identity (ManagedIdentityCredential), the user-assigned
         one whose client id is `client_id` when given, else the system-assigned one.

    Raises ValueError naming the setting to fix; the secret's value never appears in it.
    """
    mailbox = (mailbox or "").strip()
    if "@" not in mailbox:
        raise ValueError("CYNARE_REPORT_MAILBOX must be the mailbox the report is sent as, e.g. reports@firm.example")
    url = (graph_url or "").strip().rstrip("/") or GRAPH_URL
    credential: TokenCredential
    if url != GRAPH_URL:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in _LOOPBACK or parts.path:
            raise ValueError(
                f"CYNARE_GRAPH_URL {url!r} is neither Graph ({GRAPH_URL}) nor the local stand-in's root on loopback "
                "(e.g. http://127.0.0.1:8766): leave it empty in Azure"
            )
        _require({"CYNARE_GRAPH_TENANT_ID": tenant_id, "CYNARE_GRAPH_CLIENT_ID": client_id,
                  "CYNARE_GRAPH_CLIENT_SECRET": client_secret})  # fmt: skip
        credential = LocalStandInCredential(url, str(tenant_id), str(client_id), str(client_secret))
    elif client_secret:
        _require({"CYNARE_GRAPH_TENANT_ID": tenant_id, "CYNARE_GRAPH_CLIENT_ID": client_id})
        from azure.identity import ClientSecretCredential

        credential = ClientSecretCredential(str(tenant_id), str(client_id), client_secret)
    else:
        from azure.identity import ManagedIdentityCredential

        credential = ManagedIdentityCredential(client_id=client_id) if client_id else ManagedIdentityCredential()
    secrets = (client_secret,) if client_secret else ()
    return GraphMailSender(mailbox, credential, endpoint=Endpoint(url, timeout), secrets=secrets)


def _require(settings: dict[str, str | None]) -> None:
    missing = [name for name, value in settings.items() if not (value or "").strip()]
    if missing:
        raise ValueError(f"set {' and '.join(missing)}: needed with this CYNARE_GRAPH_URL / client secret")
