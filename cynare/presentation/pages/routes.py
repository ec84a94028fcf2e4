"""Every page, in one list: each page module adds its own routes here."""

from __future__ import annotations

from cynare.presentation.pages import home
from cynare.presentation.pages.context import Route

ROUTES: list[Route] = [
    *home.ROUTES,
]
