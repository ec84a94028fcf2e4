"""The sample organisations, apps and credentials a fresh emulator has by default (docs/xero-emulator.md).

The organisations are a books file shipped with the package, `books/sample.json` (books_file.py reads
it); any other books file can replace it (`cynare sandbox xero --books FILE`, `Emulator(books=...)`).
Ids are fixed so that tests, the demo and the docs can name them.
"""

from __future__ import annotations

from cynare.sandbox.xero import books_file
from cynare.sandbox.xero.apps import WEB_2026_CLIENT_ID, WEB_CLIENT_ID, ClientApp
from cynare.sandbox.xero.books_fields import stable_id
from cynare.sandbox.xero.state import Tenant

__all__ = [
    "CLIENTS",
    "CUSTOM_CLIENTS",
    "ENTITY_CLIENTS",
    "IE_TENANT_ID",
    "TENANT_IDS",
    "UK_TENANT_ID",
    "US_TENANT_ID",
    "WEB_2026_CLIENT_ID",
    "WEB_CLIENT_ID",
    "ClientApp",
    "fresh_tenants",
    "stable_id",
]

UK_TENANT_ID = "1a1c0000-0000-4000-8000-000000000001"
IE_TENANT_ID = "1a1c0000-0000-4000-8000-000000000002"
US_TENANT_ID = "1a1c0000-0000-4000-8000-000000000003"
TENANT_IDS = {"UK": UK_TENANT_ID, "IE": IE_TENANT_ID, "US": US_TENANT_ID}

SAMPLE = books_file.load()
CLIENTS: tuple[ClientApp, ...] = tuple(SAMPLE.build()[1].values())
CUSTOM_CLIENTS = {c.custom_tenant_id: c for c in CLIENTS if c.custom_tenant_id}
ENTITY_CLIENTS = {code: CUSTOM_CLIENTS[tenant_id] for code, tenant_id in TENANT_IDS.items()}


def fresh_tenants() -> dict[str, Tenant]:
    """The sample organisations with empty books."""
    return SAMPLE.build()[0]
