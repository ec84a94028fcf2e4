"""The status page's two charts as inline SVG geometry, and the same figures in words.

The template draws what is here (no script: the pages' policy forbids it); each chart is an image
(role="img", a title and a description) with a sentence and a data table beside it, made from the
same figures, so what the picture shows and what the words say never differ. Lines are told apart by
their dash and marker as well as their colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cynare.presentation.reconciliation.formatting import amount_text, day_text, short_day_text
from cynare.service_layer.pages_status import DayCount, DayDifference

WIDTH, HEIGHT = 640, 220
LEFT, TOP, RIGHT, BOTTOM = 64.0, 30.0, 624.0, 186.0  # the plotting area, in the SVG's own units
# Each at least 3:1 against white (WCAG 1.4.11) and never the only difference between two lines.
COLOURS = ("#0b5394", "#b3470b", "#007a5a", "#aa3377", "#6b6b00", "#1f2933")
DASHES = ("", "8 4", "2 3", "10 3 2 3", "14 6", "4 4")
MARKERS = ("circle", "square", "diamond", "triangle", "circle", "square")


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class DayLabel:
    x: float
    label: str
    anchor: str  # "start", "middle" or "end"


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Line:
    currency: str
    colour: str
    dash: str
    marker: str
    segments: tuple[str, ...]  # SVG "points" of each run of days with a figure
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Chart:
    ident: str  # unique on the page: ids of its title and description
    title: str
    description: str  # the text alternative, also shown beside the chart
    ticks: tuple[Tick, ...]
    days: tuple[DayLabel, ...]
    bars: tuple[Bar, ...] = ()
    lines: tuple[Line, ...] = ()
    zero: float = BOTTOM


def posted_chart(entity: str, counts: Sequence[DayCount]) -> Chart:
    """Documents posted to Xero per day: one bar a day."""
    top = _nice_ceiling(max((c.documents for c in counts), default=0))
    slot = (RIGHT - LEFT) / max(len(counts), 1)
    bars = []
    for index, count in enumerate(counts):
        height = (BOTTOM - TOP) * count.documents / top
        bars.append(Bar(round(LEFT + index * slot + slot * 0.15, 2), round(BOTTOM - height, 2), round(slot * 0.7, 2),
                        round(height, 2)))  # fmt: skip
    ticks = tuple(Tick(round(BOTTOM - (BOTTOM - TOP) * v / top, 2), f"{v:,}") for v in sorted({0, top // 2, top}))
    return Chart(f"{entity}-posted", f"Documents {entity} posted to Xero per day, last {len(counts)} days",
                 posted_words(entity, counts), ticks, _day_labels([c.day for c in counts], centred=True),
                 bars=tuple(bars))  # fmt: skip


def difference_chart(entity: str, series: dict[str, tuple[DayDifference, ...]]) -> Chart:
    """The reconciliation's difference (PMS minus Xero) per day, one line per currency."""
    values = [d.difference for days in series.values() for d in days if d.difference is not None]
    low, high = min([Decimal(0), *values]), max([Decimal(0), *values])
    if low == high:
        high = low + 1
    days = next(iter(series.values()), ())

    def y(value: Decimal) -> float:
        return round(BOTTOM - float((value - low) / (high - low)) * (BOTTOM - TOP), 2)  # a pixel, not money

    def x(index: int) -> float:
        return round(LEFT + (RIGHT - LEFT) * index / max(len(days) - 1, 1), 2)

    lines = []
    for number, (currency, figures) in enumerate(series.items()):
        style = number % len(COLOURS)
        points = [(x(i), y(d.difference)) if d.difference is not None else None for i, d in enumerate(figures)]
        segments: list[list[tuple[float, float]]] = [[]]
        for point in points:
            if point is None:
                if segments[-1]:
                    segments.append([])
            else:
                segments[-1].append(point)
        lines.append(Line(currency, COLOURS[style], DASHES[style], MARKERS[style],
                          tuple(" ".join(f"{px},{py}" for px, py in run) for run in segments if len(run) > 1),
                          tuple(p for p in points if p is not None)))  # fmt: skip
    ticks = tuple(Tick(y(v), _tick(v)) for v in sorted({low, Decimal(0), high}))
    return Chart(f"{entity}-difference", f"Reconciliation difference of {entity} per day, PMS minus Xero",
                 difference_words(entity, series), ticks, _day_labels([d.day for d in days], centred=False),
                 lines=tuple(lines), zero=y(Decimal(0)))  # fmt: skip


