"""The 30-day trend: the PNG for the email and the words that stand in for it."""

from __future__ import annotations

import dataclasses
import io
from datetime import timedelta
from decimal import Decimal

from PIL import Image

from cynare.domain.reconciliation import DayFigure, ReconciliationReport, Status
from cynare.presentation.reconciliation import chart
from cynare.presentation.reconciliation.chart import trend_chart_png, trend_description
from cynare.presentation.reconciliation.trend import MAX_SERIES, trend
from tests.unit.presentation.report_fixtures import (
    DAY,
    UK_GBP_PEAK,
    all_clear_report,
    busy_report,
    without_history,
)


def image(content: bytes) -> Image.Image:
    return Image.open(io.BytesIO(content)).convert("RGB")


def colours(picture: Image.Image) -> set[tuple[int, ...] | float]:
    return {colour for _, colour in picture.getcolors(maxcolors=1_000_000) or []}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def with_series(count: int) -> ReconciliationReport:
    """`count` series of one entity each, the n-th peaking at n * 100."""
    history = {
        (f"E{n}", "GBP"): tuple(
            DayFigure(f"E{n}", "GBP", DAY - timedelta(days=29 - i), Decimal(n * 100 if i == 10 else 0), Decimal(0),
                      Status.BALANCED)
            for i in range(30)
        )
        for n in range(1, count + 1)
    }  # fmt: skip
    return dataclasses.replace(busy_report(), history=history)


def test_the_chart_is_a_png_of_about_600_by_200_drawn_at_twice_the_size() -> None:
    content = trend_chart_png(busy_report())
    assert content is not None and content.startswith(b"\x89PNG\r\n\x1a\n")
    picture = Image.open(io.BytesIO(content))
    assert picture.size == (chart.WIDTH * chart.SCALE, chart.HEIGHT * chart.SCALE) == (1200, 400)
    assert len(content) < 100_000  # small enough for every mailbox


def test_each_series_is_drawn_in_its_own_colour() -> None:
    report = busy_report()
    drawn = colours(image(trend_chart_png(report) or b""))
    series = len(trend(report).series)
    assert series == 4
    for hex_colour in chart._COLOURS[:series]:
        assert rgb(hex_colour) in drawn, hex_colour


def test_series_differ_by_marker_and_line_pattern_not_only_by_colour() -> None:
    report = with_series(MAX_SERIES)
    picture = image(trend_chart_png(report) or b"").convert("L")
    shapes = []
    for index in range(MAX_SERIES):
        # each legend sample (line and marker), reduced to ink or paper: its shape without its colour
        y = (chart._PLOT[1] + 8 + index * 22) * chart.SCALE
        box = (
            chart._LEGEND_X * chart.SCALE,
            y - 6 * chart.SCALE,
            (chart._LEGEND_X + 28) * chart.SCALE,
            y + 6 * chart.SCALE,
        )
        ink = picture.crop(box).point(lambda v: 255 if v < 200 else 0).tobytes()
        assert ink.count(255) > 50, index
        shapes.append(ink)
    assert len(set(shapes)) == MAX_SERIES


def test_no_history_no_chart() -> None:
    assert trend_chart_png(without_history(busy_report())) is None


def test_history_older_than_30_days_is_left_out() -> None:
    report = busy_report()
    old = {
        key: tuple(dataclasses.replace(d, day=d.day - timedelta(days=60)) for d in days)
        for key, days in report.history.items()
    }
    stale = dataclasses.replace(report, history=old)
    assert trend_chart_png(stale) is None
    assert trend_description(stale).startswith("No trend yet")


def test_at_most_six_series_the_largest_and_the_rest_named() -> None:
    report = with_series(8)
    drawn = trend(report)
    assert [s.entity for s in drawn.series] == ["E3", "E4", "E5", "E6", "E7", "E8"]
    assert [s.entity for s in drawn.left_out] == ["E1", "E2"]
    assert trend_description(report).endswith("Smaller, not drawn: E1 GBP, E2 GBP.")
    assert trend_chart_png(report) is not None


def test_negative_and_very_large_differences_still_draw() -> None:
    report = busy_report()
    history = {
        ("UK", "GBP"): tuple(
            DayFigure(
                "UK",
                "GBP",
                DAY - timedelta(days=29 - i),
                Decimal(-12_345_678) * (i % 3),
                Decimal(0),
                Status.UNEXPLAINED,
            )
            for i in range(30)
        )
    }
    content = trend_chart_png(dataclasses.replace(report, history=history))
    assert content is not None
    assert rgb(chart._COLOURS[0]) in colours(image(content))


def test_the_same_report_draws_the_same_picture() -> None:
    assert trend_chart_png(busy_report()) == trend_chart_png(busy_report())


# --- in words --------------------------------------------------------------------------------------


def test_the_description_gives_first_day_today_and_the_largest_day() -> None:
    text = trend_description(busy_report())
    peak_day, peak = UK_GBP_PEAK
    assert text.startswith("Difference between the PMS and Xero (PMS minus Xero) over the last 30 days.")
    assert f"UK GBP: 0.00 on 1 Nov, 3,408.69 today; largest {peak:,.2f} on {peak_day.day} Nov." in text
    assert "UK EUR: 0.00 on 1 Nov, 1,250.02 today." in text
    assert "IE EUR: 75.00 on 1 Nov, 75.00 today." in text
    # US was not reconciled today: its last figure is yesterday's
    assert "US USD: 0.00 on 1 Nov, 0.00 on 29 Nov; largest 640.00 on 11 Nov." in text


def test_the_description_follows_the_reports_order() -> None:
    text = trend_description(busy_report())
    assert text.index("UK GBP") < text.index("UK EUR") < text.index("IE EUR") < text.index("US USD")


def test_a_series_that_stayed_at_zero_says_so() -> None:
    assert "IE EUR: 0.00 on each of the 30 days on record." in trend_description(all_clear_report())


def test_without_history_the_description_says_there_is_no_trend_yet() -> None:
    assert trend_description(without_history(busy_report())) == "No trend yet: no day's figures are on record."


def test_a_single_day_on_record() -> None:
    report = busy_report()
    today = {("UK", "GBP"): report.history[("UK", "GBP")][-1:]}
    text = trend_description(dataclasses.replace(report, history=today))
    assert text.endswith("UK GBP: 3,408.69 today, the only day on record.")


def test_a_long_entity_name_is_shortened_in_the_legend_but_kept_whole_in_words() -> None:
    report = busy_report()
    long_name = "Harper and Vale Holdings International"
    history = {(long_name, "GBP"): report.history[("UK", "GBP")]}
    renamed = dataclasses.replace(report, history=history)
    picture = image(trend_chart_png(renamed) or b"")
    # nothing is drawn in the last few pixels: the label stops short of the edge
    edge = picture.crop((picture.width - 4 * chart.SCALE, 0, picture.width, picture.height))
    assert colours(edge) == {(255, 255, 255)}
    assert f"{long_name} GBP: 0.00 on 1 Nov" in trend_description(renamed)
