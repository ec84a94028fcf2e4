"""The reconciliation email's content as plain, already-worded values: the template only lays them out.

Every figure is formatted here (the currency's decimals, its code beside), every status carries its
words and symbol, and the detail is cut at `DETAIL_LINES_PER_ENTITY` lines an entity, whole clients
at a time, the largest unexplained first as the model orders them; the workbook holds every line.
"""

from __future__ import annotations

from dataclasses import dataclass

from cynare.domain.reconciliation import (
    ACTION,
    ClientDifference,
    ControlCheck,
    CurrencyReconciliation,
    EntityReconciliation,
    ReconciliationReport,
    Status,
)
from cynare.presentation.reconciliation.attention import attention_items
from cynare.presentation.reconciliation.chart import trend_description
from cynare.presentation.reconciliation.formatting import (
    UNEXPLAINED,
    UNEXPLAINED_ACTION,
    UNEXPLAINED_DETAIL,
    StatusLabel,
    cause_text,
    change_text,
    count_text,
    day_text,
    moment_text,
    money_text,
    status_label,
)
from cynare.presentation.reconciliation.sheet_names import entity_sheet_names
from cynare.presentation.reconciliation.trend import has_trend

# Enough for a person to act on today; a phone still scrolls through it.
DETAIL_LINES_PER_ENTITY = 200


@dataclass(frozen=True, slots=True)
class FigureRow:
    """One measure of the entity's summary table, one value per currency."""

    label: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CauseRow:
    cause: str
    count: str
    amount: str
    unexplained: bool


@dataclass(frozen=True, slots=True)
class ControlLine:
    account: str
    figures: str
    verdict: str
    status: StatusLabel


@dataclass(frozen=True, slots=True)
class EntitySummary:
    entity: str
    organisation: str
    status: StatusLabel
    needs_someone: bool
    as_at: str
    problem: str
    currencies: tuple[str, ...]
    currency_statuses: tuple[StatusLabel, ...]
    figures: tuple[FigureRow, ...]
    causes: tuple[CauseRow, ...]
    control: ControlLine | None
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DetailLine:
    cause: str
    document: str
    detail: str
    amount: str
    unexplained: bool


@dataclass(frozen=True, slots=True)
class ClientBlock:
    heading: str
    figures: str
    difference: str
    lines: tuple[DetailLine, ...]


@dataclass(frozen=True, slots=True)
class ActionLine:
    cause: str
    action: str


@dataclass(frozen=True, slots=True)
class CurrencyDetail:
    currency: str
    caption: str
    actions: tuple[ActionLine, ...]
    clients: tuple[ClientBlock, ...]


@dataclass(frozen=True, slots=True)
class EntityDetail:
    entity: str
    organisation: str
    currencies: tuple[CurrencyDetail, ...]
    shown: int
    total: int
    sheet: str

    @property
    def cut(self) -> bool:
        return self.shown < self.total


@dataclass(frozen=True, slots=True)
class EmailView:
    title: str
    firm: str
    made_at: str
    all_clear: bool
    attention: tuple[str, ...]
    overview: str
    entities: tuple[EntitySummary, ...]
    notices: tuple[str, ...]
    trend: str
    chart_src: str | None
    details: tuple[EntityDetail, ...]
    status_url: str


def email_view(report: ReconciliationReport, chart_content_id: str | None) -> EmailView:
    sheets = entity_sheet_names(e.entity for e in report.entities)
    details = tuple(_entity_detail(e, sheets[e.entity]) for e in report.entities if _has_lines(e))
    return EmailView(
        title=f"Reconciliation for {day_text(report.day)}",
        firm=report.firm,
        made_at=moment_text(report.made_at),
        all_clear=report.all_clear,
        attention=tuple(attention_items(report)),
        overview=_overview(report),
        entities=tuple(_summary(report, e) for e in report.entities),
        notices=report.notices,
        trend=trend_description(report),
        chart_src=f"cid:{chart_content_id}" if chart_content_id and has_trend(report) else None,
        details=details,
        status_url=report.status_url,
    )


def _overview(report: ReconciliationReport) -> str:
    compared = sum(c.clients_compared for e in report.entities for c in e.currencies)
    entities = count_text(len(report.entities), "entity", "entities")
    return f"{entities}, {count_text(compared, 'client balance', 'client balances')} compared."


def _summary(report: ReconciliationReport, entity: EntityReconciliation) -> EntitySummary:
    currencies = entity.currencies
    return EntitySummary(
        entity=entity.entity,
        organisation=entity.organisation,
        status=status_label(entity.status),
        needs_someone=entity.needs_someone,
        as_at=day_text(entity.as_at) if entity.as_at else "",
        problem=entity.problem,
        currencies=tuple(c.currency for c in currencies),
        currency_statuses=tuple(status_label(c.status) for c in currencies),
        figures=_figures(report, entity.entity, currencies) if currencies else (),
        causes=tuple(row for c in currencies for row in _cause_rows(c)),
        control=_control(entity.control) if entity.control else None,
        notes=entity.notes,
    )


