"""JSON to and from Xero with money as Decimal: a Decimal goes out as the number it reads, never via float.

Xero's responses write dates as Microsoft JSON dates (`/Date(1552404447003+0000)/`) and sometimes as
ISO 8601 text; `xero_date` and `xero_datetime` read both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The C string encoder the json module itself uses: escapes everything outside ASCII.
_quote = json.encoder.encode_basestring_ascii


def dumps(body: Any) -> bytes:
    """Serialise a request body. Decimals become JSON numbers in plain notation, exactly as they read.

    A float is refused (TypeError): money must not pass through binary floating point on its way to
    Xero. A `date` is written as ISO text ("2026-05-01"), which Xero accepts; a datetime must be aware.
    """
    out: list[str] = []
    _write(body, out)
    return "".join(out).encode("ascii")


def _write(value: Any, out: list[str]) -> None:
    # Hand-written so that no marker text in the data can ever be mistaken for a number.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, Decimal):
        out.append(_number(value))
    elif isinstance(value, int):
        out.append(str(int(value)))  # int() drops an IntEnum's own str()
    elif isinstance(value, float):
        raise TypeError("a float cannot be sent to Xero: give amounts as Decimal")
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a datetime sent to Xero must be timezone-aware")
        out.append(_quote(value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")))
    elif isinstance(value, date):
        out.append(_quote(value.isoformat()))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be text, not {type(key).__name__}")
            if index:
                out.append(",")
            out.append(_quote(key))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot send {type(value).__name__} to Xero as JSON")


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not an amount Xero can take")
    # The "f" format never uses exponent notation, which Xero's parser is not known to accept.
    return f"{value:f}"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"Xero's answer holds {name}, which is not a number")


def loads(data: bytes | str) -> Any:
    """Parse a response body; numbers with a fraction become Decimal, never float."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)


def xero_datetime(text: str) -> datetime:
    """An aware UTC datetime from `/Date(1552404447003+0000)/` or ISO 8601 (UTC when no offset is given)."""
    stripped = text.strip()
    match = _MS_DATE.match(stripped)
    if match:
        # The milliseconds are UTC already; the offset only says which local time the sender meant.
        return _EPOCH + timedelta(milliseconds=int(match.group(1)))
    try:
        parsed = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date Xero writes") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def xero_date(text: str) -> date:
    """A calendar date from `/Date(1552348800000+0000)/`, "2026-05-01" or "2026-05-01T00:00:00"."""
    stripped = text.strip()
    if len(stripped) == 10 and not stripped.startswith("/"):
        try:
            return date.fromisoformat(stripped)
        except ValueError:
            raise ValueError(f"{text!r} is not a date Xero writes") from None
    if _MS_DATE.match(stripped):
        return xero_datetime(stripped).date()
    try:
        # A document date written as a datetime is the calendar date as written, not converted.
        return datetime.fromisoformat(stripped.replace("Z", "+00:00")).date()
    except ValueError:
        raise ValueError(f"{text!r} is not a date Xero writes") from None
