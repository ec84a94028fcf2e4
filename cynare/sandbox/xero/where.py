"""Xero's `where` filter, read into a predicate over the records as they are rendered.

What the emulator reads, as Xero writes it:
  comparisons  Field == "text" (also `=`), !=, <>, >, >=, <, <=
  values       "text", 12.50, true/false, null, Guid("..."), DateTime(2026, 5, 1[, h, m, s])
  text         Field.Contains("x"), .StartsWith("x"), .EndsWith("x"), Field.ToLower() / .ToUpper() first
  logic        AND, OR, &&, ||, NOT, !, parentheses; a bare boolean field (`IsCustomer`)
  paths        Contact.Name, Contact.ContactID (any case: Xero reads field names in any case)
Text is compared without regard to case. A field the record does not have, or operands that do not
fit (`Total > "x"`), is Xero's 400 (QueryParseException); anything else the reader does not know is
a 400 quoting the text. Nothing is ever ignored.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cynare.sandbox.xero import fields
from cynare.sandbox.xero.errors import XeroError, bad_request, query_parse
from cynare.sandbox.xero.where_eval import NULL, Guid, Predicate, comparison, field_value, text_method

_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?)'
    r"|(?P<op>==|!=|<>|>=|<=|&&|\|\||[=<>!(),.])|(?P<name>[A-Za-z_]\w*))"
)
_COMPARE = {"==", "=", "!=", "<>", ">", ">=", "<", "<="}
_TEXT_METHODS = {"contains": "Contains", "startswith": "StartsWith", "endswith": "EndsWith"}
_CASE_METHODS = {"tolower", "toupper"}
_ESCAPE = re.compile(r"\\(.)")


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise _unsupported(text)
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        at = match.end()
    return found


def summary_message(field: str) -> str:
    return f"The field '{field}' is not returned with summaryOnly=true, so it cannot be used in where or order"


def _unsupported(text: str) -> XeroError:
    return bad_request(f"The where clause is not supported by the emulator: {text}")


class _Reader:
    """A recursive-descent reader: or := and (OR and)*, and := unary (AND unary)*, unary := NOT unary | atom."""

    def __init__(self, text: str, schema: str | None, hidden: frozenset[str]) -> None:
        self.text = text
        self.schema = schema
        self.hidden = hidden
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (value is not None and token[1].lower() != value.lower()):
            raise _unsupported(self.text)
        self.at += 1
        return token

    def keyword(self, *words: str) -> bool:
        kind, value = self.peek()
        return (kind == "name" and value.upper() in words) or (kind == "op" and value in words)

    def read(self) -> Predicate:
        predicate = self.either()
        if self.peek()[0] != "end":
            raise _unsupported(self.text)
        return predicate

    def either(self) -> Predicate:
        parts = [self.both()]
        while self.keyword("OR", "||"):
            self.take()
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else (lambda item: any(p(item) for p in parts))

    def both(self) -> Predicate:
        parts = [self.unary()]
        while self.keyword("AND", "&&"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda item: all(p(item) for p in parts))

    def unary(self) -> Predicate:
        if self.keyword("NOT", "!"):
            self.take()
            inner = self.unary()
            return lambda item: not inner(item)
        if self.peek() == ("op", "("):
            self.take("(")
            inner = self.either()
            self.take(")")
            return inner
        return self.test()

    def path(self) -> tuple[str, list[str]]:
        kind, name = self.take()
        if kind != "name":
            raise _unsupported(self.text)
        parts, calls = [name], []
        while self.peek() == ("op", "."):
            kind, name = self.peek(1)
            if kind != "name":
                raise _unsupported(self.text)
            if self.peek(2) == ("op", "("):
                lowered = name.lower()
                if lowered not in _CASE_METHODS and lowered not in _TEXT_METHODS:
                    raise _unsupported(self.text)
                if lowered in _TEXT_METHODS:
                    break
                self.at += 3
                self.take(")")
                calls.append(lowered)
                continue
            if calls:
                raise _unsupported(self.text)
            self.at += 2
            parts.append(name)
        return self.field(".".join(parts)), calls

    def field(self, path: str) -> str:
        if self.schema is None:
            return path
        found = fields.resolve(self.schema, path)
        if isinstance(found, str):
            raise query_parse(found)
        spelt, field = found
        if spelt.split(".")[0] in self.hidden:
            raise query_parse(summary_message(spelt.split(".")[0]))
        if field.is_list or field.record is not None:
            raise _unsupported(self.text)
        return spelt

    def test(self) -> Predicate:
        path, calls = self.path()
        kind, value = self.peek()
        if kind == "op" and value == ".":
            self.take(".")
            method = _TEXT_METHODS[self.take()[1].lower()]
            self.take("(")
            argument = self.literal()
            self.take(")")
            if not isinstance(argument, str):
                raise query_parse(f"No applicable method '{method}' exists for the argument given")
            return text_method(path, calls, method, argument)
        if kind == "op" and value in _COMPARE:
            self.take()
            return comparison(path, calls, value, self.literal())
        return lambda item: field_value(item, path, calls) is True

    def whole(self) -> int:
        kind, value = self.take()
        if kind != "number" or not value.lstrip("-").isdigit():
            raise _unsupported(self.text)
        return int(value)

    def literal(self) -> Any:
        kind, value = self.take()
        if kind == "string":
            return _ESCAPE.sub(r"\1", value[1:-1])
        if kind == "number":
            return Decimal(value)
        if kind == "name" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if kind == "name" and value.lower() == "null":
            return NULL
        if kind == "name" and value.lower() in ("guid", "datetime"):
            self.take("(")
            if value.lower() == "guid":
                found = self.take()
                if found[0] != "string":
                    raise _unsupported(self.text)
                self.take(")")
                return Guid(found[1][1:-1].lower())
            numbers = [self.whole()]
            while self.peek() == ("op", ","):
                self.take(",")
                numbers.append(self.whole())
            self.take(")")
            if not 3 <= len(numbers) <= 6:
                raise _unsupported(self.text)
            parts = numbers + [0] * (6 - len(numbers))
            try:
                return datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], tzinfo=UTC)
            except ValueError as exc:
                raise query_parse(f"DateTime{tuple(numbers)} is not a valid date") from exc
        raise _unsupported(self.text)


def predicate(raw: str | None, schema: str | None, hidden: frozenset[str] = frozenset()) -> Predicate | None:
    """The `where` clause as a test of one rendered record; None when there is no clause.

    `schema` names the record type (fields.SCHEMAS) whose fields the clause may use; `hidden` lists
    the fields a summaryOnly read leaves out, which the clause may not use either.
    """
    if raw is None or not raw.strip():
        return None
    return _Reader(raw.strip(), schema, hidden).read()
