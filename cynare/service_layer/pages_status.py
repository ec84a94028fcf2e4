"""Use case: the status page's figures, per entity: the connection and its issues, the last import, the
backlog, last night's posting, today's Xero calls against the budget, the last reconciliation, and 30 days
of posted volume and of the reconciliation's difference.

"Last night" is from 00:00 UTC on the day of the entity's newest import (today when there is none) up to
now: the night's import and every posting run after it, the page says so. Posted volume is counted per
UTC day by the posting runs themselves (Usage.posted), so a busy entity's page never reads every
document it ever posted.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from cynare.domain.lifecycle import State, StoredDocument
from cynare.service_layer.posting.sender import Budget
from cynare.service_layer.reconciliation.ports import HistoryRepository, ReportStore
from cynare.service_layer.reconciliation.run import SUMMARY
from cynare.service_layer.status import EntityStatus, entity_status, refusals_by_reason
from cynare.service_layer.unit_of_work import BatchRecord, BatchState, UnitOfWork

log = logging.getLogger(__name__)

CHART_DAYS = 30
BACKLOG_STATES = (State.READY, State.WAITING, State.POSTING)


@dataclass(frozen=True, slots=True)
class LastImport:
    batch_id: str
    state: BatchState
    at: datetime | None
    source: str = ""
    reason: str = ""  # why it was refused or held


@dataclass(frozen=True, slots=True)
class Night:
    since: datetime  # 00:00 UTC on the day of the newest import
    posted: int  # documents put in Xero since then
    held: int  # documents held since then and still held
    rejected: int  # documents Xero refused since then and still refused


@dataclass(frozen=True, slots=True)
class CallsToday:
    """Xero's calls today (its day is the UTC day) against the organisation's budget."""

    used: int
    day_limit: int
    reserve: int  # kept for the reconciliation's reads: posting stops before it
    own_limit: bool  # the entity's own day_limit (CYNARE_ENTITIES), not CYNARE_XERO_DAY_LIMIT
    xero_remaining: int | None  # what Xero said is left, on its last answer today

    @property
    def posting_limit(self) -> int:
        return max(self.day_limit - self.reserve, 0)

    @property
    def left_for_posting(self) -> int:
        return max(self.posting_limit - self.used, 0)

    @property
    def percent(self) -> int:
        """The share of the day's limit used, in whole per cent."""
        return min(100, round(100 * self.used / self.day_limit)) if self.day_limit else 0


@dataclass(frozen=True, slots=True)
class CurrencyResult:
    currency: str
    status: str  # cynare.domain.reconciliation.Status's value
    difference: Decimal
    unexplained: Decimal


@dataclass(frozen=True, slots=True)
class EntityResult:
    status: str
    problem: str
    as_at: date | None
    currencies: tuple[CurrencyResult, ...]


@dataclass(frozen=True, slots=True)
class LastReconciliation:
    day: date
    made_at: datetime
    all_clear: bool
    entities: dict[str, EntityResult]


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    documents: int


@dataclass(frozen=True, slots=True)
class DayDifference:
    day: date
    difference: Decimal | None  # None: no reconciliation on that day


@dataclass(frozen=True, slots=True)
class Refusal:
    """Documents Xero refused for one reason (status.py's grouping), with the first one's own words in full."""

    words: str
    documents: int


@dataclass(frozen=True, slots=True)
class EntityPage:
    status: EntityStatus
    refusals: tuple[Refusal, ...]  # commonest first
    last_import: LastImport | None
    backlog: dict[State, int]  # ready, waiting, posting
    night: Night
    calls: CallsToday
    reconciliation: EntityResult | None  # from the last reconciliation, None when it has no word of the entity
    posted_per_day: tuple[DayCount, ...]  # oldest first, CHART_DAYS days to today
    differences: dict[str, tuple[DayDifference, ...]]  # currency -> oldest first, CHART_DAYS days to today

    @property
    def entity(self) -> str:
        return self.status.entity

    @property
    def backlog_total(self) -> int:
        return sum(self.backlog.values())


@dataclass(frozen=True, slots=True)
class StatusPage:
    now: datetime
    first_day: date  # of the charts
    entities: tuple[EntityPage, ...]
    reconciliation: LastReconciliation | None


