"""Every page, in one list: each page module adds its own routes here."""

from __future__ import annotations

from cynare.presentation.pages import audit_page, connect_page, exceptions_page, home, mappings_page, status_page
from cynare.presentation.pages.context import Route

ROUTES: list[Route] = [
    *home.ROUTES,
    *status_page.ROUTES,
    *audit_page.ROUTES,
    *exceptions_page.ROUTES,
    *mappings_page.ROUTES,
    *connect_page.ROUTES,
]
