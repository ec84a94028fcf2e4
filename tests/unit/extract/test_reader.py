"""Reading one CSV file: header, encoding, quoting, row numbers, hashing and row conservation."""

from __future__ import annotations

import hashlib
import io

import pytest

from cynare.extract.reader import HeaderError, Rejection, sha256_of
from tests.unit.extract.csvbatch import assert_conserved, csv_text, dataset_csv, good, only_rejection, parse, parse_rows

VAT_HEADER = "vat_code,description,treatment,rate"


def test_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    parsed = parse("vat_codes", f"{VAT_HEADER}\r\nS,Standard,rated,20\r\nZ,Zero,rated,0\r\nE,Exempt,exempt,\r\n")
    assert [line for line, _ in parsed.accepted] == [2, 3, 4]
    assert parsed.rows_read == 3


def test_a_header_only_file_has_no_rows() -> None:
    parsed = parse("vat_codes", f"{VAT_HEADER}\r\n")
    assert (parsed.rows_read, parsed.accepted, parsed.rejected) == (0, [], [])


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out() -> None:
    text = "status,default_currency,name,client_id\r\nactive,GBP,Smith & Co,C001\r\n"
    parsed = parse("clients", text)
    assert parsed.rejected == []
    client = parsed.accepted[0][1]
    assert (client.client_id, client.email, client.city) == ("C001", None, None)  # type: ignore[attr-defined]


def test_header_names_are_trimmed() -> None:
    parsed = parse("vat_codes", " vat_code , description , treatment,rate \r\nS,Standard,rated,20\r\n")
    assert parsed.rejected == []


def test_unix_line_endings_are_read_too() -> None:
    parsed = parse("vat_codes", f"{VAT_HEADER}\nS,Standard,rated,20\nZ,Zero,rated,0\n")
    assert [line for line, _ in parsed.accepted] == [2, 3]


def test_a_utf8_byte_order_mark_is_tolerated() -> None:
    data = "\ufeff".encode() + f"{VAT_HEADER}\r\nS,Standard,rated,20\r\n".encode()
    parsed = parse("vat_codes", data)
    assert parsed.rejected == []
    assert parsed.accepted[0][1].vat_code == "S"  # type: ignore[attr-defined]
    assert parsed.sha256 == hashlib.sha256(data).hexdigest()  # the hash is of the bytes as sent


def test_non_ascii_text_is_read_as_utf8() -> None:
    parsed = parse_rows("clients", good("clients", name="Müller & Søn — Łódź 株式会社"))
    assert parsed.accepted[0][1].name == "Müller & Søn — Łódź 株式会社"  # type: ignore[attr-defined]


def test_quoted_cells_keep_commas_quotes_and_newlines() -> None:
    description = 'Advice on "the lease", part 1,\r\nincluding completion'
    text = csv_text([VAT_HEADER.split(","), ["S", description, "rated", "20"], ["Z", "Zero", "rated", "0"]])
    assert '"Advice on ""the lease"", part 1,\r\n' in text
    parsed = parse("vat_codes", text)
    assert parsed.rejected == []
    assert parsed.accepted[0][1].description == description  # type: ignore[attr-defined]
    # a quoted cell spanning two lines is still one row: the next record is row 3
    assert [line for line, _ in parsed.accepted] == [2, 3]


def test_an_empty_quoted_cell_is_no_value() -> None:
    parsed = parse("clients", 'client_id,name,email,default_currency,status\r\nC001,Smith,"",GBP,active\r\n')
    assert parsed.rejected == []
    assert parsed.accepted[0][1].email is None  # type: ignore[attr-defined]


