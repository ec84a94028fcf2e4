"""Turn a validated batch into warehouse documents and reference rows (pure: no I/O).

Header and part rows become one document (a bill and its lines, a receipt and its allocations);
every id is translated into the firm-level identity; each document names what it depends on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cynare.domain.documents import DocKey, Document
from cynare.domain.identity import IdentityMap
from cynare.extract.rows import Row

REFERENCE_DATASETS = frozenset(
    {"vat_codes", "debtors", "map_nominal", "map_vat", "map_tracking", "map_bank", "map_entity", "identity_links"}
)
_PARTS = {"bill_lines": ("bills", "bill_id", "lines"), "receipt_allocations": ("receipts", "receipt_id", "allocations")}
_OWN_ID = {
    "clients": "client_id",
    "bills": "bill_id",
    "credit_notes": "credit_note_id",
    "write_offs": "write_off_id",
    "receipts": "receipt_id",
    "returned_receipts": "return_id",
    "unallocated_receipts": "unallocated_id",
    "allocations": "allocation_id",
}
# column -> dataset it refers to
_REFERENCES = {
    "client_id": "clients",
    "bill_id": "bills",
    "receipt_id": "receipts",
}


@dataclass(frozen=True, slots=True)
class Assembled:
    documents: list[Document]
    reference: dict[str, list[tuple[str, dict[str, Any]]]]


def assemble(
    entity: str, identities: IdentityMap, accepted: Mapping[str, Iterable[Row]], keys: Mapping[str, tuple[str, ...]]
) -> Assembled:
    parts: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for part_dataset, (_, link, _) in _PARTS.items():
        for row in accepted.get(part_dataset, ()):
            parts[part_dataset][getattr(row, link)].append(row.model_dump(mode="json", exclude={link}))
    documents: list[Document] = []
    reference: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for dataset, rows in accepted.items():
        if dataset in REFERENCE_DATASETS:
            reference[dataset] = [
                ("|".join(str(getattr(row, column)) for column in keys[dataset]), row.model_dump(mode="json"))
                for row in rows
            ]
            continue
        if dataset in _PARTS:
            continue
        for row in rows:
            documents.append(_document(entity, identities, dataset, row, parts))
    return Assembled(documents, reference)


def _document(
    entity: str, identities: IdentityMap, dataset: str, row: Row, parts: dict[str, dict[str, list[dict[str, Any]]]]
) -> Document:
    source_id = str(getattr(row, _OWN_ID[dataset]))
    payload = row.model_dump(mode="json")
    row_count = 1
    for part_dataset, (parent, _link, name) in _PARTS.items():
        if parent == dataset:
            payload[name] = parts[part_dataset].get(source_id, [])
            row_count += len(payload[name])
    depends = {DocKey(target, identities.firm_id(target, str(getattr(row, column))))
               for column, target in _REFERENCES.items()
               if column in payload and payload[column] is not None and target != dataset}  # fmt: skip
    for allocation in payload.get("allocations", []):
        depends.add(DocKey("bills", identities.firm_id("bills", allocation["bill_id"])))
    if dataset == "allocations":
        source_dataset = "unallocated_receipts" if payload["source_type"] == "unallocated_receipt" else "credit_notes"
        depends.add(DocKey(source_dataset, identities.firm_id(source_dataset, payload["source_id"])))
    return Document(
        entity=entity,
        key=DocKey(dataset, identities.firm_id(dataset, source_id)),
        source_system=identities.source,
        source_id=source_id,
        payload=payload,
        depends_on=tuple(sorted(depends)),
        rows=row_count,
    )
