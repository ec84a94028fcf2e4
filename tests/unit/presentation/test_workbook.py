"""The reconciliation workbook: its sheets and tables, money as numbers in the currency's format,
sums that equal the model's, and text that stays text whatever a client is called."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from cynare.domain.reconciliation import Cause, EntityReconciliation, ReconciliationReport
from cynare.presentation.reconciliation.sheet_names import entity_sheet_names
from cynare.presentation.reconciliation.workbook import ENTITY_COLUMNS, SUMMARY_COLUMNS, reconciliation_workbook
from cynare.presentation.reconciliation.workbook_cells import money_format
from tests.unit.presentation.report_fixtures import (
    DAY,
    FIRM,
    FORMULA_NAME,
    MADE_AT,
    NOTICE,
    SCRIPT_NAME,
    US_PROBLEM,
    busy_report,
    client,
    currency_reconciliation,
    explanation,
    large_report,
    yen_report,
)

GBP_FORMAT = '#,##0.00 "GBP";-#,##0.00 "GBP"'
EUR_FORMAT = '#,##0.00 "EUR";-#,##0.00 "EUR"'


def opened(content: bytes) -> dict[str, Worksheet]:
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: sheet for sheet in book.worksheets}


def column(sheet: Worksheet, title: str) -> int:
    headers = [cell.value for cell in sheet[1]]
    return headers.index(title) + 1


def table_rows(sheet: Worksheet) -> list[dict[str, object]]:
    """The rows under the header, as {header: value}, up to the first blank row."""
    headers = [cell.value for cell in sheet[1]]
    rows: list[dict[str, object]] = []
    for values in sheet.iter_rows(min_row=2, values_only=True):
        if all(v is None for v in values):
            break
        rows.append({str(h): v for h, v in zip(headers, values, strict=False) if h is not None})
    return rows


def money(value: object) -> Decimal:
    """A number read back from the sheet, as the Decimal it was written as."""
    assert isinstance(value, int | float), value
    return Decimal(str(value))


def sheet_xml(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml")}


def report_with_names(*names: str) -> ReconciliationReport:
    lines = [
        client(f"C{i}", name, "GBP", "10.00", "0.00", explanation(Cause.NOT_POSTED, "10.00", name, name))
        for i, name in enumerate(names)
    ]
    entity = EntityReconciliation(
        "UK", "Harper & Vale (UK) Ltd", "GBP", DAY, (currency_reconciliation("GBP", 10, "0", lines),)
    )
    return ReconciliationReport(FIRM, DAY, MADE_AT, (entity,))


# --- the sheets ------------------------------------------------------------------------------------


def test_a_summary_sheet_then_one_sheet_per_entity() -> None:
    sheets = opened(reconciliation_workbook(busy_report()))
    assert list(sheets) == ["Summary", "UK", "IE", "US"]


def test_every_table_has_a_frozen_header_row_a_filter_and_set_widths() -> None:
    report = busy_report()
    sheets = opened(reconciliation_workbook(report))
    uk_lines = sum(
        len(c.explanations) + bool(c.unexplained) for cur in report.entities[0].currencies for c in cur.clients
    )
    expected_filters = {"Summary": "A1:P5", "UK": f"A1:K{uk_lines + 1}", "IE": "A1:K2", "US": "A1:K2"}
    for title, sheet in sheets.items():
        assert sheet.freeze_panes == "A2", title
        assert sheet.auto_filter.ref == expected_filters[title], title
        assert [c.font.b for c in sheet[1] if c.value is not None] == [True] * len(
            SUMMARY_COLUMNS if title == "Summary" else ENTITY_COLUMNS
        )
    assert sheets["Summary"].column_dimensions["C"].width == 28
    assert sheets["UK"].column_dimensions["B"].width == 32
    assert sheets["UK"].column_dimensions["K"].width == 60


def test_the_summary_has_a_row_per_entity_and_currency_with_the_models_figures() -> None:
    report = busy_report()
    summary = opened(reconciliation_workbook(report))["Summary"]
    rows = table_rows(summary)
    assert [(r["Entity"], r["Currency"]) for r in rows] == [("UK", "GBP"), ("UK", "EUR"), ("IE", "EUR"), ("US", "USD")]
    currencies = [c for e in report.entities for c in e.currencies]
    for row, currency in zip(rows, currencies, strict=False):
        assert money(row["PMS total"]) == currency.pms_total
        assert money(row["Xero total"]) == currency.xero_total
        assert money(row["Difference"]) == currency.difference
        assert money(row["Explained"]) == currency.explained
        assert money(row["Unexplained"]) == currency.unexplained
        assert money(row["Explained"]) + money(row["Unexplained"]) == money(row["Difference"])
        assert row["Clients compared"] == currency.clients_compared
    assert rows[0]["Status"] == "Difference not explained" and rows[0]["Needs someone"] == "yes"
    assert money(rows[0]["Change since yesterday"]) == report.change_since_yesterday("UK", "GBP")
    assert rows[3]["Status"] == "Not reconciled" and rows[3]["PMS total"] is None
    assert rows[3]["Problem or notes"] == US_PROBLEM


def test_the_summary_lists_the_control_checks_and_the_notices_below_the_table() -> None:
    summary = opened(reconciliation_workbook(busy_report()))["Summary"]
    values = [[v for v in row if v is not None] for row in summary.iter_rows(values_only=True)]
    start = values.index(["Control account checks, in each entity's base currency"])
    assert values[start + 1][:3] == ["Entity", "Account", "Currency"]
    assert values[start + 2] == ["UK", "610 Accounts Receivable", "GBP", 1289544.1, 1289544.1, 0, 1, "Balanced"]
    assert values[start + 3] == [
        "IE",
        "610 Trade Debtors",
        "EUR",
        402618.4,
        402578.4,
        40,
        1,
        "Difference not explained",
    ]
    assert values[-2:] == [["Notices"], [NOTICE]]


def test_dates_are_dates() -> None:
    summary = opened(reconciliation_workbook(busy_report()))["Summary"]
    for name in ("Day", "PMS as at"):
        cell = summary.cell(row=2, column=column(summary, name))
        assert cell.value == datetime(2026, 11, 30)
        assert cell.is_date and cell.number_format == "d mmm yyyy"


# --- each entity's lines ---------------------------------------------------------------------------


def test_one_row_per_explanation_and_per_unexplained_part_adding_up_to_the_models_figures() -> None:
    report = busy_report()
    sheets = opened(reconciliation_workbook(report))
    names = entity_sheet_names(e.entity for e in report.entities)
    for entity in report.entities:
        rows = table_rows(sheets[names[entity.entity]])
        for currency in entity.currencies:
            mine = [r for r in rows if r["Currency"] == currency.currency]
            assert len(mine) == sum(len(c.explanations) + bool(c.unexplained) for c in currency.clients)
            assert sum(money(r["Amount"]) for r in mine) == currency.difference
            unexplained = [r for r in mine if r["Cause"] == "Unexplained"]
            assert len(unexplained) == currency.unexplained_clients
            assert sum(money(r["Amount"]) for r in unexplained) == currency.unexplained
            for cause in currency.by_cause:
                same = [r for r in mine if r["Cause"] == cause.cause.value[:1].upper() + cause.cause.value[1:]]
                assert (len(same), sum(money(r["Amount"]) for r in same)) == (cause.count, cause.amount)


def test_unexplained_parts_of_opposite_signs_are_each_a_row() -> None:
    rows = table_rows(opened(reconciliation_workbook(busy_report()))["UK"])
    unexplained = {(r["Client id"], money(r["Amount"])) for r in rows if r["Cause"] == "Unexplained"}
    assert unexplained == {("C1009", Decimal("87.66")), ("C1001", Decimal("50.00")), ("C1010", Decimal("-50.00"))}


def test_each_row_carries_the_client_its_balances_the_document_and_what_to_do() -> None:
    rows = table_rows(opened(reconciliation_workbook(busy_report()))["UK"])
    row = next(r for r in rows if r["Document"] == "bill B1042")
    assert row["Client id"] == "C1001" and row["Client name"] == "Smith & Jones LLP"
    assert (money(row["PMS balance"]), money(row["Xero balance"]), money(row["Difference"])) == (
        Decimal("1500.00"), Decimal("1000.00"), Decimal("500.00"),
    )  # fmt: skip
    assert row["Cause"] == "Not yet posted" and money(row["Amount"]) == Decimal("300.00")
    assert row["Detail"] == "held: no account mapping for matter type LIT"
    assert row["What to do"] == "Clear the hold (a mapping, a missing client or bill); it posts on the next run."


def test_an_entity_not_reconciled_says_why_on_its_sheet() -> None:
    rows = table_rows(opened(reconciliation_workbook(busy_report()))["US"])
    assert len(rows) == 1
    assert rows[0]["Cause"] == "Not reconciled" and rows[0]["Detail"] == US_PROBLEM


# --- money -----------------------------------------------------------------------------------------


def test_money_cells_are_numbers_in_their_currencys_format() -> None:
    sheets = opened(reconciliation_workbook(busy_report()))
    uk = sheets["UK"]
    money_columns = [column(uk, name) for name in ("PMS balance", "Xero balance", "Difference", "Amount")]
    for row in uk.iter_rows(min_row=2):
        code = row[column(uk, "Currency") - 1].value
        for index in money_columns:
            cell = row[index - 1]
            assert cell.data_type == "n" and isinstance(cell.value, int | float)
            assert cell.number_format == {"GBP": GBP_FORMAT, "EUR": EUR_FORMAT}[str(code)]
    summary = sheets["Summary"]
    assert summary.cell(row=2, column=column(summary, "PMS total")).number_format == GBP_FORMAT


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("GBP", GBP_FORMAT), ("JPY", '#,##0 "JPY";-#,##0 "JPY"'), ("KWD", '#,##0.000 "KWD";-#,##0.000 "KWD"')],
)
def test_the_number_format_has_the_currencys_decimals_and_code(currency: str, expected: str) -> None:
    assert money_format(currency) == expected


def test_yen_is_written_with_no_decimals() -> None:
    rows = table_rows(opened(reconciliation_workbook(yen_report()))["JP"])
    sheet = opened(reconciliation_workbook(yen_report()))["JP"]
    assert sheet.cell(row=2, column=column(sheet, "Amount")).number_format == '#,##0 "JPY";-#,##0 "JPY"'
    assert {money(r["Amount"]) for r in rows} == {Decimal(250000), Decimal(5000)}


# --- text stays text -------------------------------------------------------------------------------


def test_a_client_named_like_a_formula_stays_text() -> None:
    content = reconciliation_workbook(busy_report())
    xml = sheet_xml(content)
    assert not [name for name, body in xml.items() if "<f>" in body or "<f " in body]
    uk = opened(content)["UK"]
    cell = next(c for row in uk.iter_rows(min_row=2) for c in row if c.value == FORMULA_NAME)
    assert cell.data_type == "s"
    assert cell.quotePrefix  # Excel keeps it text even when someone edits the cell
    assert f"<is><t>{FORMULA_NAME}</t></is>" in xml["xl/worksheets/sheet2.xml"]
    assert any(c.value == SCRIPT_NAME for row in uk.iter_rows(min_row=2) for c in row)


@pytest.mark.parametrize(
    "name",
    ["=1+2", "+44 20 7946 0000", "-2+3", "@SUM(A1:A2)", "\tTabbed", "\rReturned", "#N/A", "=cmd|' /C calc'!A0"],
)
def test_text_that_a_spreadsheet_could_take_for_a_formula_stays_literal(name: str) -> None:
    content = reconciliation_workbook(report_with_names(name))
    assert not re.search(r"<f[ >]", "".join(sheet_xml(content).values()))
    uk = opened(content)["UK"]
    literal = name.replace("\r", "\n")  # XML has no carriage return of its own: a line break is a line break
    cells = [c for row in uk.iter_rows(min_row=2) for c in row if c.value == literal]
    assert len(cells) == 3  # the client's name, the document and the detail
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells) == (name[0] in "=+-@\t\r")


def test_control_characters_a_worksheet_cannot_hold_are_replaced_not_fatal() -> None:
    uk = opened(reconciliation_workbook(report_with_names("Bad\x01Name\x1f Ltd")))["UK"]
    assert uk.cell(row=2, column=column(uk, "Client name")).value == "Bad\ufffdName\ufffd Ltd"


# --- sheet names -----------------------------------------------------------------------------------


def test_sheet_names_are_valid_and_unique() -> None:
    names = entity_sheet_names(["UK", "uk", "Summary", "A/B:C*D?[E]\\F", "'Quoted'", "X" * 40, "X" * 40 + "2", ""])
    assert names["UK"] == "UK" and names["uk"] == "uk (2)"
    assert names["Summary"] == "Summary (2)"
    assert names["A/B:C*D?[E]\\F"] == "A-B-C-D--E--F"
    assert names["'Quoted'"] == "Quoted"
    assert names["X" * 40] == "X" * 31 and names["X" * 40 + "2"] == "X" * 27 + " (2)"
    assert names[""] == "Entity"
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names.values())
    assert len({n.casefold() for n in names.values()}) == len(names)


def test_entities_with_awkward_names_get_valid_sheets() -> None:
    report = busy_report()
    renamed = tuple(
        EntityReconciliation(
            name, e.organisation, e.base_currency, e.as_at, e.currencies, e.control, e.problem, e.notes
        )
        for name, e in zip(["UK/IE: [main]", "uk/ie: [main]", "Summary"], report.entities, strict=True)
    )
    content = reconciliation_workbook(ReconciliationReport(FIRM, DAY, MADE_AT, renamed))
    assert list(opened(content)) == ["Summary", "UK-IE- -main-", "uk-ie- -main- (2)", "Summary (2)"]


def test_a_large_report_has_every_line() -> None:
    report = large_report(compared=100_000, differing=1_000)
    sheets = opened(reconciliation_workbook(report))
    for entity in report.entities:
        rows = table_rows(sheets[entity.entity])
        (currency,) = entity.currencies
        assert len(rows) == sum(len(c.explanations) + bool(c.unexplained) for c in currency.clients)
        assert sum(money(r["Amount"]) for r in rows) == currency.difference
