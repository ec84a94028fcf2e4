"""Xero's `order` parameter: `Name`, `Date DESC`, `Contact.Name ASC, Total DESC`.

Each key is a field of the record (dotted paths allowed, any case) with an optional ASC or DESC.
Values sort by type: dates as dates, amounts as numbers, text without regard to case; an empty value
comes first in ascending order and last in descending order, as in Xero's database. Without `order`
the records keep the order they were created in. A field the record does not have is Xero's 400
(QueryParseException); a key the emulator cannot read is a 400 quoting it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from cynare.sandbox.xero import fields
from cynare.sandbox.xero.errors import bad_request, query_parse
from cynare.sandbox.xero.jsondates import parse_datetime
from cynare.sandbox.xero.where import summary_message

_KEY = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?:\s(ASC|DESC|asc|desc|Asc|Desc))?\s*$")
_MS_DATE = re.compile(r"^/Date\(-?\d+([+-]\d{4})?\)/$")


def keys(raw: str | None, schema: str | None, hidden: frozenset[str] = frozenset()) -> list[tuple[str, bool]]:
    """The (path, descending) keys of an `order` value, checked against the record's fields."""
    if raw is None or not raw.strip():
        return []
    found: list[tuple[str, bool]] = []
    for text in raw.split(","):
        match = _KEY.match(text)
        if match is None:
            raise bad_request(f"The order is not supported by the emulator: {text.strip()}")
        path, direction = match.group(1), (match.group(2) or "ASC").upper()
        if schema is not None:
            resolved = fields.resolve(schema, path)
            if isinstance(resolved, str):
                raise query_parse(resolved)
            path, field = resolved
            if path.split(".")[0] in hidden:
                raise query_parse(summary_message(path.split(".")[0]))
            if field.is_list or field.record is not None:
                raise query_parse(f"The field '{path}' holds more than one value and cannot be ordered by")
        found.append((path, direction == "DESC"))
    return found


def _sortable(value: Any) -> tuple[int, int, Any]:
    """(empty or not, kind, value): kinds never meet in one field, but must not fail if they do."""
    if value is None or value == "":
        return (0, 0, 0)
    if isinstance(value, bool):
        return (1, 0, int(value))
    if isinstance(value, Decimal | int | float):
        return (1, 1, Decimal(str(value)))
    if isinstance(value, str) and _MS_DATE.match(value):
        return (1, 2, parse_datetime(value))
    return (1, 3, str(value).casefold())


def _lookup(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def apply(items: list[dict[str, Any]], order: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """The items sorted by the keys (stable: equal keys keep their order)."""
    result = list(items)
    for path, descending in reversed(order):

        def key(item: dict[str, Any], path: str = path) -> tuple[int, int, Any]:
            return _sortable(_lookup(item, path))

        result.sort(key=key, reverse=descending)
    return result
