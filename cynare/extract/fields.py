"""Column types of the extract, as pydantic annotated types.

CSV cells arrive as text: an empty cell is "no value" (the reader leaves it out, so a required
column reports "a value is required"), numbers are in plain decimal notation within a bound a firm
can have, dates are ISO 8601 (YYYY-MM-DD) within a sane range, ids are printable ASCII and free text
has no control characters.

Decimals are the hot path of a 200,000-row file, and a Python callback per amount would halve its
rate: a cell is held to its notation and its bounds by one regular expression that pydantic-core
runs itself, then parsed by its own Decimal validator (`_PlainDecimal`). A Decimal given from
Python (not from a CSV cell) is held to the same bounds by pydantic's constraints.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BeforeValidator, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from cynare.domain.money import KNOWN_CURRENCIES

TEXT_MAX: Final = 500  # characters of a text cell
ID_MAX: Final = 50  # characters of an id
EMAIL_MAX: Final = 254  # characters of an e-mail address (RFC 5321's longest path, less its brackets)
AMOUNT_DIGITS: Final = 13  # an amount is below 10^13 in absolute value...
AMOUNT_PLACES: Final = 4  # ...with no more than 4 decimal places (Xero keeps quantities and prices to 4)
RATE_DIGITS: Final = 7  # an exchange rate is below 10^7...
RATE_PLACES: Final = 10  # ...with no more than 10 decimal places
FIRST_DATE: Final = date(1990, 1, 1)
LAST_DATE: Final = date(2100, 12, 31)
SHOWN: Final = 40  # characters of a value a rejection quotes

# What a rejection says for each pattern a cell failed (`pattern_rule`).
_PATTERN_RULES: dict[str, str] = {}
_DECIMAL_PATTERNS: set[str] = set()


def shown(value: object) -> str:
    """The value for a message: quoted, and cut to its first characters when it is long."""
    if isinstance(value, str) and len(value) > SHOWN:
        return f"{value[:SHOWN]!r}…({len(value)} characters)"
    return repr(value)


def pattern_rule(pattern: str, value: object) -> str:
    """The rule a cell broke by not matching `pattern` (one of this module's), with the value given."""
    rule = _PATTERN_RULES.get(pattern, "has characters that are not allowed")
    if pattern in _DECIMAL_PATTERNS and not (isinstance(value, str) and _PLAIN_DECIMAL.fullmatch(value.strip())):
        rule = _NOT_PLAIN  # the bounds' pattern is also the notation's: say which rule it broke
    return f"{rule} (got {shown(value)})"


def _pattern(pattern: str, rule: str) -> str:
    _PATTERN_RULES[pattern] = rule
    return pattern


# --- numbers
#
# A cell is matched as it is (surrounding spaces allowed) rather than stripped first: that string
# copy cost more than the match itself. Decimal() ignores the spaces.

_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_NOT_PLAIN = (
    "not a valid decimal in plain notation: digits 0-9 with an optional leading - and a . before the decimals "
    "(no exponent, +, _, spaces, thousands separators or other digits)"
)
PLAIN_INTEGER = _pattern(
    r"^\s*[0-9]+\s*$", "not a valid integer: digits 0-9 only (no sign, decimal point, _ or other digits)"
)


def _bounded(digits: int, places: int) -> str:
    """Plain notation with at most `digits` digits before the point and `places` after it.

    Leading and trailing zeros are not counted: `0120.00` and `120.000000` are 120.
    """
    pattern = _pattern(
        rf"^\s*-?0*[0-9]{{1,{digits}}}(\.[0-9]{{1,{places}}}0*)?\s*$",
        f"out of range: at most {digits} digits before the decimal point (below 10^{digits}) "
        f"and no more than {places} decimal places",
    )
    _DECIMAL_PATTERNS.add(pattern)
    return pattern


@dataclass(frozen=True, slots=True)
class _PlainDecimal:
    """A Decimal column: a CSV cell in plain notation within `digits` and `places`, then pydantic's Decimal.

    Applied to `Decimal` or `Decimal | None` (an optional column: None stays None).
    """

    digits: int
    places: int
    gt: Decimal | None = None
    ge: Decimal | None = None
    le: Decimal | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        limit = Decimal(10) ** self.digits
        lt = None if self.le is not None else limit
        gt = self.gt if self.gt is not None else (None if self.ge is not None else -limit)
        pattern = _bounded(self.digits, self.places)
        text = core_schema.str_schema(strict=True, pattern=pattern, strip_whitespace=False)
        cell = core_schema.chain_schema(
            [text, core_schema.decimal_schema(allow_inf_nan=False, gt=self.gt, ge=self.ge, le=self.le)]
        )
        given = core_schema.decimal_schema(  # a Decimal from Python: the same bounds, by constraints
            strict=True, allow_inf_nan=False, gt=gt, ge=self.ge, lt=lt, le=self.le, decimal_places=self.places
        )
        schema = core_schema.union_schema([cell, given], mode="left_to_right")
        return core_schema.nullable_schema(schema) if _optional(source) else schema


@dataclass(frozen=True, slots=True)
class _PlainInteger:
    """A whole number from `ge` to `le`, in digits 0-9 only (pydantic alone takes `+1`, `1_0` and `1.0`)."""

    ge: int
    le: int

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        text = core_schema.str_schema(strict=True, pattern=PLAIN_INTEGER, strip_whitespace=False)
        cell = core_schema.chain_schema([text, core_schema.int_schema(ge=self.ge, le=self.le)])
        return core_schema.union_schema(
            [cell, core_schema.int_schema(strict=True, ge=self.ge, le=self.le)], mode="left_to_right"
        )


def _optional(source: Any) -> bool:
    union = isinstance(source, types.UnionType) or typing.get_origin(source) is typing.Union
    return union and type(None) in typing.get_args(source)


# --- dates

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_RANGE = f"outside the dates the extract takes ({FIRST_DATE} to {LAST_DATE})"


def _iso_date(value: object) -> object:
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(f"{shown(value)} is not a date in the form YYYY-MM-DD")
        value = date.fromisoformat(text)
    if isinstance(value, date) and not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"{value} is {_DATE_RANGE}")
    return value