def posted_words(entity: str, counts: Sequence[DayCount]) -> str:
    if not counts:
        return f"No figures of documents posted by {entity}."
    last = counts[-1]
    total = sum(c.documents for c in counts)
    span = f"in the {len(counts)} days to {day_text(last.day)}"
    if not total:
        return f"{entity} posted no documents to Xero {span}."
    busiest = max(counts, key=lambda c: (c.documents, c.day))
    return (f"{entity} posted {_count(total)} to Xero {span}: {_count(last.documents)} on the last day; "
            f"the most in one day was {busiest.documents:,}, on {day_text(busiest.day)}.")  # fmt: skip


def difference_words(entity: str, series: dict[str, tuple[DayDifference, ...]]) -> str:
    recorded = {c: [d for d in days if d.difference is not None] for c, days in series.items()}
    recorded = {c: days for c, days in recorded.items() if days}
    if not recorded:
        return f"No reconciliation of {entity} is on record for these days: there is no difference to show."
    parts = [f"The difference between {entity}'s PMS and Xero (PMS minus Xero), per currency."]
    for currency, days in recorded.items():
        first, last = days[0], days[-1]
        assert first.difference is not None and last.difference is not None
        if len(days) == 1:
            parts.append(f"{currency}: {amount_text(last.difference, currency)} on {short_day_text(last.day)}, "
                         "the only day on record.")  # fmt: skip
            continue
        if not any(d.difference for d in days):
            parts.append(f"{currency}: {amount_text(Decimal(0), currency)} on each of the {len(days)} days on record.")
            continue
        words = f"{currency}: {amount_text(last.difference, currency)} on {short_day_text(last.day)}"
        if first.day != last.day:
            words += f", {amount_text(first.difference, currency)} on {short_day_text(first.day)}"
        peak = max(days, key=lambda d: (abs(d.difference or 0), -d.day.toordinal()))
        if peak.day not in (first.day, last.day) and peak.difference is not None:
            words += f"; largest {amount_text(peak.difference, currency)} on {short_day_text(peak.day)}"
        parts.append(words + ".")
    return " ".join(parts)


def _count(documents: int) -> str:
    return f"{documents:,} document" + ("" if documents == 1 else "s")


def _day_labels(listed: Sequence[date], *, centred: bool) -> tuple[DayLabel, ...]:
    """The first, middle and last day under the axis."""
    if not listed:
        return ()
    slot = (RIGHT - LEFT) / len(listed)

    def at(index: int) -> float:
        if centred:
            return round(LEFT + slot * (index + 0.5), 2)
        return round(LEFT + (RIGHT - LEFT) * index / max(len(listed) - 1, 1), 2)

    chosen = sorted({0, len(listed) // 2, len(listed) - 1})
    anchors = {0: "start", len(listed) - 1: "end"}
    return tuple(DayLabel(at(i), short_day_text(listed[i]), anchors.get(i, "middle")) for i in chosen)


def _nice_ceiling(value: int) -> int:
    """The axis's top: 1, 2, 4, 5, 10, 20, 40, 50, ... at least the value (an even top halves into a tick)."""
    top = 1
    while True:
        for step in (1, 2, 4, 5):
            if top * step >= value:
                return top * step if top * step > 1 else 2
        top *= 10


def _tick(value: Decimal) -> str:
    """Short enough for the margin: "0", "12.50", "4,250", "85k", "1.2m"."""
    size = abs(value)
    if not value:
        return "0"
    if size >= 1_000_000:
        return f"{value / 1_000_000:,.1f}m"
    if size >= 10_000:
        return f"{value / 1_000:,.0f}k"
    return f"{value:,.0f}" if size >= 100 else f"{value:,.2f}"
