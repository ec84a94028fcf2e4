"""Cells for the reconciliation workbook, written in openpyxl's write-only mode.

Text is always text: openpyxl turns a string that starts with "=" into a formula, so every text
cell is forced to an inline string, and one that Excel or a CSV export could take for a formula
(= + - @, a tab or a carriage return first) also gets Excel's quote prefix, as if typed after an
apostrophe, so editing the cell keeps it text. Money is a number in its currency's format (the
code beside, its minor units: none for JPY); dates are dates.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from cynare.presentation.reconciliation.formatting import places

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "d mmm yyyy"
_EXCEL_TEXT_LIMIT = 32_767
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters a worksheet cannot hold
_HEADER_FONT = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def money_format(currency: str) -> str:
    """'#,##0.00 "GBP"' (or '#,##0 "JPY"'): thousands separators, the currency's decimals, its code."""
    digits = places(currency)
    number = "#,##0" + ("." + "0" * digits if digits else "")
    code = currency if currency.isalpha() else ""  # an ISO code; anything else would break the format
    suffix = f' "{code}"' if code else ""
    return f"{number}{suffix};-{number}{suffix}"


class Cells:
    """Makes the cells of one write-only sheet."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet
        self._formats: dict[str, str] = {}

    def header(self, title: str) -> Cell:
        cell = self.text(title)
        cell.font = _HEADER_FONT
        return cell

    def text(self, value: str, *, wrap: bool = False) -> Cell:
        # XML reads a carriage return as a line break: write it as one, so the cell reads back as written
        lines = value.replace("\r\n", "\n").replace("\r", "\n")
        clean = _NOT_IN_XML.sub("\N{REPLACEMENT CHARACTER}", lines)[:_EXCEL_TEXT_LIMIT]
        cell = WriteOnlyCell(self.sheet, value=clean)
        cell.data_type = "s"  # never a formula or an error code, whatever the text begins with
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
        if wrap:
            cell.alignment = _WRAP
        return cell

    def money(self, amount: Decimal | None, currency: str) -> Cell:
        cell = WriteOnlyCell(self.sheet)
        cell.value = amount  # a Decimal: written as the number it is, never through a float's digits
        if currency not in self._formats:
            self._formats[currency] = money_format(currency)
        cell.number_format = self._formats[currency]
        return cell

    def day(self, value: date | None) -> Cell:
        cell = WriteOnlyCell(self.sheet)
        cell.number_format = DATE_FORMAT  # first, so openpyxl keeps it rather than adding its own
        cell.value = value
        return cell

    def number(self, value: int | None) -> Cell:
        cell = WriteOnlyCell(self.sheet, value=value)
        cell.number_format = "#,##0"
        return cell
