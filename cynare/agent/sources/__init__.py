"""Where the agent reads the PMS: a SQL database through query files, or a folder of export files.

A source opens one read session per entity (one consistent view of the PMS) and gives each
dataset as its column names and a stream of rows; memory never holds a whole dataset.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class DatasetStream:
    origin: str  # the query or export file, for messages
    names: Sequence[str]
    rows: Iterator[Sequence[Any]]
    first_row_number: int = 1  # 2 for a file whose header is row 1


class EntitySession(Protocol):
    def read(self, dataset: str, since: Any | None, as_at: date) -> DatasetStream | None:
        """The dataset's rows changed after `since` (all when None); None when this source lacks it."""


class Source(Protocol):
    def session(self, entity: str) -> AbstractContextManager[EntitySession]: ...

    def datasets(self) -> Sequence[str]: ...

    def check(self) -> list[str]:
        """Problems a person must fix before extracting, in plain words; empty when ready."""
