"""Row rules of every dataset: each bad cell is rejected with its file, row, column and rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cynare.extract.datasets import DATASETS
from cynare.extract.rows import Bill, Client, CreditNote, RuleBroken
from tests.unit.extract.csvbatch import GOOD, assert_conserved, good, only_rejection, parse_rows

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


@pytest.mark.parametrize(("dataset", "column"), OPTIONAL)
def test_an_optional_column_left_empty_or_blank_is_no_value(dataset: str, column: str) -> None:
    for cell in ("", "  "):
        parsed = parse_rows(dataset, good(dataset, **{column: cell}))
        assert parsed.rejected == [], (column, cell)
        assert getattr(parsed.accepted[0][1], column) is None


# (dataset, column, bad cell, column reported, part of the rule)
BAD_CELLS = [
    # text where an amount, rate or number belongs
    ("bills", "total", "abc", "total", "valid decimal"),
    ("bills", "total", "1,000.00", "total", "valid decimal"),
    ("bills", "total", "£120.00", "total", "valid decimal"),
    ("bills", "total", "NaN", "total", "finite number"),
    ("bills", "exchange_rate", "one", "exchange_rate", "valid decimal"),
    ("bill_lines", "net", "100.00 GBP", "net", "valid decimal"),
    ("bill_lines", "vat", "twenty", "vat", "valid decimal"),
    ("bill_lines", "line_no", "1.5", "line_no", "valid integer"),
    ("bill_lines", "line_no", "first", "line_no", "valid integer"),
    ("receipts", "amount", "12O.00", "amount", "valid decimal"),
    ("receipt_allocations", "amount", "all", "amount", "valid decimal"),
    ("debtors", "balance", "n/a", "balance", "valid decimal"),
    ("vat_codes", "rate", "20%", "rate", "valid decimal"),
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
    ("map_entity", "base_currency", "EURO", "base_currency", "at most 3 characters"),
    # more decimal places than the currency has
    ("bills", "total", "120.005", "total", "more decimal places than GBP allows"),
    ("credit_notes", "vat", "2.001", "vat", "more decimal places than GBP allows"),
    ("write_offs", "amount", "12.001", "amount", "more decimal places than GBP allows"),
    ("receipts", "amount", "120.001", "amount", "more decimal places than GBP allows"),
    ("unallocated_receipts", "amount", "50.005", "amount", "more decimal places than GBP allows"),
    ("allocations", "amount", "49.999", "amount", "more decimal places than GBP allows"),
    ("debtors", "balance", "-0.001", "balance", "more decimal places than GBP allows"),
    # negative or zero where the amount must be positive
    ("bills", "total", "-120.00", "total", "greater than or equal to 0"),
    ("credit_notes", "net", "-10.00", "net", "greater than or equal to 0"),
    ("credit_notes", "vat", "-2.00", "vat", "greater than or equal to 0"),
    ("credit_notes", "total", "0", "total", "greater than 0"),
    ("write_offs", "amount", "0.00", "amount", "greater than 0"),
    ("write_offs", "amount", "-12.00", "amount", "greater than 0"),
    ("receipts", "amount", "-120.00", "amount", "greater than 0"),
    ("receipts", "amount", "0", "amount", "greater than 0"),
    ("receipt_allocations", "amount", "0.00", "amount", "greater than 0"),
    ("unallocated_receipts", "amount", "-50.00", "amount", "greater than 0"),
    ("allocations", "amount", "0", "amount", "greater than 0"),
    ("bill_lines", "line_no", "0", "line_no", "greater than or equal to 1"),
    ("bill_lines", "line_no", "10000", "line_no", "less than or equal to 9999"),
    # exchange rates: positive, at most 10 decimal places
    ("bills", "exchange_rate", "0", "exchange_rate", "greater than 0"),
    ("bills", "exchange_rate", "-1.1", "exchange_rate", "greater than 0"),
    ("credit_notes", "exchange_rate", "0", "exchange_rate", "greater than 0"),
    ("receipts", "exchange_rate", "1.23456789012", "exchange_rate", "no more than 10 decimal places"),
    ("unallocated_receipts", "exchange_rate", "-0.5", "exchange_rate", "greater than 0"),
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
    ("map_entity", "entity", "UK?", "entity", "an id may not contain"),
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


def test_a_credit_note_total_must_be_net_plus_vat() -> None:
    rejection = only_rejection(parse_rows("credit_notes", good("credit_notes", net="10.00", vat="2.00", total="12.01")))
    assert (rejection.file, rejection.row, rejection.column) == ("credit_notes.csv", 2, "total")
    assert rejection.rule == "12.01 is not net 10.00 + vat 2.00"


def test_a_credit_note_need_not_name_a_bill() -> None:
    parsed = parse_rows("credit_notes", good("credit_notes", bill_id=""))
    assert parsed.rejected == []
    assert parsed.accepted[0][1].bill_id is None  # type: ignore[attr-defined]


def test_a_bill_line_may_be_negative_as_a_discount() -> None:
    parsed = parse_rows("bill_lines", good("bill_lines", net="-25.00", vat="-5.00"))
    assert parsed.rejected == []


def test_a_debtor_balance_may_be_negative_as_money_owed_to_the_client() -> None:
    parsed = parse_rows("debtors", good("debtors", balance="-150.00"))
    assert parsed.rejected == []


def test_identifiers_keep_inner_spaces_and_lose_outer_ones() -> None:
    parsed = parse_rows(
        "clients", good("clients", client_id="  SMITH J  "), good("clients", client_id="Étude-Müller_01")
    )
    assert parsed.rejected == []
    assert [row.client_id for _, row in parsed.accepted] == ["SMITH J", "Étude-Müller_01"]  # type: ignore[attr-defined]


def test_cells_are_parsed_into_their_types() -> None:
    parsed = parse_rows("bills", good("bills", exchange_rate="1.1734500000", total=" 120.00 "))
    bill = parsed.accepted[0][1]
    assert isinstance(bill, Bill)
    assert bill.date == date(2026, 11, 2)
    assert bill.exchange_rate == Decimal("1.17345")
    assert bill.total == Decimal("120.00")
    assert isinstance(bill.total, Decimal)


def test_models_are_frozen_and_refuse_unknown_fields() -> None:
    client = Client.model_validate(GOOD["clients"] | {"email": "a@b.example"})
    with pytest.raises(ValueError, match="frozen"):
        client.name = "Other"
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        Client.model_validate(GOOD["clients"] | {"nickname": "Smithy"})


def test_a_whole_row_rule_names_its_column() -> None:
    with pytest.raises(ValueError) as raised:
        CreditNote.model_validate(good("credit_notes", total="13.00"))
    cause = raised.value.errors()[0]["ctx"]["error"]  # type: ignore[attr-defined]
    assert isinstance(cause, RuleBroken)
    assert cause.column == "total"


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
