"""CSV files a person opens in a spreadsheet: text that would run as a formula is neutralised.

A spreadsheet takes a cell starting with `=`, `+`, `-` or `@` as a formula (and a leading tab or
carriage return can hide one), so text that came from outside (a Xero reference, a contact name,
a reason) could run as a formula when the file is opened. OWASP's advice: prefix such a cell with
an apostrophe, which the spreadsheet shows as text. Only text columns are neutralised: an amount
(`-12.50`) or a date stays a value the PMS's import can read.

Shared by the agent (write-back CSV files) and, later, the cloud's CSV reports.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final, TypeVar

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
K = TypeVar("K")


def neutralise(text: str) -> str:
    """`text` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def neutralise_row(row: Mapping[K, str | None], text_columns: Collection[K]) -> dict[K, str | None]:
    """The row with its text columns neutralised; other columns (amounts, dates) as they are."""
    return {
        column: neutralise(value) if value is not None and column in text_columns else value
        for column, value in row.items()
    }
