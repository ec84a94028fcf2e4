"""Rules across rows and files of one batch: duplicate keys, documents and their parts, the debtors snapshot."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cynare.extract.batch import ValidatedBatch
from cynare.extract.datasets import DATASETS, parts_of
from tests.unit.extract.csvbatch import (
    GOOD,
    assert_conserved,
    dataset_csv,
    good,
    only_rejection,
    rejections_of,
    rows_of,
    validate,
)


def lines(bill_id: str, *amounts: tuple[str, str], dataset: str = "bill_lines") -> list[dict[str, str]]:
    """Lines of bill (or credit note) `bill_id` with the given (net, vat) amounts, numbered from 1, no quantity."""
    link = DATASETS[dataset].key[0]
    return [
        good(dataset, **{link: bill_id}, line_no=str(n), quantity="", unit_price="", net=net, vat=vat)
        for n, (net, vat) in enumerate(amounts, start=1)
    ]


def bills_batch(bills: list[dict[str, str]], bill_lines: list[dict[str, str]]) -> ValidatedBatch:
    return validate({"bills": dataset_csv("bills", bills), "bill_lines": dataset_csv("bill_lines", bill_lines)})


def receipts_batch(receipts: list[dict[str, str]], allocations: list[dict[str, str]]) -> ValidatedBatch:
    return validate(
        {
            "receipts": dataset_csv("receipts", receipts),
            "receipt_allocations": dataset_csv("receipt_allocations", allocations),
        }
    )


def credit_notes_batch(credit_notes: list[dict[str, str]], credit_note_lines: list[dict[str, str]]) -> ValidatedBatch:
    return validate(
        {
            "credit_notes": dataset_csv("credit_notes", credit_notes),
            "credit_note_lines": dataset_csv("credit_note_lines", credit_note_lines),
        }
    )


def returns_batch(returns: list[dict[str, str]], parts: list[dict[str, str]]) -> ValidatedBatch:
    return validate(
        {
            "returned_receipts": dataset_csv("returned_receipts", returns),
            "returned_allocations": dataset_csv("returned_allocations", parts),
        }
    )


def with_family(dataset: str, rows: list[dict[str, str]]) -> ValidatedBatch:
    """A batch of `rows` of `dataset`, with the good row of its parent and of its parts, so that they are whole."""
    parent = DATASETS[dataset].parent
    family = [part.name for part in parts_of(dataset)] + ([parent] if parent else [])
    return validate({dataset: dataset_csv(dataset, rows)} | {name: dataset_csv(name, [good(name)]) for name in family})


def assert_all_conserved(batch: ValidatedBatch) -> None:
    for parsed in batch.files.values():
        assert_conserved(parsed)
    for name, (read, accepted, rejected) in batch.counts().items():
        assert read == accepted + rejected, name


# --- duplicate keys


# (dataset, changes to the repeated row, key columns, key)
REPEATED = [
    ("clients", {}, "client_id", "'C001'"),
    ("vat_codes", {"description": "Other description"}, "vat_code", "'S'"),
    ("debtors", {"balance": "10.00"}, "client_id,currency", "'C001|GBP'"),
    ("map_tracking", {"xero_option": "Elsewhere"}, "dimension,pms_value", "'office|LON'"),
    ("identity_links", {"previous_id": "00043"}, "kind,source_id", "'client|C001'"),
    ("bills", {"total": "240.00"}, "bill_id", "'B001'"),
    ("bill_lines", {"description": "Again"}, "bill_id,line_no", "'B001|1'"),
    ("credit_notes", {}, "credit_note_id", "'CN001'"),
    ("credit_note_lines", {}, "credit_note_id,line_no", "'CN001|1'"),
    ("write_offs", {}, "write_off_id", "'W001'"),
    ("receipts", {}, "receipt_id", "'R001'"),
    ("receipt_allocations", {}, "receipt_id,bill_id", "'R001|B001'"),
    ("returned_receipts", {}, "return_id", "'RR001'"),
    ("returned_allocations", {}, "return_id,bill_id", "'RR001|B001'"),
    ("unallocated_receipts", {}, "unallocated_id", "'U001'"),
    ("allocations", {}, "allocation_id", "'A001'"),
    ("cancellations", {"reason": "Cancelled twice"}, "kind,document_id", "'bill|B000'"),
    ("map_nominal", {"xero_account_code": "201"}, "nominal_code", "'4000'"),
    ("map_vat", {}, "vat_code", "'S'"),
    ("map_bank", {}, "bank_account", "'BANK1'"),
    ("organisation", {}, "entity", "'UK'"),
]


@pytest.mark.parametrize(("dataset", "row", "key_column", "key"), REPEATED)
def test_a_repeated_key_is_rejected_after_its_first_row(
    dataset: str, row: dict[str, str], key_column: str, key: str
) -> None:
    batch = with_family(dataset, [good(dataset), good(dataset, **row)])
    rejection = rejections_of(batch, dataset)[3]
    assert (rejection.file, rejection.column) == (f"{dataset}.csv", key_column)
    assert rejection.rule == f"duplicate {key_column} {key}: first given at row 2"
    assert rows_of(batch, dataset) == [2]
    assert [str(r) for r in batch.rejections] == [str(rejection)]  # its parent and parts are judged on row 2
    assert_all_conserved(batch)


def test_every_dataset_is_in_the_repeated_key_test() -> None:
    assert sorted(dataset for dataset, *_ in REPEATED) == sorted(DATASETS)


def test_keys_that_differ_in_any_key_column_are_not_duplicates() -> None:
    debtors = [good("debtors"), good("debtors", currency="EUR"), good("debtors", client_id="C002")]
    batch = validate({"debtors": dataset_csv("debtors", debtors)})
    assert batch.rejections == []


def test_a_repeated_bill_line_is_rejected_and_the_bill_is_judged_on_the_lines_kept() -> None:
    bill_lines = [*lines("B001", ("60.00", "12.00"), ("40.00", "8.00")), good("bill_lines", line_no="2")]
    batch = bills_batch([good("bills")], bill_lines)
    rejection = only_rejection(batch.files["bill_lines"])
    assert (rejection.file, rejection.row, rejection.column) == ("bill_lines.csv", 4, "bill_id,line_no")
    assert rejection.rule == "duplicate bill_id,line_no 'B001|2': first given at row 3"
    assert rows_of(batch, "bills") == [2]
    assert rows_of(batch, "bill_lines") == [2, 3]
    assert_all_conserved(batch)


# --- bills and their lines


def test_a_bill_whose_lines_add_up_is_accepted_with_its_lines() -> None:
    batch = bills_batch([good("bills")], lines("B001", ("60.00", "12.00"), ("40.00", "8.00")))
    assert batch.rejections == []
    assert rows_of(batch, "bills") == [2]
    assert rows_of(batch, "bill_lines") == [2, 3]


def test_a_bill_whose_lines_do_not_add_up_is_rejected_with_all_its_lines() -> None:
    bills = [good("bills", bill_id="B001", total="120.00"), good("bills", bill_id="B002", total="60.00")]
    bill_lines = [
        *lines("B001", ("60.00", "12.00"), ("40.00", "7.00")),
        *lines("B002", ("50.00", "10.00")),
    ]
    batch = bills_batch(bills, bill_lines)
    bill = rejections_of(batch, "bills")[2]
    assert (bill.file, bill.row, bill.column) == ("bills.csv", 2, "total")
    assert bill.rule == "120.00 is not the sum of its lines' net and vat (119.00)"
    line_rejections = rejections_of(batch, "bill_lines")
    assert sorted(line_rejections) == [2, 3]
    for rejection in line_rejections.values():
        assert (rejection.file, rejection.column) == ("bill_lines.csv", "bill_id")
        assert rejection.rule == "its bill B001 was rejected"
    # the other bill and its line go on
    assert rows_of(batch, "bills") == [3]
    assert rows_of(batch, "bill_lines") == [4]
    assert_all_conserved(batch)


def test_a_bill_line_rejected_on_its_own_leaves_its_bill_short() -> None:
    bill_lines = [*lines("B001", ("60.00", "12.00")), good("bill_lines", line_no="2", net="forty", vat="8.00")]
    batch = bills_batch([good("bills")], bill_lines)
    assert rejections_of(batch, "bill_lines")[3].column == "net"
    assert rejections_of(batch, "bills")[2].rule == "120.00 is not the sum of its lines' net and vat (72.00)"
    assert rejections_of(batch, "bill_lines")[2].rule == "its bill B001 was rejected"
    assert_all_conserved(batch)


def test_a_discount_line_counts_against_the_total() -> None:
    batch = bills_batch([good("bills", total="96.00")], lines("B001", ("100.00", "20.00"), ("-20.00", "-4.00")))
    assert batch.rejections == []


def test_a_bill_line_with_more_decimals_than_the_bill_currency_rejects_the_bill() -> None:
    bill = good("bills", currency="JPY", total="12000")
    batch = bills_batch([bill], lines("B001", ("10000.5", "1999.5")))
    rejection = rejections_of(batch, "bills")[2]
    assert rejection.column == "net"
    assert rejection.rule == "line 1 net has more decimal places than JPY allows"
    assert rejections_of(batch, "bill_lines")[2].rule == "its bill B001 was rejected"
    assert_all_conserved(batch)


def test_a_bill_with_no_lines_is_rejected() -> None:
    bills = [good("bills"), good("bills", bill_id="B002")]
    batch = bills_batch(bills, lines("B001", ("100.00", "20.00")))
    rejection = rejections_of(batch, "bills")[3]
    assert (rejection.file, rejection.column) == ("bills.csv", "bill_id")
    assert rejection.rule == "B002 has no lines in bill_lines.csv"
    assert rows_of(batch, "bills") == [2]
    assert_all_conserved(batch)


def test_bills_without_a_bill_lines_file_are_all_rejected() -> None:
    batch = validate({"bills": dataset_csv("bills", [good("bills"), good("bills", bill_id="B002")])})
    assert {r.row: r.rule for r in batch.files["bills"].rejected} == {
        2: "B001 has no lines in bill_lines.csv",
        3: "B002 has no lines in bill_lines.csv",
    }
    assert_all_conserved(batch)


def test_lines_whose_bill_is_absent_are_rejected() -> None:
    bill_lines = [*lines("B001", ("100.00", "20.00")), *lines("B404", ("10.00", "2.00"))]
    batch = bills_batch([good("bills")], bill_lines)
    rejection = rejections_of(batch, "bill_lines")[3]
    assert (rejection.file, rejection.column) == ("bill_lines.csv", "bill_id")
    assert rejection.rule.startswith("B404 has no header in bills.csv of this batch")
    assert rows_of(batch, "bill_lines") == [2]
    assert_all_conserved(batch)


def test_lines_without_a_bills_file_are_all_rejected() -> None:
    batch = validate({"bill_lines": dataset_csv("bill_lines", lines("B001", ("100.00", "20.00")))})
    assert batch.files["bill_lines"].rejected[0].rule.startswith("B001 has no header in bills.csv")
    assert_all_conserved(batch)


def test_lines_of_a_bill_rejected_on_its_own_go_with_it() -> None:
    batch = bills_batch([good("bills", date="02/11/2026")], lines("B001", ("100.00", "20.00")))
    assert rejections_of(batch, "bills")[2].column == "date"
    rejection = rejections_of(batch, "bill_lines")[2]
    assert rejection.column == "bill_id"
    assert rejection.rule == "its bill B001 was rejected"
    assert batch.files["bills"].accepted == batch.files["bill_lines"].accepted == []
    assert_all_conserved(batch)


# --- receipts and their allocations


def test_a_receipt_fully_allocated_over_several_bills_is_accepted() -> None:
    allocations = [
        good("receipt_allocations", bill_id="B001", amount="100.00"),
        good("receipt_allocations", bill_id="B002", amount="20.00"),
    ]
    batch = receipts_batch([good("receipts")], allocations)
    assert batch.rejections == []
    assert rows_of(batch, "receipt_allocations") == [2, 3]


@pytest.mark.parametrize(("allocated", "total"), [(("100.00", "19.99"), "119.99"), (("100.00", "20.01"), "120.01")])
def test_a_receipt_whose_allocations_do_not_add_up_is_rejected_with_them(
    allocated: tuple[str, str], total: str
) -> None:
    allocations = [
        good("receipt_allocations", bill_id="B001", amount=allocated[0]),
        good("receipt_allocations", bill_id="B002", amount=allocated[1]),
        good("receipt_allocations", receipt_id="R002", bill_id="B003", amount="50.00"),
    ]
    receipts = [good("receipts"), good("receipts", receipt_id="R002", amount="50.00")]
    batch = receipts_batch(receipts, allocations)
    rejection = rejections_of(batch, "receipts")[2]
    assert (rejection.file, rejection.column) == ("receipts.csv", "amount")
    assert rejection.rule == f"120.00 is not the sum of its allocations ({total})"
    for row in (2, 3):
        assert rejections_of(batch, "receipt_allocations")[row].rule == "its receipt R001 was rejected"
    assert rows_of(batch, "receipts") == [3]
    assert rows_of(batch, "receipt_allocations") == [4]
    assert_all_conserved(batch)


def test_an_allocation_with_more_decimals_than_the_receipt_currency_rejects_the_receipt() -> None:
    receipt = good("receipts", currency="JPY", amount="5000")
    batch = receipts_batch([receipt], [good("receipt_allocations", amount="5000.4")])
    rejection = rejections_of(batch, "receipts")[2]
    assert rejection.column == "amount"
    assert rejection.rule == "allocation to B001 has more decimals than JPY allows"
    assert_all_conserved(batch)


def test_a_receipt_with_no_allocations_is_rejected_as_unallocated_cash() -> None:
    receipts = [good("receipts"), good("receipts", receipt_id="R002")]
    batch = receipts_batch(receipts, [good("receipt_allocations")])
    rejection = rejections_of(batch, "receipts")[3]
    assert (rejection.column, rejection.rule) == (
        "receipt_id",
        "R002 has no allocations in receipt_allocations.csv (cash with no bill is an unallocated receipt)",
    )
    assert rows_of(batch, "receipts") == [2]
    assert_all_conserved(batch)


def test_receipts_without_an_allocations_file_are_rejected() -> None:
    batch = validate({"receipts": dataset_csv("receipts", [good("receipts")])})
    assert batch.files["receipts"].rejected[0].rule.startswith("R001 has no allocations")
    assert_all_conserved(batch)


def test_an_allocation_whose_receipt_is_absent_is_rejected() -> None:
    allocations = [good("receipt_allocations"), good("receipt_allocations", receipt_id="R999", bill_id="B002")]
    batch = receipts_batch([good("receipts")], allocations)
    rejection = rejections_of(batch, "receipt_allocations")[3]
    assert (rejection.file, rejection.column) == ("receipt_allocations.csv", "receipt_id")
    assert rejection.rule == (
        "R999 has no receipt in receipts.csv of this batch (a changed receipt is extracted with all its allocations)"
    )
    assert rows_of(batch, "receipt_allocations") == [2]
    assert_all_conserved(batch)


def test_allocations_without_a_receipts_file_are_all_rejected() -> None:
    batch = validate({"receipt_allocations": dataset_csv("receipt_allocations", [good("receipt_allocations")])})
    assert (
        batch.files["receipt_allocations"]
        .rejected[0]
        .rule.startswith("R001 has no receipt in receipts.csv of this batch")
    )
    assert_all_conserved(batch)


# --- quantity x unit price = net, on bill and credit note lines


@pytest.mark.parametrize(
    ("currency", "quantity", "unit_price", "net"),
    [
        ("GBP", "2", "50.00", "100.00"),
        ("GBP", "3", "33.3333", "100.00"),  # 99.9999 rounded to pence
        ("GBP", "1", "10.005", "10.01"),  # half up, as Xero rounds
        ("GBP", "0.5", "0.01", "0.01"),  # 0.005 half up
        ("GBP", "1.25", "-8.00", "-10.00"),  # a discount line
        ("JPY", "1.5", "333", "500"),  # 499.5 rounded to yen
        ("KWD", "3", "1.0005", "3.002"),  # 3.0015 rounded to fils
    ],
)
def test_a_line_whose_quantity_times_unit_price_rounds_to_its_net_is_accepted(
    currency: str, quantity: str, unit_price: str, net: str
) -> None:
    bill = good("bills", currency=currency, total=str(Decimal(net) + 100))
    line = good("bill_lines", quantity=quantity, unit_price=unit_price, net=net, vat="0")
    fee = good("bill_lines", line_no="2", quantity="", unit_price="", net="100", vat="0")
    batch = bills_batch([bill], [line, fee])
    assert batch.rejections == []


@pytest.mark.parametrize("dataset", ["bill_lines", "credit_note_lines"])
@pytest.mark.parametrize(
    ("quantity", "unit_price", "net", "extended"),
    [
        ("3", "33.3333", "99.99", "100.00"),
        ("1", "10.005", "10.00", "10.01"),  # not rounded half to even
        ("2", "50.00", "50.00", "100.00"),  # the unit price given as the net
    ],
)
def test_a_line_whose_quantity_times_unit_price_is_not_its_net_rejects_its_document(
    dataset: str, quantity: str, unit_price: str, net: str, extended: str
) -> None:
    parent = DATASETS[dataset].parent
    assert parent is not None
    header = good(parent, total=str(Decimal(net) + Decimal("2.00")))
    line = good(dataset, quantity=quantity, unit_price=unit_price, net=net, vat="2.00")
    batch = validate({parent: dataset_csv(parent, [header]), dataset: dataset_csv(dataset, [line])})
    rejection = rejections_of(batch, parent)[2]
    assert (rejection.file, rejection.column) == (f"{parent}.csv", "net")
    assert rejection.rule == f"line 1: quantity {quantity} x unit price {unit_price} is {extended}, not the net {net}"
    assert (
        rejections_of(batch, dataset)[2].rule
        == f"its {parent[:-1].replace('_', ' ')} {header[DATASETS[dataset].key[0]]} was rejected"
    )
    assert batch.files[parent].accepted == batch.files[dataset].accepted == []
    assert_all_conserved(batch)


def test_a_line_without_quantity_is_judged_on_its_amounts_alone() -> None:
    bill_lines = [
        *lines("B001", ("99.99", "20.01")),
        good("bill_lines", line_no="2", net="0.00", vat="0.00", quantity="", unit_price=""),
    ]
    batch = bills_batch([good("bills", total="120.00")], bill_lines)
    assert batch.rejections == []


# --- credit notes and their lines


def credit_lines(credit_note_id: str, *amounts: tuple[str, str]) -> list[dict[str, str]]:
    return lines(credit_note_id, *amounts, dataset="credit_note_lines")


def test_a_credit_note_whose_lines_add_up_is_accepted_with_its_lines() -> None:
    credit_note_lines = credit_lines("CN001", ("6.00", "1.20"), ("4.00", "0.80"))
    batch = credit_notes_batch([good("credit_notes")], credit_note_lines)
    assert batch.rejections == []
    assert rows_of(batch, "credit_notes") == [2]
    assert rows_of(batch, "credit_note_lines") == [2, 3]


def test_a_credit_note_whose_lines_do_not_add_up_is_rejected_with_all_its_lines() -> None:
    credit_notes = [good("credit_notes"), good("credit_notes", credit_note_id="CN002", total="6.00")]
    credit_note_lines = [*credit_lines("CN001", ("10.00", "2.01")), *credit_lines("CN002", ("5.00", "1.00"))]
    batch = credit_notes_batch(credit_notes, credit_note_lines)
    rejection = rejections_of(batch, "credit_notes")[2]
    assert (rejection.file, rejection.column) == ("credit_notes.csv", "total")
    assert rejection.rule == "12.00 is not the sum of its lines' net and vat (12.01)"
    line = rejections_of(batch, "credit_note_lines")[2]
    assert (line.file, line.column, line.rule) == (
        "credit_note_lines.csv",
        "credit_note_id",
        "its credit note CN001 was rejected",
    )
    assert rows_of(batch, "credit_notes") == [3]
    assert rows_of(batch, "credit_note_lines") == [3]
    assert_all_conserved(batch)


def test_a_credit_note_line_with_more_decimals_than_its_currency_rejects_the_credit_note() -> None:
    batch = credit_notes_batch(
        [good("credit_notes", currency="JPY", total="12")], credit_lines("CN001", ("10.5", "1.5"))
    )
    rejection = rejections_of(batch, "credit_notes")[2]
    assert (rejection.column, rejection.rule) == ("net", "line 1 net has more decimal places than JPY allows")
    assert_all_conserved(batch)


def test_a_credit_note_with_no_lines_is_rejected() -> None:
    credit_notes = [good("credit_notes"), good("credit_notes", credit_note_id="CN002")]
    batch = credit_notes_batch(credit_notes, credit_lines("CN001", ("10.00", "2.00")))
    rejection = rejections_of(batch, "credit_notes")[3]
    assert (rejection.column, rejection.rule) == ("credit_note_id", "CN002 has no lines in credit_note_lines.csv")
    assert rows_of(batch, "credit_notes") == [2]
    assert_all_conserved(batch)


def test_credit_note_lines_whose_credit_note_is_absent_are_rejected() -> None:
    credit_note_lines = [*credit_lines("CN001", ("10.00", "2.00")), *credit_lines("CN404", ("1.00", "0.20"))]
    batch = credit_notes_batch([good("credit_notes")], credit_note_lines)
    rejection = rejections_of(batch, "credit_note_lines")[3]
    assert (rejection.column, rejection.rule) == (
        "credit_note_id",
        "CN404 has no header in credit_notes.csv of this batch (a changed credit note is extracted with all its lines)",
    )
    assert rows_of(batch, "credit_note_lines") == [2]
    assert_all_conserved(batch)


def test_lines_of_a_credit_note_rejected_on_its_own_go_with_it() -> None:
    batch = credit_notes_batch([good("credit_notes", total="0")], credit_lines("CN001", ("0.00", "0.00")))
    assert rejections_of(batch, "credit_notes")[2].column == "total"
    assert rejections_of(batch, "credit_note_lines")[2].rule == "its credit note CN001 was rejected"
    assert_all_conserved(batch)


# --- returned receipts: whole, or in part with the allocations they reverse


def test_a_whole_return_has_no_amount_and_no_parts() -> None:
    batch = returns_batch([good("returned_receipts", amount="")], [])
    assert batch.rejections == []
    batch = validate({"returned_receipts": dataset_csv("returned_receipts", [good("returned_receipts", amount="")])})
    assert batch.rejections == []


def test_a_partial_return_whose_parts_add_up_is_accepted_with_them() -> None:
    parts = [
        good("returned_allocations", bill_id="B001", amount="50.00"),
        good("returned_allocations", bill_id="B002", amount="20.00"),
    ]
    batch = returns_batch([good("returned_receipts", amount="70.00")], parts)
    assert batch.rejections == []
    assert rows_of(batch, "returned_allocations") == [2, 3]


def test_a_partial_return_whose_parts_do_not_add_up_is_rejected_with_them() -> None:
    returns = [good("returned_receipts", amount="70.00"), good("returned_receipts", return_id="RR002", amount="5.00")]
    parts = [
        good("returned_allocations", bill_id="B001", amount="50.00"),
        good("returned_allocations", bill_id="B002", amount="10.00"),
        good("returned_allocations", return_id="RR002", bill_id="B003", amount="5.00"),
    ]
    batch = returns_batch(returns, parts)
    rejection = rejections_of(batch, "returned_receipts")[2]
    assert (rejection.file, rejection.column) == ("returned_receipts.csv", "amount")
    assert rejection.rule == "70.00 is not the sum of the allocations it reverses (60.00)"
    for row in (2, 3):
        part = rejections_of(batch, "returned_allocations")[row]
        assert (part.column, part.rule) == ("return_id", "its returned receipt RR001 was rejected")
    assert rows_of(batch, "returned_receipts") == [3]
    assert rows_of(batch, "returned_allocations") == [4]
    assert_all_conserved(batch)


def test_a_return_with_an_amount_and_no_parts_is_rejected() -> None:
    batch = returns_batch([good("returned_receipts", amount="70.00")], [])
    rejection = rejections_of(batch, "returned_receipts")[2]
    assert (rejection.column, rejection.rule) == (
        "amount",
        "a partial return names the allocations it reverses in returned_allocations.csv",
    )
    assert_all_conserved(batch)


def test_a_return_with_parts_and_no_amount_is_rejected() -> None:
    batch = returns_batch([good("returned_receipts", amount="")], [good("returned_allocations")])
    rejection = rejections_of(batch, "returned_receipts")[2]
    assert (rejection.column, rejection.rule) == (
        "amount",
        "a partial return gives its amount, the sum of the allocations it reverses (120.00)",
    )
    assert rejections_of(batch, "returned_allocations")[2].rule == "its returned receipt RR001 was rejected"
    assert_all_conserved(batch)


def test_a_returned_part_with_more_decimals_than_the_currency_rejects_the_return() -> None:
    returned = good("returned_receipts", currency="JPY", amount="5000")
    batch = returns_batch([returned], [good("returned_allocations", amount="5000.4")])
    rejection = rejections_of(batch, "returned_receipts")[2]
    assert (rejection.column, rejection.rule) == ("amount", "the part for B001 has more decimals than JPY allows")
    assert_all_conserved(batch)


def test_a_returned_part_whose_return_is_absent_is_rejected() -> None:
    parts = [good("returned_allocations"), good("returned_allocations", return_id="RR404")]
    batch = returns_batch([good("returned_receipts")], parts)
    rejection = rejections_of(batch, "returned_allocations")[3]
    assert (rejection.file, rejection.column) == ("returned_allocations.csv", "return_id")
    assert rejection.rule == "RR404 has no return in returned_receipts.csv of this batch"
    assert rows_of(batch, "returned_allocations") == [2]
    assert_all_conserved(batch)


# --- debtors: one snapshot as at one date


def test_debtors_as_at_one_date_are_accepted() -> None:
    debtors = [good("debtors"), good("debtors", client_id="C002", balance="10.00")]
    batch = validate({"debtors": dataset_csv("debtors", debtors)})
    assert batch.rejections == []


def test_debtors_as_at_a_second_date_are_rejected_naming_the_first_row() -> None:
    debtors = [
        good("debtors", client_id="C001", as_at="2026-11-25"),
        good("debtors", client_id="C002", as_at="2026-11-24"),
        good("debtors", client_id="C003", as_at="2026-11-25"),
        good("debtors", client_id="C004", as_at="2026-11-26"),
    ]
    batch = validate({"debtors": dataset_csv("debtors", debtors)})
    assert rows_of(batch, "debtors") == [2, 4]
    for row in (3, 5):
        rejection = rejections_of(batch, "debtors")[row]
        assert (rejection.file, rejection.row, rejection.column) == ("debtors.csv", row, "as_at")
        assert rejection.rule == "the debtors list is a snapshot as at one date: row 2 is as at 2026-11-25"
    assert_all_conserved(batch)


def test_the_debtors_date_is_that_of_the_first_row_accepted() -> None:
    debtors = [
        good("debtors", client_id="C001", balance="n/a"),
        good("debtors", client_id="C002", as_at="2026-11-24"),
        good("debtors", client_id="C003"),
    ]
    batch = validate({"debtors": dataset_csv("debtors", debtors)})
    assert rows_of(batch, "debtors") == [3]
    assert rejections_of(batch, "debtors")[4].rule.endswith("row 3 is as at 2026-11-24")
    assert_all_conserved(batch)


def test_a_whole_batch_with_every_dataset_is_accepted_and_conserved() -> None:
    batch = validate({name: dataset_csv(name, [row]) for name, row in GOOD.items()})
    assert batch.rejections == []
    assert batch.counts() == dict.fromkeys(GOOD, (1, 1, 0))


def test_a_mixed_batch_conserves_every_row() -> None:
    bills = [good("bills", bill_id=f"B{n:03}", total="120.00") for n in range(1, 21)]
    bill_lines = [good("bill_lines", bill_id=f"B{n:03}", net="100.00", vat="20.00") for n in range(1, 21)]
    bill_lines[4]["vat"] = "19.99"  # B005 does not add up
    bill_lines.append(good("bill_lines", bill_id="B999"))  # orphan
    bills.append(good("bills", bill_id="B001"))  # duplicate
    bills.append(good("bills", bill_id="B021", due_date="2026-01-01"))  # row rule
    batch = bills_batch(bills, bill_lines)
    assert batch.counts() == {"bills": (22, 19, 3), "bill_lines": (21, 19, 2)}
    assert_all_conserved(batch)
