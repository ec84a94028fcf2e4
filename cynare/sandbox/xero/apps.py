"""Apps registered with the emulated identity service (credentials for the local emulator only).

A custom connection (client credentials) reaches exactly one organisation and carries the scopes it was
authorised with; a web app may be granted any organisation of the emulator on the consent page. The
older web app may ask for broad and granular scopes; the 2026 one, like any app created from 2 March
2026, for granular scopes only (scopes.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cynare.sandbox.xero.scopes import DEFAULT_SCOPE, NEW_APP, OLDER_APP


@dataclass(frozen=True)
class ClientApp:
    client_id: str
    client_secret: str
    name: str
    custom_tenant_id: str | None = None
    tenant_ids: tuple[str, ...] = field(default_factory=tuple)
    scopes: frozenset[str] = OLDER_APP
    default_scope: str = DEFAULT_SCOPE


WEB_CLIENT_ID = "SANDBOXWEBAPP0000000000000000001"
WEB_SECRET = "sandbox-web-secret"  # noqa: S105 (the local emulator's published sandbox secret)
WEB_2026_CLIENT_ID = "SANDBOXWEBAPP2026000000000000002"
WEB_2026_SECRET = "sandbox-web2026-secret"  # noqa: S105 (likewise)


def web_apps(tenant_ids: Iterable[str]) -> tuple[ClientApp, ClientApp]:
    """The two web apps, each allowed to connect to every one of `tenant_ids`."""
    granted = tuple(tenant_ids)
    return (
        ClientApp(WEB_CLIENT_ID, WEB_SECRET, "Cynare Link", None, granted),
        ClientApp(
            WEB_2026_CLIENT_ID,
            WEB_2026_SECRET,
            "Cynare Link (2026)",
            None,
            granted,
            NEW_APP,
            "accounting.invoices accounting.payments accounting.contacts accounting.settings",
        ),
    )
