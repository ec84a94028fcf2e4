"""`check` reads a few rows of every dataset of every entity and holds them to the import's rules.

Document datasets give their first rows only, so that a check stays quick on a large PMS; the
mapping datasets (`map_*`) are small and read whole, so that the codes the documents use can be
looked up in them. A code the mappings lack, or a mapping without its Xero code, is a warning:
the import takes the documents and holds them until the code is mapped.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from itertools import islice
from typing import Any, Final

from pydantic import ValidationError

from cynare.agent.check import Finding
from cynare.agent.columns import RowShape, row_place
from cynare.agent.errors import AgentError
from cynare.agent.sources import EntitySession, Source
from cynare.extract.datasets import DATASETS, Dataset
from cynare.extract.reader import _rejection

SAMPLE_ROWS: Final = 20  # rows read from each document dataset
SHOWN: Final = 5  # findings of one kind shown per entity and dataset; the rest are counted
HELD: Final = "documents using it will be held until it is mapped"

Record = dict[str, str]  # a row's non-empty cells, as the import reads them
Sample = dict[str, list[tuple[int, Record]]]  # dataset -> (row number, record) of its valid rows


def is_mapping(name: str) -> bool:
    return name.startswith("map_")


def check_rows(source: Source, entities: Sequence[str], as_at: date) -> list[Finding]:
    findings: list[Finding] = []
    for entity in entities:
        sample: Sample = {}
        try:
            with source.session(entity) as session:
                for name in source.datasets():
                    findings += _read(session, entity, DATASETS[name], as_at, sample)
        except AgentError as exc:
            findings.append(Finding("problem", f"entity {entity}: {exc}"))
            continue
        findings += mapping_warnings(entity, sample)
    return findings


def _read(session: EntitySession, entity: str, dataset: Dataset, as_at: date, sample: Sample) -> list[Finding]:
    try:
        stream = session.read(dataset.name, None, as_at)
    except AgentError as exc:
        return [Finding("problem", str(exc))]
    if stream is None:
        return []
    problems: list[str] = []
    kept: list[tuple[int, Record]] = []
    limit = None if is_mapping(dataset.name) else SAMPLE_ROWS
    try:
        shape = RowShape(dataset, stream.names, stream.origin)
        for number, values in enumerate(islice(stream.rows, limit), start=stream.first_row_number):
            record, problem = _validate(shape, values, number)
            if problem is not None:
                problems.append(problem)
            elif record is not None:
                kept.append((number, record))
    except AgentError as exc:  # columns that are not the dataset's, or reading rows failed
        return [Finding("problem", str(exc))]
    finally:
        _close(stream.rows)
    sample[dataset.name] = kept
    read = "rows" if limit is None else f"first {limit} rows"
    return _capped(
        "problem", problems, f"entity {entity}: more rows of {dataset.filename} break a rule, among its {read}"
    )


def _validate(shape: RowShape, values: Sequence[Any], number: int) -> tuple[Record | None, str | None]:
    """The row as the import would read it, or the problem: entity, dataset, row, column and rule."""
    dataset = shape.dataset
    try:
        cells = shape.cells(values, number)
    except AgentError as exc:
        return None, str(exc)
    except (ValueError, TypeError, ArithmeticError) as exc:
        return None, f"{shape.origin}: {shape.place(values, number)}: {exc}"
    record = {column: cell for column, cell in zip(dataset.columns, cells, strict=True) if cell and not cell.isspace()}
    try:
        dataset.model.model_validate(record)
    except ValidationError as exc:
        rejection = _rejection(dataset.filename, number, exc)  # the import's own words for the rule
        place = row_place(dataset, number, [(column, record.get(column, "")) for column in dataset.key])
        return None, f"{shape.origin}: {place}, column {rejection.column!r}: {rejection.rule}"
    return record, None


def _close(rows: Iterator[Any]) -> None:
    # A generator closed early runs its `finally`, which closes the query's cursor.
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _capped(level: typing.Literal["warning", "problem"], messages: list[str], more: str) -> list[Finding]:
    findings = [Finding(level, message) for message in messages[:SHOWN]]
    if len(messages) > SHOWN:
        findings.append(Finding(level, f"{more} ({len(messages) - SHOWN} not shown)"))
    return findings


def mapping_warnings(entity: str, sample: Sample) -> list[Finding]:
    findings: list[Finding] = []
    for name in DATASETS:
        if is_mapping(name):
            findings += _unmapped(entity, DATASETS[name], sample.get(name, []))
            findings += _absent_codes(entity, DATASETS[name], sample)
    return findings


def _unmapped(entity: str, mapping: Dataset, rows: list[tuple[int, Record]]) -> list[Finding]:
    """Mapping rows whose Xero code is empty: the code is known and not mapped yet."""
    xero = [column for column in mapping.columns if column.startswith("xero_")]
    messages = []
    for number, record in rows:
        empty = [column for column in xero if column not in record]
        if empty:
            place = row_place(mapping, number, [(column, record.get(column, "")) for column in mapping.key])
            messages.append(f"entity {entity}, {place}: {' and '.join(empty)} is empty; {HELD}")
    return _capped("warning", messages, f"entity {entity}: more rows of {mapping.filename} have no Xero code")


def _lookups(mapping: Dataset, rows: Iterable[Record]) -> list[tuple[str, set[str]]]:
    """(the documents' column, the codes the mapping knows for it).

    A one-column key maps the column of that name (`nominal_code`); a key of a kind and a value
    (`dimension`, `pms_value`) maps one column per kind (`office`, `department`, ...).
    """
    if len(mapping.key) == 1:
        column = mapping.key[0]
        return [(column, {record[column] for record in rows if column in record})]
    if len(mapping.key) == 2:
        kind, value = mapping.key
        annotation = mapping.model.model_fields[kind].annotation
        if typing.get_origin(annotation) is typing.Literal:
            rows = list(rows)
            return [
                (str(each), {record[value] for record in rows if record.get(kind) == str(each) and value in record})
                for each in typing.get_args(annotation)
            ]
    return []


def _absent_codes(entity: str, mapping: Dataset, sample: Sample) -> list[Finding]:
    extracted = mapping.name in sample
    messages = []
    for column, known in _lookups(mapping, (record for _, record in sample.get(mapping.name, []))):
        for code, place in _uses(column, sample):
            if code in known:
                continue
            if not extracted:  # one line says it: every code of this kind is unmapped
                messages.append(
                    f"entity {entity}: {column} {code} is used by {place}, but {mapping.name} is not extracted "
                    f"(no query file for it, or not in source.datasets); {HELD}"
                )
                break
            messages.append(
                f"entity {entity}: {column} {code} is used by {place} but is not in {mapping.filename}; {HELD}"
            )
    return _capped("warning", messages, f"entity {entity}: more codes are missing from {mapping.filename}")


def _uses(column: str, sample: Sample) -> Iterator[tuple[str, str]]:
    """Each code of `column` the sampled documents use, once, with the place of its first use."""
    seen: set[str] = set()
    for name, rows in sample.items():
        document = DATASETS[name]
        # A list of the codes themselves (vat_codes) is not a document that uses them.
        if is_mapping(name) or column not in document.columns or document.key == (column,):
            continue
        for number, record in rows:
            code = record.get(column)
            if code is not None and code not in seen:
                seen.add(code)
                yield code, row_place(document, number, [(key, record.get(key, "")) for key in document.key])
