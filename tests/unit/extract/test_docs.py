"""docs/extract-format.md describes every dataset, column, role and posting step of the registry, and its example is valid."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal, get_args, get_origin

import pytest

from cynare.extract import batch_rules, fields
from cynare.extract.datasets import DATASETS, DOCUMENT_DATASETS, FORMAT_VERSION, Dataset, Role
from cynare.extract.manifest import BatchRejected, Manifest, compute_batch_id
from cynare.extract.reader import CELL_LIMIT
from tests.unit.extract.csvbatch import dataset_csv, good, only_rejection, parse_rows, validate

DOC = Path(__file__).resolve().parents[3] / "docs" / "extract-format.md"
SECTION = re.compile(r"^### `(?P<name>[a-z_]+)`$", re.MULTILINE)
ROW = re.compile(r"^\| `(?P<column>[a-z_0-9]+)` \| (?P<type>[^|]+?) \| (?P<required>yes|no) \|", re.MULTILINE)
ROLE = re.compile(r"^Role: .*$", re.MULTILINE)
STEP = re.compile(r"^(?P<step>\d+)\. `(?P<name>[a-z_]+)`$", re.MULTILINE)

# Version 1's datasets and columns, and its optional columns: what "What changed in version 2" must account for.
V1_COLUMNS: dict[str, tuple[str, ...]] = {
    "vat_codes": ("vat_code", "description", "rate"),
    "clients": ("client_id", "name", "email", "address_line1", "address_line2", "city", "region", "postal_code",
                "country", "tax_number", "default_currency", "status"),
    "bills": ("bill_id", "bill_number", "client_id", "date", "due_date", "currency", "exchange_rate", "total",
              "reference"),
    "bill_lines": ("bill_id", "line_no", "description", "nominal_code", "vat_code", "net", "vat", "office",
                   "department", "fee_earner"),
    "credit_notes": ("credit_note_id", "credit_note_number", "client_id", "bill_id", "date", "currency",
                     "exchange_rate", "nominal_code", "vat_code", "net", "vat", "total", "reason"),
    "write_offs": ("write_off_id", "client_id", "bill_id", "date", "currency", "amount", "reason"),
    "receipts": ("receipt_id", "client_id", "date", "currency", "exchange_rate", "amount", "bank_account",
                 "reference"),
    "receipt_allocations": ("receipt_id", "bill_id", "amount"),
    "returned_receipts": ("return_id", "receipt_id", "date", "reason"),
    "unallocated_receipts": ("unallocated_id", "client_id", "date", "currency", "exchange_rate", "amount",
                             "bank_account", "reference"),
    "allocations": ("allocation_id", "source_type", "source_id", "bill_id", "date", "currency", "amount"),
    "debtors": ("client_id", "currency", "balance", "as_at"),
    "map_nominal": ("nominal_code", "xero_account_code"),
    "map_vat": ("vat_code", "xero_tax_type"),
    "map_tracking": ("dimension", "pms_value", "xero_category", "xero_option"),
    "map_bank": ("bank_account", "xero_account_code"),
    "map_entity": ("entity", "xero_tenant_id", "xero_organisation_name", "base_currency"),
    "identity_links": ("kind", "source_id", "previous_source", "previous_id"),
}  # fmt: skip
V1_OPTIONAL = {
    "clients": {"email", "address_line1", "address_line2", "city", "region", "postal_code", "country", "tax_number"},
    "bills": {"reference"},
    "bill_lines": {"office", "department", "fee_earner"},
    "credit_notes": {"bill_id", "reason"},
    "receipts": {"reference"},
    "unallocated_receipts": {"reference"},
}
V2_DATASETS = ["credit_note_lines", "returned_allocations", "cancellations", "organisation"]


def text() -> str:
    return DOC.read_text(encoding="utf-8")


def chapter(title: str) -> str:
    """The text of the `## title` chapter, up to the next chapter."""
    whole = text()
    start = whole.index(f"\n## {title}\n")
    end = whole.find("\n## ", start + 1)
    return whole[start : end if end >= 0 else len(whole)]


def prose(title: str) -> str:
    """The chapter with every run of white space made one space, as a reader sees it."""
    return " ".join(chapter(title).split())


def sections() -> dict[str, str]:
    whole = text()
    datasets = whole[whole.index("\n## Datasets\n") : whole.index("\n## Rules across rows and files\n")]
    found = list(SECTION.finditer(datasets))
    return {
        match.group("name"): datasets[match.end() : found[i + 1].start() if i + 1 < len(found) else len(datasets)]
        for i, match in enumerate(found)
    }


def role_line(dataset: Dataset) -> str:
    if dataset.role is Role.PART:
        return f"Role: part of `{dataset.parent}`."
    if dataset.role is Role.DOCUMENT:
        line = f"Role: document, posted in step {dataset.posting_order}"
        if dataset.parent:
            line += f", extracted with its parent `{dataset.parent}`"
        return line + "."
    return f"Role: {dataset.role.value}."


def test_every_dataset_has_a_section_and_no_section_is_stale() -> None:
    assert list(sections()) == list(DATASETS)


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_column_is_documented_with_whether_it_is_required(name: str) -> None:
    dataset = DATASETS[name]
    section = sections()[name]
    rows = {match.group("column"): match.group("required") == "yes" for match in ROW.finditer(section)}
    assert list(rows) == list(dataset.columns), f"{name}: the table's columns differ from the model's"
    for column, required in rows.items():
        assert required == (column in dataset.required_columns), f"{name}.{column}: required is wrong"


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_section_names_its_file_and_key(name: str) -> None:
    dataset = DATASETS[name]
    section = sections()[name]
    assert f"File `{dataset.filename}`." in section
    key = ", ".join(f"`{column}`" for column in dataset.key)
    assert f"Key: {key}." in section


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_section_gives_its_role_parent_and_posting_step(name: str) -> None:
    lines = ROLE.findall(sections()[name])
    assert lines == [role_line(DATASETS[name])]


def test_no_role_line_is_stale() -> None:
    assert sorted(ROLE.findall(text())) == sorted(role_line(dataset) for dataset in DATASETS.values())


def test_the_posting_steps_are_the_registrys() -> None:
    steps = [
        (int(match.group("step")), match.group("name")) for match in STEP.finditer(chapter("Roles and posting order"))
    ]
    assert steps == [(DATASETS[name].posting_order, name) for name in DOCUMENT_DATASETS]


@pytest.mark.parametrize("name", list(DATASETS))
def test_enumerations_list_exactly_the_allowed_words(name: str) -> None:
    model = DATASETS[name].model
    for match in ROW.finditer(sections()[name]):
        annotation = model.model_fields[match.group("column")].annotation
        words = re.findall(r"`([a-z_]+)`", match.group("type"))
        if get_origin(annotation) is Literal:
            assert match.group("type").startswith("one of "), match.group("column")
            assert words == list(get_args(annotation)), match.group("column")
        else:
            assert not match.group("type").startswith("one of "), match.group("column")


def test_every_column_type_is_defined_in_column_types() -> None:
    defined = {match.group(1) for match in re.finditer(r"^\| ([^|`]+?) \| ", chapter("Column types"), re.MULTILINE)}
    for name, section in sections().items():
        for match in ROW.finditer(section):
            kind = match.group("type")
            assert kind.startswith("one of ") or kind in defined, f"{name}.{match.group('column')}: {kind}"


def test_the_format_version_is_the_registrys() -> None:
    assert f"Format version: **{FORMAT_VERSION}**" in text()
    assert text().startswith(f"# Cynare Link extract format, version {FORMAT_VERSION}\n")


def test_the_manifest_example_is_a_valid_manifest() -> None:
    example = re.search(r"```json\n(?P<body>.*?)```", text(), re.DOTALL)
    assert example is not None
    manifest = Manifest.model_validate(json.loads(example.group("body")))  # checks the batch id too
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.batch_id in chapter("The batch id")


def test_the_batch_id_chapter_gives_the_id_of_the_next_sequence() -> None:
    example = re.search(r"```json\n(?P<body>.*?)```", text(), re.DOTALL)
    assert example is not None
    manifest = Manifest.model_validate(json.loads(example.group("body")))
    following = compute_batch_id(
        manifest.source_system, manifest.entity, manifest.sequence + 1, manifest.period, manifest.files
    )
    assert f"`sequence` {manifest.sequence + 1} would be `{following}`" in chapter("The batch id")


def test_every_manifest_field_is_documented() -> None:
    fields = re.findall(r"^\| `([a-z_0-9]+)` \| ", chapter("The manifest"), re.MULTILINE)
    manifest_fields = fields[: len(Manifest.model_fields)]
    assert manifest_fields == list(Manifest.model_fields)


def test_the_version_1_refusal_is_quoted_as_the_import_gives_it() -> None:
    with pytest.raises(BatchRejected) as raised:
        Manifest.parse(b'{"format_version": "1"}', "b")
    assert raised.value.reason in chapter("The manifest")
    assert "upgrade the agent" in prose("What changed in version 2")


# --- what changed in version 2


def test_what_changed_comes_before_the_contract() -> None:
    whole = text()
    assert whole.index("\n## What changed in version 2\n") < whole.index("\n## Batches\n")


@pytest.mark.parametrize("name", V2_DATASETS)
def test_what_changed_names_every_dataset_added(name: str) -> None:
    assert name in DATASETS and name not in V1_COLUMNS
    assert f"`{name}`" in prose("What changed in version 2")


def test_the_added_datasets_are_all_the_new_ones() -> None:
    assert sorted(set(DATASETS) - set(V1_COLUMNS)) == sorted(V2_DATASETS)


def test_what_changed_names_every_dataset_removed() -> None:
    for name in set(V1_COLUMNS) - set(DATASETS):
        assert f"`{name}`" in prose("What changed in version 2"), name


@pytest.mark.parametrize("name", [name for name in DATASETS if name in V1_COLUMNS])
def test_what_changed_names_every_column_added_removed_or_made_optional(name: str) -> None:
    changes = prose("What changed in version 2")
    dataset = DATASETS[name]
    old = V1_COLUMNS[name]
    added = [column for column in dataset.columns if column not in old]
    removed = [column for column in old if column not in dataset.columns]
    optional_now = [
        column
        for column in dataset.columns
        if column in old and column not in dataset.required_columns and column not in V1_OPTIONAL.get(name, set())
    ]
    if added or removed or optional_now:
        assert f"`{name}`" in changes
    for column in added + removed + optional_now:
        assert f"`{column}`" in changes, f"{name}.{column}"


def test_what_changed_covers_the_manifest_and_the_rules() -> None:
    changes = prose("What changed in version 2")
    for said in ("`sequence`", "A, then B, then A", "never taken as cancelled", "deleted in the PMS", "as_at",
                 "bad-debt", "allocations.csv", "own state", "4 decimal places", "`treatment`", "`archived_on`",
                 "only a check", "empty Xero code", "upgrade the agent"):  # fmt: skip
        assert said in changes, said


# --- holds


def test_holds_name_every_check_and_its_reason() -> None:
    holds = prose("Holds: what waits at import, and why")
    for said in ("map_nominal", "map_vat", "map_tracking", "map_bank", "currency", "bad_debt_relief",
                 "archived_on", "`waiting on mapping: nominal 4010 (UK)", "not created in Xero"):  # fmt: skip
        assert said in holds, said


# --- limits and rejections (issue 8)


def test_the_limits_chapter_gives_the_codes_limits() -> None:
    limits = prose("Limits")
    for said in (
        f"below 10^{fields.AMOUNT_DIGITS} in absolute value, at most {fields.AMOUNT_PLACES} decimal places",
        f"greater than 0, below 10^{fields.RATE_DIGITS}, at most {fields.RATE_PLACES} decimal places",
        f"| {fields.FIRST_DATE} to {fields.LAST_DATE} |",
        f"| id | {fields.ID_MAX} characters of printable ASCII |",
        f"| text | {fields.TEXT_MAX} characters |",
        f"| email | {fields.EMAIL_MAX} characters |",
        f"| cell | {CELL_LIMIT:,} characters |",
        f"| lines of a bill or a credit note | {batch_rules.MAX_LINES:,} |",
        f"| allocations of a receipt | {batch_rules.MAX_ALLOCATIONS:,} |",
        f"| allocations a partial return reverses | {batch_rules.MAX_RETURNED_PARTS:,} |",
        f"at most its first {fields.SHOWN} characters",
    ):
        assert said in limits, said
    assert f"a cell holds at most {CELL_LIMIT:,} characters" in prose("CSV rules")
    assert f"from **{fields.FIRST_DATE} to {fields.LAST_DATE}**" in prose("CSV rules")


@pytest.mark.parametrize(
    ("dataset", "column", "cell"),
    [
        ("bills", "total", "1,000.00"),
        ("bills", "total", "10000000000000"),
        ("bills", "date", "0001-01-01"),
        ("clients", "client_id", "C\u200b001"),
        ("clients", "name", "Smith\x00Co"),
        ("clients", "address_line1", "x" * (CELL_LIMIT + 1)),
    ],
)
def test_the_rejection_examples_are_what_the_reader_says(dataset: str, column: str, cell: str) -> None:
    rejection = only_rejection(parse_rows(dataset, good(dataset, **{column: cell})))
    assert f", column {column}: {rejection.rule}\n" in chapter("Rejections: a row or the whole batch")


def test_the_limit_examples_are_what_the_batch_rules_say() -> None:
    lines = [good("bill_lines", bill_id="B0042", line_no=str(n), quantity="", unit_price="") for n in range(1, 502)]
    batch = validate(
        {
            "bills": dataset_csv("bills", [good("bills", bill_id="B0042")]),
            "bill_lines": dataset_csv("bill_lines", lines),
        }
    )
    bill, line = batch.files["bills"].rejected[0], batch.files["bill_lines"].rejected[-1]
    limits = chapter("Limits")
    assert f"bills.csv row 7, column bill_id: {bill.rule}\n" in limits
    assert f"bill_lines.csv row 913, column bill_id: {line.rule}\n" in limits
    assert f"column bill_id: {bill.rule}\n" in chapter("Rejections: a row or the whole batch")
