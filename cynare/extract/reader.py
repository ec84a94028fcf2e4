"""Read one CSV file of a batch: every data row is either accepted as a model or rejected with a reason.

Row numbers are the file's line numbers as a spreadsheet shows them: the header is row 1.
The file's SHA-256 and row count are computed while it is read, so it is read once.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from typing import IO, Any

from pydantic import ValidationError

from cynare.extract.datasets import Dataset
from cynare.extract.fields import EMAIL_PATTERN, IDENTIFIER_PATTERN
from cynare.extract.rows import Row, RuleBroken


@dataclass(frozen=True, slots=True)
class Rejection:
    file: str
    row: int
    column: str
    rule: str

    def __str__(self) -> str:
        return f"{self.file} row {self.row}, column {self.column}: {self.rule}"


@dataclass(slots=True)
class ParsedFile:
    dataset: Dataset
    accepted: list[tuple[int, Row]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    rows_read: int = 0
    sha256: str = ""
    # Keys of rows refused here, so that their parts can say "its bill was rejected", not "missing".
    rejected_keys: set[str] = field(default_factory=set)


class HeaderError(ValueError):
    """The header row does not match the dataset's columns."""


class _HashingStream(io.RawIOBase):
    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def read_csv(dataset: Dataset, stream: IO[bytes]) -> ParsedFile:
    """Validate every row of `stream`; raise HeaderError only when no row can be read at all."""
    hashing = _HashingStream(stream)
    text = io.TextIOWrapper(io.BufferedReader(hashing, 1 << 16), encoding="utf-8-sig", newline="")
    parsed = ParsedFile(dataset)
    records = csv.reader(text, strict=True)
    header = _check_header(dataset, next(records, None))
    width = len(header)
    model = dataset.model
    # Data row numbers count records (a quoted cell may span lines), as a spreadsheet shows them.
    for line, values in enumerate(records, start=2):
        parsed.rows_read += 1
        if len(values) != width:
            parsed.rejected.append(
                Rejection(dataset.filename, line, "*", f"row has {len(values)} fields, the header has {width}")
            )
            continue
        try:
            if all(values) and not any(map(str.isspace, values)):
                cells = dict(zip(header, values, strict=True))  # the common row: every cell filled
            else:
                cells = {
                    name: value for name, value in zip(header, values, strict=True) if value and not value.isspace()
                }
            parsed.accepted.append((line, model.model_validate(cells)))
        except ValidationError as exc:
            parsed.rejected.append(_rejection(dataset.filename, line, exc))
            parsed.rejected_keys.add("|".join(cells.get(column, "").strip() for column in dataset.key))
    parsed.sha256 = hashing.digest.hexdigest()
    return parsed


def _check_header(dataset: Dataset, header: list[str] | None) -> list[str]:
    if header is None:
        raise HeaderError(f"{dataset.filename} is empty: it needs a header row ({', '.join(dataset.columns)})")
    names = [name.strip() for name in header]
    unknown = [name for name in names if name not in dataset.model.model_fields]
    missing = sorted(dataset.required_columns - set(names))
    duplicated = sorted({name for name in names if names.count(name) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    if duplicated:
        problems.append(f"repeated column(s) {', '.join(duplicated)}")
    if problems:
        raise HeaderError(f"{dataset.filename} header: {'; '.join(problems)}")
    return names


_PATTERN_RULES = {
    IDENTIFIER_PATTERN: "an id may not contain | ~ # / \\ ? or control characters, nor start or end with a space",
    EMAIL_PATTERN: "is not an email address",
}


def _rejection(filename: str, line: int, exc: ValidationError) -> Rejection:
    error = exc.errors(include_url=False)[0]
    column = str(error["loc"][0]) if error["loc"] else "*"
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, RuleBroken):
        return Rejection(filename, line, cause.column, str(cause))
    if error["type"] == "missing":
        rule = "a value is required"
    elif error["type"] == "string_pattern_mismatch":
        rule = _PATTERN_RULES.get(str(error.get("ctx", {}).get("pattern")), "has characters that are not allowed")
        rule = f"{rule} (got {error.get('input')!r})"
    else:
        rule = error["msg"].removeprefix("Value error, ")
        if error["loc"] and error["type"] not in {"value_error"}:
            rule = f"{rule} (got {error.get('input')!r})"
    return Rejection(filename, line, column, rule)
