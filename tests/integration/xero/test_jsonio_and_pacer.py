"""Exact JSON for money, Xero's date forms, and the pacer's two limits (rolling minute, calls in flight)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from cynare.adapters.xero.jsonio import dumps, loads, xero_date, xero_datetime
from cynare.adapters.xero.pacer import WINDOW_MARGIN, Pacer


class FakeTime:
    """A monotonic clock that moves only when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


# --- jsonio --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("123.4567", "123.4567"),
        ("0.1", "0.1"),
        ("-0.01", "-0.01"),
        ("1E+2", "100"),
        ("1E-7", "0.0000001"),
        ("12.3400", "12.3400"),
        ("123456789012345678901234567890.05", "123456789012345678901234567890.05"),
    ],
)
def test_decimals_go_out_exactly_and_come_back_as_decimal(value: str, text: str) -> None:
    encoded = dumps({"UnitAmount": Decimal(value)})
    assert encoded == f'{{"UnitAmount":{text}}}'.encode()
    back = loads(encoded)["UnitAmount"]
    assert back == Decimal(value) and not isinstance(back, float)  # a whole number reads as int


def test_text_that_looks_like_a_marker_or_a_number_stays_text() -> None:
    body = {"A": ["1.50", "\x01", "é", 2, True, None, False], "B": {"C": Decimal("0.10")}, "D": date(2026, 5, 1)}
    encoded = dumps(body)
    assert json.loads(encoded) == {"A": ["1.50", "\x01", "é", 2, True, None, False], "B": {"C": 0.1}, "D": "2026-05-01"}
    assert loads(encoded)["B"]["C"] == Decimal("0.10")


def test_floats_nan_and_naive_datetimes_are_refused() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        dumps({"Amount": 0.1})
    with pytest.raises(ValueError):
        dumps({"Amount": Decimal("NaN")})
    with pytest.raises(ValueError, match="aware"):
        dumps({"At": datetime(2026, 5, 1, 10, 0)})
    with pytest.raises(ValueError):
        loads(b'{"Amount": NaN}')
    assert dumps({"At": datetime(2026, 5, 1, 11, 0, tzinfo=timezone(timedelta(hours=1)))}) == (
        b'{"At":"2026-05-01T10:00:00"}'
    )


def test_xero_dates_in_both_forms() -> None:
    assert xero_datetime("/Date(1552404447003+0000)/") == datetime(2019, 3, 12, 15, 27, 27, 3000, tzinfo=UTC)
    assert xero_datetime("/Date(1552404447003+1300)/") == datetime(2019, 3, 12, 15, 27, 27, 3000, tzinfo=UTC)
    assert xero_datetime("/Date(1552404447003)/").tzinfo is UTC
    assert xero_datetime("2026-05-01T10:00:00") == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert xero_datetime("2026-05-01T11:00:00+01:00") == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert xero_date("/Date(1777593600000+0000)/") == date(2026, 5, 1)
    assert xero_date("2026-05-01") == date(2026, 5, 1)
    assert xero_date("2026-05-01T00:00:00") == date(2026, 5, 1)
    for bad in ("yesterday", "/Date(abc)/", "2026-13-01"):
        with pytest.raises(ValueError):
            xero_date(bad)
        with pytest.raises(ValueError):
            xero_datetime(bad)


# --- pacer ----------------------------------------------------------------------------------------


def test_never_more_than_60_starts_in_any_rolling_minute() -> None:
    fake = FakeTime()
    pacer = Pacer(clock=fake.clock, sleep=fake.sleep)
    starts: list[float] = []
    for _ in range(200):
        with pacer.slot():
            starts.append(fake.clock())
            fake.now += 0.05  # each call takes a moment
    assert all(later - earlier >= 60.0 for earlier, later in zip(starts, starts[60:], strict=False))
    # ...and it does not hold calls back more than it must: 200 calls in a little over 3 minutes.
    assert starts[-1] - starts[0] < 3 * 60 + 15
    assert starts[59] - starts[0] < 60  # the first 60 go at once


def test_a_time_scale_shrinks_the_window() -> None:
    fake = FakeTime()
    pacer = Pacer(per_minute=60, minute_seconds=1.0, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for _ in range(121):
        with pacer.slot():
            starts.append(fake.clock())
    assert all(b - a >= 1.0 for a, b in zip(starts, starts[60:], strict=False))
    # The window is 2% longer than the (scaled) minute: room for a call slow to reach Xero.
    assert starts[-1] - starts[0] == pytest.approx(2.0 * WINDOW_MARGIN)


def test_never_more_than_5_in_flight() -> None:
    pacer = Pacer(per_minute=10_000)
    lock = threading.Lock()
    in_flight = peak = 0

    def work() -> None:
        nonlocal in_flight, peak
        for _ in range(3):
            with pacer.slot():
                with lock:
                    in_flight += 1
                    peak = max(peak, in_flight)
                time.sleep(0.01)
                with lock:
                    in_flight -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert peak == 5
    assert pacer.in_flight == 0


def test_a_slot_is_given_back_when_the_call_fails() -> None:
    pacer = Pacer(concurrent=1)
    with pytest.raises(RuntimeError), pacer.slot():
        raise RuntimeError("boom")
    with pacer.slot():  # would block for ever if the failed call had kept its slot
        assert pacer.in_flight == 1


def test_pause_holds_every_slot_for_that_long() -> None:
    fake = FakeTime()
    pacer = Pacer(clock=fake.clock, sleep=fake.sleep)
    with pacer.slot():
        pass
    pacer.pause(42.5)
    pacer.pause(10)  # a shorter pause does not cut the longer one short
    with pacer.slot():
        pass
    assert fake.sleeps == [pytest.approx(42.5)]
    with pacer.slot():
        pass
    assert len(fake.sleeps) == 1


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        Pacer(per_minute=0)
    with pytest.raises(ValueError):
        Pacer(minute_seconds=0)