# --- text and ids


def _trimmed(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _currency(value: str) -> str:
    if value not in KNOWN_CURRENCIES:
        raise ValueError(f"{value!r} is not a known ISO 4217 currency code")
    return value


# Free text: any character but the control characters (NUL, escape, DEL, C1...); tab and line breaks are kept.
TEXT_PATTERN = _pattern(
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$",
    "text may not contain control characters (NUL, escape, DEL...; tab and line breaks are allowed)",
)
# Ids are keys in Azure Tables and in Xero: printable ASCII (no control, invisible, bidi or look-alike
# character can hide in one), none of | ~ # / \ ?, no space at either end.
_ID_END = r"\x21\x22\x24-\x2e\x30-\x3e\x40-\x5b\x5d-\x7b\x7d"  # printable ASCII but space # / ? \ | ~
_ID_INNER = rf"\x20{_ID_END}"  # and a space inside
IDENTIFIER_PATTERN = _pattern(
    rf"^[{_ID_END}]([{_ID_INNER}]*[{_ID_END}])?$",
    "an id may not contain | ~ # / \\ ?, nor any character outside printable ASCII (control, invisible, "
    "bidi, accented or look-alike characters), nor start or end with a space",
)
_EMAIL_PART = r"[^@\s\x00-\x1f\x7f-\x9f]+"
EMAIL_PATTERN = _pattern(rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$", "is not an email address")

Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX, pattern=TEXT_PATTERN)]
Identifier = Annotated[str, Field(min_length=1, max_length=ID_MAX, pattern=IDENTIFIER_PATTERN)]
OptionalText = Annotated[str | None, Field(default=None, max_length=TEXT_MAX, pattern=TEXT_PATTERN)]
OptionalIdentifier = Annotated[Identifier | None, Field(default=None)]
_AMOUNT = (AMOUNT_DIGITS, AMOUNT_PLACES)
Amount = Annotated[Decimal, _PlainDecimal(*_AMOUNT)]
PositiveAmount = Annotated[Decimal, _PlainDecimal(*_AMOUNT, gt=Decimal(0))]
OptionalPositiveAmount = Annotated[Decimal | None, _PlainDecimal(*_AMOUNT, gt=Decimal(0)), Field(default=None)]
NonNegativeAmount = Annotated[Decimal, _PlainDecimal(*_AMOUNT, ge=Decimal(0))]
Rate = Annotated[Decimal, _PlainDecimal(RATE_DIGITS, RATE_PLACES, gt=Decimal(0))]
_PERCENT = _PlainDecimal(3, 4, ge=Decimal(0), le=Decimal(100))
Percent = Annotated[Decimal, _PERCENT]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
OptionalDate = Annotated[date | None, BeforeValidator(_iso_date), Field(default=None)]
OptionalPercent = Annotated[Decimal | None, _PERCENT, Field(default=None)]
# Xero keeps quantities and unit prices to 4 decimal places.
OptionalQuantity = Annotated[Decimal | None, _PlainDecimal(*_AMOUNT, gt=Decimal(0)), Field(default=None)]
OptionalUnitPrice = Annotated[Decimal | None, _PlainDecimal(*_AMOUNT), Field(default=None)]
LineNumber = Annotated[int, _PlainInteger(ge=1, le=9999)]
Currency = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]
# For a `Literal` column (`Annotated[Literal[...], Trimmed]`): str_strip_whitespace does not reach literals.
Trimmed = BeforeValidator(_trimmed)
OptionalEmail = Annotated[str | None, Field(default=None, max_length=EMAIL_MAX, pattern=EMAIL_PATTERN)]
