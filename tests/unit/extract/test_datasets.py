"""The registry: what each dataset is (role, parent, posting order) and that the batch rules cover every part."""

from __future__ import annotations

from typing import get_args

import pytest

from cynare.extract import batch_rules
from cynare.extract.datasets import DATASETS, DOCUMENT_DATASETS, FORMAT_VERSION, KIND_DATASETS, Role, parts_of
from cynare.extract.manifest import Manifest

WITH_PARENT = [name for name, dataset in DATASETS.items() if dataset.parent]


def test_the_format_version_is_2_and_the_manifests() -> None:
    assert FORMAT_VERSION == "2"
    assert Manifest.model_fields["format_version"].default == FORMAT_VERSION
    assert get_args(Manifest.model_fields["format_version"].annotation) == (FORMAT_VERSION,)


def test_every_dataset_with_a_parent_has_a_parts_rule_and_every_rule_a_parent() -> None:
    ruled = [(parent, part) for parent, part, *_ in batch_rules._PARTS]
    assert sorted(ruled) == sorted((DATASETS[name].parent, name) for name in WITH_PARENT)
    assert len(set(ruled)) == len(ruled)


@pytest.mark.parametrize("name", WITH_PARENT)
def test_a_part_names_its_parent_by_the_parents_key(name: str) -> None:
    dataset = DATASETS[name]
    assert dataset.parent is not None
    parent = DATASETS[dataset.parent]
    assert len(parent.key) == 1
    assert dataset.link == parent.key[0] == dataset.key[0]
    assert dataset.link in dataset.required_columns
    assert dataset in parts_of(parent.name)


def test_parts_of_lists_the_datasets_extracted_with_a_parent() -> None:
    assert [d.name for d in parts_of("bills")] == ["bill_lines"]
    assert [d.name for d in parts_of("credit_notes")] == ["credit_note_lines"]
    assert [d.name for d in parts_of("receipts")] == ["receipt_allocations"]
    assert [d.name for d in parts_of("returned_receipts")] == ["returned_allocations"]
    assert parts_of("clients") == parts_of("debtors") == ()


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_dataset_has_a_role_that_fits_its_parent_and_posting_order(name: str) -> None:
    dataset = DATASETS[name]
    if dataset.role is Role.PART:
        assert dataset.parent is not None and dataset.posting_order is None
        assert DATASETS[dataset.parent].role is Role.DOCUMENT
    elif dataset.role is Role.DOCUMENT:
        assert dataset.posting_order is not None
        if dataset.parent is not None:  # a document extracted with its parent is posted after it
            assert (DATASETS[dataset.parent].posting_order or 0) < dataset.posting_order
    else:
        assert dataset.role in (Role.REFERENCE, Role.SNAPSHOT)
        assert dataset.parent is None and dataset.posting_order is None


def test_the_roles_of_the_datasets() -> None:
    by_role = {role: [name for name, d in DATASETS.items() if d.role is role] for role in Role}
    assert by_role[Role.PART] == ["bill_lines", "credit_note_lines", "returned_allocations"]
    assert by_role[Role.SNAPSHOT] == ["debtors"]
    assert by_role[Role.REFERENCE] == [
        "vat_codes",
        "map_nominal",
        "map_vat",
        "map_tracking",
        "map_bank",
        "organisation",
        "identity_links",
    ]


def test_document_datasets_are_every_document_in_posting_order() -> None:
    documents = {name for name, dataset in DATASETS.items() if dataset.role is Role.DOCUMENT}
    assert set(DOCUMENT_DATASETS) == documents
    orders = [DATASETS[name].posting_order for name in DOCUMENT_DATASETS]
    assert orders == list(range(1, len(DOCUMENT_DATASETS) + 1))  # one step each, none skipped
    assert DOCUMENT_DATASETS == (
        "clients",
        "bills",
        "credit_notes",
        "write_offs",
        "receipts",
        "receipt_allocations",
        "returned_receipts",
        "unallocated_receipts",
        "allocations",
        "cancellations",
    )


def test_what_a_document_refers_to_is_posted_before_it() -> None:
    step = {name: DATASETS[name].posting_order or 0 for name in DOCUMENT_DATASETS}
    assert step["clients"] < min(step[name] for name in DOCUMENT_DATASETS if name != "clients")
    assert step["bills"] < step["credit_notes"] < step["allocations"]
    assert step["bills"] < step["write_offs"]
    assert step["receipts"] < step["receipt_allocations"] < step["returned_receipts"]
    assert step["unallocated_receipts"] < step["allocations"]
    assert max(step.values()) == step["cancellations"]  # a cancellation finds what it cancels


@pytest.mark.parametrize(("dataset", "column"), [("cancellations", "kind"), ("identity_links", "kind")])
def test_every_kind_word_names_a_document_dataset(dataset: str, column: str) -> None:
    annotation = DATASETS[dataset].model.model_fields[column].annotation
    words = get_args(annotation)
    assert words and set(words) <= set(KIND_DATASETS)
    for word in words:
        assert DATASETS[KIND_DATASETS[word]].role is Role.DOCUMENT


def test_kind_words_are_the_singular_of_their_dataset() -> None:
    for word, name in KIND_DATASETS.items():
        assert name == f"{word}s"


def test_a_client_is_archived_not_cancelled() -> None:
    kinds = get_args(DATASETS["cancellations"].model.model_fields["kind"].annotation)
    assert "client" not in kinds
    assert set(kinds) == set(KIND_DATASETS) - {"client"}
