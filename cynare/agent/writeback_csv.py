"""Applier: a write-back document as CSV files for the PMS's own import.

Each version of a document becomes a folder `{csv_folder}/{entity}/{writeback_id}/{version}/`
(the first 16 hex digits of its SHA-256) with one CSV per item kind (columns are the item's
fields). The folder appears whole, by a rename, and its presence means that version was applied:
writing it again changes nothing, and a corrected document gets a folder of its own.

A person may open these files in a spreadsheet: text that came from Xero (a reference, a reason)
is neutralised against formula injection; amounts and dates are written as they are.
"""

from __future__ import annotations

import csv
import shutil
from datetime import datetime
from pathlib import Path

from cynare.extract.csv_safety import neutralise_row
from cynare.extract.writeback import WritebackDocument

VERSION_FOLDER_DIGITS = 16


def version_folder(root: Path, document: WritebackDocument) -> Path:
    return root / document.entity / document.writeback_id / document.version[:VERSION_FOLDER_DIGITS]


class CsvApplier:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def apply(self, document: WritebackDocument, applied_at: datetime) -> bool:
        target = version_folder(self._folder, document)
        if target.exists():
            return False
        building = target.with_name(f".{target.name}.building")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        by_kind: dict[str, list[dict[str, str | None]]] = {}
        for item in document.items:
            row = neutralise_row(item.parameters(), type(item).text_fields())
            by_kind.setdefault(item.kind, []).append(row)
        for kind, rows in by_kind.items():
            with (building / f"{kind}.csv").open("w", encoding="utf-8", newline="") as stream:
                writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\r\n")
                writer.writeheader()
                writer.writerows(rows)
        (building / "applied.txt").write_text(
            f"writeback_id={document.writeback_id}\nentity={document.entity}\nversion={document.version}\n"
            f"applied_at={applied_at.isoformat()}\n",
            encoding="utf-8",
        )
        building.rename(target)
        return True
