"""Pruning: batch folders already uploaded, and daily log files, once they are older than `agent.keep_days`.

Why it is safe: an uploaded batch is in Cynare Link's storage (kept there, versioned, until the
deployment's own retention), and the agent's state keeps what it needs to resume or recognise a
batch (ids, sequences, fingerprints) without the folder. What is never touched: a batch still
waiting to upload, the newest batch of each entity (support asks for it first), a folder being
built, anything the state does not know as a batch, the state itself, and anything outside the
work folder (a state restored from another machine may name folders elsewhere).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from cynare.agent.state import BatchRecord

LOG_FILE = re.compile(r"cynare-agent-(\d{8})\.log")  # logs.start_log's daily file


@dataclass(frozen=True, slots=True)
class Pruned:
    batches: list[Path] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # why a candidate was left, for the log

    def summary(self, keep_days: int) -> str:
        return (f"prune: removed {len(self.batches)} uploaded batch folder(s) and {len(self.logs)} log file(s) "
                f"older than {keep_days} day(s)")  # fmt: skip


def prune(work_folder: Path, batches: Iterable[BatchRecord], keep_days: int, now: datetime,
          *, dry_run: bool = False) -> Pruned:  # fmt: skip
    """Delete what is older than `keep_days` (0 keeps everything); `dry_run` only says what would go."""
    result = Pruned()
    if keep_days <= 0:
        return result
    cutoff = now - timedelta(days=keep_days)
    for folder in old_batch_folders(work_folder, list(batches), cutoff, result.kept):
        if not dry_run:
            shutil.rmtree(folder)
        result.batches.append(folder)
    for log in old_logs(work_folder / "logs", cutoff.date()):
        if not dry_run:
            log.unlink()
        result.logs.append(log)
    return result


def old_batch_folders(work_folder: Path, records: list[BatchRecord], cutoff: datetime, kept: list[str]) -> list[Path]:
    root = (work_folder / "batches").resolve()
    newest = {record.entity: record.batch_id for record in records}  # records come in commit order
    folders = []
    for record in records:
        if record.uploaded_at is None or newest[record.entity] == record.batch_id:
            continue
        if datetime.fromisoformat(record.uploaded_at) > cutoff:
            continue
        folder = _inside(root, record)
        if folder is None:
            kept.append(f"{record.entity}/{record.batch_id}: its folder {record.folder} is not in {root}; left alone")
        elif folder.is_dir():
            folders.append(folder)
    return folders


def old_logs(folder: Path, cutoff: date) -> list[Path]:
    if not folder.is_dir():
        return []
    old = []
    for path in sorted(folder.iterdir()):
        match = LOG_FILE.fullmatch(path.name)
        if match is None or path.is_symlink() or not path.is_file():
            continue
        try:
            day = datetime.strptime(match[1], "%Y%m%d").date()  # noqa: DTZ007 - a calendar day, no time
        except ValueError:
            continue
        if day < cutoff:
            old.append(path)
    return old


def _inside(root: Path, record: BatchRecord) -> Path | None:
    """The batch's folder when it is exactly `batches/{entity}/{batch_id}` in this work folder, else None."""
    folder = record.folder
    if folder.is_symlink():
        return None
    resolved = folder.resolve()
    if resolved != root / record.entity / record.batch_id:
        return None
    return resolved
