"""The trend of the difference over the last 30 days: a small PNG for the email, and its words.

`trend_chart_png` draws one line per entity and currency (the six furthest from zero), each with its
own marker and line pattern as well as its own colour, so the lines can be told apart without colour
vision or in greyscale print. `trend_description` says the same figures in words: the image's alt
text, and the paragraph shown when the image is not.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw, ImageFont

from cynare.domain.reconciliation import ReconciliationReport
from cynare.presentation.reconciliation.formatting import amount_text, short_day_text
from cynare.presentation.reconciliation.trend import TREND_DAYS, TrendSeries, trend

WIDTH, HEIGHT = 600, 200  # as the email shows it, in CSS pixels
SCALE = 2  # drawn at twice that, so it stays sharp on high-density screens
_PLOT = (64, 26, 452, 158)  # left, top, right, bottom of the plotting area, in CSS pixels
_LEGEND_X = 470
_TEXT = "#1f2933"  # 14.8:1 on white
_MUTED = "#4a5563"  # 7.6:1 on white
_GRID = "#d5d9df"
# Each at least 3:1 against white (WCAG 1.4.11), and never the only difference between two lines.
_COLOURS = ("#0072B2", "#D55E00", "#007A5A", "#AA3377", "#6B6B00", "#000000")
_DASHES: tuple[tuple[int, ...], ...] = ((), (8, 4), (2, 3), (10, 3, 2, 3), (14, 6), (4, 4))

Point = tuple[float, float]
Marker = Callable[[ImageDraw.ImageDraw, Point, float, str], None]


def trend_description(report: ReconciliationReport) -> str:
    """The trend in words, compact: first day, today and the largest day of each series drawn."""
    drawn = trend(report)
    if not drawn.series:
        return "No trend yet: no day's figures are on record."
    parts = [f"Difference between the PMS and Xero (PMS minus Xero) over the last {TREND_DAYS} days."]
    parts += [_series_words(series, report.day) for series in drawn.series]
    if drawn.left_out:
        parts.append("Smaller, not drawn: " + ", ".join(s.label for s in drawn.left_out) + ".")
    return " ".join(parts)


def _series_words(series: TrendSeries, today: date) -> str:
    code = series.currency
    if series.always_zero:
        return f"{series.label}: {amount_text(Decimal(0), code)} on each of the {len(series.days)} days on record."
    first, last, peak = series.days[0], series.days[-1], series.largest

    def when(day: date) -> str:
        return "today" if day == today else f"on {short_day_text(day)}"

    if first.day == last.day:
        return f"{series.label}: {amount_text(last.difference, code)} {when(last.day)}, the only day on record."
    words = (
        f"{series.label}: {amount_text(first.difference, code)} on {short_day_text(first.day)}, "
        f"{amount_text(last.difference, code)} {when(last.day)}"
    )
    if peak.day not in (first.day, last.day):
        words += f"; largest {amount_text(peak.difference, code)} on {short_day_text(peak.day)}"
    return words + "."


def trend_chart_png(report: ReconciliationReport) -> bytes | None:
    """A 600 by 200 chart (drawn at 1200 by 400) of the drawn series; None when there is no history."""
    drawn = trend(report)
    if not drawn.series:
        return None
    image = Image.new("RGB", (WIDTH * SCALE, HEIGHT * SCALE), "#ffffff")
    canvas = ImageDraw.Draw(image)
    first_day = report.day - timedelta(days=TREND_DAYS - 1)
    axes = _Axes(first_day, drawn.values)
    _draw_axes(canvas, axes, report.day)
    for index, series in enumerate(drawn.series):
        points = [axes.point(d.day, d.difference) for d in series.days]
        style = index % len(_COLOURS)
        _stroke(canvas, points, _DASHES[style], _COLOURS[style])
        for point in points:
            _MARKERS[style](canvas, point, 3.2 * SCALE, _COLOURS[style])
    _draw_legend(canvas, drawn.series)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


class _Axes:
    """Days and differences to pixels. Decimal becomes float here only to place pixels."""

    def __init__(self, first_day: date, values: Sequence[Decimal]) -> None:
        self.first_day = first_day
        self.low = min([Decimal(0), *values])
        self.high = max([Decimal(0), *values])
        if self.low == self.high:
            self.high = self.low + 1

    def x(self, day: date) -> float:
        left, _, right, _ = _PLOT
        share = (day - self.first_day).days / (TREND_DAYS - 1)
        return (left + share * (right - left)) * SCALE

    def y(self, value: Decimal) -> float:
        _, top, _, bottom = _PLOT
        share = float((value - self.low) / (self.high - self.low))  # a pixel position, not money
        return (bottom - share * (bottom - top)) * SCALE

    def point(self, day: date, value: Decimal) -> Point:
        return self.x(day), self.y(value)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size * SCALE)


def _tick(value: Decimal) -> str:
    """Short enough for the margin left of the axis: "0", "12.50", "4,250", "85k", "1.2m"."""
    size = abs(value)
    if not value:
        return "0"
    if size >= 1_000_000:
        return f"{value / 1_000_000:,.1f}m"
    if size >= 10_000:
        return f"{value / 1_000:,.0f}k"
    return f"{value:,.0f}" if size >= 100 else f"{value:,.2f}"


def _draw_axes(canvas: ImageDraw.ImageDraw, axes: _Axes, today: date) -> None:
    left, top, right, bottom = (v * SCALE for v in _PLOT)
    small = _font(11)
    canvas.text((4 * SCALE, 4 * SCALE), "Difference, PMS minus Xero (each in its own currency)", fill=_TEXT, font=small)
    for value in sorted({axes.low, Decimal(0), axes.high}):
        y = axes.y(value)
        canvas.line([(left, y), (right, y)], fill=_MUTED if value == 0 else _GRID, width=SCALE)
        canvas.text((left - 6 * SCALE, y), _tick(value), fill=_TEXT, font=small, anchor="rm")
    canvas.line([(left, top), (left, bottom)], fill=_MUTED, width=SCALE)
    middle = axes.first_day + timedelta(days=(TREND_DAYS - 1) // 2)
    # the first label starts at the axis and the last ends at it, clear of the figures beside them
    for day, anchor in ((axes.first_day, "lt"), (middle, "mt"), (today, "rt")):
        x = axes.x(day)
        canvas.line([(x, bottom), (x, bottom + 4 * SCALE)], fill=_MUTED, width=SCALE)
        canvas.text((x, bottom + 6 * SCALE), short_day_text(day), fill=_TEXT, font=small, anchor=anchor)
    caption = f"Day, the last {TREND_DAYS} days"
    canvas.text(((left + right) / 2, (HEIGHT - 4) * SCALE), caption, fill=_TEXT, font=small, anchor="md")


def _draw_legend(canvas: ImageDraw.ImageDraw, series: Sequence[TrendSeries]) -> None:
    font = _font(11)
    x = _LEGEND_X * SCALE
    for index, one in enumerate(series):
        y = (_PLOT[1] + 8 + index * 22) * SCALE
        style = index % len(_COLOURS)
        sample = [(x, y), (x + 28 * SCALE, y)]
        _stroke(canvas, sample, _DASHES[style], _COLOURS[style])
        _MARKERS[style](canvas, (x + 14 * SCALE, y), 3.2 * SCALE, _COLOURS[style])
        room = (WIDTH - _LEGEND_X - 36) * SCALE - font.getlength(f" {one.currency}")
        label = f"{_fit(one.entity, font, room)} {one.currency}"
        canvas.text((x + 34 * SCALE, y), label, fill=_TEXT, font=font, anchor="lm")


def _fit(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float) -> str:
    """A long entity name shortened with "..." to fit the legend; the text alternative has it in full."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "...") > width:
        text = text[:-1]
    return text.rstrip() + "..."


