"""The agent's own memory, a SQLite file in its work folder: watermarks, batches, write-backs, runs.

Watermarks, the batch sequence and the fingerprints of the documents sent move only when a batch
is committed, in the same transaction that records the batch, so a run that stops half way reads
and sends the same rows again next time, under the same sequence number.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS watermarks (
    entity TEXT NOT NULL, dataset TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (entity, dataset));
CREATE TABLE IF NOT EXISTS batches (
    entity TEXT NOT NULL, batch_id TEXT NOT NULL, folder TEXT NOT NULL, rows INTEGER NOT NULL,
    committed_at TEXT NOT NULL, uploaded_at TEXT, PRIMARY KEY (entity, batch_id));
CREATE TABLE IF NOT EXISTS snapshots (
    entity TEXT NOT NULL, dataset TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (entity, dataset));
CREATE TABLE IF NOT EXISTS sequences (
    entity TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sent_documents (
    entity TEXT NOT NULL, dataset TEXT NOT NULL, key TEXT NOT NULL, fingerprint BLOB NOT NULL,
    PRIMARY KEY (entity, dataset, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sent_blobs (
    name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, sent_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sending_blobs (
    name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, started_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS applied_writebacks (
    entity TEXT NOT NULL, writeback_id TEXT NOT NULL, version TEXT NOT NULL, items INTEGER NOT NULL,
    applied_at TEXT NOT NULL, acknowledged_at TEXT, PRIMARY KEY (entity, writeback_id, version));
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, started_at TEXT NOT NULL,
    finished_at TEXT, outcome TEXT, message TEXT);
"""
# Fingerprints of the batch being built: private to this connection and gone after a crash, so
# nothing of an uncommitted batch is ever taken as sent.
_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS staged_documents (
    entity TEXT NOT NULL, dataset TEXT NOT NULL, key TEXT NOT NULL, fingerprint BLOB NOT NULL,
    PRIMARY KEY (entity, dataset, key)) WITHOUT ROWID;
