"""Words and figures shared by the email, the workbook and the chart: money, dates, statuses.

Money keeps its currency's minor units (0 for JPY), thousands separators and a leading minus sign;
dates read "30 Nov 2026" whatever the machine's locale. A status is always a word with a text
symbol beside it, so no reader depends on colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from cynare.domain.money import CurrencyError, minor_units
from cynare.domain.reconciliation import Cause, Status

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

UNEXPLAINED = "Unexplained"
UNEXPLAINED_DETAIL = "what no cause accounts for"
UNEXPLAINED_ACTION = (
    "Find where it comes from: no hold, refusal or Xero record accounts for it. Correct the side that is wrong."
)


@dataclass(frozen=True, slots=True)
class StatusLabel:
    symbol: str
    words: str
    tone: str  # the key of its colours in the email; never the only sign of the status


STATUS_LABELS: dict[Status, StatusLabel] = {
    Status.BALANCED: StatusLabel("✓", "Balanced", "good"),
    Status.EXPLAINED: StatusLabel("≈", "Difference explained", "info"),
    Status.UNEXPLAINED: StatusLabel("✗", "Difference not explained", "bad"),
    Status.NOT_RECONCILED: StatusLabel("!", "Not reconciled", "warn"),
}


def status_label(status: Status) -> StatusLabel:
    return STATUS_LABELS[status]


def status_text(status: Status) -> str:
    """ "✓ Balanced": the symbol and the words, for plain text (the subject, a workbook cell)."""
    label = STATUS_LABELS[status]
    return f"{label.symbol} {label.words}"


def cause_text(cause: Cause) -> str:
    """ "Rejected by Xero": the cause's words with a capital, names kept as written."""
    words = str(cause.value)
    return words[:1].upper() + words[1:]


def places(currency: str) -> int:
    """The currency's minor units; 2 for a code the firm's extract should never have let through."""
    try:
        return minor_units(currency)
    except CurrencyError:
        return 2


def amount_text(amount: Decimal, currency: str) -> str:
    """ "-1,234.56" (or "-1,235" for JPY): the currency's decimals, thousands separators, a minus sign."""
    digits = places(currency)
    rounded = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if not rounded:
        rounded = abs(rounded)  # never "-0.00"
    return f"{rounded:,.{digits}f}"


def money_text(amount: Decimal, currency: str) -> str:
    """ "GBP 1,234.56", the code beside the figure."""
    return f"{currency} {amount_text(amount, currency)}"


def change_text(change: Decimal | None, currency: str) -> str:
    """The change of a difference since the day before, signed, or why there is none."""
    if change is None:
        return "no figure for the day before"
    if not change:
        return "no change"
    sign = "+" if change > 0 else ""
    return f"{currency} {sign}{amount_text(change, currency)}"


def day_text(day: date) -> str:
    """ "30 Nov 2026"."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def short_day_text(day: date) -> str:
    """ "30 Nov"."""
    return f"{day.day} {_MONTHS[day.month - 1]}"


def moment_text(moment: datetime) -> str:
    """ "30 Nov 2026 at 06:15 UTC"."""
    zone = f" {moment.tzname()}" if moment.tzinfo is not None else ""
    return f"{day_text(moment.date())} at {moment:%H:%M}{zone}"


def count_text(count: int, one: str, many: str) -> str:
    """ "1 client", "1,200 clients"."""
    return f"{count:,} {one if count == 1 else many}"
