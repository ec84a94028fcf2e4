"""The status page: per entity, its connection and what stopped it, the last import, the backlog, last
night's posting, today's Xero calls against the budget, the last reconciliation, and two charts over 30
days (posted volume, the reconciliation's difference), each with its words and its data table."""

from __future__ import annotations

from dataclasses import dataclass

from cynare.domain.reconciliation import Status
from cynare.presentation.pages.charts import Chart, difference_chart, posted_chart
from cynare.presentation.pages.context import PageContext, Route
from cynare.presentation.pages.web import PageResponse
from cynare.presentation.reconciliation.formatting import amount_text, day_text, moment_text, status_text
from cynare.service_layer.pages_status import EntityPage, status_page
from cynare.service_layer.xero_port import IssueKind

HELD_SHOWN = 5  # the rest are on the exceptions page
# What a person does about each issue, and where.
ISSUE_PAGES = {IssueKind.CONNECTION_EXPIRING: ("/connect", "Reconnect on the Connect page"),
               IssueKind.NOT_CONNECTED: ("/connect", "Connect it on the Connect page"),
               IssueKind.CONNECTION_BROKEN: ("/connect", "Reconnect on the Connect page")}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Attention:
    entity: str
    kind: IssueKind
    message: str
    path: str
    action: str


@dataclass(frozen=True, slots=True)
class EntityView:
    page: EntityPage
    posted: Chart
    difference: Chart


def status(context: PageContext) -> PageResponse:
    entities = context.app.uow.entities()
    chosen = context.request.query.get("entity", "")
    if chosen and chosen not in entities:
        return context.page("problem.html.j2", "No such entity", status=404,
                            message=f"There is no entity {chosen} in this firm: choose one of "
                                    f"{', '.join(entities) or 'none (set CYNARE_ENTITIES)'}.")  # fmt: skip
    app = context.app
    figures = status_page(app.uow, app.history, app.reports, app.settings.budget, context.now,
                          [chosen] if chosen else entities)  # fmt: skip
    views = [EntityView(p, posted_chart(p.entity, p.posted_per_day), difference_chart(p.entity, p.differences))
             for p in figures.entities]  # fmt: skip
    return context.page(
        "status.html.j2", f"Status of {chosen}" if chosen else "Status", chosen=chosen, figures=figures,
        views=views, attention=_attention(figures.entities), held_shown=HELD_SHOWN, amount=amount_text,
        day=day_text, moment=moment_text, result=_result,
    )  # fmt: skip


def _attention(pages: tuple[EntityPage, ...]) -> list[Attention]:
    """Every issue of every entity, a lapsing connection first: it is the one a person can still prevent."""
    items = [Attention(p.entity, issue.kind, issue.message,
                       *ISSUE_PAGES.get(issue.kind, ("/exceptions", "See the Exceptions page")))
             for p in pages for issue in p.status.issues]  # fmt: skip
    return sorted(items, key=lambda a: (a.kind is not IssueKind.CONNECTION_EXPIRING, a.entity))


def _result(value: str) -> str:
    """A reconciliation result in words with its symbol ("✓ Balanced"); an unknown one as it was written."""
    try:
        return status_text(Status(value))
    except ValueError:
        return value


ROUTES = [Route("GET", "/status", status)]
