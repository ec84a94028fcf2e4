"""TableWarehouse: the Warehouse port on Azure Table Storage.

Keys follow the access paths:
- Documents:  PK entity, RK "dataset|firm id"   (idempotent upsert by PMS document; "waiting to post
  for entity E" is a single-partition query on State)
- XeroIds:    PK "entity|dataset", RK Xero id   (which document has this Xero id)
- Batches:    PK entity, RK batch id            (a batch imported once)
- Rejections: PK "entity|batch", RK "file|row"  (rows rejected on import, with their reason)
- Reference:  PK "entity|dataset", RK key       (VAT codes, mappings, debtors)
- Identities: PK "entity|source", RK "dataset|source id" -> firm id
- Entities:   PK "entity", RK entity            (the entity's home source, later its tenant binding)
Writes within a partition go in transactions of at most 100 operations; concurrent writers are
detected by ETag and the losing write is decided again on fresh data.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

from cynare.adapters.tables.codec import from_entity, to_entity
from cynare.adapters.tables.connection import StorageSettings, open_tables
from cynare.adapters.tables.transactions import Operation, chunks, submit_all
from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State, Transition, check_transition
from cynare.extract.reader import Rejection
from cynare.service_layer.ports import BatchRecord, Placement, StoredDocument, UpsertCounts

_CONFLICT_RETRIES = 5
_POINT_READS = 50  # below this many keys of one dataset, point reads beat scanning the dataset


def _odata(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _prefix_filter(partition: str, prefix: str) -> str:
    # Row keys starting with `prefix`: from prefix up to (not including) prefix with its last char bumped.
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return f"PartitionKey eq {_odata(partition)} and RowKey ge {_odata(prefix)} and RowKey lt {_odata(upper)}"


class TableWarehouse:
    def __init__(self, settings: StorageSettings) -> None:
        self._tables: dict[str, TableClient] = open_tables(settings)

    # -- batches ---------------------------------------------------------------------------
    def batch(self, entity: str, batch_id: str) -> BatchRecord | None:
        try:
            row = self._tables["Batches"].get_entity(entity, batch_id)
        except ResourceNotFoundError:
            return None
        return BatchRecord(entity, batch_id, row["State"], row.get("Reason", ""), json.loads(row.get("Counts", "{}")))

    def record_batch(self, record: BatchRecord, manifest_json: str, at: datetime) -> None:
        self._tables["Batches"].upsert_entity(
            {
                "PartitionKey": record.entity,
                "RowKey": record.batch_id,
                "State": record.state,
                "Reason": record.reason,
                "Counts": json.dumps(record.counts),
                "Manifest": manifest_json[:30_000],
                "At": at,
            },
            mode=UpdateMode.REPLACE,
        )

    # -- identities ------------------------------------------------------------------------
    def home_source(self, entity: str) -> str | None:
        try:
            return str(self._tables["Entities"].get_entity("entity", entity)["HomeSource"])
        except ResourceNotFoundError:
            return None

    def claim_home_source(self, entity: str, source: str) -> str:
        # Whichever source creates the row first is the home source; the others read it.
        with contextlib.suppress(ResourceExistsError):
            self._tables["Entities"].create_entity({"PartitionKey": "entity", "RowKey": entity, "HomeSource": source})
        home = self.home_source(entity)
        assert home is not None
        return home

    def identity_links(self, entity: str, source: str) -> dict[tuple[str, str], str]:
        rows = self._tables["Identities"].query_entities(f"PartitionKey eq {_odata(f'{entity}|{source}')}")
        links: dict[tuple[str, str], str] = {}
        for row in rows:
            dataset, _, source_id = str(row["RowKey"]).partition("|")
            links[(dataset, source_id)] = str(row["FirmId"])
        return links

    def save_identity_links(self, entity: str, source: str, links: dict[tuple[str, str], str]) -> None:
        partition = f"{entity}|{source}"
        operations: list[Operation] = [
            ("upsert", {"PartitionKey": partition, "RowKey": f"{dataset}|{source_id}", "FirmId": firm_id})
            for (dataset, source_id), firm_id in sorted(links.items())
        ]
        submit_all(self._tables["Identities"], operations)

    # -- rejections and reference data -----------------------------------------------------
    def store_rejections(self, entity: str, batch_id: str, rejections: Sequence[Rejection]) -> None:
        partition = f"{entity}|{batch_id}"
        operations: list[Operation] = [
            (
                "upsert",
                {
                    "PartitionKey": partition,
                    "RowKey": f"{item.file}|{item.row:08d}",
                    "File": item.file,
                    "Row": item.row,
                    "Column": item.column,
                    "Rule": item.rule,
                },
            )
            for item in rejections
        ]
        submit_all(self._tables["Rejections"], operations)

    def rejections(self, entity: str, batch_id: str) -> list[Rejection]:
        rows = self._tables["Rejections"].query_entities(f"PartitionKey eq {_odata(f'{entity}|{batch_id}')}")
        return [Rejection(row["File"], int(row["Row"]), row["Column"], row["Rule"]) for row in rows]

    def store_reference(self, entity: str, dataset: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        partition = f"{entity}|{dataset}"
        operations: list[Operation] = [
            ("upsert", {"PartitionKey": partition, "RowKey": key, "Payload": json.dumps(payload, sort_keys=True)})
            for key, payload in rows
        ]
        submit_all(self._tables["Reference"], operations)

    def reference(self, entity: str, dataset: str) -> dict[str, dict[str, Any]]:
        rows = self._tables["Reference"].query_entities(f"PartitionKey eq {_odata(f'{entity}|{dataset}')}")
        return {str(row["RowKey"]): json.loads(row["Payload"]) for row in rows}

    # -- documents -------------------------------------------------------------------------
    def states(self, entity: str, keys: Iterable[DocKey]) -> dict[DocKey, State]:
        """The state of each of `keys` that is stored: point reads for a few, one range scan for many."""
        found: dict[DocKey, State] = {}
        by_dataset: dict[str, set[DocKey]] = {}
        for key in keys:
            by_dataset.setdefault(key.dataset, set()).add(key)
        table = self._tables["Documents"]
        for dataset, wanted in sorted(by_dataset.items()):
            if len(wanted) <= _POINT_READS:
                for key in wanted:
                    try:
                        found[key] = State(table.get_entity(entity, str(key), select=["State"])["State"])
                    except ResourceNotFoundError:
                        continue
                continue
            for row in table.query_entities(_prefix_filter(entity, f"{dataset}|"), select=["RowKey", "State"]):
                key = DocKey.parse(row["RowKey"])
                if key in wanted:
                    found[key] = State(row["State"])
        return found

    def upsert_documents(
        self, entity: str, placements: Sequence[Placement], batch_id: str, at: datetime
    ) -> UpsertCounts:
        counts = UpsertCounts()
        existing = self._existing(entity, [str(placement.document.key) for placement in placements])
        planned: list[tuple[Placement, Operation]] = []
        for placement in placements:
            if placement.document.entity != entity:
                raise ValueError(
                    f"document {placement.document.key} belongs to {placement.document.entity}, not {entity}"
                )
            operation = self._decide(placement, existing.get(str(placement.document.key)), batch_id, at)
            if operation is None:
                counts.unchanged += 1
            else:
                planned.append((placement, operation))
        by_operation = {id(operation): placement for placement, operation in planned}
        for chunk in chunks(operation for _, operation in planned):
            try:
                self._tables["Documents"].submit_transaction(chunk)
                for operation in chunk:
                    self._count(counts, operation)
            except TableTransactionError:
                # Someone else wrote one of these documents since we read them: decide each again.
                for operation in chunk:
                    self._apply_one(by_operation[id(operation)], batch_id, at, counts)
        return counts

    def _existing(self, entity: str, row_keys: list[str]) -> dict[str, dict[str, Any]]:
        """Version, state and ETag of the documents among `row_keys` that are already stored.

        One range query per dataset, bounded by the batch's lowest and highest key: a nightly batch
        of new documents with rising ids reads next to nothing, however large the partition.
        """
        found: dict[str, dict[str, Any]] = {}
        by_dataset: dict[str, list[str]] = {}
        for row_key in row_keys:
            by_dataset.setdefault(row_key.partition("|")[0], []).append(row_key)
        for keys in by_dataset.values():
            query = (
                f"PartitionKey eq {_odata(entity)} and RowKey ge {_odata(min(keys))} and RowKey le {_odata(max(keys))}"
            )
            wanted = set(keys)
            for row in self._tables["Documents"].query_entities(
                query, select=["RowKey", "Version", "State", "History", "XeroId"]
            ):
                if row["RowKey"] in wanted:
                    found[str(row["RowKey"])] = {**row, "etag": row.metadata["etag"]}
        return found

    @staticmethod
    def _decide(placement: Placement, current: dict[str, Any] | None, batch_id: str, at: datetime) -> Operation | None:
        document = placement.document
        if current is None:
            arrival = (
                Transition(at, State.RECEIVED, f"batch {batch_id}"),
                Transition(at, placement.state, placement.reason),
            )
            return ("create", to_entity(document, placement.state, placement.reason, arrival, batch_id, at))
        if current["Version"] == document.version:
            return None
        previous = tuple(Transition.from_list(item) for item in json.loads(current["History"]))
        current_state = State(current["State"])
        if current_state is State.POSTING:
            # An attempt is in flight: it must end before the new version can go; the poster sees the new version.
            state, reason = State.POSTING, "a new version arrived while an attempt was in flight"
        else:
            state, reason = placement.state, placement.reason or "changed in the PMS"
            check_transition(current_state, state)
        note = f"new version {document.version} from batch {batch_id}" + (f": {reason}" if reason else "")
        history = (*previous, Transition(at, state, note))
        entity = to_entity(document, state, reason, history, batch_id, at, current.get("XeroId", ""))
        return (
            "update",
            entity,
            {"mode": UpdateMode.REPLACE, "etag": current["etag"], "match_condition": MatchConditions.IfNotModified},
        )

    @staticmethod
    def _count(counts: UpsertCounts, operation: Operation) -> None:
        if operation[0] == "create":
            counts.created += 1
        else:
            counts.changed += 1

    def _apply_one(self, placement: Placement, batch_id: str, at: datetime, counts: UpsertCounts) -> None:
        table = self._tables["Documents"]
        key = placement.document.key
        for _ in range(_CONFLICT_RETRIES):
            try:
                row = table.get_entity(placement.document.entity, str(key))
                current: dict[str, Any] | None = {**row, "etag": row.metadata["etag"]}
            except ResourceNotFoundError:
                current = None
            operation = self._decide(placement, current, batch_id, at)
            if operation is None:
                counts.unchanged += 1
                return
            try:
                table.submit_transaction([operation])
            except TableTransactionError:
                continue
            self._count(counts, operation)
            return
        raise RuntimeError(f"document {key} kept changing under concurrent writers; try the import again")

    def documents_in_state(self, entity: str, state: State) -> Iterator[StoredDocument]:
        query = f"PartitionKey eq {_odata(entity)} and State eq {_odata(state.value)}"
        for row in self._tables["Documents"].query_entities(query):
            yield from_entity(row)

    def get(self, entity: str, key: DocKey) -> StoredDocument | None:
        try:
            return from_entity(self._tables["Documents"].get_entity(entity, str(key)))
        except ResourceNotFoundError:
            return None

    def move(self, entity: str, stored: StoredDocument, state: State, reason: str, at: datetime) -> StoredDocument:
        """Change a document's state, only if nobody changed it since `stored` was read (ETag)."""
        check_transition(stored.state, state)
        history = (*stored.history, Transition(at, state, reason))
        entity_row = to_entity(stored.document, state, reason, history, stored.batch_id, at, stored.xero_id)
        try:
            self._tables["Documents"].update_entity(
                entity_row, mode=UpdateMode.REPLACE, etag=stored.etag, match_condition=MatchConditions.IfNotModified
            )
        except (ResourceModifiedError, HttpResponseError) as exc:
            if getattr(exc, "status_code", None) == 412 or isinstance(exc, ResourceModifiedError):
                raise StaleDocument(f"{stored.document.key} changed since it was read; read it again") from exc
            raise
        fresh = self.get(entity, stored.document.key)
        assert fresh is not None
        return fresh

    def record_xero_id(self, entity: str, key: DocKey, xero_id: str) -> None:
        self._tables["XeroIds"].upsert_entity(
            {"PartitionKey": f"{entity}|{key.dataset}", "RowKey": xero_id, "Key": str(key)}
        )
        self._tables["Documents"].update_entity(
            {"PartitionKey": entity, "RowKey": str(key), "XeroId": xero_id}, mode=UpdateMode.MERGE
        )

    def key_for_xero_id(self, entity: str, dataset: str, xero_id: str) -> DocKey | None:
        try:
            row = self._tables["XeroIds"].get_entity(f"{entity}|{dataset}", xero_id)
        except ResourceNotFoundError:
            return None
        return DocKey.parse(row["Key"])

    def summary(self, entity: str) -> list[tuple[str, str, int, int]]:
        """(dataset, state, documents, extract rows) for every dataset and state present."""
        totals: dict[tuple[str, str], list[int]] = {}
        query = f"PartitionKey eq {_odata(entity)}"
        for row in self._tables["Documents"].query_entities(query, select=["Dataset", "State", "Rows"]):
            bucket = totals.setdefault((row["Dataset"], row["State"]), [0, 0])
            bucket[0] += 1
            bucket[1] += int(row["Rows"])
        return [(dataset, state, docs, rows) for (dataset, state), (docs, rows) in sorted(totals.items())]


class StaleDocument(Exception):
    """The document changed since it was read: read it again and decide again."""