def status_page(
    uow: UnitOfWork,
    history: HistoryRepository,
    reports: ReportStore,
    budget: Budget,
    now: datetime,
    entities: Sequence[str] | None = None,
) -> StatusPage:
    """The figures for `entities` (every entity of the firm when None), in the firm's order."""
    today = now.astimezone(UTC).date()
    first_day = today - timedelta(days=CHART_DAYS - 1)
    days = tuple(first_day + timedelta(days=n) for n in range(CHART_DAYS))
    last = last_reconciliation(reports, today)
    figures: dict[tuple[str, str], dict[date, Decimal]] = defaultdict(dict)
    for figure in history.since(first_day):
        if first_day <= figure.day <= today:
            figures[(figure.entity, figure.currency)][figure.day] = figure.difference
    pages = []
    for entity in entities if entities is not None else uow.entities():
        status = entity_status(uow, entity, now)
        with uow.for_entity(entity) as work:
            last_import = _last_import(work.batches.all())
            since = datetime.combine(last_import.at.astimezone(UTC).date() if last_import and last_import.at
                                     else today, time(0), UTC)  # fmt: skip
            usage = {day: work.usage.for_day(day) for day in days}
            held = _since(work.documents.in_state(State.WAITING), State.WAITING, since)
            refused = list(work.documents.in_state(State.REJECTED))
            rejected = _since(refused, State.REJECTED, since)
            own = work.settings.day_limit if work.settings is not None else None
        backlog = dict.fromkeys(BACKLOG_STATES, 0)
        for count in status.documents:
            if count.state in backlog:
                backlog[count.state] += count.documents
        posted = sum(u.posted for day, u in usage.items() if day >= since.date())
        calls = CallsToday(status.usage_today.calls, own or budget.day_limit, budget.day_reserve, own is not None,
                           status.usage_today.day_remaining)  # fmt: skip
        currencies = sorted(currency for (code, currency) in figures if code == entity)
        differences = {c: tuple(DayDifference(day, figures[(entity, c)].get(day)) for day in days) for c in currencies}
        pages.append(EntityPage(
            status, _refusals(refused), last_import, backlog, Night(since, posted, held, rejected), calls,
            last.entities.get(entity) if last else None,
            tuple(DayCount(day, usage[day].posted) for day in days), differences,
        ))  # fmt: skip
    return StatusPage(now, first_day, tuple(pages), last)


def last_reconciliation(reports: ReportStore, today: date, days_back: int = CHART_DAYS) -> LastReconciliation | None:
    """The newest reconciliation summary kept, today's or one of the days before."""
    for back in range(days_back):
        raw = reports.load(today - timedelta(days=back), SUMMARY)
        if raw is None:
            continue
        try:
            return _summary(json.loads(raw))
        except (ValueError, KeyError, TypeError, InvalidOperation):
            log.warning("the reconciliation summary of %s could not be read; looking at the day before",
                        today - timedelta(days=back))  # fmt: skip
    return None


def _summary(raw: dict[str, Any]) -> LastReconciliation:
    entities = {}
    for item in raw["entities"]:
        currencies = tuple(
            CurrencyResult(str(c["currency"]), str(c["status"]), Decimal(c["difference"]), Decimal(c["unexplained"]))
            for c in item.get("currencies", [])
        )
        as_at = date.fromisoformat(item["as_at"]) if item.get("as_at") else None
        entities[str(item["entity"])] = EntityResult(str(item["status"]), str(item.get("problem") or ""), as_at,
                                                     currencies)  # fmt: skip
    return LastReconciliation(date.fromisoformat(raw["day"]), datetime.fromisoformat(raw["made_at"]),
                              bool(raw["all_clear"]), entities)  # fmt: skip


def _refusals(refused: list[StoredDocument]) -> tuple[Refusal, ...]:
    in_order = sorted(refused, key=lambda s: str(s.document.key))
    return tuple(Refusal(r.words, r.documents) for r in refusals_by_reason(s.reason for s in in_order))


def _last_import(records: list[BatchRecord]) -> LastImport | None:
    if not records:
        return None
    oldest = datetime.min.replace(tzinfo=UTC)
    newest = max(records, key=lambda r: (r.at or oldest, r.sequence))
    return LastImport(newest.batch_id, newest.state, newest.at, newest.source, newest.reason)


def _since(documents: Iterable[StoredDocument], state: State, since: datetime) -> int:
    """Documents whose last move into `state` (where they still are) was at or after `since`."""
    count = 0
    for stored in documents:
        moved = next((t.at for t in reversed(stored.history) if t.state is state), None)
        if moved is not None and moved >= since:
            count += 1
    return count
