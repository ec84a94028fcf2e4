"""Use case: import one committed batch into the warehouse.

Idempotent: a batch already imported changes nothing; a batch interrupted half way is imported
again from the start (every write is an upsert keyed by content) and only then marked imported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cynare.domain.assembly import assemble
from cynare.domain.documents import DocKey, Document
from cynare.domain.identity import LINK_KIND_DATASETS, IdentityMap, firm_id_of
from cynare.domain.lifecycle import State
from cynare.extract.batch import BatchFiles, ValidatedBatch, read_manifest, validate_batch
from cynare.extract.datasets import DATASETS
from cynare.extract.manifest import BatchRejected, Manifest
from cynare.extract.rows import IdentityLink, Row
from cynare.service_layer.ports import BatchRecord, Placement, UpsertCounts, Warehouse

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass
class ImportOutcome:
    entity: str
    batch_id: str
    status: str  # imported | already imported | rejected
    reason: str = ""
    rows: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # dataset: read, accepted, rejected
    documents: UpsertCounts = field(default_factory=UpsertCounts)
    waiting: int = 0
    released: int = 0

    @property
    def has_work(self) -> bool:
        return self.documents.created + self.documents.changed + self.released > 0


def import_batch(batch: BatchFiles, expected_entity: str, warehouse: Warehouse, now: Clock) -> ImportOutcome:
    try:
        manifest = read_manifest(batch)
    except BatchRejected as exc:
        # No valid manifest: nothing in it can be trusted, not even its batch id.
        log.error("%s rejected: %s", batch.name, exc.reason)
        raise
    if manifest.entity != expected_entity:
        # The folder decides which entity a batch may feed: a manifest cannot redirect it to another.
        reason = f"manifest names entity {manifest.entity!r} but the batch was delivered for {expected_entity!r}"
        return _reject(warehouse, expected_entity, manifest, reason, now)
    previous = warehouse.batch(manifest.entity, manifest.batch_id)
    if previous is not None and previous.state == "imported":
        return ImportOutcome(
            manifest.entity, manifest.batch_id, "already imported", rows=previous.counts.get("rows", {})
        )
    try:
        validated = validate_batch(batch, manifest)
    except BatchRejected as exc:
        return _reject(warehouse, manifest.entity, manifest, exc.reason, now)
    return _warehouse(validated, warehouse, now)


def _reject(warehouse: Warehouse, entity: str, manifest: Manifest, reason: str, now: Clock) -> ImportOutcome:
    log.error("batch %s for %s rejected: %s", manifest.batch_id, entity, reason)
    record = BatchRecord(entity, manifest.batch_id, "rejected", reason)
    warehouse.record_batch(record, manifest.model_dump_json(), now())
    return ImportOutcome(entity, manifest.batch_id, "rejected", reason)


def _warehouse(validated: ValidatedBatch, warehouse: Warehouse, now: Clock) -> ImportOutcome:
    manifest = validated.manifest
    entity, source = manifest.entity, manifest.source_system
    home = warehouse.home_source(entity) or warehouse.claim_home_source(entity, source)
    identities = IdentityMap(home, source, warehouse.identity_links(entity, source))
    accepted = {name: [row for _, row in parsed.accepted] for name, parsed in validated.files.items()}
    new_links = _resolve_links(warehouse, entity, home, accepted.get("identity_links", []))
    if new_links:
        identities.links.update(new_links)
        warehouse.save_identity_links(entity, source, new_links)
    keys = {name: DATASETS[name].key for name in accepted}
    assembled = assemble(entity, identities, accepted, keys)
    for dataset, rows in assembled.reference.items():
        warehouse.store_reference(entity, dataset, rows)
    warehouse.store_rejections(entity, manifest.batch_id, validated.rejections)
    placements = _place(warehouse, entity, assembled.documents)
    at = now()
    counts = warehouse.upsert_documents(entity, placements, manifest.batch_id, at)
    released = release_waiting(warehouse, entity, now)
    outcome = ImportOutcome(
        entity,
        manifest.batch_id,
        "imported",
        rows=validated.counts(),
        documents=counts,
        waiting=sum(1 for placement in placements if placement.state is State.WAITING),
        released=released,
    )
    record = BatchRecord(entity, manifest.batch_id, "imported", counts={"rows": outcome.rows})
    warehouse.record_batch(record, manifest.model_dump_json(), now())  # last: the import's own commit
    return outcome


def _resolve_links(warehouse: Warehouse, entity: str, home: str, links: Sequence[Row]) -> dict[tuple[str, str], str]:
    resolved: dict[tuple[str, str], str] = {}
    earlier: dict[str, dict[tuple[str, str], str]] = {}
    for link in links:
        assert isinstance(link, IdentityLink)
        source_id, previous_source, previous_id = link.source_id, link.previous_source, link.previous_id
        dataset = LINK_KIND_DATASETS[link.kind]
        if previous_source not in earlier:
            earlier[previous_source] = warehouse.identity_links(entity, previous_source)
        resolved[(dataset, source_id)] = earlier[previous_source].get(
            (dataset, previous_id), firm_id_of(home, previous_source, previous_id)
        )
    return resolved


def _place(warehouse: Warehouse, entity: str, documents: list[Document]) -> list[Placement]:
    in_batch = {document.key for document in documents}
    outside = {key for document in documents for key in document.depends_on if key not in in_batch}
    known = warehouse.states(entity, outside)
    placements = []
    for document in documents:
        missing = _missing(document.depends_on, in_batch, known)
        state = State.WAITING if missing else State.READY
        placements.append(Placement(document, state, "; ".join(missing)))
    return placements


def _missing(depends_on: tuple[DocKey, ...], in_batch: set[DocKey], known: dict[DocKey, State]) -> list[str]:
    reasons = []
    for key in depends_on:
        if key in in_batch:
            continue
        state = known.get(key)
        if state is None:
            reasons.append(f"waiting on {key}: not received yet")
        elif state is State.REJECTED:
            reasons.append(f"waiting on {key}: it was rejected")
    return reasons


def release_waiting(warehouse: Warehouse, entity: str, now: Clock) -> int:
    """Waiting documents whose dependencies have all arrived (and none rejected) become ready."""
    waiting = list(warehouse.documents_in_state(entity, State.WAITING))
    if not waiting:
        return 0
    known = warehouse.states(entity, {key for stored in waiting for key in stored.document.depends_on})
    released = 0
    for stored in waiting:
        missing = _missing(stored.document.depends_on, set(), known)
        if not missing:
            warehouse.move(entity, stored, State.READY, "what it waited on has arrived", now())
            released += 1
    return released
