"""JSON in and out with money as Decimal: never a float on either side."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

# The C encoder cannot write a Decimal as a number, so each Decimal leaves it as a marked string that
# is unquoted afterwards. This keeps batches of 50 invoices (tens of thousands of values) fast.
_MARK = "\x01"
_OPEN = '"\\u0001'
_CLOSE = '\\u0001"'


def loads(data: bytes | str) -> Any:
    """Parse a request body; a control character U+0001 (never sensible in Xero data) is refused,
    since it could collide with the Decimal marker."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if "\\u0001" in text:
        raise ValueError("control character U+0001 in the request")
    return json.loads(text, parse_float=Decimal)


def _mark(value: Any) -> str:
    """A Decimal as the marked text of a plain-notation JSON number (what f"{value:f}" writes).

    The encoder calls this for each of the ~800 Decimals of a batch response. str() gives the same
    text as the "f" format, at a quarter of its cost, unless it chooses exponent notation (a positive
    exponent, or more than six leading zeros after the point): then it says so with an "E".
    """
    if isinstance(value, Decimal):
        text = str(value)
        if "E" in text:
            text = f"{value:f}"
        return _MARK + text + _MARK
    raise TypeError(f"cannot serialise {type(value).__name__}")


# One encoder for every call: json.dumps would build one per call. Responses are trees built afresh
# for each call, never cyclic, so the encoder's cycle bookkeeping (a dict entry per object) is off.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False, check_circular=False, default=_mark)


def dumps(value: Any) -> bytes:
    """Serialise plain data; a Decimal becomes a JSON number written exactly as the Decimal reads."""
    text = _ENCODER.encode(value)
    return text.replace(_OPEN, "").replace(_CLOSE, "").encode("ascii")