def _figures(
    report: ReconciliationReport, entity: str, currencies: tuple[CurrencyReconciliation, ...]
) -> tuple[FigureRow, ...]:
    def row(label: str, values: list[str]) -> FigureRow:
        return FigureRow(label, tuple(values))

    return (
        row("PMS debtors", [money_text(c.pms_total, c.currency) for c in currencies]),
        row("Xero receivables", [money_text(c.xero_total, c.currency) for c in currencies]),
        row("Difference", [money_text(c.difference, c.currency) for c in currencies]),
        row("Explained", [money_text(c.explained, c.currency) for c in currencies]),
        row("Unexplained", [money_text(c.unexplained, c.currency) for c in currencies]),
        row("Change since yesterday", [change_text(report.change_since_yesterday(entity, c.currency), c.currency) for c in currencies]),
        row("Clients compared", [f"{c.clients_compared:,}" for c in currencies]),
        row("Clients with a difference", [f"{sum(1 for line in c.clients if line.difference):,}" for c in currencies]),
    )  # fmt: skip


def _cause_rows(currency: CurrencyReconciliation) -> list[CauseRow]:
    code = currency.currency
    rows = [
        CauseRow(cause_text(t.cause), f"{t.count:,}", money_text(t.amount, code), unexplained=False)
        for t in currency.by_cause
    ]
    if currency.unexplained_clients:
        rows.append(
            CauseRow(UNEXPLAINED, f"{currency.unexplained_clients:,}", money_text(currency.unexplained, code), True)
        )
    return rows


def _control(control: ControlCheck) -> ControlLine:
    code = control.currency
    figures = (
        f"trial balance {money_text(control.trial_balance, code)}, "
        f"open receivables {money_text(control.open_items, code)}"
    )
    difference = money_text(control.difference, code)
    tolerance = money_text(control.tolerance, code)
    if control.status is Status.BALANCED:
        verdict = "they agree"
    elif control.status is Status.EXPLAINED:
        verdict = f"they differ by {difference}, within the tolerance of {tolerance}"
    else:
        verdict = f"they differ by {difference}, more than the tolerance of {tolerance}"
    return ControlLine(control.account, figures, verdict, status_label(control.status))


def _has_lines(entity: EntityReconciliation) -> bool:
    return any(c.clients for c in entity.currencies)


def _client_lines(client: ClientDifference) -> tuple[DetailLine, ...]:
    code = client.currency
    lines = [
        DetailLine(cause_text(e.cause), e.document, e.detail, money_text(e.amount, code), unexplained=False)
        for e in client.explanations
    ]
    if client.unexplained:
        lines.append(
            DetailLine(UNEXPLAINED, "client balance", UNEXPLAINED_DETAIL, money_text(client.unexplained, code), True)
        )
    return tuple(lines)


def _client_block(client: ClientDifference, lines: tuple[DetailLine, ...]) -> ClientBlock:
    code = client.currency
    who = f"{client.client_id} · {client.name}" if client.client_id else client.name
    figures = f"difference: PMS {money_text(client.pms, code)} less Xero {money_text(client.xero, code)}"
    return ClientBlock(who, figures, money_text(client.difference, code), lines)


def _entity_detail(entity: EntityReconciliation, sheet: str) -> EntityDetail:
    total = sum(len(client.explanations) + bool(client.unexplained) for c in entity.currencies for client in c.clients)
    shown = 0
    full = False
    currencies: list[CurrencyDetail] = []
    for currency in entity.currencies:
        blocks: list[ClientBlock] = []
        for client in currency.clients:
            lines = _client_lines(client)
            # whole clients only, so a client's explanations and unexplained part are never split
            full = full or (shown > 0 and shown + len(lines) > DETAIL_LINES_PER_ENTITY)
            if full:
                break
            blocks.append(_client_block(client, lines))
            shown += len(lines)
        if blocks:
            currencies.append(_currency_detail(entity.entity, currency, tuple(blocks)))
    return EntityDetail(entity.entity, entity.organisation, tuple(currencies), shown, total, sheet)


def _currency_detail(entity: str, currency: CurrencyReconciliation, blocks: tuple[ClientBlock, ...]) -> CurrencyDetail:
    differing = count_text(len(currency.clients), "client", "clients")
    caption = (
        f"{entity} {currency.currency}: {differing} with a difference or an explanation, "
        f"of {currency.clients_compared:,} compared"
    )
    actions = [ActionLine(cause_text(t.cause), ACTION[t.cause]) for t in currency.by_cause]
    if currency.unexplained_clients:
        actions.append(ActionLine(UNEXPLAINED, UNEXPLAINED_ACTION))
    return CurrencyDetail(currency.currency, caption, tuple(actions), blocks)
