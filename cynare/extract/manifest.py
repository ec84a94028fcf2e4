"""The manifest: the commit record of a batch. It is written last and read first.

A batch is one legal entity and one extract run. Its id is derived from what it contains, so the
same extract run again has the same id and uploads nothing new.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from cynare.errors import CynareError
from cynare.extract.datasets import DATASETS
from cynare.extract.fields import Identifier

MANIFEST_NAME = "manifest.json"
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class BatchRejected(CynareError):
    """The whole batch is refused and nothing of it is imported: a broken manifest, hash or header."""

    def __init__(self, batch: str, reason: str) -> None:
        super().__init__(f"batch {batch} rejected: {reason}")
        self.batch = batch
        self.reason = reason


def _known_dataset(name: str) -> str:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}")
    return name


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: Annotated[str, AfterValidator(_known_dataset)]
    file: str
    rows: int = Field(ge=0)
    sha256: Sha256

    @model_validator(mode="after")
    def _file_is_the_dataset_file(self) -> FileEntry:
        if self.file != DATASETS[self.dataset].filename:
            raise ValueError(f"file for dataset {self.dataset} must be named {DATASETS[self.dataset].filename}")
        return self


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before its start {self.start}")
        return self


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: Literal["2"] = "2"  # datasets.FORMAT_VERSION
    batch_id: str
    # The agent's commit order for this entity and source: batches are applied in this order.
    sequence: int = Field(ge=1)
    firm: Identifier
    source_system: Identifier
    entity: Identifier
    pms_product: str = Field(min_length=1, max_length=100)
    extracted_at: Annotated[AwareDatetime, AfterValidator(_utc)]
    period: Period
    files: tuple[FileEntry, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        names = [entry.dataset for entry in self.files]
        if len(names) != len(set(names)):
            raise ValueError("a dataset is listed more than once")
        expected = compute_batch_id(self.source_system, self.entity, self.sequence, self.period, self.files)
        if self.batch_id != expected:
            raise ValueError(f"batch_id {self.batch_id} does not match its contents (expected {expected})")
        return self

    def entry_for(self, dataset: str) -> FileEntry | None:
        return next((entry for entry in self.files if entry.dataset == dataset), None)

    def to_json(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes, where: str) -> Manifest:
        try:
            raw = json.loads(data)
        except ValueError as exc:
            raise BatchRejected(where, f"{MANIFEST_NAME} is not valid JSON: {_first_line(exc)}") from exc
        version = raw.get("format_version") if isinstance(raw, dict) else None
        if version == "1":
            # Read as version 2 it would be misread (no sequence, old columns): refuse, never guess.
            raise BatchRejected(
                where,
                "extract format version 1: this Cynare Link reads version 2; upgrade the agent on the PMS server "
                "(pip install --upgrade cynare) and run `cynare-agent run --full` once",
            )
        try:
            return cls.model_validate(raw)
        except (ValueError, ValidationError) as exc:
            raise BatchRejected(where, f"{MANIFEST_NAME} is not a valid manifest: {_first_line(exc)}") from exc


def compute_batch_id(
    source_system: str, entity: str, sequence: int, period: Period, files: tuple[FileEntry, ...]
) -> str:
    """Same source, entity, sequence, period and contents give the same id, whenever the extract ran.

    The sequence is part of it: content sent again after a change (A, then B, then A) is a new batch.
    """
    digest = hashlib.sha256(f"{source_system}\n{entity}\n{sequence}\n{period.start}\n{period.end}\n".encode())
    for entry in sorted(files, key=lambda e: e.dataset):
        digest.update(f"{entry.dataset}:{entry.sha256}:{entry.rows}\n".encode())
    return f"{period.end:%Y%m%d}-{digest.hexdigest()[:16]}"


def _first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        location = ".".join(str(part) for part in error["loc"]) or "manifest"
        return f"{location}: {error['msg']}"
    return str(exc).splitlines()[0]
