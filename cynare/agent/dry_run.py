"""`--dry-run`: what an extract would send, told from its manifest, without sending or recording it.

The dry run extracts into a scratch folder with a throwaway copy of the state
(`bootstrap.scratch_state`), so the real watermarks and batches stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cynare.agent.extract import EntityOutcome
from cynare.extract.manifest import MANIFEST_NAME, BatchRejected, Manifest


def dataset_rows(folders: Iterable[Path]) -> list[tuple[str, int]] | None:
    """(dataset, rows) of the first of `folders` that holds a readable manifest; None when none does."""
    for folder in folders:
        path = folder / MANIFEST_NAME
        try:
            manifest = Manifest.parse(path.read_bytes(), str(folder))
        except (OSError, BatchRejected):
            continue
        return [(entry.dataset, entry.rows) for entry in manifest.files]
    return None


def describe(outcome: EntityOutcome, scratch_batches: Path, real_batches: Path) -> list[str]:
    """The lines a dry run prints for one entity: the batch it would make and its rows per dataset."""
    head = f"extract {outcome.entity} (dry run):"
    if outcome.batch_id is None:
        return [f"{head} nothing to send: {outcome.note}"]
    new = scratch_batches / outcome.entity / outcome.batch_id
    known = real_batches / outcome.entity / outcome.batch_id
    counts = dataset_rows([new])
    if counts is not None:
        lines = [f"{head} would send a new batch of {outcome.rows:,} rows"]
    else:  # the same content as a batch the real runs already made: upload sends it only if it waits
        counts = dataset_rows([known])
        lines = [f"{head} {outcome.note}: batch {outcome.batch_id} ({outcome.rows:,} rows), sent only if it is waiting"]
    if counts:
        lines += [f"  {name}: {rows:,} row{'' if rows == 1 else 's'}" for name, rows in counts if rows]
        empty = [name for name, rows in counts if rows == 0]
        if empty:
            lines.append(f"  no rows: {', '.join(empty)}")
    return lines
