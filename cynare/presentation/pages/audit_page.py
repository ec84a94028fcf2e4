"""The audit log page: every change made from the pages, who and when, newest first; by entity, paged."""

from __future__ import annotations

from datetime import UTC, datetime

from cynare.presentation.pages.context import PageContext, Route
from cynare.presentation.pages.web import PageResponse
from cynare.presentation.reconciliation.formatting import day_text
from cynare.service_layer.audit_view import PER_PAGE, audit_page

LAST_PAGE = 1_000  # the log keeps two years; no one pages further than this by hand


def audit(context: PageContext) -> PageResponse:
    entities = context.app.uow.entities()
    chosen = context.request.query.get("entity", "")
    error = ""
    if chosen and chosen not in entities:
        error = f"There is no entity {chosen} in this firm: choose one from the list. Showing every entity."
        chosen = ""
    number = _page_number(context.request.query.get("page", ""))
    page = audit_page(context.audit, number, chosen)
    return context.page("audit.html.j2", "Audit log", status=400 if error else 200, page=page, chosen=chosen,
                        error=error, per_page=PER_PAGE, when=when)  # fmt: skip


def when(at: datetime) -> str:
    """ "30 Nov 2026, 09:12:05", in UTC (the column says so)."""
    moment = at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return f"{day_text(moment.date())}, {moment:%H:%M:%S}"


def _page_number(text: str) -> int:
    """A page number from the address; anything else is the first page."""
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return 1
    return min(max(int(text), 1), LAST_PAGE)


ROUTES = [Route("GET", "/audit", audit)]
