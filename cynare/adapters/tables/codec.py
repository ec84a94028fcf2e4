"""Documents to table entities and back.

A payload larger than one string property (64 KiB, i.e. 32K UTF-16 characters) is split over
Payload, Payload1, Payload2...; history keeps its last entries so an entity stays under 1 MiB.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cynare.domain.documents import DocKey, Document, canonical_json
from cynare.domain.lifecycle import State, Transition
from cynare.service_layer.ports import StoredDocument

CHUNK = 30_000
MAX_CHUNKS = 15
HISTORY_KEPT = 40


class DocumentTooLarge(ValueError):
    pass


def split_payload(text: str) -> dict[str, str]:
    parts = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    if len(parts) > MAX_CHUNKS:
        raise DocumentTooLarge(f"document payload of {len(text)} characters exceeds {CHUNK * MAX_CHUNKS}")
    return {("Payload" if index == 0 else f"Payload{index}"): part for index, part in enumerate(parts)}


def join_payload(entity: dict[str, Any]) -> str:
    text = entity.get("Payload", "")
    index = 1
    while f"Payload{index}" in entity:
        text += entity[f"Payload{index}"]
        index += 1
    return str(text)


def to_entity(
    document: Document,
    state: State,
    reason: str,
    history: tuple[Transition, ...],
    batch_id: str,
    at: datetime,
    xero_id: str = "",
) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "PartitionKey": document.entity,
        "RowKey": str(document.key),
        "Dataset": document.key.dataset,
        "FirmId": document.key.firm_id,
        "SourceSystem": document.source_system,
        "SourceId": document.source_id,
        "Version": document.version,
        "State": state.value,
        "Reason": reason,
        "History": json.dumps([item.as_list() for item in history[-HISTORY_KEPT:]]),
        "DependsOn": json.dumps([str(key) for key in document.depends_on]),
        "Rows": document.rows,
        "BatchId": batch_id,
        "XeroId": xero_id,
        "UpdatedAt": at,
    }
    entity.update(split_payload(canonical_json(document.payload)))
    return entity


def from_entity(entity: dict[str, Any]) -> StoredDocument:
    document = Document(
        entity=entity["PartitionKey"],
        key=DocKey.parse(entity["RowKey"]),
        source_system=entity["SourceSystem"],
        source_id=entity["SourceId"],
        payload=json.loads(join_payload(entity)),
        depends_on=tuple(DocKey.parse(text) for text in json.loads(entity["DependsOn"])),
        rows=int(entity["Rows"]),
        version=entity["Version"],
    )
    return StoredDocument(
        document=document,
        state=State(entity["State"]),
        reason=entity.get("Reason", ""),
        history=tuple(Transition.from_list(item) for item in json.loads(entity["History"])),
        etag=entity.metadata["etag"] if hasattr(entity, "metadata") else "",
        batch_id=entity.get("BatchId", ""),
        xero_id=entity.get("XeroId", ""),
    )
