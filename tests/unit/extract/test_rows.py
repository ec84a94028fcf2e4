"""Row rules of every dataset: each bad cell is rejected with its file, row, column and rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cynare.extract.datasets import DATASETS, KIND_DATASETS, Role
from cynare.extract.rows import Bill, Client, RuleBroken, VatCode, WriteOff
from tests.unit.extract.csvbatch import GOOD, assert_conserved, good, only_rejection, parse, parse_rows

REQUIRED = [(name, column) for name, dataset in DATASETS.items() for column in sorted(dataset.required_columns)]
OPTIONAL = [
    (name, column)
    for name, dataset in DATASETS.items()
    for column in dataset.columns
    if column not in dataset.required_columns
]


def test_every_dataset_has_a_good_row_that_is_accepted() -> None:
    assert set(GOOD) == set(DATASETS)
    for name in DATASETS:
        parsed = parse_rows(name, good(name))
        assert parsed.rejected == [], name
        assert [line for line, _ in parsed.accepted] == [2]
        assert isinstance(parsed.accepted[0][1], DATASETS[name].model)


@pytest.mark.parametrize(("dataset", "column"), REQUIRED)
def test_a_required_value_missing_is_rejected(dataset: str, column: str) -> None:
    parsed = parse_rows(dataset, good(dataset, **{column: ""}))
    rejection = only_rejection(parsed)
    assert (rejection.file, rejection.row, rejection.column) == (f"{dataset}.csv", 2, column)
    assert rejection.rule == "a value is required"
    assert parsed.accepted == []


@pytest.mark.parametrize(("dataset", "column"), REQUIRED)
def test_a_blank_required_cell_is_a_missing_value(dataset: str, column: str) -> None:
    rejection = only_rejection(parse_rows(dataset, good(dataset, **{column: "   "})))
    assert (rejection.column, rejection.rule) == (column, "a value is required")


# An optional column that another cell makes necessary, and the cells that make it unnecessary.
NEEDED_BY = {
    ("vat_codes", "rate"): {"treatment": "exempt"},  # a rated code needs its rate
    ("bill_lines", "quantity"): {"unit_price": ""},  # quantity and unit price go together
    ("bill_lines", "unit_price"): {"quantity": ""},
    ("credit_note_lines", "quantity"): {"unit_price": ""},
    ("credit_note_lines", "unit_price"): {"quantity": ""},
    ("write_offs", "vat_code"): {"net": "12.00", "vat": "0.00"},  # VAT relief needs the VAT code
}
# Optional columns whose empty cell has a value other than None.
DEFAULTS = {("vat_codes", "bad_debt_relief"): "no"}


@pytest.mark.parametrize(("dataset", "column"), OPTIONAL)
def test_an_optional_column_left_empty_or_blank_is_no_value(dataset: str, column: str) -> None:
    for cell in ("", "  "):
        parsed = parse_rows(dataset, good(dataset, **{column: cell, **NEEDED_BY.get((dataset, column), {})}))
        assert parsed.rejected == [], (column, cell)
        assert getattr(parsed.accepted[0][1], column) == DEFAULTS.get((dataset, column))


@pytest.mark.parametrize(("dataset", "column"), list(NEEDED_BY))
def test_an_optional_column_another_cell_needs_is_required_by_it(dataset: str, column: str) -> None:
    rejection = only_rejection(parse_rows(dataset, good(dataset, **{column: ""})))
    assert (rejection.row, rejection.column) == (2, column)
    assert rejection.rule != "a value is required"  # the rule says which other cell needs it


def test_every_optional_column_with_a_default_is_known() -> None:
    for name, dataset in DATASETS.items():
        for column in dataset.columns:
            field = dataset.model.model_fields[column]
            if not field.is_required():
                assert field.default == DEFAULTS.get((name, column)), (name, column)


# (dataset, column, bad cell, column reported, part of the rule)
BAD_CELLS = [
    # text where an amount, rate or number belongs
    ("bills", "total", "abc", "total", "valid decimal"),
    ("bills", "total", "1,000.00", "total", "valid decimal"),
    ("bills", "total", "£120.00", "total", "valid decimal"),
    ("bills", "total", "NaN", "total", "valid decimal"),
    ("bills", "total", "1E+3", "total", "valid decimal"),
    ("bills", "exchange_rate", "one", "exchange_rate", "valid decimal"),
    ("bill_lines", "net", "100.00 GBP", "net", "valid decimal"),
    ("bill_lines", "vat", "twenty", "vat", "valid decimal"),
    ("bill_lines", "line_no", "1.5", "line_no", "valid integer"),
    ("bill_lines", "line_no", "first", "line_no", "valid integer"),
    ("receipts", "amount", "12O.00", "amount", "valid decimal"),
    ("receipt_allocations", "amount", "all", "amount", "valid decimal"),
    ("debtors", "balance", "n/a", "balance", "valid decimal"),
    ("vat_codes", "rate", "20%", "rate", "valid decimal"),
    ("bill_lines", "quantity", "two", "quantity", "valid decimal"),
    ("bill_lines", "unit_price", "£50", "unit_price", "valid decimal"),
    ("credit_note_lines", "net", "ten", "net", "valid decimal"),
    ("credit_note_lines", "quantity", "1/2", "quantity", "valid decimal"),
    ("credit_note_lines", "line_no", "1.5", "line_no", "valid integer"),
    ("write_offs", "net", "ten", "net", "valid decimal"),
    ("returned_receipts", "amount", "some", "amount", "valid decimal"),
    ("returned_allocations", "amount", "all", "amount", "valid decimal"),
    # dates: ISO 8601 YYYY-MM-DD only, and a real day
    ("bills", "date", "25/11/2026", "date", "YYYY-MM-DD"),
    ("bills", "due_date", "11/25/2026", "due_date", "YYYY-MM-DD"),
    ("bills", "date", "2026-11-25T09:00:00", "date", "YYYY-MM-DD"),
    ("bills", "date", "20261125", "date", "YYYY-MM-DD"),
    ("bills", "date", "25 Nov 2026", "date", "YYYY-MM-DD"),
    ("bills", "date", "2026-2-3", "date", "YYYY-MM-DD"),
    ("bills", "date", "2026-02-30", "date", "day is out of range"),
    ("bills", "date", "2026-13-01", "date", "month must be in 1..12"),
    ("credit_notes", "date", "10.11.2026", "date", "YYYY-MM-DD"),
    ("write_offs", "date", "yesterday", "date", "YYYY-MM-DD"),
    ("receipts", "date", "2026/11/20", "date", "YYYY-MM-DD"),
    ("returned_receipts", "date", "22-11-2026", "date", "YYYY-MM-DD"),
    ("unallocated_receipts", "date", "21/11/26", "date", "YYYY-MM-DD"),
    ("allocations", "date", "Nov 23 2026", "date", "YYYY-MM-DD"),
    ("debtors", "as_at", "25/11/2026", "as_at", "YYYY-MM-DD"),
    ("cancellations", "date", "24/11/2026", "date", "YYYY-MM-DD"),
    ("clients", "archived_on", "31/10/2026", "archived_on", "YYYY-MM-DD"),
    # currencies: ISO 4217 codes, upper case
    ("clients", "default_currency", "XXX", "default_currency", "not a known ISO 4217 currency code"),
    ("clients", "default_currency", "gbp", "default_currency", "not a known ISO 4217 currency code"),
    ("bills", "currency", "£", "currency", "at least 3 characters"),
    ("bills", "currency", "POUND", "currency", "at most 3 characters"),
    ("credit_notes", "currency", "EUX", "currency", "ISO 4217"),
    ("write_offs", "currency", "ABC", "currency", "ISO 4217"),
    ("receipts", "currency", "STG", "currency", "ISO 4217"),
    ("unallocated_receipts", "currency", "DMK", "currency", "ISO 4217"),
    ("allocations", "currency", "FRF", "currency", "ISO 4217"),
    ("debtors", "currency", "ITL", "currency", "ISO 4217"),
    ("returned_receipts", "currency", "USN", "currency", "ISO 4217"),
    ("organisation", "base_currency", "EURO", "base_currency", "at most 3 characters"),
    # more decimal places than the currency has
    ("bills", "total", "120.005", "total", "more decimal places than GBP allows"),
    ("credit_notes", "total", "12.001", "total", "more decimal places than GBP allows"),
    ("write_offs", "amount", "12.001", "amount", "more decimal places than GBP allows"),
    ("write_offs", "net", "10.001", "net", "more decimal places than GBP allows"),
    ("write_offs", "vat", "1.999", "vat", "more decimal places than GBP allows"),
    ("returned_receipts", "amount", "120.001", "amount", "more decimal places than GBP allows"),
    ("receipts", "amount", "120.001", "amount", "more decimal places than GBP allows"),
    ("unallocated_receipts", "amount", "50.005", "amount", "more decimal places than GBP allows"),
    ("allocations", "amount", "49.999", "amount", "more decimal places than GBP allows"),
    ("debtors", "balance", "-0.001", "balance", "more decimal places than GBP allows"),
    # negative or zero where the amount must be positive
    ("bills", "total", "-120.00", "total", "greater than or equal to 0"),
    ("write_offs", "net", "-10.00", "net", "greater than or equal to 0"),
    ("write_offs", "vat", "-2.00", "vat", "greater than or equal to 0"),
    ("credit_notes", "total", "0", "total", "greater than 0"),
    ("credit_notes", "total", "-12.00", "total", "greater than 0"),
    ("write_offs", "amount", "0.00", "amount", "greater than 0"),
    ("write_offs", "amount", "-12.00", "amount", "greater than 0"),
    ("receipts", "amount", "-120.00", "amount", "greater than 0"),
    ("receipts", "amount", "0", "amount", "greater than 0"),
    ("receipt_allocations", "amount", "0.00", "amount", "greater than 0"),
    ("unallocated_receipts", "amount", "-50.00", "amount", "greater than 0"),
    ("allocations", "amount", "0", "amount", "greater than 0"),
    ("bill_lines", "line_no", "0", "line_no", "greater than or equal to 1"),
    ("bill_lines", "line_no", "10000", "line_no", "less than or equal to 9999"),
    ("credit_note_lines", "line_no", "0", "line_no", "greater than or equal to 1"),
    ("returned_receipts", "amount", "0", "amount", "greater than 0"),
    ("returned_receipts", "amount", "-120.00", "amount", "greater than 0"),
    ("returned_allocations", "amount", "0.00", "amount", "greater than 0"),
    # quantities: greater than 0, at most 4 decimal places; unit prices: at most 4 decimal places
    ("bill_lines", "quantity", "0", "quantity", "greater than 0"),
    ("bill_lines", "quantity", "-2", "quantity", "greater than 0"),
    ("bill_lines", "quantity", "2.00001", "quantity", "no more than 4 decimal places"),
    ("bill_lines", "unit_price", "50.00001", "unit_price", "no more than 4 decimal places"),
    ("credit_note_lines", "quantity", "0", "quantity", "greater than 0"),
    ("credit_note_lines", "unit_price", "10.00001", "unit_price", "no more than 4 decimal places"),
    # exchange rates: positive, at most 10 decimal places
    ("bills", "exchange_rate", "0", "exchange_rate", "greater than 0"),
    ("bills", "exchange_rate", "-1.1", "exchange_rate", "greater than 0"),
    ("credit_notes", "exchange_rate", "0", "exchange_rate", "greater than 0"),
    ("receipts", "exchange_rate", "1.23456789012", "exchange_rate", "no more than 10 decimal places"),
    ("unallocated_receipts", "exchange_rate", "-0.5", "exchange_rate", "greater than 0"),
    ("write_offs", "exchange_rate", "0", "exchange_rate", "greater than 0"),
    ("write_offs", "exchange_rate", "1.23456789012", "exchange_rate", "no more than 10 decimal places"),
    # VAT rates are percentages
    ("vat_codes", "rate", "-5", "rate", "greater than or equal to 0"),
    ("vat_codes", "rate", "120", "rate", "less than or equal to 100"),
    ("vat_codes", "rate", "17.50001", "rate", "no more than 4 decimal places"),
    # enumerations
    ("clients", "status", "Active", "status", "'active' or 'archived'"),
    ("clients", "status", "closed", "status", "'active' or 'archived'"),
    ("allocations", "source_type", "receipt", "source_type", "'unallocated_receipt' or 'credit_note'"),
    ("map_tracking", "dimension", "region", "dimension", "'office', 'department' or 'fee_earner'"),
    ("map_tracking", "dimension", "Office", "dimension", "'office', 'department' or 'fee_earner'"),
    ("identity_links", "kind", "debtor", "kind", "'client', 'bill', 'credit_note'"),
    ("vat_codes", "treatment", "zero", "treatment", "'rated', 'exempt', 'outside_scope' or 'reverse_charge'"),
    ("vat_codes", "treatment", "Exempt", "treatment", "'rated', 'exempt', 'outside_scope' or 'reverse_charge'"),
    ("vat_codes", "bad_debt_relief", "true", "bad_debt_relief", "'yes' or 'no'"),
    ("vat_codes", "bad_debt_relief", "Y", "bad_debt_relief", "'yes' or 'no'"),
    ("cancellations", "kind", "client", "kind", "'bill', 'credit_note', 'write_off'"),
    ("cancellations", "kind", "void", "kind", "'bill', 'credit_note', 'write_off'"),
    # e-mail addresses
    ("clients", "email", "accounts", "email", "is not an email address"),
    ("clients", "email", "accounts@smith", "email", "is not an email address"),
    ("clients", "email", "accounts @smith.example", "email", "is not an email address"),
    ("clients", "email", "a@b@smith.example", "email", "is not an email address"),
    # identifiers: no | ~ # / \ ?, no control characters, at most 50 characters
    ("clients", "client_id", "C/001", "client_id", "an id may not contain"),
    ("clients", "client_id", "C|001", "client_id", "an id may not contain"),
    ("clients", "client_id", "C#001", "client_id", "an id may not contain"),
    ("clients", "client_id", "C?001", "client_id", "an id may not contain"),
    ("clients", "client_id", "C\\001", "client_id", "an id may not contain"),
    ("clients", "client_id", "C~001", "client_id", "an id may not contain"),
    ("clients", "client_id", "C\t001", "client_id", "an id may not contain"),
    ("clients", "client_id", "C\n001", "client_id", "an id may not contain"),
    ("clients", "client_id", "C\x7f", "client_id", "an id may not contain"),
    ("clients", "client_id", "C" * 51, "client_id", "at most 50 characters"),
    ("bills", "bill_id", "2026/0001", "bill_id", "an id may not contain"),
    ("bills", "client_id", "C001#2", "client_id", "an id may not contain"),
    ("bill_lines", "nominal_code", "4000/01", "nominal_code", "an id may not contain"),
    ("bill_lines", "office", "LON|WEST", "office", "an id may not contain"),
    ("receipts", "bank_account", "20-00-00/1234", "bank_account", "an id may not contain"),
    ("organisation", "entity", "UK?", "entity", "an id may not contain"),
    ("credit_notes", "related_bill_id", "B/001", "related_bill_id", "an id may not contain"),
    ("credit_note_lines", "credit_note_id", "CN#1", "credit_note_id", "an id may not contain"),
    ("write_offs", "nominal_code", "8100|1", "nominal_code", "an id may not contain"),
    ("write_offs", "vat_code", "S?", "vat_code", "an id may not contain"),
    ("returned_allocations", "bill_id", "B\\1", "bill_id", "an id may not contain"),
    ("cancellations", "document_id", "B~1", "document_id", "an id may not contain"),
    ("map_nominal", "xero_account_code", "200/1", "xero_account_code", "an id may not contain"),
    ("identity_links", "previous_id", "a\\b", "previous_id", "an id may not contain"),
    # text length
    ("clients", "name", "x" * 501, "name", "at most 500 characters"),
    ("clients", "city", "x" * 501, "city", "at most 500 characters"),
]


@pytest.mark.parametrize(
    ("dataset", "column", "cell", "reported", "rule"),
    BAD_CELLS,
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None,
)
def test_a_bad_cell_is_rejected_naming_file_row_column_and_rule(
    dataset: str, column: str, cell: str, reported: str, rule: str
) -> None:
    parsed = parse_rows(dataset, good(dataset), good(dataset, **{column: cell}), good(dataset))
    rejection = only_rejection(parsed)
    assert (rejection.file, rejection.row, rejection.column) == (f"{dataset}.csv", 3, reported)
    assert rule in rejection.rule
    assert str(rejection).startswith(f"{dataset}.csv row 3, column {reported}: ")
    assert [line for line, _ in parsed.accepted] == [2, 4]  # good rows go on around the bad one
    assert_conserved(parsed)


def test_a_rejected_cell_quotes_what_was_given() -> None:
    rejection = only_rejection(parse_rows("bills", good("bills", total="12,50")))
    assert "'12,50'" in rejection.rule


def test_a_vat_rate_is_a_percentage_not_a_fraction() -> None:
    parsed = parse_rows("vat_codes", good("vat_codes", rate="0.2"), good("vat_codes", vat_code="R", rate="17.5"))
    assert parsed.rejected == []
    assert [row.rate for _, row in parsed.accepted] == [Decimal("0.2"), Decimal("17.5")]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("dataset", "column", "cell", "currency"),
    [
        ("bills", "total", "1000.5", "JPY"),
        ("bills", "total", "120.123", "GBP"),
        ("bills", "total", "10.1234", "KWD"),
        ("bills", "total", "10.1234", "BHD"),
        ("bills", "total", "10.1234", "OMR"),
        ("bills", "total", "10.1234", "JOD"),
        ("bills", "total", "10.1234", "TND"),
        ("receipts", "amount", "5000.01", "JPY"),
        ("write_offs", "amount", "1.5", "KRW"),
        ("write_offs", "net", "10.5", "JPY"),
        ("returned_receipts", "amount", "120.5", "JPY"),
        ("credit_notes", "total", "12.5", "JPY"),
        ("unallocated_receipts", "amount", "100.10", "JPY"),
        ("allocations", "amount", "3.0001", "KWD"),
        ("debtors", "balance", "-0.5", "JPY"),
    ],
)
def test_amounts_have_at_most_the_currencys_minor_units(dataset: str, column: str, cell: str, currency: str) -> None:
    rejection = only_rejection(parse_rows(dataset, good(dataset, **{column: cell, "currency": currency})))
    assert rejection.column == column
    assert rejection.rule == f"{cell} has more decimal places than {currency} allows"


@pytest.mark.parametrize(
    ("cell", "currency"),
    [("1000", "JPY"), ("1000.00", "JPY"), ("10.123", "KWD"), ("10.5", "GBP"), ("10.5000", "GBP"), ("7", "GBP")],
)
def test_amounts_within_the_currencys_minor_units_are_accepted(cell: str, currency: str) -> None:
    parsed = parse_rows("bills", good("bills", total=cell, currency=currency))
    assert parsed.rejected == []
    assert parsed.accepted[0][1].total == Decimal(cell)  # type: ignore[attr-defined]


def test_a_bill_due_before_its_date_is_rejected_on_due_date() -> None:
    rejection = only_rejection(parse_rows("bills", good("bills", date="2026-11-02", due_date="2026-11-01")))
    assert (rejection.row, rejection.column) == (2, "due_date")
    assert rejection.rule == "2026-11-01 is before the bill date 2026-11-02"


def test_a_bill_due_on_its_date_is_accepted() -> None:
    parsed = parse_rows("bills", good("bills", date="2026-11-02", due_date="2026-11-02"))
    assert parsed.rejected == []


def test_a_credit_note_need_not_relate_to_a_bill() -> None:
    parsed = parse_rows("credit_notes", good("credit_notes", related_bill_id=""))
    assert parsed.rejected == []
    assert parsed.accepted[0][1].related_bill_id is None  # type: ignore[attr-defined]


def test_a_credit_note_has_no_amounts_but_its_total_its_lines_have_them() -> None:
    assert "total" in DATASETS["credit_notes"].columns
    for column in ("bill_id", "nominal_code", "vat_code", "net", "vat"):
        assert column not in DATASETS["credit_notes"].columns
    assert {"nominal_code", "vat_code", "net", "vat"} <= set(DATASETS["credit_note_lines"].columns)
    assert DATASETS["credit_note_lines"].columns == tuple(
        "credit_note_id" if column == "bill_id" else column for column in DATASETS["bill_lines"].columns
    )


# --- VAT codes: a treatment, and a rate only where the code is rated


@pytest.mark.parametrize("rate", ["20", "5", "0", "17.5"])
def test_a_rated_vat_code_has_its_rate_zero_included(rate: str) -> None:
    parsed = parse_rows("vat_codes", good("vat_codes", treatment="rated", rate=rate))
    assert parsed.rejected == []
    assert parsed.accepted[0][1].rate == Decimal(rate)  # type: ignore[attr-defined]


def test_a_rated_vat_code_without_a_rate_is_rejected_on_rate() -> None:
    rejection = only_rejection(parse_rows("vat_codes", good("vat_codes", treatment="rated", rate="")))
    assert (rejection.file, rejection.row, rejection.column) == ("vat_codes.csv", 2, "rate")
    assert rejection.rule == "a rated VAT code needs its rate (0 for a zero-rated code)"


@pytest.mark.parametrize("treatment", ["exempt", "outside_scope", "reverse_charge"])
def test_a_vat_code_that_is_not_rated_has_no_rate(treatment: str) -> None:
    parsed = parse_rows("vat_codes", good("vat_codes", treatment=treatment, rate="", bad_debt_relief="no"))
    assert parsed.rejected == []
    code = parsed.accepted[0][1]
    assert isinstance(code, VatCode)
    assert (code.treatment, code.rate) == (treatment, None)
    for rate in ("0", "20"):  # not even a 0 % rate: exempt is not zero-rated
        rejection = only_rejection(parse_rows("vat_codes", good("vat_codes", treatment=treatment, rate=rate)))
        assert (rejection.row, rejection.column) == (2, "rate")
        assert rejection.rule == f"a VAT code treated as {treatment} has no rate: leave rate empty"


def test_bad_debt_relief_is_yes_or_no_and_no_when_left_out() -> None:
    parsed = parse("vat_codes", "vat_code,description,treatment,rate\r\nS,Standard,rated,20\r\n")
    assert parsed.rejected == []
    assert parsed.accepted[0][1].bad_debt_relief == "no"  # type: ignore[attr-defined]
    parsed = parse_rows(
        "vat_codes", good("vat_codes", bad_debt_relief="yes"), good("vat_codes", vat_code="Z", rate="0")
    )
    assert [row.bad_debt_relief for _, row in parsed.accepted] == ["yes", "yes"]  # type: ignore[attr-defined]


# --- clients: an archive date only when archived


def test_an_archived_client_may_give_its_archive_date() -> None:
    parsed = parse_rows(
        "clients",
        good("clients", status="archived", archived_on="2026-10-31"),
        good("clients", client_id="C002", status="archived", archived_on=""),
    )
    assert parsed.rejected == []
    dated, undated = (row for _, row in parsed.accepted)
    assert isinstance(dated, Client) and isinstance(undated, Client)
    assert (dated.archived_on, undated.archived_on) == (date(2026, 10, 31), None)


def test_an_active_client_with_an_archive_date_is_rejected_on_archived_on() -> None:
    rejection = only_rejection(parse_rows("clients", good("clients", status="active", archived_on="2026-10-31")))
    assert (rejection.file, rejection.row, rejection.column) == ("clients.csv", 2, "archived_on")
    assert rejection.rule == "an active client has no archive date: leave it empty or set status archived"


# --- lines: quantity and unit price together


@pytest.mark.parametrize("dataset", ["bill_lines", "credit_note_lines"])
def test_a_line_gives_quantity_and_unit_price_both_or_neither(dataset: str) -> None:
    both = good(dataset, quantity="2.5", unit_price="40.1234")
    neither = good(dataset, line_no="2", quantity="", unit_price="")
    parsed = parse_rows(dataset, both, neither)
    assert parsed.rejected == []
    rows = [row for _, row in parsed.accepted]
    assert [(row.quantity, row.unit_price) for row in rows] == [  # type: ignore[attr-defined]
        (Decimal("2.5"), Decimal("40.1234")),
        (None, None),
    ]
    for missing in ("quantity", "unit_price"):
        rejection = only_rejection(parse_rows(dataset, good(dataset, **{missing: ""})))
        assert (rejection.file, rejection.row, rejection.column) == (f"{dataset}.csv", 2, missing)
        assert rejection.rule == "quantity and unit_price go together: give both or neither"


def test_a_unit_price_may_be_negative_for_a_discount_line() -> None:
    parsed = parse_rows("bill_lines", good("bill_lines", quantity="1", unit_price="-25.00", net="-25.00", vat="-5.00"))
    assert parsed.rejected == []


# --- write-offs: net and VAT, with the VAT code that allows the relief


def test_a_write_off_amount_must_be_net_plus_vat() -> None:
    rejection = only_rejection(parse_rows("write_offs", good("write_offs", net="10.00", vat="2.00", amount="12.01")))
    assert (rejection.file, rejection.row, rejection.column) == ("write_offs.csv", 2, "amount")
    assert rejection.rule == "12.01 is not net 10.00 + vat 2.00"


def test_a_write_off_reclaiming_vat_needs_its_vat_code() -> None:
    rejection = only_rejection(parse_rows("write_offs", good("write_offs", vat_code="")))
    assert (rejection.file, rejection.row, rejection.column) == ("write_offs.csv", 2, "vat_code")
    assert rejection.rule == "VAT reclaimed on a write-off needs the VAT code that allows the relief"


@pytest.mark.parametrize("vat_code", ["", "E"])
def test_a_write_off_with_no_vat_needs_no_vat_code(vat_code: str) -> None:
    parsed = parse_rows("write_offs", good("write_offs", vat_code=vat_code, net="12.00", vat="0.00", amount="12.00"))
    assert parsed.rejected == []
    write_off = parsed.accepted[0][1]
    assert isinstance(write_off, WriteOff)
    assert (write_off.net, write_off.vat, write_off.amount) == (Decimal(12), Decimal(0), Decimal(12))


# --- returns, cancellations, mappings


def test_a_returned_receipt_amount_is_optional_a_whole_return_leaves_it_empty() -> None:
    parsed = parse_rows(
        "returned_receipts", good("returned_receipts", amount=""), good("returned_receipts", return_id="RR2")
    )
    assert parsed.rejected == []
    assert [row.amount for _, row in parsed.accepted] == [None, Decimal("120.00")]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["bill", "credit_note", "write_off", "receipt", "unallocated_receipt", "allocation"])
def test_every_kind_of_document_may_be_cancelled(kind: str) -> None:
    parsed = parse_rows("cancellations", good("cancellations", kind=kind))
    assert parsed.rejected == []
    assert DATASETS[KIND_DATASETS[kind]].role is Role.DOCUMENT


@pytest.mark.parametrize(
    ("dataset", "columns"),
    [
        ("map_nominal", ["xero_account_code"]),
        ("map_vat", ["xero_tax_type"]),
        ("map_bank", ["xero_account_code"]),
        ("map_tracking", ["xero_category", "xero_option"]),
    ],
)
def test_a_mapping_row_with_an_empty_xero_code_is_accepted(dataset: str, columns: list[str]) -> None:
    """Not mapped yet: the row is kept, and what uses the PMS code is held at import until it is mapped."""
    parsed = parse_rows(dataset, good(dataset, **dict.fromkeys(columns, "")))
    assert parsed.rejected == []
    assert all(getattr(parsed.accepted[0][1], column) is None for column in columns)


def test_the_organisation_row_names_no_xero_tenant() -> None:
    """The entity's Xero organisation is bound in the cloud: the PMS only says what it expects, as a check."""
    assert DATASETS["organisation"].columns == ("entity", "organisation_name", "base_currency")
    assert "map_entity" not in DATASETS
    parsed = parse_rows("organisation", good("organisation", organisation_name=""))
    assert parsed.rejected == []


