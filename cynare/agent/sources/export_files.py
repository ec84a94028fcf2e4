"""The export-file source: a folder of CSV files that the PMS writes itself.

Each dataset names its file (`{entity}` is replaced by the entity code) and maps the extract's
columns onto the export's own headers; a column with the extract's own name needs no mapping,
and a column may be a constant (`{as_at}` and `{entity}` are replaced). Every run reads the files
whole: an unchanged export gives the same batch id, so it is not uploaded twice.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cynare.agent.config import ExportFile
from cynare.agent.config import ExportFilesSource as ExportSettings
from cynare.agent.errors import ExtractInputError
from cynare.agent.sources import DatasetStream
from cynare.extract.datasets import DATASETS

_ISO = "%Y-%m-%d"


class ExportSession:
    def __init__(self, settings: ExportSettings, folder: Path, entity: str) -> None:
        self._settings = settings
        self._folder = folder
        self._entity = entity

    def read(self, dataset: str, since: Any | None, as_at: date) -> DatasetStream | None:
        spec = self._settings.datasets.get(dataset)
        if spec is None:
            return None
        path = self._folder / spec.file.replace("{entity}", self._entity)
        origin = f"entity {self._entity}, dataset {dataset}, export file {path}"
        if not path.is_file():
            raise ExtractInputError(
                f"entity {self._entity}, dataset {dataset}: the export file {path} is missing; check source.folder "
                f"and source.datasets.{dataset}.file"
            )
        names, picks = self._plan(dataset, spec, path, origin, as_at)
        # The export's rows are the dataset CSV's rows, in order: both number the header row 1.
        return DatasetStream(origin, names, self._rows(path, picks, names, origin), first_row_number=2)

    def _header(self, path: Path) -> list[str]:
        with path.open(encoding=self._settings.encoding, newline="") as stream:
            return [name.strip() for name in next(csv.reader(stream, delimiter=self._settings.delimiter), [])]

    def _plan(
        self, dataset: str, spec: ExportFile, path: Path, origin: str, as_at: date
    ) -> tuple[list[str], list[tuple[int | None, str, bool]]]:
        header = self._header(path)
        position = {name: index for index, name in enumerate(header)}
        columns = DATASETS[dataset].columns
        dates = {"date", "due_date", "as_at"}
        unknown = [column for column in list(spec.columns) + list(spec.constants) if column not in columns]
        if unknown:
            raise ExtractInputError(
                f"source.datasets.{dataset}: {unknown[0]!r} is not a column of {dataset}.csv; "
                f"expected one of {', '.join(columns)}"
            )
        names: list[str] = []
        picks: list[tuple[int | None, str, bool]] = []  # (index in the export row, constant, reformat date)
        for column in columns:
            if column in spec.constants:
                value = spec.constants[column].replace("{as_at}", as_at.isoformat()).replace("{entity}", self._entity)
                names.append(column)
                picks.append((None, value, False))
                continue
            source = spec.columns.get(column, column)
            if source in position:
                names.append(column)
                picks.append((position[source], "", column in dates and self._settings.date_format != _ISO))
            elif column in spec.columns:
                raise ExtractInputError(
                    f"{origin}: column {source!r} (mapped to {column}) is not in its header; the header has "
                    f"{', '.join(header)}"
                )
        return names, picks

    def _rows(
        self, path: Path, picks: list[tuple[int | None, str, bool]], names: list[str], origin: str
    ) -> Iterator[Sequence[Any]]:
        date_format = self._settings.date_format
        with path.open(encoding=self._settings.encoding, newline="") as stream:
            reader = csv.reader(stream, delimiter=self._settings.delimiter)
            next(reader, None)
            for number, values in enumerate(reader, start=2):
                row: list[str] = []
                for column, (index, constant, reformat) in zip(names, picks, strict=True):
                    if index is None:
                        row.append(constant)
                        continue
                    try:
                        value = values[index]
                    except IndexError:
                        raise ExtractInputError(
                            f"{origin}: row {number} has {len(values)} fields, fewer than its header"
                        ) from None
                    if reformat and value:
                        try:
                            value = datetime.strptime(value.strip(), date_format).date().isoformat()  # noqa: DTZ007
                        except ValueError:
                            raise ExtractInputError(
                                f"{origin}: row {number}, column {column!r}: {value!r} is not a date in the "
                                f"format {date_format} (source.date_format)"
                            ) from None
                    row.append(value)
                yield row


class ExportFilesSource:
    def __init__(self, settings: ExportSettings, folder: Path) -> None:
        self._settings = settings
        self._folder = folder

    def datasets(self) -> Sequence[str]:
        return [name for name in DATASETS if name in self._settings.datasets]

    @contextmanager
    def session(self, entity: str) -> Iterator[ExportSession]:
        yield ExportSession(self._settings, self._folder, entity)

    def check(self) -> list[str]:
        if not self._folder.is_dir():
            return [f"source.folder {self._folder} does not exist or is not a folder"]
        return []
