"""Column types of the extract, as pydantic annotated types.

CSV cells arrive as text: an empty cell is "no value" (the reader leaves it out, so a required
column reports "a value is required"), amounts are decimals with no thousands separators, dates
are ISO 8601 (YYYY-MM-DD). Amounts are parsed by pydantic's own Decimal validator: it is the hot
path of a 200,000-row file, and a Python callback per amount would halve its rate.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from cynare.domain.money import KNOWN_CURRENCIES

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD")
        return date.fromisoformat(text)
    return value


def _trimmed(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _currency(value: str) -> str:
    if value not in KNOWN_CURRENCIES:
        raise ValueError(f"{value!r} is not a known ISO 4217 currency code")
    return value


Text = Annotated[str, Field(min_length=1, max_length=500)]
# No control characters anywhere (Azure Tables refuses them in keys), no | ~ # / \ ?, no space at either end.
_ID_END = r"[^\s\x00-\x1f\x7f-\x9f|~#/\\?]"
IDENTIFIER_PATTERN = rf"^{_ID_END}([^\x00-\x1f\x7f-\x9f|~#/\\?]*{_ID_END})?$"
Identifier = Annotated[str, Field(min_length=1, max_length=50, pattern=IDENTIFIER_PATTERN)]
OptionalText = Annotated[str | None, Field(default=None, max_length=500)]
OptionalIdentifier = Annotated[Identifier | None, Field(default=None)]
Amount = Annotated[Decimal, Field(allow_inf_nan=False)]
PositiveAmount = Annotated[Decimal, Field(allow_inf_nan=False, gt=0)]
NonNegativeAmount = Annotated[Decimal, Field(allow_inf_nan=False, ge=0)]
Rate = Annotated[Decimal, Field(allow_inf_nan=False, gt=0, max_digits=18, decimal_places=10)]
Percent = Annotated[Decimal, Field(allow_inf_nan=False, ge=0, le=100, decimal_places=4)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
OptionalDate = Annotated[date | None, BeforeValidator(_iso_date), Field(default=None)]
OptionalPercent = Annotated[Decimal | None, Field(default=None, allow_inf_nan=False, ge=0, le=100, decimal_places=4)]
# Xero keeps quantities and unit prices to 4 decimal places.
OptionalQuantity = Annotated[Decimal | None, Field(default=None, allow_inf_nan=False, gt=0, decimal_places=4)]
OptionalUnitPrice = Annotated[Decimal | None, Field(default=None, allow_inf_nan=False, decimal_places=4)]
Currency = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]
# For a `Literal` column (`Annotated[Literal[...], Trimmed]`): str_strip_whitespace does not reach literals.
Trimmed = BeforeValidator(_trimmed)
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
OptionalEmail = Annotated[str | None, Field(default=None, pattern=EMAIL_PATTERN)]
