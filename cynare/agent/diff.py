"""Which documents changed since they were last sent, for a document dataset read whole (no watermark).

A document is its header row and the rows of its parts (a bill and its lines). Its fingerprint is
the sum, modulo 2**128, of one 128-bit BLAKE2b hash per row: rows may come in any order, and only
a key → fingerprint map is held in memory, never the rows. Comparing it with the fingerprints of
what the last batches sent gives the documents to send and the documents gone from the PMS.
"""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Iterable, Sequence
from typing import Final

from cynare.extract.datasets import KIND_DATASETS
from cynare.extract.rows import Cancellation

MASK: Final = (1 << 128) - 1
DELETED_REASON: Final = "deleted in the PMS"
_CANCELLABLE = frozenset(typing.get_args(Cancellation.model_fields["kind"].annotation))
# The `cancellations.kind` of a document dataset; clients and child documents are never cancelled so.
CANCEL_KINDS: Final[dict[str, str]] = {dataset: kind for kind, dataset in KIND_DATASETS.items() if kind in _CANCELLABLE}


def row_hash(dataset: str, cells: Sequence[str]) -> int:
    # NUL separates cells: a PMS value holding one is the only (harmless) ambiguity.
    data = (dataset + "\x00" + "\x00".join(cells)).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=16).digest(), "big")


class Fingerprints:
    """Document key → fingerprint, built one row at a time."""

    __slots__ = ("by_key",)

    def __init__(self) -> None:
        self.by_key: dict[str, int] = {}

    def add(self, key: str, dataset: str, cells: Sequence[str]) -> None:
        """A header row: its key starts (or, for a duplicate key, joins) a document."""
        self.by_key[key] = (self.by_key.get(key, 0) + row_hash(dataset, cells)) & MASK

    def extend(self, key: str, dataset: str, cells: Sequence[str]) -> bool:
        """A part row joins its document; False when there is no such document."""
        current = self.by_key.get(key)
        if current is None:
            return False
        self.by_key[key] = (current + row_hash(dataset, cells)) & MASK
        return True


def compare(
    current: dict[str, int], previous: Iterable[tuple[str, int]], *, keep_unchanged: bool
) -> tuple[list[str], int]:
    """Drop from `current` the documents sent before unchanged (unless `keep_unchanged`).

    Returns the keys sent before and absent now, and how many were unchanged; what stays in
    `current` is new or changed. Streams `previous`, so only one map is held in memory.
    """
    gone: list[str] = []
    unchanged = 0
    for key, fingerprint in previous:
        now = current.get(key)
        if now is None:
            gone.append(key)
        elif now == fingerprint:
            unchanged += 1
            if not keep_unchanged:
                del current[key]
    return gone, unchanged
