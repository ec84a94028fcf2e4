"""Evaluating a `where` clause on one rendered record: comparisons and text methods (read by where.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from cynare.sandbox.xero.errors import query_parse
from cynare.sandbox.xero.jsondates import parse_datetime

Predicate = Callable[[dict[str, Any]], bool]
NULL = object()
_MS_DATE = re.compile(r"^/Date\(-?\d+([+-]\d{4})?\)/$")


class Guid(str):
    __slots__ = ()


def field_value(item: dict[str, Any], path: str, calls: list[str]) -> Any:
    value: Any = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    for call in calls:
        if isinstance(value, str):
            value = value.lower() if call == "tolower" else value.upper()
    return value


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, Decimal | int | float):
        return "Decimal"
    if isinstance(value, datetime):
        return "DateTime"
    if isinstance(value, Guid):
        return "Guid"
    return "String"


def _comparable(actual: Any, expected: Any, op: str) -> tuple[Any, Any]:
    """Both sides as values Python compares the way Xero does, or Xero's 400 when they do not fit."""
    equality = op in ("==", "=", "!=", "<>")
    if isinstance(expected, bool) or isinstance(actual, bool):
        if isinstance(expected, bool) and isinstance(actual, bool) and equality:
            return actual, expected
    elif isinstance(expected, datetime) and isinstance(actual, str) and _MS_DATE.match(actual):
        return parse_datetime(actual), expected
    elif isinstance(expected, Decimal) and isinstance(actual, Decimal | int | float):
        return Decimal(str(actual)), expected
    elif isinstance(expected, str) and isinstance(actual, str) and (equality or not isinstance(expected, Guid)):
        return actual.casefold(), expected.casefold()
    raise query_parse(
        f"Operator '{op}' incompatible with operand types '{_type_name(actual)}' and '{_type_name(expected)}'"
    )


def comparison(path: str, calls: list[str], op: str, expected: Any) -> Predicate:
    def test(item: dict[str, Any]) -> bool:
        actual = field_value(item, path, calls)
        if expected is NULL or actual is None:
            same = (actual is None) == (expected is NULL)
            return same if op in ("==", "=") else (not same if op in ("!=", "<>") else False)
        left, right = _comparable(actual, expected, op)
        if op in ("==", "="):
            return bool(left == right)
        if op in ("!=", "<>"):
            return bool(left != right)
        if op == ">":
            return bool(left > right)
        if op == ">=":
            return bool(left >= right)
        if op == "<":
            return bool(left < right)
        return bool(left <= right)

    return test


def text_method(path: str, calls: list[str], method: str, argument: str) -> Predicate:
    wanted = argument.casefold()

    def test(item: dict[str, Any]) -> bool:
        actual = field_value(item, path, calls)
        if actual is None:
            return False  # Xero may fail the whole call here instead (see docs/xero-emulator.md)
        if not isinstance(actual, str):
            raise query_parse(f"No applicable method '{method}' exists in type '{_type_name(actual)}'")
        text = actual.casefold()
        if method == "Contains":
            return wanted in text
        return text.startswith(wanted) if method == "StartsWith" else text.endswith(wanted)

    return test