"""
# A state written before write-backs had versions: its documents are kept with version '' (any version).
_MIGRATE_WRITEBACKS = (
    "INSERT OR IGNORE INTO applied_writebacks "
    "SELECT entity, writeback_id, '', items, applied_at, acknowledged_at FROM writebacks",
    "DROP TABLE writebacks",
)
_FINGERPRINT_BYTES = 16
LEGACY_VERSION = ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class BatchRecord:
    entity: str
    batch_id: str
    folder: Path
    rows: int
    committed_at: str
    uploaded_at: str | None


@dataclass(frozen=True, slots=True)
class WritebackRecord:
    entity: str
    writeback_id: str
    version: str  # the document's content version; '' for one applied before versions were kept
    items: int
    applied_at: str
    acknowledged_at: str | None


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    command: str
    started_at: str
    finished_at: str | None
    outcome: str | None
    message: str | None


class AgentState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._db.executescript(_STAGING)
        if self._has_legacy_writebacks():
            with self._transaction() as db:
                if self._has_legacy_writebacks():  # another process may have moved them meanwhile
                    for statement in _MIGRATE_WRITEBACKS:
                        db.execute(statement)

    def _has_legacy_writebacks(self) -> bool:
        row = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'writebacks'")
        return row.fetchone() is not None

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # Watermarks and snapshots
    def watermarks(self, entity: str) -> dict[str, Any]:
        rows = self._db.execute("SELECT dataset, value FROM watermarks WHERE entity = ?", (entity,))
        return {dataset: json.loads(value) for dataset, value in rows}

    def snapshot_hashes(self, entity: str) -> dict[str, str]:
        rows = self._db.execute("SELECT dataset, sha256 FROM snapshots WHERE entity = ?", (entity,))
        return dict(rows.fetchall())

    def has_batch(self, entity: str, batch_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM batches WHERE entity = ? AND batch_id = ?", (entity, batch_id))
        return row.fetchone() is not None

    def last_sequence(self, entity: str) -> int:
        """The sequence of the entity's last committed batch; 0 before the first."""
        row = self._db.execute("SELECT last FROM sequences WHERE entity = ?", (entity,)).fetchone()
        return int(row[0]) if row else 0

    def record_batch(
        self, batch: BatchRecord, watermarks: dict[str, Any], snapshots: dict[str, str], *, sequence: int,
        forgotten: Mapping[str, Iterable[str]] | None = None,
    ) -> None:  # fmt: skip
        """Record a committed batch: its sequence, watermarks, snapshot hashes, and the documents it sent.

        The fingerprints staged for the entity become the documents sent; `forgotten` (dataset → keys)
        are documents gone from the PMS, no longer tracked.
        """
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO batches VALUES (?,?,?,?,?,NULL)",
                (batch.entity, batch.batch_id, str(batch.folder), batch.rows, batch.committed_at),
            )
            db.execute(
                "INSERT INTO sequences VALUES (?, ?) ON CONFLICT (entity) DO UPDATE SET last = max(last, excluded.last)",
                (batch.entity, sequence),
            )
            db.executemany(
                "INSERT OR REPLACE INTO watermarks VALUES (?,?,?)",
                [(batch.entity, name, json.dumps(value)) for name, value in watermarks.items()],
            )
            db.executemany(
                "INSERT OR REPLACE INTO snapshots VALUES (?,?,?)",
                [(batch.entity, name, digest) for name, digest in snapshots.items()],
            )
            db.execute(
                "INSERT OR REPLACE INTO sent_documents SELECT * FROM staged_documents WHERE entity = ?", (batch.entity,)
            )
            db.execute("DELETE FROM staged_documents WHERE entity = ?", (batch.entity,))
            self._forget(db, batch.entity, forgotten or {})

    # Documents sent: per entity, dataset and key, a 128-bit fingerprint of what the last batch carried
    def sent_fingerprints(self, entity: str, dataset: str) -> Iterator[tuple[str, int]]:
        rows = self._db.execute(
            "SELECT key, fingerprint FROM sent_documents WHERE entity = ? AND dataset = ?", (entity, dataset)
        )
        for key, fingerprint in rows:
            yield key, int.from_bytes(fingerprint, "big")

    def stage_sent(self, entity: str, dataset: str, fingerprints: Mapping[str, int]) -> None:
        """Fingerprints of documents written into the batch being built; kept only if `record_batch` follows."""
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO staged_documents VALUES (?,?,?,?)",
                (
                    (entity, dataset, key, value.to_bytes(_FINGERPRINT_BYTES, "big"))
                    for key, value in fingerprints.items()
                ),
            )

    def discard_staged(self, entity: str) -> None:
        self._db.execute("DELETE FROM staged_documents WHERE entity = ?", (entity,))

    def forget_sent(self, entity: str, forgotten: Mapping[str, Iterable[str]]) -> None:
        """Stop tracking documents gone from the PMS when no batch carries anything about them."""
        with self._transaction() as db:
            self._forget(db, entity, forgotten)

    @staticmethod
    def _forget(db: sqlite3.Connection, entity: str, forgotten: Mapping[str, Iterable[str]]) -> None:
        for dataset, keys in forgotten.items():
            db.executemany(
                "DELETE FROM sent_documents WHERE entity = ? AND dataset = ? AND key = ?",
                ((entity, dataset, key) for key in keys),
            )

    def forget_watermarks(self, entity: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM watermarks WHERE entity = ?", (entity,))
            db.execute("DELETE FROM snapshots WHERE entity = ?", (entity,))

    def batches(self, *, waiting_only: bool = False) -> list[BatchRecord]:
        query = "SELECT entity, batch_id, folder, rows, committed_at, uploaded_at FROM batches"
        if waiting_only:
            query += " WHERE uploaded_at IS NULL"
        rows = self._db.execute(query + " ORDER BY rowid").fetchall()  # the order they were committed
        return [BatchRecord(e, b, Path(f), r, c, u) for e, b, f, r, c, u in rows]

    def mark_uploaded(self, entity: str, batch_id: str) -> None:
        self._db.execute(
            "UPDATE batches SET uploaded_at = ? WHERE entity = ? AND batch_id = ?", (_now(), entity, batch_id)
        )

    # Blobs sent: how a create-only credential, which may not read what it wrote, knows what is there.
    # The intent is recorded before each upload, so a run stopped between the upload and its record
    # knows the blob may be there, with this content.
    def blob_sent(self, name: str, sha256: str) -> bool:
        row = self._db.execute("SELECT 1 FROM sent_blobs WHERE name = ? AND sha256 = ?", (name, sha256)).fetchone()
        return row is not None

    def blob_pending(self, name: str, sha256: str) -> bool:
        """True when an earlier attempt started sending this content under this name and did not record it sent."""
        row = self._db.execute("SELECT 1 FROM sending_blobs WHERE name = ? AND sha256 = ?", (name, sha256))
        return row.fetchone() is not None

    def record_blob_sending(self, name: str, sha256: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO sending_blobs VALUES (?,?,?)", (name, sha256, _now()))

    def record_blob_sent(self, name: str, sha256: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO sent_blobs VALUES (?,?,?)", (name, sha256, _now()))
            db.execute("DELETE FROM sending_blobs WHERE name = ?", (name,))

    # Write-backs: one record per entity, id and content version
    def writeback_record(self, entity: str, writeback_id: str, version: str) -> WritebackRecord | None:
        """This version's record (or a record from before versions were kept, which stands for any version)."""
        row = self._db.execute(
            "SELECT entity, writeback_id, version, items, applied_at, acknowledged_at FROM applied_writebacks "
            "WHERE entity = ? AND writeback_id = ? AND version IN (?, ?) ORDER BY version DESC LIMIT 1",
            (entity, writeback_id, version, LEGACY_VERSION),
        ).fetchone()
        return WritebackRecord(*row) if row else None

    def record_writeback(self, entity: str, writeback_id: str, version: str, items: int, applied_at: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO applied_writebacks VALUES (?,?,?,?,?,NULL)",
            (entity, writeback_id, version, items, applied_at),
        )

    def mark_acknowledged(self, entity: str, writeback_id: str, version: str) -> None:
        self._db.execute(
            "UPDATE applied_writebacks SET acknowledged_at = ? WHERE entity = ? AND writeback_id = ? AND version = ?",
            (_now(), entity, writeback_id, version),
        )

    def writebacks(self, *, unacknowledged_only: bool = False) -> list[WritebackRecord]:
        query = "SELECT entity, writeback_id, version, items, applied_at, acknowledged_at FROM applied_writebacks"
        if unacknowledged_only:
            query += " WHERE acknowledged_at IS NULL"
        return [WritebackRecord(*row) for row in self._db.execute(query + " ORDER BY applied_at")]

    # Run log
    def start_run(self, command: str) -> int:
        cursor = self._db.execute("INSERT INTO runs (command, started_at) VALUES (?, ?)", (command, _now()))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_run(self, run_id: int, outcome: str, message: str = "") -> None:
        self._db.execute(
            "UPDATE runs SET finished_at = ?, outcome = ?, message = ? WHERE id = ?", (_now(), outcome, message, run_id)
        )

    def last_runs(self, limit: int = 10) -> list[RunRecord]:
        rows = self._db.execute(
            "SELECT id, command, started_at, finished_at, outcome, message FROM runs ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [RunRecord(*row) for row in rows]
