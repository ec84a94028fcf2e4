"""Typed reads from a books file's JSON objects, each problem noted with the field's path."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from cynare.sandbox.xero.money import to_decimal

_NS = uuid.UUID("5e1d0000-0000-4000-8000-00000000ce11")


def stable_id(*parts: str) -> str:
    """A fixed UUID for a named thing, so that tests, the demo and the docs can name it."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


class Fields:
    """One JSON object of a books file at `path` (`accounts[3]`); problems go to the shared list."""

    def __init__(self, raw: Any, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        if not isinstance(raw, dict):
            self.problem("", "must be a JSON object")
            raw = {}
        self.raw: dict[str, Any] = raw

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path and key else self.path or key

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{self.where(key)}: {message}")

    def only(self, known: Iterable[str]) -> None:
        """A problem for each key the format does not have (a misspelt field would be ignored)."""
        allowed = set(known)
        for key in self.raw:
            if key not in allowed:
                self.problem(key, f"unknown field; the fields here are {', '.join(sorted(allowed))}")

    def has(self, key: str) -> bool:
        return self.raw.get(key) is not None

    def text(self, key: str, default: str | None = None, longest: int = 255, pattern: str | None = None) -> str:
        value = self.raw.get(key)
        if value is None:
            if default is None:
                self.problem(key, "is required")
            return default or ""
        if not isinstance(value, str) or not value.strip():
            self.problem(key, "must be a non-empty string")
            return default or ""
        value = value.strip()
        if len(value) > longest:
            self.problem(key, f"must be at most {longest} characters")
        elif pattern is not None and not re.fullmatch(pattern, value):
            self.problem(key, f"{value!r} is not of the form {pattern}")
        return value

    def optional(self, key: str, longest: int = 255) -> str | None:
        return self.text(key, longest=longest) if self.has(key) else None

    def choice(self, key: str, options: Iterable[str], default: str | None = None) -> str:
        allowed = list(options)
        value = self.text(key, default)
        if value and value not in allowed:
            self.problem(key, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def number(self, key: str, default: Decimal | None = None, positive: bool = False) -> Decimal:
        raw = self.raw.get(key)
        if raw is None and default is not None:
            return default
        value = to_decimal(raw) if not isinstance(raw, float) else to_decimal(str(raw))
        if value is None:
            self.problem(key, "is required" if raw is None else f"{raw!r} is not a number")
            return Decimal(0)
        if value < 0 or (positive and value == 0):
            self.problem(key, f"must be {'greater than' if positive else 'at least'} zero")
        return value

    def day(self, key: str, required: bool = False) -> date | None:
        raw = self.raw.get(key)
        if raw is None:
            if required:
                self.problem(key, "is required")
            return None
        try:
            return date.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            pass
        self.problem(key, f"{raw!r} is not a date (YYYY-MM-DD)")
        return None

    def flag(self, key: str, default: bool) -> bool:
        raw = self.raw.get(key, default)
        if not isinstance(raw, bool):
            self.problem(key, "must be true or false")
            return default
        return raw

    def objects(self, key: str) -> list[Fields]:
        raw = self.raw.get(key)
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(key, "must be a list")
            return []
        return [Fields(item, f"{self.where(key)}[{i}]", self.problems) for i, item in enumerate(raw)]

    def strings(self, key: str) -> list[str]:
        raw = self.raw.get(key)
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
            self.problem(key, "must be a list of non-empty strings")
            return []
        return [v.strip() for v in raw]
