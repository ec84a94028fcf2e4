"""Stored documents to table entities and back.

One string property holds at most 64 KiB (32K UTF-16 units). canonical_json escapes every
non-ASCII character, so one Python character is one unit: a payload (or a long list of holds) is
split over Payload, Payload1, Payload2... History keeps its last entries that fit one property.
An entity must stay under 1 MiB: a payload too long for the row goes to Blob Storage (PayloadBlob
names it; payload_blobs.py), and a row that still cannot fit is refused before any write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from azure.data.tables import EdmType, EntityProperty

from cynare.adapters.tables.keys import checked
from cynare.adapters.tables.transactions import entity_size
from cynare.domain.documents import DocKey, Document
from cynare.domain.holds import Hold, HoldKind
from cynare.domain.lifecycle import HISTORY_KEPT, Stamp, State, StoredDocument, Transition
from cynare.domain.payloads import body_from_payload, canonical_json, to_payload
from cynare.errors import CynareError

CHUNK = 30_000
MAX_CHUNKS = 15
INLINE_PAYLOAD = CHUNK * 10  # longer payloads go to Blob Storage: the row keeps room for holds and history
MAX_ENTITY_BYTES = 1_000_000  # Azure's limit is 1 MiB, keys and property names included


class DocumentTooLarge(CynareError, ValueError):
    """A document bigger than one table row can hold (1 MiB)."""


def split_text(name: str, text: str) -> dict[str, str]:
    parts = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    if len(parts) > MAX_CHUNKS:
        raise DocumentTooLarge(f"{name} of {len(text)} characters exceeds {CHUNK * MAX_CHUNKS}")
    return {(name if index == 0 else f"{name}{index}"): part for index, part in enumerate(parts)}


def join_text(entity: Mapping[str, Any], name: str) -> str:
    text = str(entity.get(name, ""))
    index = 1
    while f"{name}{index}" in entity:
        text += entity[f"{name}{index}"]
        index += 1
    return text


def _history(history: tuple[Transition, ...]) -> str:
    kept = [item.as_list() for item in history[-HISTORY_KEPT:]]
    text = json.dumps(kept)
    while len(text) > CHUNK and len(kept) > 1:  # long reasons: fewer entries rather than a refused write
        kept = kept[1:]
        text = json.dumps(kept)
    return text[:CHUNK]


PayloadWriter = Callable[[StoredDocument, str], str]  # (document, payload) -> the blob's name
PayloadReader = Callable[[str], str]


def to_entity(stored: StoredDocument, offload: PayloadWriter | None = None) -> dict[str, Any]:
    document, stamp = stored.document, stored.stamp
    entity: dict[str, Any] = {
        "PartitionKey": document.entity,
        "RowKey": checked(str(document.key), "document key"),
        "Dataset": document.key.dataset,
        "FirmId": document.key.firm_id,
        "SourceSystem": document.source_system,
        "SourceId": document.source_id,
        "Version": document.version,
        "State": stored.state.value,
        "Reason": stored.reason[:CHUNK],  # the holds are kept whole below; the reason only says them
        "History": _history(stored.history),
        "Rows": document.rows,
        "BatchId": stamp.batch_id,
        "Source": stamp.source,
        "Sequence": EntityProperty(stamp.sequence, EdmType.INT64),  # a source's counter: never cut to 32 bits
        "XeroId": stored.xero_id,
        # Every change of a stored document adds a transition, so its last one is when it changed.
        "UpdatedAt": stored.history[-1].at if stored.history else None,
    }
    holds = [[hold.kind.value, hold.subject, hold.detail] for hold in stored.holds]
    entity.update(split_text("Holds", canonical_json(holds)))
    payload = canonical_json(to_payload(document.body))
    if len(payload) > INLINE_PAYLOAD and offload is not None:
        entity["PayloadBlob"] = offload(stored, payload)
    else:
        entity.update(split_text("Payload", payload))
    size = entity_size(entity)
    if size > MAX_ENTITY_BYTES:
        raise DocumentTooLarge(f"document {document.key} would take {size} bytes; a table entity holds 1 MiB")
    return entity


def _int(value: Any) -> int:
    return int(value.value if isinstance(value, EntityProperty) else value)


def _holds(entity: Mapping[str, Any]) -> list[list[str]]:
    holds: list[list[str]] = json.loads(join_text(entity, "Holds") or "[]")
    return holds


def from_entity(entity: Mapping[str, Any], load: PayloadReader | None = None) -> StoredDocument:
    key = DocKey(str(entity["Dataset"]), str(entity["FirmId"]))
    blob = entity.get("PayloadBlob")
    if blob and load is None:
        raise ValueError(f"document {key} keeps its payload in Blob Storage: read it with a payload reader")
    payload = load(str(blob)) if blob and load is not None else join_text(entity, "Payload")
    document = Document(
        entity=str(entity["PartitionKey"]),
        key=key,
        source_system=str(entity["SourceSystem"]),
        source_id=str(entity["SourceId"]),
        body=body_from_payload(key.dataset, json.loads(payload)),
        rows=_int(entity["Rows"]),
        version=str(entity["Version"]),
    )
    metadata: dict[str, Any] = getattr(entity, "metadata", {})
    return StoredDocument(
        document=document,
        state=State(entity["State"]),
        reason=str(entity.get("Reason", "")),
        history=tuple(Transition.from_list(item) for item in json.loads(entity["History"])),
        stamp=Stamp(str(entity["BatchId"]), str(entity["Source"]), _int(entity["Sequence"])),
        holds=tuple(Hold(HoldKind(kind), subject, detail) for kind, subject, detail in _holds(entity)),
        xero_id=str(entity.get("XeroId", "")),
        etag=str(metadata.get("etag", "")),
    )
