"""docs/extract-format.md describes every dataset and column of the registry, and its example is valid."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal, get_args, get_origin

import pytest

from cynare.extract.datasets import DATASETS, FORMAT_VERSION
from cynare.extract.manifest import Manifest

DOC = Path(__file__).resolve().parents[3] / "docs" / "extract-format.md"
SECTION = re.compile(r"^### `(?P<name>[a-z_]+)`$", re.MULTILINE)
ROW = re.compile(r"^\| `(?P<column>[a-z_0-9]+)` \| (?P<type>[^|]+?) \| (?P<required>yes|no) \|", re.MULTILINE)


def sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    datasets = text[text.index("\n## Datasets\n") : text.index("\n## Rules across rows and files\n")]
    found = list(SECTION.finditer(datasets))
    return {
        match.group("name"): datasets[match.end() : found[i + 1].start() if i + 1 < len(found) else len(datasets)]
        for i, match in enumerate(found)
    }


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


def test_the_format_version_is_the_registrys() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"Format version: **{FORMAT_VERSION}**" in text


def test_the_manifest_example_is_a_valid_manifest() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```json\n(?P<body>.*?)```", text, re.DOTALL)
    assert example is not None
    manifest = Manifest.model_validate(json.loads(example.group("body")))  # checks the batch id too
    assert manifest.batch_id in text.split("## The batch id", 1)[1]
