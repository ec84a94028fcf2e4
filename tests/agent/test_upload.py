"""Upload to Azurite: manifest last, nothing twice, resume after a break, retries with backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

from cynare.adapters.azurite import ACCOUNT, KEY
from cynare.adapters.blob_inbox import BlobInbox
from cynare.agent.blob_store import ContainerStore
from cynare.agent.bootstrap import build_extractor, inbound
from cynare.agent.errors import StorageUnavailable, TransientStorageError
from cynare.agent.extract import Silent
from cynare.agent.retry import Backoff
from cynare.agent.state import AgentState
from cynare.agent.upload import BatchUploader
from cynare.extract.batch import validate_batch
from tests.agent.conftest import AS_AT, Workspace

pytestmark = pytest.mark.azurite


class FlakyStore:
    """The real Azurite container, with a network that fails on chosen uploads."""

    def __init__(self, store: ContainerStore, fail_uploads: set[int], *, forever: bool = False) -> None:
        self.store = store
        self.fail_uploads = fail_uploads
        self.forever = forever
        self.attempts = 0
        self.sent: list[str] = []

    def sha256_of(self, blob: str) -> str | None:
        return self.store.sha256_of(blob)

    def _maybe_fail(self, blob: str) -> None:
        self.attempts += 1
        if self.attempts in self.fail_uploads or (self.forever and self.attempts >= min(self.fail_uploads)):
            raise TransientStorageError(f"upload {blob}: the storage service could not be reached (ConnectionError)")

    def upload_file(self, blob: str, path: Path, sha256: str) -> None:
        self._maybe_fail(blob)
        self.store.upload_file(blob, path, sha256)
        self.sent.append(blob)

    def upload_bytes(self, blob: str, data: bytes, sha256: str) -> None:
        self._maybe_fail(blob)
        self.store.upload_bytes(blob, data, sha256)
        self.sent.append(blob)


def _extract_us(workspace: Workspace) -> tuple[AgentState, str]:
    state = workspace.state()
    outcome = build_extractor(workspace.config(), state, Silent()).extract_entity("US", as_at=AS_AT, full=False)
    assert outcome.batch_id
    return state, outcome.batch_id


def _files(state: AgentState) -> int:
    """Blobs a waiting batch makes: one per dataset file, and its manifest."""
    return len(list(state.batches(waiting_only=True)[0].folder.iterdir()))


def _blobs(storage_connection: str, container: str) -> list[str]:
    service = BlobServiceClient.from_connection_string(storage_connection)
    return sorted(blob.name for blob in service.get_container_client(container).list_blobs())


def test_upload_sends_data_first_manifest_last_and_the_cloud_can_read_it(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    state, batch_id = _extract_us(storage_workspace)
    config = storage_workspace.config()
    recorder = FlakyStore(inbound(config), set())
    files = _files(state)
    outcome = BatchUploader(recorder, state, Backoff(2, 0.0)).upload(state.batches(waiting_only=True)[0])
    assert outcome.uploaded == files and outcome.skipped == 0
    assert recorder.sent[-1] == f"US/{batch_id}/manifest.json"
    assert all(name.endswith(".csv") for name in recorder.sent[:-1])
    inbox = BlobInbox(BlobServiceClient.from_connection_string(storage_connection), config.storage.inbound_container)
    assert list(inbox.committed_batches()) == [("US", batch_id)]
    assert validate_batch(inbox.open_batch("US", batch_id)).rejections == []
    assert state.batches(waiting_only=True) == []


def test_a_repeated_run_uploads_nothing(storage_workspace: Workspace) -> None:
    state, _ = _extract_us(storage_workspace)
    config = storage_workspace.config()
    BatchUploader(inbound(config), state, Backoff(0, 0.0)).upload_waiting()
    # the same extract again (say the state was restored from a backup): same batch id, nothing sent
    state.close()
    (config.work_folder / "state.sqlite").unlink()
    state, _ = _extract_us(storage_workspace)
    recorder = FlakyStore(inbound(config), set())
    outcomes = BatchUploader(recorder, state, Backoff(0, 0.0)).upload_waiting()
    assert [outcome.note for outcome in outcomes] == ["already uploaded"]
    assert recorder.sent == []


def test_a_broken_upload_shows_no_half_batch_and_resumes(storage_workspace: Workspace, storage_connection: str) -> None:
    state, batch_id = _extract_us(storage_workspace)
    config = storage_workspace.config()
    broken = FlakyStore(inbound(config), {6}, forever=True)
    with pytest.raises(StorageUnavailable, match="Nothing of this batch is visible to the cloud"):
        BatchUploader(broken, state, Backoff(2, 0.0)).upload_waiting()
    blobs = _blobs(storage_connection, config.storage.inbound_container)
    assert len(blobs) == 5 and not any(name.endswith("manifest.json") for name in blobs)
    assert len(state.batches(waiting_only=True)) == 1

    working = FlakyStore(inbound(config), set())
    files = _files(state)
    outcome = BatchUploader(working, state, Backoff(2, 0.0)).upload_waiting()[0]
    assert (outcome.uploaded, outcome.skipped) == (files - 5, 5)
    assert f"US/{batch_id}/manifest.json" in _blobs(storage_connection, config.storage.inbound_container)


def test_a_lost_connection_is_retried_with_backoff(storage_workspace: Workspace) -> None:
    state, _ = _extract_us(storage_workspace)
    waits: list[float] = []
    flaky = FlakyStore(inbound(storage_workspace.config()), {3, 4})
    files = _files(state)
    outcome = BatchUploader(flaky, state, Backoff(3, 0.5, sleep=waits.append)).upload_waiting()[0]
    assert outcome.note == "uploaded" and outcome.uploaded == files
    assert waits == [0.5, 1.0]


def test_a_create_only_sas_uploads_and_resumes(storage_workspace: Workspace, storage_connection: str) -> None:
    config = storage_workspace.config()
    container = config.storage.inbound_container
    inbound(config)  # create the container, as the deployment would
    service = BlobServiceClient.from_connection_string(storage_connection)
    sas = generate_container_sas(
        ACCOUNT, container, account_key=KEY, permission=ContainerSasPermissions(create=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )  # fmt: skip
    url = f"{service.get_container_client(container).url}?{sas}"
    storage_workspace.edit_config(
        'connection_string_env = "CYNARE_AGENT_STORAGE_CONNECTION"', f'inbound_sas_url = "{url}"'
    )
    state, batch_id = _extract_us(storage_workspace)
    config = storage_workspace.config()
    broken = FlakyStore(inbound(config), {4}, forever=True)
    with pytest.raises(StorageUnavailable):
        BatchUploader(broken, state, Backoff(0, 0.0)).upload_waiting()
    outcome = BatchUploader(inbound(config), state, Backoff(0, 0.0)).upload_waiting()[0]
    assert outcome.note == "uploaded" and outcome.skipped == 3  # create-only: known from the state
    assert f"US/{batch_id}/manifest.json" in _blobs(storage_connection, container)
