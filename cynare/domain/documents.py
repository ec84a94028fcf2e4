"""Documents: what the warehouse keeps per PMS record and what Xero will receive.

A bill arrives as a header row and its line rows; it is one document. Each document is known by
its firm-level identity (stable across a change of PMS), names the documents it depends on, and
carries a version: a hash of its content, so that the same content arriving again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

# Posting order: a document is posted after those it depends on.
POSTING_ORDER: tuple[str, ...] = (
    "clients",
    "bills",
    "credit_notes",
    "write_offs",
    "receipts",
    "returned_receipts",
    "unallocated_receipts",
    "allocations",
)
DOCUMENT_DATASETS = frozenset(POSTING_ORDER)


@dataclass(frozen=True, slots=True, order=True)
class DocKey:
    dataset: str
    firm_id: str

    def __str__(self) -> str:
        return f"{self.dataset}|{self.firm_id}"

    @classmethod
    def parse(cls, text: str) -> DocKey:
        dataset, _, firm_id = text.partition("|")
        return cls(dataset, firm_id)


@dataclass(frozen=True, slots=True)
class Document:
    entity: str
    key: DocKey
    source_system: str
    source_id: str
    payload: dict[str, Any]
    depends_on: tuple[DocKey, ...] = ()
    rows: int = 1  # extract rows folded into this document (a bill's header and its lines)
    version: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.version:
            object.__setattr__(self, "version", content_version(self.payload))


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def content_version(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:16]