def _stroke(canvas: ImageDraw.ImageDraw, points: Sequence[Point], dashes: tuple[int, ...], colour: str) -> None:
    """A polyline, solid or in the given dash pattern (lengths in CSS pixels, on and off in turn)."""
    width = 2 * SCALE
    if len(points) < 2:
        return
    if not dashes:
        canvas.line(list(points), fill=colour, width=width, joint="curve")
        return
    pattern = [d * SCALE for d in dashes]
    index, left_in_dash = 0, float(pattern[0])
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        done = 0.0
        while done < length:
            step = min(left_in_dash, length - done)
            if index % 2 == 0:
                start, end = done / length, (done + step) / length
                canvas.line(
                    [(x1 + (x2 - x1) * start, y1 + (y2 - y1) * start), (x1 + (x2 - x1) * end, y1 + (y2 - y1) * end)],
                    fill=colour,
                    width=width,
                )
            done += step
            left_in_dash -= step
            if left_in_dash <= 0:
                index = (index + 1) % len(pattern)
                left_in_dash = float(pattern[index])


def _circle(canvas: ImageDraw.ImageDraw, at: Point, r: float, colour: str) -> None:
    canvas.ellipse([at[0] - r, at[1] - r, at[0] + r, at[1] + r], fill=colour)


def _square(canvas: ImageDraw.ImageDraw, at: Point, r: float, colour: str) -> None:
    canvas.rectangle([at[0] - r, at[1] - r, at[0] + r, at[1] + r], fill=colour)


def _triangle(canvas: ImageDraw.ImageDraw, at: Point, r: float, colour: str) -> None:
    x, y = at
    canvas.polygon([(x, y - r * 1.2), (x + r * 1.2, y + r), (x - r * 1.2, y + r)], fill=colour)


def _diamond(canvas: ImageDraw.ImageDraw, at: Point, r: float, colour: str) -> None:
    x, y = at
    canvas.polygon([(x, y - r * 1.3), (x + r * 1.3, y), (x, y + r * 1.3), (x - r * 1.3, y)], fill=colour)


def _ring(canvas: ImageDraw.ImageDraw, at: Point, r: float, colour: str) -> None:
    canvas.ellipse([at[0] - r, at[1] - r, at[0] + r, at[1] + r], fill="#ffffff", outline=colour, width=SCALE)


def _cross(canvas: ImageDraw.ImageDraw, at: Point, r: float, colour: str) -> None:
    x, y = at
    canvas.line([(x - r, y - r), (x + r, y + r)], fill=colour, width=SCALE)
    canvas.line([(x - r, y + r), (x + r, y - r)], fill=colour, width=SCALE)


_MARKERS: tuple[Marker, ...] = (_circle, _square, _triangle, _diamond, _ring, _cross)
