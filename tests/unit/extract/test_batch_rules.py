"""Rules across rows and files of one batch: duplicate keys, bills and their lines, receipts and their allocations."""

from __future__ import annotations

import pytest

from cynare.extract.batch import ValidatedBatch
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


def lines(bill_id: str, *amounts: tuple[str, str]) -> list[dict[str, str]]:
    """Bill lines of `bill_id` with the given (net, vat) amounts, numbered from 1."""
    return [
        good("bill_lines", bill_id=bill_id, line_no=str(n), net=net, vat=vat)
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


def assert_all_conserved(batch: ValidatedBatch) -> None:
    for parsed in batch.files.values():
        assert_conserved(parsed)
    for name, (read, accepted, rejected) in batch.counts().items():
        assert read == accepted + rejected, name


# --- duplicate keys


@pytest.mark.parametrize(
    ("dataset", "row", "key_column", "key"),
    [
        ("clients", {}, "client_id", "'C001'"),
        ("vat_codes", {"description": "Other description"}, "vat_code", "'S'"),
        ("debtors", {"balance": "10.00"}, "client_id,currency", "'C001|GBP'"),
        ("map_tracking", {"xero_option": "Elsewhere"}, "dimension,pms_value", "'office|LON'"),
        ("identity_links", {"previous_id": "00043"}, "kind,source_id", "'client|C001'"),
        ("credit_notes", {}, "credit_note_id", "'CN001'"),
        ("write_offs", {}, "write_off_id", "'W001'"),
        ("returned_receipts", {}, "return_id", "'RR001'"),
        ("unallocated_receipts", {}, "unallocated_id", "'U001'"),
        ("allocations", {}, "allocation_id", "'A001'"),
        ("map_nominal", {"xero_account_code": "201"}, "nominal_code", "'4000'"),
        ("map_vat", {}, "vat_code", "'S'"),
        ("map_bank", {}, "bank_account", "'BANK1'"),
        ("map_entity", {}, "entity", "'UK'"),
    ],
)
def test_a_repeated_key_is_rejected_after_its_first_row(
    dataset: str, row: dict[str, str], key_column: str, key: str
) -> None:
    batch = validate({dataset: dataset_csv(dataset, [good(dataset), good(dataset, **row)])})
    rejection = rejections_of(batch, dataset)[3]
    assert (rejection.file, rejection.column) == (f"{dataset}.csv", key_column)
    assert rejection.rule == f"duplicate {key_column} {key}: first given at row 2"
    assert rows_of(batch, dataset) == [2]
    assert_all_conserved(batch)


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
    assert rejection.rule == "R999 has no receipt in receipts.csv of this batch"
    assert rows_of(batch, "receipt_allocations") == [2]
    assert_all_conserved(batch)


def test_allocations_without_a_receipts_file_are_all_rejected() -> None:
    batch = validate({"receipt_allocations": dataset_csv("receipt_allocations", [good("receipt_allocations")])})
    assert batch.files["receipt_allocations"].rejected[0].rule == "R001 has no receipt in receipts.csv of this batch"
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
