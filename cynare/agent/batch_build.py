"""Read one entity's datasets into the batch being built, each as its role in the registry says.

- Reference data and the debtors snapshot are read whole. A reference dataset goes in the batch
  when its SHA-256 changed; the debtors list goes in every batch (a client absent is at zero).
- Documents whose query selects a `watermark`: the rows the query gives for `:since`, with their parts.
- Documents read whole (no `watermark`): two passes, so memory holds fingerprints, never rows. The
  first fingerprints every document (header and parts) and compares with what was last sent; the
  second reads again and writes only the new and changed documents, each with all its parts. A
  document sent before and now absent is cancelled, unless the PMS's own cancellations say so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from cynare.agent.columns import RowShape
from cynare.agent.diff import CANCEL_KINDS, DELETED_REASON, Fingerprints, compare
from cynare.agent.sources import DatasetStream, EntitySession
from cynare.agent.state import AgentState
from cynare.extract.datasets import DATASETS, Dataset, Role, parts_of
from cynare.extract.manifest import FileEntry
from cynare.extract.writer import DatasetWriter

log = logging.getLogger(__name__)
_CHUNK = 2_000
_LISTED = 20  # documents named one by one in the log before a count of the rest
_WHOLE = (Role.REFERENCE, Role.SNAPSHOT)


class Progress(Protocol):
    def start(self, label: str) -> None: ...

    def advance(self, rows: int) -> None: ...


class Silent:
    def start(self, label: str) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


class _Sink:
    """One dataset's file in the batch: rows written in chunks, the earliest `date` noted."""

    def __init__(self, folder: Path, name: str) -> None:
        self.writer = DatasetWriter(folder, name)
        columns = DATASETS[name].columns
        self._date_at = columns.index("date") if "date" in columns else None
        self._chunk: list[list[str]] = []
        self.low: str | None = None
        self.entry: FileEntry | None = None

    @property
    def rows(self) -> int:
        return self.writer.rows + len(self._chunk)

    def add(self, cells: list[str]) -> None:
        self._chunk.append(cells)
        if self._date_at is not None:
            day = cells[self._date_at]
            if day and (self.low is None or day < self.low):
                self.low = day
        if len(self._chunk) >= _CHUNK:
            self.writer.write_rows(self._chunk)
            self._chunk.clear()

    def close(self) -> FileEntry:
        if self.entry is None:
            try:
                self.writer.write_rows(self._chunk)
            finally:
                self.entry = self.writer.close()
        return self.entry


@dataclass(slots=True)
class Built:
    """What went into the batch folder, and what the state records if the batch is committed."""

    entries: list[FileEntry] = field(default_factory=list)
    watermarks: dict[str, Any] = field(default_factory=dict)  # raw: as the database gave them
    snapshots: dict[str, str] = field(default_factory=dict)
    forgotten: dict[str, list[str]] = field(default_factory=dict)  # dataset → keys gone from the PMS
    changed: bool = False  # a document, a cancellation or reference data to send
    first_date: str | None = None


def _key_of(dataset: Dataset) -> Callable[[list[str]], str]:
    # Trimmed, as the import reads the cells: the same key whatever spaces the PMS pads it with.
    at = [dataset.columns.index(column) for column in dataset.key]
    if len(at) == 1:
        only = at[0]
        return lambda cells: cells[only].strip()
    return lambda cells: "|".join(cells[i].strip() for i in at)


def _link_of(part: Dataset) -> Callable[[list[str]], str]:
    assert part.link is not None
    at = part.columns.index(part.link)
    return lambda cells: cells[at].strip()


def _higher(high: Any, mark: Any) -> Any:
    return mark if mark is not None and (high is None or mark > high) else high


