"""The front page: each entity at a glance, with links to its pages."""

from __future__ import annotations

from cynare.presentation.pages.context import PageContext, Route
from cynare.presentation.pages.web import PageResponse


def home(context: PageContext) -> PageResponse:
    return context.page("home.html.j2", "Cynare Link")


ROUTES = [Route("GET", "/", home)]