def test_surrounding_spaces_are_trimmed_from_cells() -> None:
    parsed = parse("vat_codes", f"{VAT_HEADER}\r\n  S ,  Standard rate  , rated , 20 \r\n")
    row = parsed.accepted[0][1]
    assert (row.vat_code, row.description, str(row.rate)) == ("S", "Standard rate", "20")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("line", "fields"),
    [("S,Standard,rated", 3), ("S,Standard,rated,20,extra", 5), ("S", 1), ('S,"Standard, reduced",rated,20,', 5)],
)
def test_a_row_with_the_wrong_number_of_fields_is_rejected(line: str, fields: int) -> None:
    parsed = parse("vat_codes", f"{VAT_HEADER}\r\nA,Good,rated,20\r\n{line}\r\nB,Good,rated,5\r\n")
    rejection = only_rejection(parsed)
    assert rejection == Rejection("vat_codes.csv", 3, "*", f"row has {fields} fields, the header has 4")
    assert [line for line, _ in parsed.accepted] == [2, 4]
    assert_conserved(parsed)


def test_a_blank_line_is_a_row_with_no_fields() -> None:
    parsed = parse("vat_codes", f"{VAT_HEADER}\r\nS,Standard,rated,20\r\n\r\nZ,Zero,rated,0\r\n")
    assert only_rejection(parsed) == Rejection("vat_codes.csv", 3, "*", "row has 0 fields, the header has 4")
    assert [line for line, _ in parsed.accepted] == [2, 4]
    assert_conserved(parsed)


def test_the_file_hash_and_row_count_are_taken_while_reading() -> None:
    text = dataset_csv("receipts", [good("receipts", receipt_id=f"R{n}") for n in range(1, 2001)])
    data = text.encode()
    parsed = parse("receipts", data)
    assert parsed.rows_read == 2000
    assert parsed.sha256 == hashlib.sha256(data).hexdigest()
    assert len(parsed.accepted) == 2000


def test_sha256_of_reads_a_stream_to_its_end() -> None:
    data = b"x" * (3 << 20)
    assert sha256_of(io.BytesIO(data)) == hashlib.sha256(data).hexdigest()


def test_every_row_read_ends_accepted_or_rejected_once() -> None:
    rows = []
    for n in range(1, 101):
        row = good("bill_lines", line_no=str(n))
        if n % 7 == 0:
            row["net"] = "bad"
        if n % 11 == 0:
            row["vat_code"] = ""
        rows.append(row)
    parsed = parse_rows("bill_lines", *rows)
    assert parsed.rows_read == 100
    bad = {n for n in range(1, 101) if n % 7 == 0 or n % 11 == 0}
    assert {rejection.row - 1 for rejection in parsed.rejected} == bad
    assert len(parsed.accepted) == 100 - len(bad)
    assert_conserved(parsed)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("vat_code,treatment,rate", "missing column(s) description"),
        ("rate", "missing column(s) description, treatment, vat_code"),
        ("vat_code,description,treatment,rate,colour", "unknown column(s) colour"),
        ("vat_code,description,treatment,rate,Rate", "unknown column(s) Rate"),
        ("vat_code,description,treatment,rate,rate", "repeated column(s) rate"),
        ("vat_code,descr,treatment,rate", "missing column(s) description; unknown column(s) descr"),
        ("vat_code,description,rate", "missing column(s) treatment"),
    ],
)
def test_a_bad_header_is_refused_naming_the_file(header: str, problem: str) -> None:
    with pytest.raises(HeaderError) as raised:
        parse("vat_codes", f"{header}\r\nS,Standard,rated,20\r\n")
    assert str(raised.value) == f"vat_codes.csv header: {problem}"


def test_an_optional_column_may_be_absent_but_not_repeated() -> None:
    with pytest.raises(HeaderError, match=r"clients\.csv header: repeated column\(s\) email"):
        parse("clients", "client_id,name,email,email,default_currency,status\r\n")


def test_an_empty_file_is_refused_with_the_header_it_needs() -> None:
    with pytest.raises(
        HeaderError,
        match=r"vat_codes\.csv is empty: it needs a header row \(vat_code, description, treatment, rate, bad_debt_relief\)",
    ):
        parse("vat_codes", b"")


def test_a_file_that_is_not_utf8_raises() -> None:
    data = f"{VAT_HEADER}\r\nS,Standard,rated,20\r\n".encode() + "Z,Taux zéro,rated,0\r\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        parse("vat_codes", data)
