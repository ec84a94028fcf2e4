"""Xero's money arithmetic: amounts to 2 places, tax rounded on each line, half away from zero."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.000001")
ZERO_CENTS = Decimal("0.00")
HUNDRED = Decimal(100)
# 10**-dp for the places documents use (2 and 4 for unit amounts, 6 for rates).
QUANTA = {dp: Decimal(1).scaleb(-dp) for dp in range(7)}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def quantum(dp: int) -> Decimal:
    return QUANTA.get(dp) or Decimal(1).scaleb(-dp)


def places(value: Decimal, dp: int) -> Decimal:
    return value.quantize(quantum(dp), rounding=ROUND_HALF_UP)


def to_decimal(value: Any) -> Decimal | None:
    """A Decimal from a JSON number or numeric string; None if it is neither."""
    if type(value) is Decimal:
        return value  # immutable: no copy needed (the usual case, read with parse_float=Decimal)
    if type(value) is int:
        return Decimal(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            return None
        return parsed if parsed.is_finite() else None
    return None


def line_tax(line_amount: Decimal, rate: Decimal, line_amount_types: str) -> Decimal:
    """Tax on one line; `rate` is a percentage."""
    if line_amount_types == "NoTax" or not rate:
        return ZERO_CENTS
    if line_amount_types == "Inclusive":
        return cents(line_amount * rate / (HUNDRED + rate))
    return cents(line_amount * rate / HUNDRED)


def to_base(amount: Decimal, currency_rate: Decimal) -> Decimal:
    """Base-currency value of a foreign amount; Xero's rate is foreign units per one unit of base."""
    return cents(amount / currency_rate) if currency_rate else cents(amount)
