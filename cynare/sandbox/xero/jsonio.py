"""JSON in and out with money as Decimal: never a float on either side."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

_encode_str: Callable[[str], str] = json.encoder.encode_basestring_ascii


def loads(data: bytes | str) -> Any:
    return json.loads(data, parse_float=Decimal)


def dumps(value: Any) -> bytes:
    """Serialise plain data; a Decimal becomes a JSON number written exactly as the Decimal reads."""
    parts: list[str] = []
    _write(value, parts.append)
    return "".join(parts).encode("ascii")


def _write(value: Any, out: Callable[[str], Any]) -> None:
    if isinstance(value, str):
        out(_encode_str(value))
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, Decimal):
        out(format(value, "f"))
    elif isinstance(value, int):
        out(str(value))
    elif isinstance(value, dict):
        out("{")
        first = True
        for key, item in value.items():
            if not first:
                out(",")
            first = False
            out(_encode_str(str(key)))
            out(":")
            _write(item, out)
        out("}")
    elif isinstance(value, list | tuple):
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _write(item, out)
        out("]")
    elif isinstance(value, float):
        raise TypeError("floats are not allowed in responses: use Decimal")
    else:
        raise TypeError(f"cannot serialise {type(value).__name__}")