def test_a_bill_line_may_be_negative_as_a_discount() -> None:
    parsed = parse_rows("bill_lines", good("bill_lines", net="-25.00", vat="-5.00"))
    assert parsed.rejected == []


def test_a_debtor_balance_may_be_negative_as_money_owed_to_the_client() -> None:
    parsed = parse_rows("debtors", good("debtors", balance="-150.00"))
    assert parsed.rejected == []


@pytest.mark.parametrize(
    ("dataset", "column", "word"),
    [
        ("vat_codes", "treatment", "exempt"),
        ("vat_codes", "bad_debt_relief", "no"),
        ("clients", "status", "active"),
        ("allocations", "source_type", "credit_note"),
        ("cancellations", "kind", "receipt"),
        ("map_tracking", "dimension", "fee_earner"),
        ("identity_links", "kind", "bill"),
    ],
)
def test_a_word_of_a_one_of_column_loses_outer_spaces_like_any_cell(dataset: str, column: str, word: str) -> None:
    """A PMS CHAR column pads its values: `active    ` is `active`."""
    changes = {"rate": ""} if column == "treatment" else {}
    parsed = parse_rows(dataset, good(dataset, **{column: f"  {word}    ", **changes}))
    assert parsed.rejected == []
    assert getattr(parsed.accepted[0][1], column) == word
    assert only_rejection(parse_rows(dataset, good(dataset, **{column: f"{word[:-1]} {word[-1]}"}))).column == column


