"""Mappings as CSV, both ways (pure: no I/O). Columns kind, code, value; an export adds what the PMS says and
who set the mapping here, which an import ignores. A cell a spreadsheet would take for a formula (starting
with = + - @, a tab or a carriage return) is written with a leading ' so it stays text, and read back without it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

COLUMNS = ("kind", "code", "value")
EXPORT_COLUMNS = (*COLUMNS, "pms_value", "set_by", "set_at")
MAX_ROWS = 10_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class CsvProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1; 0 for the file as a whole
    field: str  # "kind", "code", "value", or "file"
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}, {self.field}" if self.row else self.field
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class CsvRow:
    row: int
    kind: str
    code: str
    value: str


def write_csv(rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


def read_csv(data: bytes) -> tuple[list[CsvRow], list[CsvProblem]]:
    """The file's rows, or what is wrong with it as a whole (not text, no header, too long)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [CsvProblem(0, "file", 'is not UTF-8 text: save it as "CSV UTF-8" and upload it again')]
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        return [], [CsvProblem(0, "file", f"cannot be read as CSV ({error}): export it again and edit that copy")]
    if not table:
        return [], [CsvProblem(0, "file", "is empty: upload a file with the columns kind, code, value")]
    header = [cell.strip().lower() for cell in table[0]]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        return [], [CsvProblem(1, "header", f"has no column {', '.join(missing)}: the first row must name the "
                               "columns kind, code, value (as an export does)")]  # fmt: skip
    if len(table) - 1 > MAX_ROWS:
        return [], [CsvProblem(0, "file", f"has {len(table) - 1} rows; upload at most {MAX_ROWS} at a time")]
    at = {name: header.index(name) for name in COLUMNS}
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line a spreadsheet left
        kind, code, value = (_unsafe(cells[at[name]].strip()) if at[name] < len(cells) else "" for name in COLUMNS)
        rows.append(CsvRow(number, kind, code, value))
    return rows, []


def _safe(cell: str) -> str:
    return f"'{cell}" if cell.startswith(_FORMULA_START) else cell


def _unsafe(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA_START) else cell
