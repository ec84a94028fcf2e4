"""Money: a Decimal amount that always carries its currency, rounded to that currency's minor units."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from cynare.errors import CynareError

# ISO 4217 minor units of the currencies a firm is likely to bill in; the rest default to 2.
_MINOR_UNITS: dict[str, int] = {
    "BHD": 3, "CLP": 0, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3,
    "OMR": 3, "TND": 3, "UGX": 0, "VND": 0, "XAF": 0, "XOF": 0,
}  # fmt: skip
KNOWN_CURRENCIES = frozenset(
    [
        "AED",
        "AUD",
        "BHD",
        "CAD",
        "CHF",
        "CLP",
        "CNY",
        "CZK",
        "DKK",
        "EUR",
        "GBP",
        "HKD",
        "HUF",
        "ILS",
        "INR",
        "ISK",
        "JOD",
        "JPY",
        "KRW",
        "KWD",
        "MXN",
        "MYR",
        "NOK",
        "NZD",
        "OMR",
        "PHP",
        "PLN",
        "QAR",
        "RON",
        "SAR",
        "SEK",
        "SGD",
        "THB",
        "TND",
        "TRY",
        "TWD",
        "UGX",
        "USD",
        "VND",
        "XAF",
        "XOF",
        "ZAR",
    ]
)


class CurrencyError(CynareError, ValueError):
    """An amount and a currency that do not fit together."""


def minor_units(currency: str) -> int:
    if currency not in KNOWN_CURRENCIES:
        raise CurrencyError(f"unknown currency code {currency!r} (expected an ISO 4217 code such as GBP)")
    return _MINOR_UNITS.get(currency, 2)


def has_valid_precision(amount: Decimal, currency: str) -> bool:
    """True when `amount` has no more decimal places than the currency allows (0 for JPY).

    Trailing zeros do not count: 100.00 JPY and 1.2300 GBP (a SQL `money` value) are whole minor units.
    """
    places = minor_units(currency)
    _, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int):
        return False
    excess = -exponent - places
    return excess <= 0 or not any(digits[-excess:])


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor units, as Xero rounds tax per line."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if not has_valid_precision(self.amount, self.currency):
            raise CurrencyError(f"{self.amount} has more decimals than {self.currency} allows")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyError(f"cannot combine {self.currency} with {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.{minor_units(self.currency)}f}"
