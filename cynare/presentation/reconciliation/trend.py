"""The trend's series: each entity and currency's daily difference over the last days, the largest few.

The chart and its text alternative draw on the same series, so what the picture shows and what the
words say are always the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from cynare.domain.reconciliation import DayFigure, ReconciliationReport

TREND_DAYS = 30
MAX_SERIES = 6  # more lines than this cannot be told apart in a small chart


@dataclass(frozen=True, slots=True)
class TrendSeries:
    entity: str
    currency: str
    days: tuple[DayFigure, ...]  # oldest first, within the window

    @property
    def label(self) -> str:
        return f"{self.entity} {self.currency}"

    @property
    def largest(self) -> DayFigure:
        """The day furthest from zero (the earliest of equals)."""
        return max(self.days, key=lambda d: (abs(d.difference), -d.day.toordinal()))

    @property
    def always_zero(self) -> bool:
        return not any(d.difference for d in self.days)


@dataclass(frozen=True, slots=True)
class Trend:
    series: tuple[TrendSeries, ...]  # the ones drawn, in the report's entity order
    left_out: tuple[TrendSeries, ...]  # the smaller ones beyond MAX_SERIES

    @property
    def values(self) -> list[Decimal]:
        return [d.difference for s in self.series for d in s.days]


def trend(report: ReconciliationReport, days: int = TREND_DAYS, limit: int = MAX_SERIES) -> Trend:
    first = report.day - timedelta(days=days - 1)
    found = [
        TrendSeries(entity, currency, window)
        for (entity, currency), figures in report.history.items()
        if (window := tuple(sorted((d for d in figures if first <= d.day <= report.day), key=lambda d: d.day)))
    ]
    by_size = sorted(found, key=lambda s: (-abs(s.largest.difference), s.label))
    # the report's own order: its entities, each entity's currencies; a series no longer reported goes last
    order = {
        (entity.entity, currency.currency): (index, place)
        for index, entity in enumerate(report.entities)
        for place, currency in enumerate(entity.currencies)
    }
    entities = {entity.entity: index for index, entity in enumerate(report.entities)}

    def reading_order(series: TrendSeries) -> tuple[int, int, str, str]:
        index, place = order.get(
            (series.entity, series.currency), (entities.get(series.entity, len(entities)), len(order))
        )
        return index, place, series.entity, series.currency

    return Trend(tuple(sorted(by_size[:limit], key=reading_order)), tuple(sorted(by_size[limit:], key=reading_order)))


def has_trend(report: ReconciliationReport) -> bool:
    return bool(trend(report).series)
