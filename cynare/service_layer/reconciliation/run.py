"""Use case: reconcile every entity, keep the day's figures and the report, and send it by email and Teams.

One entity that cannot be reconciled (not connected, no debtors list yet, Xero unreachable) is in the
report with the reason; the others are reconciled all the same. The report always goes out, so a
silent day means something broke.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from cynare.domain.money import quantize
from cynare.domain.reconciliation import (
    DayFigure,
    EntityReconciliation,
    ReconciliationReport,
    Sides,
    XeroEntry,
    compare,
    control_check,
    day_figures,
)
from cynare.errors import CynareError
from cynare.service_layer.connection_health import expiry_warning
from cynare.service_layer.posting.run import XeroConnector
from cynare.service_layer.reconciliation.deliver import Delivery, deliver
from cynare.service_layer.reconciliation.patient import PatientXero
from cynare.service_layer.reconciliation.pms_side import PmsSide, debtors
from cynare.service_layer.reconciliation.ports import (
    Attachment,
    HistoryRepository,
    MailMessage,
    MailSender,
    ReportStore,
    TeamsPoster,
)
from cynare.service_layer.reconciliation.xero_ledger import LedgerRefresh, read_control, refresh_ledger
from cynare.service_layer.unit_of_work import EntityWork, UnitOfWork
from cynare.service_layer.xero_port import XeroCallFailed

log = logging.getLogger(__name__)

TREND_DAYS = 30
CHART_ID = "trend-chart"
DELIVERY_NOTE = "delivery.json"
SUMMARY = "summary.json"  # each entity's result in figures: for the status page, the demo and scripts


@dataclass(frozen=True, slots=True)
class ReportSettings:
    firm: str = "the firm"
    recipients: tuple[str, ...] = ()  # the whole report
    entity_recipients: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # each their entity's part
    tolerances: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> largest exchange difference
    status_url: str = ""


@dataclass(frozen=True, slots=True)
class RenderedReport:
    subject: str
    html: str
    workbook: bytes
    chart_png: bytes | None
    card: dict[str, object]


@dataclass(frozen=True, slots=True)
class Renderers:
    """The whole report (given the chart's content id), and the Teams card alone, which is made again when
    the email fails so that the card can say so."""

    report: Callable[[ReconciliationReport, str], RenderedReport]
    card: Callable[[ReconciliationReport], dict[str, object]]


# (entity, when the PMS was read for its debtors list) -> Xero payment ids the PMS cannot hold yet
WaitingPayments = Callable[[str, datetime | None], frozenset[str]]


@dataclass(frozen=True, slots=True)
class Channels:
    mail: MailSender | None = None
    teams: TeamsPoster | None = None


@dataclass(frozen=True, slots=True)
class ReconcileOutcome:
    report: ReconciliationReport
    saved: Mapping[str, str]  # what -> where it was kept ("html" -> "reports/2026-11-30/reconciliation.html")
    deliveries: tuple[Delivery, ...]
    reads: Mapping[str, LedgerRefresh]  # entity -> what its Xero read cost


def reconcile(
    uow: UnitOfWork,
    connector: XeroConnector,
    waiting_payments: WaitingPayments,
    history: HistoryRepository,
    store: ReportStore,
    channels: Channels,
    render: Renderers,
    settings: ReportSettings,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> ReconcileOutcome:
    now = clock()
    day = now.date()
    results: list[EntityReconciliation] = []
    reads: dict[str, LedgerRefresh] = {}
    for entity in uow.entities():
        try:
            result, read = reconcile_entity(entity, uow, connector, waiting_payments, settings.tolerances, now, sleep)
        except Exception as exc:  # one entity's failure never stops the others' reconciliation
            log.exception("reconciling %s failed; the others go on", entity, extra={"entity": entity})
            result, read = _not_reconciled(entity, f"the reconciliation failed ({type(exc).__name__}: {exc})"), None
        results.append(result)
        if read is not None:
            reads[entity] = read
    history.record(figure for result in results for figure in day_figures(result, day))
    report = ReconciliationReport(
        firm=settings.firm, day=day, made_at=now, entities=tuple(results),
        history=_trend(history.since(day - timedelta(days=TREND_DAYS - 1))),
        status_url=settings.status_url, notices=_yesterdays_problems(store, day),
    )  # fmt: skip
    rendered = render.report(report, CHART_ID)
    saved = _keep(store, day, rendered)
    saved["summary"] = store.save(day, SUMMARY, json.dumps(summary(report), indent=2).encode(), "application/json")
    deliveries = _send(report, rendered, render, channels, settings, sleep)
    note = [{"channel": d.channel, "sent": d.sent, "attempts": d.attempts, "problem": d.problem} for d in deliveries]
    store.save(day, DELIVERY_NOTE, json.dumps(note, indent=2).encode(), "application/json")
    for delivery in deliveries:
        if not delivery.sent:
            log.error("the reconciliation report was not delivered: %s", delivery)
    return ReconcileOutcome(report, saved, tuple(deliveries), reads)


def summary(report: ReconciliationReport) -> dict[str, object]:
    """The report's figures as JSON: amounts as strings, never floats."""
    return {
        "day": report.day.isoformat(),
        "made_at": report.made_at.isoformat(),
        "all_clear": report.all_clear,
        "entities": [
            {
                "entity": e.entity,
                "organisation": e.organisation,
                "status": e.status.value,
                "as_at": e.as_at.isoformat() if e.as_at else None,
                "problem": e.problem,
                "currencies": [
                    {
                        "currency": c.currency, "status": c.status.value, "pms": _money(c.pms_total, c.currency),
                        "xero": _money(c.xero_total, c.currency), "difference": _money(c.difference, c.currency),
                        "explained": _money(c.explained, c.currency),
                        "unexplained": _money(c.unexplained, c.currency),
                        "clients_compared": c.clients_compared,
                        "causes": {t.cause.value: {"count": t.count, "amount": _money(t.amount, c.currency)}
                                   for t in c.by_cause},
                    }
                    for c in e.currencies
                ],
                "control": None if e.control is None else {
                    "account": e.control.account, "currency": e.control.currency,
                    "trial_balance": _money(e.control.trial_balance, e.control.currency),
                    "open_items": _money(e.control.open_items, e.control.currency),
                    "status": e.control.status.value,
                },
            }
            for e in report.entities
        ],
    }  # fmt: skip


def _money(amount: Decimal, currency: str) -> str:
    """An amount to the currency's minor units, as a string: "0.00", never "0", and never a float."""
    return str(quantize(amount, currency))


def reconcile_entity(
    entity: str,
    uow: UnitOfWork,
    connector: XeroConnector,
    waiting_payments: WaitingPayments,
    tolerances: Mapping[str, Decimal],
    now: datetime,
    sleep: Callable[[float], None],
) -> tuple[EntityReconciliation, LedgerRefresh | None]:
    with uow.for_entity(entity) as work:
        base = work.settings.base_currency if work.settings else ""
        binding = work.connection.binding()
        if binding is None:
            return _not_reconciled(entity, f"{entity} is not connected to Xero: connect it (cynare connect {entity}) "
                                   "and the next reconciliation includes it", base), None  # fmt: skip
        mark = work.reference.latest_snapshot("debtors")
        if mark is None:
            return _not_reconciled(entity, f"no debtors list has arrived for {entity} yet: the agent's extract must "
                                   "include debtors.csv (docs/extract-format.md, debtors)", base), None  # fmt: skip
        notes = tuple(w for w in [expiry_warning(binding, work.connection.credentials(), now)] if w)
        organisation = binding.organisation_name
        try:
            xero = PatientXero(connector.connect(binding, work.connection), sleep)
            try:
                read = refresh_ledger(work.xero_ledger, work.cursors, xero, now)
                control = read_control(xero, now.date())
            finally:
                work.usage.add(now.date(), xero.usage)
        except (XeroCallFailed, CynareError) as exc:
            return _not_reconciled(entity, f"Xero could not be read for {entity}: {exc}", base, organisation), None
        as_at, extracted_at = mark
        entries = list(work.xero_ledger.entries())
        waiting = waiting_payments(entity, extracted_at) | _outbox_payments(work)
        sides = _sides(work, as_at, entries, waiting, tolerances)
        currencies = compare(sides)
        check = control_check(control, entries, base or binding.base_currency, tolerances.get(base, Decimal(0)))
    result = EntityReconciliation(entity, organisation, base or binding.base_currency, as_at, currencies, check,
                                  notes=notes)  # fmt: skip
    return result, read


def _sides(
    work: EntityWork, as_at: date, entries: list[XeroEntry], waiting: frozenset[str], tolerances: Mapping[str, Decimal]
) -> Sides:
    pms = PmsSide.read(work)
    return Sides(
        debtors=debtors(work.reference.snapshot("debtors", as_at), as_at),
        clients=pms.clients(),
        documents=pms.documents(),
        entries=entries,
        contacts=work.xero_ledger.contacts(),
        contact_clients=pms.contact_clients(),
        waiting_write_back=waiting,
        tolerances=tolerances,
    )


def _outbox_payments(work: EntityWork) -> frozenset[str]:
    """Receipts taken in Xero that sync has found but not yet written into a write-back document."""
    return frozenset(
        str(item.item["xero_payment_id"]) for item in work.outbox.pending() if item.item.get("kind") == "xero_receipt"
    )


def _not_reconciled(entity: str, problem: str, base: str = "", organisation: str = "") -> EntityReconciliation:
    return EntityReconciliation(entity, organisation, base, None, problem=problem)


def _trend(figures: Sequence[DayFigure]) -> dict[tuple[str, str], tuple[DayFigure, ...]]:
    series: dict[tuple[str, str], list[DayFigure]] = defaultdict(list)
    for figure in sorted(figures, key=lambda f: f.day):
        series[(figure.entity, figure.currency)].append(figure)
    return {key: tuple(days) for key, days in series.items()}


def _yesterdays_problems(store: ReportStore, day: date) -> tuple[str, ...]:
    """What went wrong delivering the last report before today: told again, so no failure stays quiet."""
    for back in range(1, 8):
        raw = store.load(day - timedelta(days=back), DELIVERY_NOTE)
        if raw is None:
            continue
        earlier = day - timedelta(days=back)
        return tuple(
            f"The report of {earlier:%d %b %Y} was not delivered by {item['channel']}: {item['problem']}"
            for item in json.loads(raw)
            if not item.get("sent")
        )
    return ()


def _keep(store: ReportStore, day: date, rendered: RenderedReport) -> dict[str, str]:
    saved = {
        "html": store.save(day, "reconciliation.html", rendered.html.encode(), "text/html; charset=utf-8"),
        "xlsx": store.save(day, f"reconciliation-{day}.xlsx", rendered.workbook, XLSX),
        "card": store.save(day, "teams-card.json", json.dumps(rendered.card, indent=2).encode(), "application/json"),
    }
    if rendered.chart_png:
        saved["chart"] = store.save(day, "trend.png", rendered.chart_png, "image/png")
    return saved


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _message(report: ReconciliationReport, rendered: RenderedReport, to: tuple[str, ...]) -> MailMessage:
    attachments = [Attachment(f"reconciliation-{report.day}.xlsx", XLSX, rendered.workbook)]
    if rendered.chart_png:
        attachments.append(Attachment("trend.png", "image/png", rendered.chart_png, content_id=CHART_ID))
    return MailMessage(rendered.subject, rendered.html, to, tuple(attachments))


def _send(
    report: ReconciliationReport,
    rendered: RenderedReport,
    render: Renderers,
    channels: Channels,
    settings: ReportSettings,
    sleep: Callable[[float], None],
) -> list[Delivery]:
    deliveries: list[Delivery] = []
    mail = channels.mail
    if mail is None or not settings.recipients:
        deliveries.append(Delivery("email", False, 0, "no mailbox or recipients are set (CYNARE_REPORT_MAILBOX, "
                                   "CYNARE_REPORT_RECIPIENTS)"))  # fmt: skip
    else:
        message = _message(report, rendered, settings.recipients)
        deliveries.append(deliver("email", partial(mail.send, message), sleep))
    for entity, recipients in settings.entity_recipients.items():
        part = [e for e in report.entities if e.entity == entity]
        if not part or mail is None or not recipients:
            continue
        own = replace(report, entities=tuple(part), history={k: v for k, v in report.history.items() if k[0] == entity})
        message = _message(own, render.report(own, CHART_ID), recipients)
        deliveries.append(deliver(f"email to {entity}'s recipients", partial(mail.send, message), sleep))
    teams = channels.teams
    if teams is None:
        deliveries.append(Delivery("Teams", False, 0, "no Teams webhook is set (CYNARE_TEAMS_WEBHOOK_URL)"))
    else:
        failed = [d for d in deliveries if not d.sent and d.attempts]
        card = rendered.card
        if failed:  # the card says so, since the email cannot
            told = replace(report, notices=(*report.notices, *(f"Today's {d}" for d in failed)))
            card = render.card(told)
        deliveries.append(deliver("Teams", partial(teams.post, card), sleep))
    return deliveries