class EntityReader:
    """Reads one entity in one session of the source into `folder`; `since` holds restored watermarks."""

    def __init__(
        self, session: EntitySession, state: AgentState, *, entity: str, as_at: date, folder: Path,
        since: Mapping[str, Any], full: bool, progress: Progress,
    ) -> None:  # fmt: skip
        self._session = session
        self._state = state
        self._entity = entity
        self._as_at = as_at
        self._folder = folder
        self._since = since
        self._full = full
        self._progress = progress
        self._previous = state.snapshot_hashes(entity)
        self._sinks: dict[str, _Sink] = {}
        self._whole_sent: set[str] = set()  # reference and snapshot datasets that go in the batch
        self._deletions: dict[str, tuple[str, str]] = {}  # "kind|document_id" → (dataset, key)
        self.built = Built()

    def read(self, names: Sequence[str]) -> Built:
        try:
            # Explicit cancellations last: they settle which detected deletions still need a row.
            for name in sorted(names, key=lambda n: n == "cancellations"):
                dataset = DATASETS[name]
                if dataset.parent is not None:
                    if dataset.parent not in names:
                        log.warning(
                            "entity %s, dataset %s: not extracted: its rows go with their %s, which has no query",
                            self._entity, name, dataset.parent,
                        )  # fmt: skip
                elif dataset.role in _WHOLE:
                    self._whole(name)
                else:
                    self._documents(name, [part.name for part in parts_of(name) if part.name in names])
            self._cancel_deleted()
            self._finish()
        finally:
            for sink in self._sinks.values():
                sink.close()
        return self.built

    # Reading
    def _sink(self, name: str) -> _Sink:
        if name not in self._sinks:
            self._sinks[name] = _Sink(self._folder, name)
        return self._sinks[name]

    def _open(self, name: str, since: Any | None) -> tuple[DatasetStream, RowShape] | None:
        stream = self._session.read(name, since, self._as_at)
        if stream is None:
            return None
        return stream, RowShape(DATASETS[name], stream.names, stream.origin)

    def _open_marked(self, name: str) -> tuple[DatasetStream, RowShape] | None:
        """Open with the dataset's watermark; a query that no longer selects one is read whole."""
        mark = self._since.get(name)
        opened = self._open(name, mark)
        if opened is not None and mark is not None and opened[1].watermark_index is None:
            close = getattr(opened[0].rows, "close", None)
            if close is not None:
                close()
            opened = self._open(name, None)  # a stale watermark must never make a whole read partial
        return opened

    def _rows(self, stream: DatasetStream, shape: RowShape) -> Iterator[tuple[int, Sequence[Any], list[str]]]:
        """(row number, values, cells); row numbers as the source gives them, for its messages."""
        count = 0
        for number, values in enumerate(stream.rows, start=stream.first_row_number):
            yield number, values, shape.cells(values, number)
            count += 1
            if count == _CHUNK:
                self._progress.advance(count)
                count = 0
        self._progress.advance(count)

    # Reference data and snapshots
    def _whole(self, name: str) -> None:
        opened = self._open(name, None)  # always whole: the import takes the file as the whole list
        if opened is None:
            return
        self._progress.start(f"{self._entity} {name}")
        sink = self._sink(name)
        for _, _, cells in self._rows(*opened):
            sink.add(cells)
        sha = sink.close().sha256
        changed = sha != self._previous.get(name)
        self.built.snapshots[name] = sha
        self.built.changed |= changed
        if changed or self._full or DATASETS[name].role is Role.SNAPSHOT:
            self._whole_sent.add(name)

    # Documents
    def _documents(self, name: str, parts: list[str]) -> None:
        opened = self._open_marked(name)
        if opened is None:
            return
        if opened[1].watermark_index is not None:
            self._incremental(name, *opened, parts)
        else:
            self._compare(name, *opened, parts)

    def _claim(self, name: str, key: str) -> None:
        if name == "cancellations":  # the PMS's own cancellation of a deleted document wins
            self._deletions.pop(key, None)

    def _incremental(self, name: str, stream: DatasetStream, shape: RowShape, parts: list[str]) -> None:
        key_of = _key_of(DATASETS[name])
        sink = self._sink(name)
        headers: set[str] = set()
        at = shape.watermark_index
        assert at is not None
        high: Any = None
        keyed = bool(parts) or name == "cancellations"
        self._progress.start(f"{self._entity} {name}")
        for _, values, cells in self._rows(stream, shape):
            sink.add(cells)
            high = _higher(high, values[at])
            if keyed:
                key = key_of(cells)
                self._claim(name, key)
                headers.add(key)
        self._mark(name, high)
        for part in parts:
            opened = self._open_marked(part)
            if opened is None:
                continue
            self._progress.start(f"{self._entity} {part}")
            part_sink, part_at, link = self._sink(part), opened[1].watermark_index, _link_of(DATASETS[part])
            high = None
            for _, values, cells in self._rows(*opened):
                if part_at is not None:
                    part_sink.add(cells)
                    high = _higher(high, values[part_at])
                elif link(cells) in headers:  # a part read whole goes only with the headers in this batch
                    part_sink.add(cells)
            self._mark(part, high)

    def _mark(self, name: str, high: Any) -> None:
        if high is not None:
            self.built.watermarks[name] = high

    def _compare(self, name: str, stream: DatasetStream, shape: RowShape, parts: list[str]) -> None:
        key_of = _key_of(DATASETS[name])
        prints = Fingerprints()
        self._sink(name)
        self._progress.start(f"{self._entity} {name}: comparing with what was sent")
        for _, _, cells in self._rows(stream, shape):
            key = key_of(cells)
            prints.add(key, name, cells)
            self._claim(name, key)
        for part in parts:
            opened = self._open(part, None)  # whole: a document is compared with all its parts
            if opened is not None:
                self._sink(part)
                self._progress.start(f"{self._entity} {part}: comparing with what was sent")
                self._fingerprint_part(name, part, *opened, prints)
        changed = prints.by_key
        previous = self._state.sent_fingerprints(self._entity, name)
        gone, unchanged = compare(changed, previous, keep_unchanged=self._full)
        log.info(
            "entity %s, dataset %s: %d documents to send, %d gone from the PMS, %d unchanged",
            self._entity, name, len(changed), len(gone), unchanged,
        )  # fmt: skip
        self._gone(name, gone)
        if changed:
            self._send(name, parts, changed)

    def _fingerprint_part(
        self, name: str, part: str, stream: DatasetStream, shape: RowShape, prints: Fingerprints
    ) -> None:
        link = _link_of(DATASETS[part])
        orphans, first = 0, ""
        for number, _, cells in self._rows(stream, shape):
            if not prints.extend(link(cells), part, cells):
                orphans += 1
                if orphans == 1:
                    first = f"row {number}, key {_key_of(DATASETS[part])(cells)}"
        if orphans:
            log.warning(
                "entity %s, dataset %s, %s (%s): its %s is not in %s, so it is not sent%s",
                self._entity, part, first, stream.origin, DATASETS[part].link, name,
                f" ({orphans - 1} more rows like it)" if orphans > 1 else "",
            )  # fmt: skip

    def _send(self, name: str, parts: list[str], changed: dict[str, int]) -> None:
        """Pass 2: write the documents in `changed`, each with all its parts; stage what was written."""
        key_of = _key_of(DATASETS[name])
        sent = Fingerprints()  # of the rows written: the PMS may have moved since pass 1
        sink = self._sink(name)
        opened = self._open(name, None)
        if opened is None:
            return
        self._progress.start(f"{self._entity} {name}")
        for _, _, cells in self._rows(*opened):
            key = key_of(cells)
            if key in changed:
                del changed[key]  # moved to `sent`: one map's worth of memory, not two
            elif key not in sent.by_key:  # (a header key given twice is written twice, as read)
                continue
            sink.add(cells)
            sent.add(key, name, cells)
        for part in parts:
            opened = self._open(part, None)
            if opened is None:
                continue
            self._progress.start(f"{self._entity} {part}")
            part_sink, link = self._sink(part), _link_of(DATASETS[part])
            for _, _, cells in self._rows(*opened):
                if sent.extend(link(cells), part, cells):
                    part_sink.add(cells)
        self._state.stage_sent(self._entity, name, sent.by_key)

    # Deletions
    def _gone(self, name: str, keys: list[str]) -> None:
        if not keys:
            return
        self.built.forgotten[name] = keys
        kind = CANCEL_KINDS.get(name)
        if kind is not None:
            for key in keys:
                self._deletions[f"{kind}|{key}"] = (name, key)
            return
        # Clients, returns and the PMS's own cancellations are not cancelled by a row of cancellations.csv.
        level = logging.INFO if name == "cancellations" else logging.WARNING
        for key in keys[:_LISTED]:
            log.log(
                level, "entity %s, dataset %s, key %s: sent before and no longer in the PMS; not cancelled in Xero",
                self._entity, name, key,
            )  # fmt: skip
        if len(keys) > _LISTED:
            log.log(level, "entity %s, dataset %s: %d more keys no longer in the PMS", self._entity, name,
                    len(keys) - _LISTED)  # fmt: skip

    def _cancel_deleted(self) -> None:
        """A document sent before and gone from the PMS: a row of cancellations.csv, dated the extract date."""
        if not self._deletions:
            return
        sink = self._sink("cancellations")
        columns = DATASETS["cancellations"].columns
        for identity, (name, key) in self._deletions.items():
            kind = identity.split("|", 1)[0]
            row = {"kind": kind, "document_id": key, "date": self._as_at.isoformat(), "reason": DELETED_REASON}
            sink.add([row.get(column, "") for column in columns])
            log.warning(
                "entity %s, dataset %s, key %s: deleted in the PMS since it was sent; cancelled by "
                "cancellations.csv row %d",
                self._entity, name, key, sink.rows + 1,  # the header is row 1
            )  # fmt: skip

    def _finish(self) -> None:
        """Keep the files that go in the batch: reference data as decided, every document dataset read."""
        for name, sink in self._sinks.items():
            entry = sink.close()
            whole = DATASETS[name].role in _WHOLE
            if whole and name not in self._whole_sent:
                sink.writer.path.unlink()
                continue
            self.built.entries.append(entry)  # an empty document file says "nothing changed", as a missing one
            self.built.changed |= not whole and entry.rows > 0
            if sink.low is not None and (self.built.first_date is None or sink.low < self.built.first_date):
                self.built.first_date = sink.low
