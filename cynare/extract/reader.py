"""Read one CSV file of a batch: every data row is either accepted as a model or rejected with a reason.

Row numbers are the file's line numbers as a spreadsheet shows them: the header is row 1.
The file's SHA-256 and row count are computed while it is read, so it is read once.

A cell longer than `CELL_LIMIT` characters stops the csv module in the middle of its record; the
reader then reads the rest of that record itself (`_skip_record`), rejects the row naming the
column, and the csv module goes on from the next record, so every row is still counted once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Final

from pydantic import ValidationError

from cynare.extract.datasets import Dataset
from cynare.extract.fields import pattern_rule, shown
from cynare.extract.rows import Row, RuleBroken

# The longest cell read (csv's own default field_size_limit): far beyond any column's longest value.
CELL_LIMIT: Final = 131_072
_FIELD_TOO_LONG = "field larger than field limit"


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
    """Validate every row of `stream`; raise HeaderError only when no row can be read at all.

    A file that is not RFC 4180 CSV (a quote never closed, text after a closing quote) raises
    csv.Error naming the row where reading stopped; one that is not UTF-8, UnicodeDecodeError.
    """
    if csv.field_size_limit() < CELL_LIMIT:
        csv.field_size_limit(CELL_LIMIT)  # only ever raised: the limit is the whole process's
    hashing = _HashingStream(stream)
    text = io.TextIOWrapper(io.BufferedReader(hashing, 1 << 16), encoding="utf-8-sig", newline="")
    parsed = ParsedFile(dataset)
    record: list[str] = []  # the lines of the record being read, for a cell too long for the csv module
    lines = _kept(text, record)
    records = csv.reader(lines, strict=True)
    try:
        header = _check_header(dataset, next(records, None))
    except csv.Error as exc:
        raise csv.Error(f"row 1: {exc}") from exc
    record.clear()
    width = len(header)
    model = dataset.model
    line = 1
    # Data row numbers count records (a quoted cell may span lines), as a spreadsheet shows them.
    while True:
        first = line + 1
        try:
            for line, values in enumerate(records, start=first):
                record.clear()
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
                            name: value
                            for name, value in zip(header, values, strict=True)
                            if value and not value.isspace()
                        }
                    parsed.accepted.append((line, model.model_validate(cells)))
                except ValidationError as exc:
                    parsed.rejected.append(_rejection(dataset.filename, line, exc))
                    parsed.rejected_keys.add("|".join(cells.get(column, "").strip() for column in dataset.key))
        except csv.Error as exc:
            line += 1  # the record the csv module stopped in
            if not str(exc).startswith(_FIELD_TOO_LONG):
                raise csv.Error(f"row {line}: {exc}") from exc
            _reject_long_record(parsed, header, line, _skip_record(record, lines, csv.field_size_limit(), line))
            record.clear()
            continue
        break
    parsed.sha256 = hashing.digest.hexdigest()
    return parsed


def _kept(text: Iterable[str], record: list[str]) -> Iterator[str]:
    """The lines of `text`, each also added to `record` (which the reader clears at every record)."""
    for physical in text:
        record.append(physical)
        yield physical


def _reject_long_record(parsed: ParsedFile, header: list[str], line: int, cells: list[str | None]) -> None:
    """Reject the row of a cell too long to read (`None` in `cells`), naming the first such column."""
    dataset = parsed.dataset
    index = cells.index(None) if None in cells else len(header)
    column = header[index] if index < len(header) else "*"
    parsed.rows_read += 1
    limit = csv.field_size_limit()
    parsed.rejected.append(Rejection(dataset.filename, line, column, f"cell longer than {limit} characters"))
    by_name = dict(zip(header, cells, strict=False))
    parsed.rejected_keys.add("|".join((by_name.get(column) or "").strip() for column in dataset.key))


_UNQUOTED_END = re.compile(r"[,\r\n]")
_KEPT = 1_000  # characters of a cell kept while skipping a record (enough for its key)


def _skip_record(record: list[str], lines: Iterator[str], limit: int, line: int) -> list[str | None]:
    """Read the record the csv module stopped in from its first line, as the csv module would.

    `record` holds its lines read so far; the rest are taken from `lines`. Returns its cells, each
    cell longer than `limit` as None (and any other cut to its first characters), and leaves
    `lines` at the next record. The rules are the csv module's, strict: a quoted cell may hold
    commas, doubled quotes and line breaks; a quote elsewhere in a cell is a character.
    """
    pending = iter(list(record))
    cells: list[str | None] = []
    parts: list[str] = []
    length = 0
    quoted = False
    physical = next(pending)
    position = 0

    def end_cell() -> None:
        nonlocal length
        cells.append(None if length > limit else "".join(parts)[:_KEPT])
        parts.clear()
        length = 0

    def add(text: str) -> None:
        nonlocal length
        length += len(text)
        if length <= _KEPT:
            parts.append(text)

    while True:
        if position >= len(physical):  # the end of a line: only inside a quoted cell does the record go on
            if not quoted:
                end_cell()
                return cells
            following = next(pending, None) or next(lines, None)
            if following is None:
                raise csv.Error(f"row {line}: unexpected end of data")
            physical, position = following, 0
            continue
        if quoted:
            quote = physical.find('"', position)
            if quote < 0:
                add(physical[position:])
                position = len(physical)
                continue
            add(physical[position:quote])
            after = physical[quote + 1 : quote + 2]
            if after == '"':
                add('"')
                position = quote + 2
                continue
            quoted = False
            position = quote + 1
            if after == ",":
                end_cell()
                position += 1
            elif after in ("\r", "\n", ""):
                end_cell()
                return cells
            else:
                raise csv.Error(f"row {line}: ',' expected after '\"'")
            continue
        if physical.startswith('"', position):  # out of quotes, a cell starts here: this one is quoted
            quoted = True
            position += 1
            continue
        found = _UNQUOTED_END.search(physical, position)
        end = found.start() if found else len(physical)
        add(physical[position:end])
        if found is None or found.group() != ",":
            end_cell()
            return cells
        end_cell()
        position = end + 1


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


def _rejection(filename: str, line: int, exc: ValidationError) -> Rejection:
    """The first rule a row breaks, quoting (a short prefix of) the value given where it helps."""
    error = exc.errors(include_url=False)[0]
    column = str(error["loc"][0]) if error["loc"] else "*"
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, RuleBroken):
        return Rejection(filename, line, cause.column, str(cause))
    if error["type"] == "missing":
        rule = "a value is required"
    elif error["type"] == "string_pattern_mismatch":
        rule = pattern_rule(str(error.get("ctx", {}).get("pattern")), error.get("input"))
    else:
        rule = error["msg"].removeprefix("Value error, ")
        if error["loc"] and error["type"] not in {"value_error"}:
            rule = f"{rule} (got {shown(error.get('input'))})"
    return Rejection(filename, line, column, rule)
