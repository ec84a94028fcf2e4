"""Light, fast checks of what a source returns: the columns are the dataset's, each value parses.

The cloud validates every rule; the agent only makes sure that what it writes is readable, and
says exactly where it is not: the entity, dataset and query or export file (the source's origin),
the row as the dataset's CSV file numbers it (the header is row 1), the row's key and the column.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from cynare.agent.errors import ExtractInputError
from cynare.extract.datasets import Dataset

WATERMARK: Final = "watermark"  # an extra column a query may return: the agent's bookmark
Convert = Callable[[Any], str]


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if value.__class__ is str else str(value)


_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _decimal(value: Any) -> str:
    if value is None or value == "":
        return ""
    if value.__class__ is str:
        text = value.strip()
        if _PLAIN.fullmatch(text):
            return text
        # Text the PMS keeps in another notation (1E+3, +120, 1_200.00) is written in the contract's plain one;
        # digits that are not ASCII are refused rather than guessed.
        try:
            if not text.isascii() or not Decimal(text).is_finite():
                raise ValueError(f"{value!r} is not a finite amount in ASCII digits")
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number (expected e.g. 1234.50)") from None
        return format(Decimal(text), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a decimal number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # A database float column: its shortest repr is the decimal the PMS stored.
        return format(Decimal(repr(value)), "f")
    raise ValueError(f"{value!r} is not a decimal number")


def _integer(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    try:
        return str(int(str(value).strip()))
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None


def _date(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        if len(text) != 10:
            raise ValueError
        date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD") from None
    return text


def _choice(allowed: tuple[str, ...]) -> Convert:
    def convert(value: Any) -> str:
        text = _text(value)
        if text and text not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return text

    return convert


def _converter(annotation: Any) -> Convert:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    if typing.get_origin(annotation) is typing.Literal:
        return _choice(tuple(str(arg) for arg in typing.get_args(annotation)))
    if annotation is Decimal:
        return _decimal
    if annotation is date:
        return _date
    if annotation is int:
        return _integer
    return _text


def row_place(dataset: Dataset, row_number: int, key: Iterable[tuple[str, str]]) -> str:
    """Where a row is, in the words of the import's own messages: `bills.csv row 2 (bill_id B1)`."""
    shown = ", ".join(f"{column} {value}" for column, value in key if value)
    return f"{dataset.filename} row {row_number}" + (f" ({shown})" if shown else "")


class RowShape:
    """How one source's rows become the dataset's cells: which value goes where, and how it is checked."""

    def __init__(self, dataset: Dataset, names: Sequence[str], origin: str) -> None:
        self.dataset = dataset
        self.origin = origin
        position = {name.strip().lower(): index for index, name in enumerate(names)}
        expected = set(dataset.columns) | {WATERMARK}
        unknown = [name for name in names if name.strip().lower() not in expected]
        missing = [
            column for column in dataset.columns if column in dataset.required_columns and column not in position
        ]
        if unknown:
            raise ExtractInputError(_unknown_message(origin, dataset, unknown, missing))
        if missing:
            raise ExtractInputError(
                f"{origin}: column {missing[0]!r} is missing; {dataset.filename} expects the columns "
                f"{', '.join(dataset.columns)} (optional ones may be left out)"
            )
        fields = dataset.model.model_fields
        self._plan = [
            (position.get(column), _converter(fields[column].annotation), column in dataset.required_columns)
            for column in dataset.columns
        ]
        self._required = [number for number, (_, _, required) in enumerate(self._plan) if required]
        self.watermark_index = position.get(WATERMARK)
        self._key_at = [(column, position.get(column)) for column in dataset.key]
        self._convert = _compile(self._plan)

    def place(self, values: Sequence[Any], row_number: int) -> str:
        """The row's place for a message, with its key where the source gives it (only on the error path)."""
        key = []
        for column, index in self._key_at:
            if index is None or index < len(values):
                key.append((column, "" if index is None else _text(values[index]).strip()))
        return row_place(self.dataset, row_number, key)

    def cells(self, values: Sequence[Any], row_number: int) -> list[str]:
        try:
            cells = self._convert(values)
        except (ValueError, TypeError, ArithmeticError):
            self._explain(values, row_number)
            raise
        if "" in cells:
            for position in self._required:
                if not cells[position]:
                    column = self.dataset.columns[position]
                    raise ExtractInputError(
                        f"{self.origin}: {self.place(values, row_number)}, column {column!r}: a value is required"
                    )
        return cells

    def _explain(self, values: Sequence[Any], row_number: int) -> None:
        for (index, convert, _), column in zip(self._plan, self.dataset.columns, strict=True):
            if index is None:
                continue
            try:
                convert(values[index])
            except (ValueError, TypeError, ArithmeticError) as exc:
                raise ExtractInputError(
                    f"{self.origin}: {self.place(values, row_number)}, column {column!r}: {exc}"
                ) from None


def _compile(plan: list[tuple[int | None, Convert, bool]]) -> Callable[[Sequence[Any]], list[str]]:
    """One function per query that builds a row's cells in a single list display.

    The hot path of the extract: a generated `lambda v: [c0(v[3]), "", c2(v[0]), ...]` runs at about
    twice the rate of a loop over the plan. Only indices and the converters above go into it.
    """
    namespace: dict[str, Any] = {}
    parts = []
    for number, (index, convert, _) in enumerate(plan):
        if index is None:
            parts.append('""')
        else:
            namespace[f"c{number}"] = convert
            parts.append(f"c{number}(v[{int(index)}])")
    return eval(f"lambda v: [{', '.join(parts)}]", namespace)  # type: ignore[no-any-return]  # noqa: S307


def _unknown_message(origin: str, dataset: Dataset, unknown: list[str], missing: list[str]) -> str:
    name = unknown[0]
    # The likeliest meaning is a column the query should have returned and did not.
    absent = [column for column in dataset.columns if column not in {n.strip().lower() for n in unknown}]
    close = difflib.get_close_matches(name.strip().lower(), missing, n=1, cutoff=0.5)
    if not close and len(unknown) == 1 and len(missing) == 1:
        close = missing
    close = close or difflib.get_close_matches(name.strip().lower(), absent, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"{origin}: column {name!r} is not a column of {dataset.filename}{hint}; expected the columns "
        f"{', '.join(dataset.columns)}, and optionally {WATERMARK!r}"
    )
