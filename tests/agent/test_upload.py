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
from cynare.agent.errors import CreateRefused, StorageUnavailable, TransientStorageError
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


class Killed(BaseException):
    """The agent's process ending (a kill, a power cut): nothing in the agent catches it."""


class KilledAfterUpload:
    """The real container; the process dies right after the n-th blob reaches storage, before it is recorded."""

    def __init__(self, store: ContainerStore, kill_after: int) -> None:
        self.store, self.kill_after, self.uploads = store, kill_after, 0

    def sha256_of(self, blob: str) -> str | None:
        return self.store.sha256_of(blob)

    def _done(self) -> None:
        self.uploads += 1
        if self.uploads == self.kill_after:
            raise Killed

    def upload_file(self, blob: str, path: Path, sha256: str) -> None:
        self.store.upload_file(blob, path, sha256)
        self._done()

    def upload_bytes(self, blob: str, data: bytes, sha256: str) -> None:
        self.store.upload_bytes(blob, data, sha256)
        self._done()


def _container_sas(storage_connection: str, container: str, permission: ContainerSasPermissions) -> str:
    service = BlobServiceClient.from_connection_string(storage_connection)
    sas = generate_container_sas(
        ACCOUNT, container, account_key=KEY, permission=permission, expiry=datetime.now(UTC) + timedelta(hours=1)
    )
    return f"{service.get_container_client(container).url}?{sas}"


def _use_inbound_sas(workspace: Workspace, storage_connection: str, permission: ContainerSasPermissions) -> None:
    container = workspace.config().storage.inbound_container
    inbound(workspace.config())  # create the container, as the deployment would
    url = _container_sas(storage_connection, container, permission)
    workspace.edit_config('connection_string_env = "CYNARE_AGENT_STORAGE_CONNECTION"', f'inbound_sas_url = "{url}"')


@pytest.mark.parametrize("kill_after", ["a data file", "the manifest"])
def test_a_run_killed_between_upload_and_record_resumes_under_a_create_only_sas(
    storage_workspace: Workspace, storage_connection: str, kill_after: str
) -> None:
    _use_inbound_sas(storage_workspace, storage_connection, ContainerSasPermissions(create=True))
    state, batch_id = _extract_us(storage_workspace)
    config = storage_workspace.config()
    files = _files(state)
    killed_at = 3 if kill_after == "a data file" else files
    with pytest.raises(Killed):
        BatchUploader(KilledAfterUpload(inbound(config), killed_at), state, Backoff(0, 0.0)).upload_waiting()
    container = config.storage.inbound_container
    assert len(_blobs(storage_connection, container)) == killed_at
    state.close()

    # The next run: storage answers 403 to the blob already there (a create-only SAS may not overwrite,
    # nor read); the agent knows it sent that content, and finishes the batch.
    state = storage_workspace.state()
    outcome = BatchUploader(inbound(config), state, Backoff(0, 0.0)).upload_waiting()[0]
    assert outcome.note == "uploaded" and (outcome.uploaded, outcome.skipped) == (files - killed_at, killed_at)
    blobs = [name for name in _blobs(storage_connection, container) if not name.startswith("_agent-check/")]
    assert len(blobs) == files and f"US/{batch_id}/manifest.json" in blobs
    assert state.batches(waiting_only=True) == []


def test_a_credential_that_may_not_create_is_not_taken_for_a_blob_already_there(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    """The 403 of a SAS without create permission must not pass for "already there", even for a blob in flight."""
    state, batch_id = _extract_us(storage_workspace)
    batch = state.batches(waiting_only=True)[0]
    for path in sorted(batch.folder.iterdir()):  # an earlier attempt recorded every blob as being sent
        state.record_blob_sending(f"US/{batch_id}/{path.name}", _sha256(path))
    _use_inbound_sas(storage_workspace, storage_connection, ContainerSasPermissions(read=True, list=True))
    with pytest.raises(CreateRefused, match="not allowed to create"):
        BatchUploader(inbound(storage_workspace.config()), state, Backoff(0, 0.0)).upload_waiting()
    assert _blobs(storage_connection, storage_workspace.config().storage.inbound_container) == []
    assert len(state.batches(waiting_only=True)) == 1


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
