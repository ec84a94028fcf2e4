"""Applier: a write-back document as CSV files for the PMS's own import.

Each document becomes a folder `{csv_folder}/{entity}/{writeback_id}/` with one CSV per item kind
(columns are the item's fields). The folder appears whole, by a rename, and its presence means
the document was applied: writing it again changes nothing.
"""

from __future__ import annotations

import csv
import shutil
from datetime import datetime
from pathlib import Path

from cynare.extract.writeback import WritebackDocument


class CsvApplier:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def apply(self, document: WritebackDocument, applied_at: datetime) -> bool:
        target = self._folder / document.entity / document.writeback_id
        if target.exists():
            return False
        building = target.with_name(f".{document.writeback_id}.building")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        by_kind: dict[str, list[dict[str, str | None]]] = {}
        for item in document.items:
            by_kind.setdefault(item.kind, []).append(item.parameters())
        for kind, rows in by_kind.items():
            with (building / f"{kind}.csv").open("w", encoding="utf-8", newline="") as stream:
                writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\r\n")
                writer.writeheader()
                writer.writerows(rows)
        (building / "applied.txt").write_text(
            f"writeback_id={document.writeback_id}\nentity={document.entity}\napplied_at={applied_at.isoformat()}\n",
            encoding="utf-8",
        )
        building.rename(target)
        return True