def test_identifiers_keep_inner_spaces_and_lose_outer_ones() -> None:
    parsed = parse_rows(
        "clients", good("clients", client_id="  SMITH J  "), good("clients", client_id="Etude-Muller_01 (Paris)")
    )
    assert parsed.rejected == []
    assert [row.client_id for _, row in parsed.accepted] == ["SMITH J", "Etude-Muller_01 (Paris)"]  # type: ignore[attr-defined]


def test_cells_are_parsed_into_their_types() -> None:
    parsed = parse_rows("bills", good("bills", exchange_rate="1.1734500000", total=" 120.00 "))
    bill = parsed.accepted[0][1]
    assert isinstance(bill, Bill)
    assert bill.date == date(2026, 11, 2)
    assert bill.exchange_rate == Decimal("1.17345")
    assert bill.total == Decimal("120.00")
    assert isinstance(bill.total, Decimal)


def test_models_are_frozen_and_refuse_unknown_fields() -> None:
    cells = {column: cell for column, cell in GOOD["clients"].items() if cell}  # as the reader passes them
    client = Client.model_validate(cells | {"email": "a@b.example"})
    with pytest.raises(ValueError, match="frozen"):
        client.name = "Other"
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        Client.model_validate(cells | {"nickname": "Smithy"})


def test_a_whole_row_rule_names_its_column() -> None:
    with pytest.raises(ValueError) as raised:
        WriteOff.model_validate(good("write_offs", amount="13.00"))
    cause = raised.value.errors()[0]["ctx"]["error"]  # type: ignore[attr-defined]
    assert isinstance(cause, RuleBroken)
    assert cause.column == "amount"


def test_many_bad_rows_of_different_kinds_leave_the_good_ones() -> None:
    parsed = parse_rows(
        "receipts",
        good("receipts", receipt_id="R1"),
        good("receipts", receipt_id="R2", amount="-1"),
        good("receipts", receipt_id="R3", date="20/11/2026"),
        good("receipts", receipt_id="R4"),
        good("receipts", receipt_id="R5", currency="JPY", amount="10.5"),
        good("receipts", receipt_id="", bank_account=""),
        good("receipts", receipt_id="R7"),
    )
    assert [row.receipt_id for _, row in parsed.accepted] == ["R1", "R4", "R7"]  # type: ignore[attr-defined]
    assert [(r.row, r.column) for r in parsed.rejected] == [
        (3, "amount"),
        (4, "date"),
        (6, "amount"),
        (7, "receipt_id"),  # the first broken column is reported
    ]
    assert_conserved(parsed)
