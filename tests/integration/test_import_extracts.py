"""import_extracts over the Blob inbox and the queue on Azurite: one bad batch never blocks the others."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from azure.storage.blob import BlobServiceClient

from cynare.adapters.blob_inbox import BlobInbox, blob_service
from cynare.adapters.work_queue import StorageWorkQueue
from cynare.bootstrap import AppSettings, unit_of_work
from cynare.service_layer.import_batch import ImportOutcome
from cynare.service_layer.import_extracts import import_extracts
from cynare.service_layer.unit_of_work import BatchState, UnitOfWork
from tests.batches import client, sample_rows, write_batch

ENTITIES = json.dumps(
    {
        code: {"base_currency": currency, "currencies": [currency, "GBP"], "sources": ["pms-a"]}
        for code, currency in (("UK", "GBP"), ("US", "USD"), ("IE", "EUR"))
    }
)


@dataclass(frozen=True)
class ImportApp:
    """The import's part of the app, on this test's own tables, container and queue."""

    uow: UnitOfWork
    import_extracts: Callable[..., list[ImportOutcome]]
    queue: StorageWorkQueue


def app_on_azurite(storage_connection: str, prefix: str) -> ImportApp:
    """The app's use case on this test's own tables, container and queue (tests share one Azurite)."""
    settings = AppSettings.from_env({
        "CYNARE_STORAGE_CONNECTION": storage_connection, "CYNARE_TABLE_PREFIX": prefix,
        "CYNARE_INBOUND_CONTAINER": f"{prefix}in", "CYNARE_ENTITIES": ENTITIES,
    })  # fmt: skip
    inbox = BlobInbox(blob_service(settings.storage), settings.inbound_container).ensure()
    uow = unit_of_work(settings)
    queue = StorageWorkQueue(settings.storage, queue=f"{prefix}-post")
    return ImportApp(uow, partial(import_extracts, inbox, uow, queue, partial(datetime.now, UTC)), queue)


def upload(container: str, storage_connection: str, folder: Path, entity: str, batch_id: str) -> None:
    client_ = BlobServiceClient.from_connection_string(storage_connection).get_container_client(container)
    for path in sorted(folder.iterdir(), key=lambda p: p.name == "manifest.json"):  # the manifest last
        client_.upload_blob(f"{entity}/{batch_id}/{path.name}", path.read_bytes(), overwrite=True)


def test_good_batches_go_on_beside_a_broken_one(tmp_path: Path, storage_connection: str, unique_name: str) -> None:
    app = app_on_azurite(storage_connection, unique_name)
    uk = write_batch(tmp_path / "uk", sample_rows())
    us = write_batch(tmp_path / "us", {"clients": [client("U1", currency="USD")]}, entity="US")
    upload(f"{unique_name}in", storage_connection, tmp_path / "uk", "UK", uk.batch_id)
    upload(f"{unique_name}in", storage_connection, tmp_path / "us", "US", us.batch_id)
    ie = write_batch(tmp_path / "ie", {"clients": [client("I1", currency="EUR")]}, entity="IE")
    good_manifest = (tmp_path / "ie" / "manifest.json").read_bytes()
    (tmp_path / "ie" / "manifest.json").write_text("{not json", encoding="utf-8")
    upload(f"{unique_name}in", storage_connection, tmp_path / "ie", "IE", ie.batch_id)
    # Data files with no manifest yet: an upload still under way, which is not a batch.
    upload(f"{unique_name}in", storage_connection, tmp_path / "uk", "UK", "20261126-pending")
    BlobServiceClient.from_connection_string(storage_connection).get_container_client(f"{unique_name}in").delete_blob(
        "UK/20261126-pending/manifest.json"
    )

    seen: list[str] = []
    outcomes = app.import_extracts(lambda o: seen.append(o.status))

    by_entity = {outcome.entity: outcome for outcome in outcomes}
    assert by_entity["UK"].status == "imported" and by_entity["US"].status == "imported"
    assert by_entity["IE"].status == "rejected" and "manifest.json is not valid JSON" in by_entity["IE"].reason
    assert len(outcomes) == 3 and sorted(seen) == ["imported", "imported", "rejected"]
    assert sorted(app.queue.peek_entities()) == ["UK", "US"]

    # The refusal is recorded with its reason and skipped until a corrected batch arrives.
    with app.uow.for_entity("IE") as work:
        refused = work.batches.get(ie.batch_id)
    assert refused is not None and refused.state is BatchState.REJECTED and "not valid JSON" in refused.reason
    assert app.import_extracts(None) == [], "an unchanged refusal is not tried again"
    (tmp_path / "ie" / "manifest.json").write_bytes(good_manifest)  # the agent uploads the batch again, whole
    upload(f"{unique_name}in", storage_connection, tmp_path / "ie", "IE", ie.batch_id)
    [corrected] = app.import_extracts(None)
    assert (corrected.entity, corrected.status) == ("IE", "imported")


def test_inbox_lists_only_committed_batches(storage_connection: str, unique_name: str, tmp_path: Path) -> None:
    inbox = BlobInbox(BlobServiceClient.from_connection_string(storage_connection), f"{unique_name}in").ensure()
    manifest = write_batch(tmp_path / "b", sample_rows())
    upload(f"{unique_name}in", storage_connection, tmp_path / "b", "UK", manifest.batch_id)
    container = BlobServiceClient.from_connection_string(storage_connection).get_container_client(f"{unique_name}in")
    container.upload_blob("_acks/UK/wb1.json", b"{}")
    assert list(inbox.committed_batches()) == [("UK", manifest.batch_id)]
    batch = inbox.open_batch("UK", manifest.batch_id)
    assert batch.exists("clients.csv") and not batch.exists("bills_missing.csv")
