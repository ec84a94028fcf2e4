"""Validate a whole batch: manifest first, then every file against its hash, row count and rules.

A file whose hash or row count disagrees with the manifest, a missing file or a broken header
rejects the whole batch (BatchRejected) before anything is imported. Bad rows are rejected one by
one and the good rows go on.
"""

from __future__ import annotations

import csv
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple, Protocol

from cynare.extract.batch_rules import apply_batch_rules
from cynare.extract.datasets import DATASETS
from cynare.extract.manifest import MANIFEST_NAME, BatchRejected, Manifest
from cynare.extract.reader import HeaderError, ParsedFile, Rejection, read_csv


class BatchFiles(Protocol):
    """Where a batch's files are: a local folder (the agent) or a blob prefix (the cloud)."""

    @property
    def name(self) -> str: ...

    def exists(self, filename: str) -> bool: ...

    def open(self, filename: str) -> AbstractContextManager[IO[bytes]]: ...


class RowCounts(NamedTuple):
    """Rows of one file: every row read is accepted or rejected, never both, never neither."""

    read: int
    accepted: int
    rejected: int


@dataclass(frozen=True, slots=True)
class ValidatedBatch:
    manifest: Manifest
    files: dict[str, ParsedFile]

    @property
    def rejections(self) -> list[Rejection]:
        return [rejection for parsed in self.files.values() for rejection in parsed.rejected]

    def counts(self) -> dict[str, RowCounts]:
        """Per dataset: rows read, accepted, rejected (read always equals accepted plus rejected)."""
        return {
            name: RowCounts(parsed.rows_read, len(parsed.accepted), len(parsed.rejected))
            for name, parsed in self.files.items()
        }


def read_manifest(batch: BatchFiles) -> Manifest:
    if not batch.exists(MANIFEST_NAME):
        raise BatchRejected(batch.name, f"no {MANIFEST_NAME}: the batch is not committed yet")
    with batch.open(MANIFEST_NAME) as stream:
        return Manifest.parse(stream.read(), batch.name)


def validate_batch(batch: BatchFiles, manifest: Manifest | None = None) -> ValidatedBatch:
    """Validate every file of `batch` (its manifest is read here unless the caller has read it already)."""
    if manifest is None:
        manifest = read_manifest(batch)
    files: dict[str, ParsedFile] = {}
    for entry in manifest.files:
        if not batch.exists(entry.file):
            raise BatchRejected(batch.name, f"{entry.file} is listed in the manifest but missing")
        try:
            with batch.open(entry.file) as stream:
                parsed = read_csv(DATASETS[entry.dataset], stream)
        except HeaderError as exc:
            raise BatchRejected(batch.name, str(exc)) from exc
        except (UnicodeDecodeError, ValueError, csv.Error) as exc:
            raise BatchRejected(batch.name, f"{entry.file} is not valid UTF-8 CSV: {exc}") from exc
        if parsed.sha256 != entry.sha256:
            raise BatchRejected(
                batch.name, f"{entry.file} SHA-256 {parsed.sha256} differs from the manifest's {entry.sha256}"
            )
        if parsed.rows_read != entry.rows:
            raise BatchRejected(batch.name, f"{entry.file} has {parsed.rows_read} rows, the manifest says {entry.rows}")
        files[entry.dataset] = parsed
    apply_batch_rules(files)
    return ValidatedBatch(manifest, files)


class FolderBatch:
    """A batch in a local folder, as the agent writes it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def name(self) -> str:
        return str(self.folder)

    def exists(self, filename: str) -> bool:
        return (self.folder / filename).is_file()

    def open(self, filename: str) -> AbstractContextManager[IO[bytes]]:
        return (self.folder / filename).open("rb")
