"""Hostile or broken input (issue 8): every such cell rejects its row, naming it, with a short message.

Amounts in plain decimal notation within a firm's bounds, dates within a sane range, ids in printable
ASCII, free text without control characters, documents of a bounded size, rejections that quote a
short prefix of what was given, and a cell too long for the CSV reader that rejects only its row.
Every row read is still accepted or rejected, once.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from cynare.extract.batch import validate_batch
from cynare.extract.datasets import DATASETS
from cynare.extract.manifest import BatchRejected
from cynare.extract.reader import Rejection
from cynare.extract.rows import Bill, BillLine, Debtor
from tests.unit.extract.csvbatch import (
    assert_conserved,
    csv_text,
    dataset_csv,
    good,
    memory_batch,
    only_rejection,
    parse,
    parse_rows,
    rejections_of,
    rows_of,
    validate,
)

CELL_LIMIT = 131_072  # the longest cell the reader parses (csv's field_size_limit)


def rejected_cell(dataset: str, column: str, cell: str, **others: str) -> Rejection:
    """The one rejection of a file whose middle row (row 3) has `cell` in `column`; rows 2 and 4 are good."""
    parsed = parse_rows(
        dataset, good(dataset, **others), good(dataset, **{column: cell}, **others), good(dataset, **others)
    )
    rejection = only_rejection(parsed)
    assert (rejection.file, rejection.row) == (f"{dataset}.csv", 3)
    assert [line for line, _ in parsed.accepted] == [2, 4]
    assert_conserved(parsed)
    return rejection


def accepted_cell(dataset: str, column: str, cell: str, **others: str) -> object:
    parsed = parse_rows(dataset, good(dataset, **{column: cell}, **others))
    assert parsed.rejected == [], [str(rejection) for rejection in parsed.rejected]
    return getattr(parsed.accepted[0][1], column)


# --- 1. amounts: plain decimal notation, within a firm's bounds

NOT_PLAIN = [
    "1E+999999",
    "1.2E+2",
    "1e2",
    "12E-1",
    "1_200.00",
    "1 200.00",
    "1,200.00",
    "1.200,00",
    "١٢٠.٠٠",  # Arabic-Indic digits
    "۱۲۰",  # extended Arabic-Indic digits
    "１２０.００",  # full-width digits
    "१२०",  # Devanagari digits
    "+0120.00",
    "+120",
    ".5",
    "5.",
    "- 5",
    "--5",
    "0x10",
    "Infinity",
    "-Infinity",
    "sNaN",
    "NaN",
    "120.00\x00",
    "12\u200b0.00",
]


@pytest.mark.parametrize("cell", NOT_PLAIN)
@pytest.mark.parametrize(
    ("dataset", "column"),
    [("bills", "total"), ("bill_lines", "net"), ("debtors", "balance"), ("receipt_allocations", "amount")],
)
def test_an_amount_outside_plain_decimal_notation_is_rejected(dataset: str, column: str, cell: str) -> None:
    rejection = rejected_cell(dataset, column, cell)
    assert rejection.column == column
    assert rejection.rule.startswith("not a valid decimal in plain notation"), rejection.rule
    assert repr(cell) in rejection.rule


@pytest.mark.parametrize(
    ("dataset", "column"),
    [("bills", "exchange_rate"), ("bill_lines", "quantity"), ("bill_lines", "unit_price"), ("vat_codes", "rate")],
)
@pytest.mark.parametrize("cell", ["2E+1", "1_0", "+2", "٢", "２"])
def test_rates_quantities_prices_and_percentages_are_plain_decimals_too(dataset: str, column: str, cell: str) -> None:
    rejection = rejected_cell(dataset, column, cell)
    assert rejection.column == column
    assert rejection.rule.startswith("not a valid decimal in plain notation"), rejection.rule


def test_an_exponent_total_is_not_stored_as_a_ready_jpy_bill() -> None:
    batch = validate(
        {
            "bills": dataset_csv("bills", [good("bills", currency="JPY", total="1E+999999")]),
            "bill_lines": dataset_csv("bill_lines", [good("bill_lines", quantity="", unit_price="", net="1E+999999")]),
        }
    )
    assert rows_of(batch, "bills") == []
    assert rejections_of(batch, "bills")[2].column == "total"
    assert rejections_of(batch, "bill_lines")[2].column == "net"


@pytest.mark.parametrize(
    "cell",
    [
        "10000000000000",
        "-10000000000000",
        "1000000000000000000000000000000",
        "99999999999999.99",
        "1.00001",
        "-0.12345",
    ],
)
@pytest.mark.parametrize(("dataset", "column"), [("bill_lines", "net"), ("debtors", "balance")])
def test_an_amount_beyond_a_firms_bounds_is_rejected(dataset: str, column: str, cell: str) -> None:
    rejection = rejected_cell(dataset, column, cell)
    assert rejection.column == column
    assert "at most 13 digits before the decimal point" in rejection.rule
    assert "no more than 4 decimal places" in rejection.rule


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("9999999999999.99", Decimal("9999999999999.99")),
        ("-9999999999999.99", Decimal("-9999999999999.99")),
        ("0120.00", Decimal("120")),  # leading zeros are still plain notation
        ("00000000000000000001.50", Decimal("1.5")),
        ("120.000000", Decimal("120")),  # trailing zeros do not count as decimal places
        ("-0", Decimal(0)),
        (" 12.5 ", Decimal("12.5")),
    ],
)
def test_plain_amounts_within_the_bounds_are_accepted(cell: str, value: Decimal) -> None:
    assert accepted_cell("debtors", "balance", cell) == value


@pytest.mark.parametrize("cell", ["10000000", "12345678.5", "1.12345678901"])
def test_an_exchange_rate_is_below_ten_million_with_at_most_10_decimal_places(cell: str) -> None:
    rejection = rejected_cell("bills", "exchange_rate", cell)
    assert rejection.column == "exchange_rate"
    assert "at most 7 digits before the decimal point" in rejection.rule
    assert "no more than 10 decimal places" in rejection.rule


@pytest.mark.parametrize("cell", ["9999999.9999999999", "0.0000000001", "25000.5", "1.1734500000000"])
def test_exchange_rates_within_the_bounds_are_accepted(cell: str) -> None:
    assert accepted_cell("bills", "exchange_rate", cell) == Decimal(cell)


@pytest.mark.parametrize("cell", ["+1", "1_0", "1.0", "١", "１", "1e1", " 0x1"])
def test_a_line_number_is_plain_digits(cell: str) -> None:
    rejection = rejected_cell("bill_lines", "line_no", cell)
    assert rejection.column == "line_no"
    assert "valid integer" in rejection.rule


def test_values_given_in_python_are_held_to_the_same_bounds() -> None:
    bill: dict[str, object] = {"bill_id": "B1", "bill_number": "1", "client_id": "C1", "date": "2026-11-01"}
    bill |= {"due_date": "2026-11-01", "currency": "JPY", "exchange_rate": Decimal(1), "total": Decimal(120)}
    assert Bill.model_validate(bill).total == Decimal(120)
    for total in (Decimal("1E+999999"), Decimal("1E+13"), Decimal("0.00001")):
        with pytest.raises(ValidationError):
            Bill.model_validate(bill | {"total": total})
    with pytest.raises(ValidationError):
        Bill.model_validate(bill | {"exchange_rate": Decimal("1E+7")})
    line: dict[str, object] = {"bill_id": "B1", "line_no": 1, "description": "Fees", "nominal_code": "4000"}
    line |= {"vat_code": "S", "net": Decimal(1), "vat": Decimal(0)}
    assert BillLine.model_validate(line).line_no == 1
    for changes in ({"net": Decimal("1E+30")}, {"line_no": 10_000}, {"line_no": "+1"}):
        with pytest.raises(ValidationError):
            BillLine.model_validate(line | changes)


# --- 2. dates within a sane range


@pytest.mark.parametrize("cell", ["0001-01-01", "9999-12-31", "1989-12-31", "2101-01-01", "1900-01-01"])
@pytest.mark.parametrize(
    ("dataset", "column"),
    [("bills", "date"), ("bills", "due_date"), ("debtors", "as_at"), ("cancellations", "date")],
)
def test_a_date_outside_1990_to_2100_is_rejected_naming_row_and_column(dataset: str, column: str, cell: str) -> None:
    rejection = rejected_cell(dataset, column, cell)
    assert rejection.column == column
    assert rejection.rule == f"{cell} is outside the dates the extract takes (1990-01-01 to 2100-12-31)"


def test_an_archive_date_outside_the_range_is_rejected() -> None:
    rejection = rejected_cell("clients", "archived_on", "1900-01-01", status="archived")
    assert (rejection.column, rejection.rule) == (
        "archived_on",
        "1900-01-01 is outside the dates the extract takes (1990-01-01 to 2100-12-31)",
    )


@pytest.mark.parametrize("cell", ["1990-01-01", "2100-12-31"])
def test_the_first_and_last_days_of_the_range_are_accepted(cell: str) -> None:
    assert accepted_cell("debtors", "as_at", cell) == date.fromisoformat(cell)


@pytest.mark.parametrize("cell", ["２０２６-１１-２５", "٢٠٢٦-١١-٢٥"])
def test_a_date_in_other_digits_is_rejected(cell: str) -> None:
    rejection = rejected_cell("debtors", "as_at", cell)
    assert "is not a date in the form YYYY-MM-DD" in rejection.rule


def test_a_date_given_in_python_is_held_to_the_range_too() -> None:
    debtor: dict[str, object] = {"client_id": "C1", "currency": "GBP", "balance": Decimal(0), "as_at": date(1, 1, 1)}
    with pytest.raises(ValidationError, match="outside the dates the extract takes"):
        Debtor.model_validate(debtor)


# --- 3. ids in printable ASCII; free text without control characters

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
LOOK_ALIKES = ["С001", "C００1", "Ｃ001", "C0O1\u0301", "Étude", "C\u00a0001", "C\u2009001", "ᏟOO1", "C001ı"]


@pytest.mark.parametrize(
    "cell",
    ["C\x00001", "C001\x00", *(f"C{mark}001" for mark in INVISIBLE + BIDI), *LOOK_ALIKES],
    ids=lambda cell: cell.encode("unicode_escape").decode(),
)
@pytest.mark.parametrize(
    ("dataset", "column"),
    [("clients", "client_id"), ("bills", "bill_number"), ("bill_lines", "office"), ("map_nominal", "nominal_code")],
)
def test_an_id_with_a_nul_invisible_bidi_or_non_ascii_character_is_rejected(
    dataset: str, column: str, cell: str
) -> None:
    rejection = rejected_cell(dataset, column, cell)
    assert rejection.column == column
    assert rejection.rule.startswith("an id may not contain"), rejection.rule
    assert "printable ASCII" in rejection.rule
    assert repr(cell) in rejection.rule  # quoted with the invisible character escaped


def test_an_id_is_any_printable_ascii_but_the_forbidden_six() -> None:
    allowed = "".join(chr(code) for code in range(0x21, 0x7F) if chr(code) not in "|~#/\\?")
    ids = [allowed[i : i + 50] for i in range(0, len(allowed), 50)] + ["A B", "x"]
    parsed = parse_rows("map_nominal", *(good("map_nominal", nominal_code=f" {cell} ") for cell in ids))
    assert parsed.rejected == []
    assert [row.nominal_code for _, row in parsed.accepted] == ids  # type: ignore[attr-defined]


def test_a_manifest_entity_with_a_look_alike_character_rejects_the_batch() -> None:
    batch = memory_batch({"debtors": dataset_csv("debtors", [good("debtors")])})
    batch.files["manifest.json"] = batch.files["manifest.json"].replace(b'"UK"', '"U\u041a"'.encode())
    with pytest.raises(BatchRejected, match=r"manifest\.json is not a valid manifest: entity"):
        validate_batch(batch)


@pytest.mark.parametrize(
    "cell",
    ["Smith\x00Co", "\x00", "Smith\x01", "Smith\x07Co", "Smith\x1b[31mCo", "Smith\x7fCo", "Smith\x85Co", "Smith\x9f"],
    ids=lambda cell: cell.encode("unicode_escape").decode(),
)
@pytest.mark.parametrize(
    ("dataset", "column"),
    [("clients", "name"), ("clients", "city"), ("bill_lines", "description"), ("bills", "reference")],
)
def test_free_text_with_a_control_character_is_rejected(dataset: str, column: str, cell: str) -> None:
    rejection = rejected_cell(dataset, column, cell)
    assert rejection.column == column
    assert rejection.rule.startswith("text may not contain control characters"), rejection.rule


@pytest.mark.parametrize(
    "cell",
    [
        "Smith\tCo",
        "Advice on the lease,\r\nincluding completion",
        "Müller & Søn — Łódź 株式会社",
        "عربي\u200cنص",
        "👩\u200d💻",
    ],
)
def test_free_text_keeps_tabs_line_breaks_and_any_script(cell: str) -> None:
    assert accepted_cell("bill_lines", "description", cell) == cell


def test_an_email_address_has_no_control_characters_and_at_most_254_characters() -> None:
    assert rejected_cell("clients", "email", "a\x00b@smith.example").column == "email"
    assert rejected_cell("clients", "email", "a" * 243 + "@smith.example").column == "email"  # 257 characters
    assert accepted_cell("clients", "email", "a" * 240 + "@smith.example") == "a" * 240 + "@smith.example"


# --- 4. limits of a row and of a document


@pytest.mark.parametrize(
    ("dataset", "column", "longest"),
    [
        ("clients", "name", 500),
        ("bill_lines", "description", 500),
        ("clients", "client_id", 50),
        ("bills", "bill_number", 50),
    ],
)
def test_text_and_ids_have_their_longest_length(dataset: str, column: str, longest: int) -> None:
    assert accepted_cell(dataset, column, "x" * longest) == "x" * longest
    rejection = rejected_cell(dataset, column, "x" * (longest + 1))
    assert (rejection.column, rejection.rule.split(" (got")[0]) == (
        column,
        f"String should have at most {longest} characters",
    )


def document_lines(dataset: str, owner: str, count: int) -> list[dict[str, str]]:
    link = DATASETS[dataset].key[0]
    return [
        good(dataset, **{link: owner}, line_no=str(n), quantity="", unit_price="", net="1.00", vat="0.00")
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize(
    ("header", "parts", "word"),
    [("bills", "bill_lines", "bill"), ("credit_notes", "credit_note_lines", "credit note")],
)
def test_a_bill_or_credit_note_has_at_most_500_lines(header: str, parts: str, word: str) -> None:
    link = DATASETS[header].key[0]
    batch = validate(
        {
            header: dataset_csv(
                header, [good(header, **{link: "D1"}, total="500.00"), good(header, **{link: "D2"}, total="501.00")]
            ),
            parts: dataset_csv(parts, document_lines(parts, "D1", 500) + document_lines(parts, "D2", 501)),
        }
    )
    assert rows_of(batch, header) == [2]
    assert rows_of(batch, parts) == list(range(2, 502))
    limit = f"a {word} may have at most 500 lines; split it in the PMS"
    assert {row: (r.column, r.rule) for row, r in rejections_of(batch, header).items()} == {
        3: (link, f"D2 has 501 lines: {limit}")
    }
    lines = rejections_of(batch, parts)
    assert sorted(lines) == list(range(502, 1003))  # every line of the refused document, each naming its row
    assert {(r.column, r.rule) for r in lines.values()} == {(link, f"its {word} D2 was rejected: {limit}")}
    for parsed in batch.files.values():
        assert_conserved(parsed)


def allocations(receipt: str, count: int, dataset: str = "receipt_allocations") -> list[dict[str, str]]:
    link = DATASETS[dataset].key[0]
    return [good(dataset, **{link: receipt}, bill_id=f"B{n}", amount="1.00") for n in range(1, count + 1)]


def test_a_receipt_is_allocated_to_at_most_1000_bills() -> None:
    batch = validate(
        {
            "receipts": dataset_csv(
                "receipts",
                [
                    good("receipts", receipt_id="R1", amount="1000.00"),
                    good("receipts", receipt_id="R2", amount="1001.00"),
                ],
            ),
            "receipt_allocations": dataset_csv(
                "receipt_allocations", allocations("R1", 1000) + allocations("R2", 1001)
            ),
        }
    )
    assert rows_of(batch, "receipts") == [2]
    limit = "a receipt may be allocated to at most 1000 bills; record it as several receipts in the PMS"
    assert rejections_of(batch, "receipts")[3].rule == f"R2 has 1001 allocations: {limit}"
    rejected = rejections_of(batch, "receipt_allocations")
    assert sorted(rejected) == list(range(1002, 2003))
    assert {r.rule for r in rejected.values()} == {f"its receipt R2 was rejected: {limit}"}


def test_a_partial_return_reverses_at_most_1000_allocations() -> None:
    batch = validate(
        {
            "returned_receipts": dataset_csv(
                "returned_receipts",
                [
                    good("returned_receipts", return_id="RR1", amount="1000.00"),
                    good("returned_receipts", return_id="RR2", amount="1001.00"),
                ],
            ),
            "returned_allocations": dataset_csv(
                "returned_allocations",
                allocations("RR1", 1000, "returned_allocations") + allocations("RR2", 1001, "returned_allocations"),
            ),
        }
    )
    assert rows_of(batch, "returned_receipts") == [2]
    limit = "a return may reverse at most 1000 allocations"
    assert rejections_of(batch, "returned_receipts")[3].rule == f"RR2 has 1001 parts: {limit}"
    rejected = rejections_of(batch, "returned_allocations")
    assert sorted(rejected) == list(range(1002, 2003))
    assert {r.rule for r in rejected.values()} == {f"its returned receipt RR2 was rejected: {limit}"}


# --- 5. a rejection quotes a short prefix of the value


def test_a_100000_character_name_makes_a_short_rejection() -> None:
    rejection = rejected_cell("clients", "name", "x" * 100_000)
    assert rejection.rule == f"String should have at most 500 characters (got {'x' * 40!r}…(100000 characters))"


CELLS = [(name, column) for name, dataset in DATASETS.items() for column in dataset.columns]


@pytest.mark.parametrize(("dataset", "column"), CELLS)
@pytest.mark.parametrize("cell", ["9" * 100_000, "x" * 100_000, "2026-11-25" + "0" * 99_990, "é" * 100_000])
def test_a_long_cell_in_any_column_is_rejected_with_a_short_message(dataset: str, column: str, cell: str) -> None:
    rejection = rejected_cell(dataset, column, cell)
    assert rejection.column == column
    assert len(str(rejection)) < 400, str(rejection)
    assert "(100000 characters)" in rejection.rule


# --- 6. a cell too long for the CSV reader rejects its row only


def huge_file(cell: str, at: int = 3, rows: int = 3, column: str = "name") -> tuple[bytes, int]:
    """A clients file whose row `at` has `cell` in `column`; the others are good."""
    header = list(DATASETS["clients"].columns)
    records = [[good("clients", client_id=f"C{n}")[name] for name in header] for n in range(2, rows + 2)]
    records[at - 2][header.index(column)] = cell
    return csv_text([header, *records]).encode(), rows


@pytest.mark.parametrize(
    "cell",
    [
        "x" * 1_000_000,
        "x" * (CELL_LIMIT + 1),
        'A "quoted", multi-line\r\nname\n' * 40_000,  # quoted: commas, quotes and line breaks inside
        "\r\n" * 600_000,
    ],
    ids=["1 MB", "limit + 1", "quoted multi-line", "line breaks"],
)
@pytest.mark.parametrize("at", [2, 3, 4])
def test_a_cell_too_long_for_the_reader_rejects_only_its_row(cell: str, at: int) -> None:
    data, rows = huge_file(cell, at=at)
    parsed = parse("clients", data)
    assert only_rejection(parsed) == Rejection("clients.csv", at, "name", f"cell longer than {CELL_LIMIT} characters")
    assert [line for line, _ in parsed.accepted] == [row for row in (2, 3, 4) if row != at]
    assert [row.client_id for _, row in parsed.accepted] == [f"C{row}" for row in (2, 3, 4) if row != at]  # type: ignore[attr-defined]
    assert parsed.rows_read == rows
    assert parsed.sha256 == hashlib.sha256(data).hexdigest()
    assert_conserved(parsed)


@pytest.mark.parametrize("column", ["client_id", "default_currency", "archived_on"])
def test_the_column_of_the_long_cell_is_named(column: str) -> None:
    parsed = parse("clients", huge_file("y" * 200_000, column=column)[0])
    assert only_rejection(parsed).column == column


def test_a_long_cell_on_the_last_line_without_a_line_break_rejects_its_row() -> None:
    data = huge_file("z" * 200_000, at=4)[0].removesuffix(b"\r\n")
    parsed = parse("clients", data)
    assert only_rejection(parsed).row == 4
    assert parsed.rows_read == 3
    assert parsed.sha256 == hashlib.sha256(data).hexdigest()


def test_many_long_cells_reject_their_rows_and_the_rest_goes_on() -> None:
    header = list(DATASETS["clients"].columns)
    records = []
    for n in range(2, 22):
        row = good("clients", client_id=f"C{n}")
        if n % 3 == 0:
            row["name"] = "n" * 150_000
        if n % 5 == 0:
            row["city"] = "line\r\n" * 30_000
        records.append([row[name] for name in header])
    data = csv_text([header, *records]).encode()
    parsed = parse("clients", data)
    bad = {n for n in range(2, 22) if n % 3 == 0 or n % 5 == 0}
    assert {r.row for r in parsed.rejected} == bad
    assert {r.row: r.column for r in parsed.rejected if r.row % 5 == 0} == {
        5: "city",
        10: "city",
        20: "city",
        15: "name",
    }
    assert [line for line, _ in parsed.accepted] == [n for n in range(2, 22) if n not in bad]
    assert parsed.rows_read == 20
    assert_conserved(parsed)


def test_a_long_cell_beyond_the_header_s_columns_is_reported_on_the_row() -> None:
    header = list(DATASETS["clients"].columns)
    extra = [good("clients", client_id="C9")[name] for name in header] + ["w" * 200_000]
    data = huge_file("x", at=3)[0] + csv_text([extra]).encode()
    parsed = parse("clients", data)
    assert parsed.rejected == [Rejection("clients.csv", 5, "*", f"cell longer than {CELL_LIMIT} characters")]
    assert_conserved(parsed)


def test_a_header_with_a_long_cell_is_refused_naming_row_1() -> None:
    with pytest.raises(csv.Error, match="row 1: "):
        parse("clients", b"client_id," + b"n" * 200_000 + b"\r\n")


def test_a_long_quoted_cell_never_closed_is_refused_naming_its_row() -> None:
    data = huge_file("x", at=3)[0] + b'C9,"' + b"w" * 200_000 + b"\r\nmore\r\n"
    with pytest.raises(csv.Error, match="row 5: "):
        parse("clients", data)


def test_text_after_a_long_quoted_cell_is_refused_naming_its_row() -> None:
    data = huge_file("x", at=3)[0] + b'C9,"' + b"w" * 200_000 + b'"x,GBP\r\n'
    with pytest.raises(csv.Error, match="row 5: "):
        parse("clients", data)


def test_a_long_cell_rejects_its_row_in_a_batch_and_its_document_takes_its_parts() -> None:
    bills = dataset_csv("bills", [good("bills", reference="r" * 500_000), good("bills", bill_id="B002")]).encode()
    bill_lines = dataset_csv("bill_lines", [good("bill_lines"), good("bill_lines", bill_id="B002")]).encode()
    batch = validate_batch(memory_batch({"bills": bills, "bill_lines": bill_lines}, rows={"bills": 2, "bill_lines": 2}))
    assert [str(r) for r in batch.rejections] == [
        f"bills.csv row 2, column reference: cell longer than {CELL_LIMIT} characters",
        "bill_lines.csv row 2, column bill_id: its bill B001 was rejected",
    ]
    assert batch.counts() == {"bills": (2, 1, 1), "bill_lines": (2, 1, 1)}


def test_a_broken_row_that_rejects_the_batch_is_named() -> None:
    text = 'vat_code,description,treatment,rate\r\nZ,Zero,rated,0\r\nS,"Standard"rate,rated,20\r\n'
    batch = memory_batch({"vat_codes": text}, rows={"vat_codes": 2})
    with pytest.raises(BatchRejected, match=r"vat_codes\.csv is not valid UTF-8 CSV: row 3: "):
        validate_batch(batch)


def test_the_reader_leaves_csv_s_own_field_limit_no_lower_than_it_was() -> None:
    before = csv.field_size_limit()
    parse("clients", huge_file("x" * 200_000)[0])
    assert csv.field_size_limit() >= max(before, CELL_LIMIT)


# --- 7. every row read is accepted or rejected, once


def test_a_file_of_every_kind_of_hostile_row_conserves_its_rows() -> None:
    header = list(DATASETS["bill_lines"].columns)
    bad_cells = [
        ("net", "1E+999999"), ("vat", "١٢"), ("line_no", "+3"), ("description", "a\x00b"), ("office", "L\u200bON"),
        ("nominal_code", "4000\u202e"), ("description", "d" * 200_000), ("fee_earner", "x" * 100_000),
        ("net", "1" * 30), ("quantity", "1e3"),
    ]  # fmt: skip
    records = []
    for n in range(1, 41):
        row = good("bill_lines", line_no=str(n))
        if n % 4 == 0:
            column, cell = bad_cells[(n // 4) % len(bad_cells)]
            row[column] = cell
        records.append([row[name] for name in header])
    data = csv_text([header, *records]).encode() + b"B001,99\r\n"
    parsed = parse("bill_lines", io.BytesIO(data).getvalue())
    assert parsed.rows_read == 41
    assert {r.row for r in parsed.rejected} == {n + 1 for n in range(1, 41) if n % 4 == 0} | {42}
    assert_conserved(parsed)
