"""Use case: upload committed batches to the `inbound` container, data files first, manifest last.

The manifest is the commit: until it is uploaded the cloud does not see the batch, so a broken
upload leaves nothing half visible. The next run skips the blobs already there with the same
SHA-256 (blob metadata, or the agent's own record when a create-only SAS may not read them) and
finishes the batch; a batch whose manifest is there uploads nothing. Each blob's upload is
recorded as intended before it is sent (create_once.py), so a run killed between sending a blob
and recording it finds it again, even under a create-only SAS, which answers 403 for a blob that
is there.

One entity's failure does not stop the others' uploads; its later batches wait, because an
entity's batches are imported in the order they were extracted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol, TypeVar

from cynare.agent.create_once import create_once
from cynare.agent.errors import AgentError, CannotRead, StorageUnavailable, TransientStorageError
from cynare.agent.extract import Progress, Silent
from cynare.agent.retry import Backoff
from cynare.agent.state import AgentState, BatchRecord
from cynare.extract.manifest import MANIFEST_NAME, BatchRejected, Manifest

log = logging.getLogger(__name__)
T = TypeVar("T")
_UNREADABLE: Final = "(not readable)"


class BlobTarget(Protocol):
    """The uploader port (ContainerStore in production)."""

    def sha256_of(self, blob: str) -> str | None: ...

    def upload_file(self, blob: str, path: Path, sha256: str) -> None: ...

    def upload_bytes(self, blob: str, data: bytes, sha256: str) -> None: ...


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    entity: str
    batch_id: str
    uploaded: int  # blobs sent in this run
    skipped: int  # blobs already there
    note: str
    held: bool = False  # not tried: an earlier batch of its entity failed


@dataclass(frozen=True, slots=True)
class UploadFailure:
    entity: str
    batch_id: str
    error: AgentError


class BatchUploader:
    def __init__(
        self, target: BlobTarget, state: AgentState, backoff: Backoff, progress: Progress | None = None
    ) -> None:
        self._progress = progress or Silent()
        self._target = target
        self._state = state
        self._backoff = backoff

    def upload_waiting(self) -> list[UploadOutcome]:
        """Upload every waiting batch; after trying every entity, raise the first failure if any."""
        outcomes, failures = self.upload_each()
        if failures:
            raise failures[0].error
        return outcomes

    def upload_each(self) -> tuple[list[UploadOutcome], list[UploadFailure]]:
        """Every waiting batch, entity by entity: a failed entity's later batches are held, the others go on."""
        outcomes: list[UploadOutcome] = []
        failures: list[UploadFailure] = []
        failed: set[str] = set()
        for batch in self._state.batches(waiting_only=True):
            if batch.entity in failed:
                note = f"not sent: an earlier batch of {batch.entity} failed, and its batches go in order"
                outcomes.append(UploadOutcome(batch.entity, batch.batch_id, 0, 0, note, held=True))
                continue
            try:
                outcomes.append(self.upload(batch))
            except AgentError as exc:
                log.error("upload %s/%s failed: %s", batch.entity, batch.batch_id, exc)
                failed.add(batch.entity)
                failures.append(UploadFailure(batch.entity, batch.batch_id, exc))
        return outcomes, failures

    def upload(self, batch: BatchRecord) -> UploadOutcome:
        try:
            manifest_bytes = (batch.folder / MANIFEST_NAME).read_bytes()
        except OSError as exc:
            raise AgentError(
                f"batch {batch.entity}/{batch.batch_id}: its manifest in {batch.folder} cannot be read "
                f"({exc.strerror or type(exc).__name__}): the folder was moved or deleted before the batch was "
                "uploaded; put it back (from a backup) and run upload again"
            ) from None
        try:
            manifest = Manifest.parse(manifest_bytes, str(batch.folder))
        except BatchRejected as exc:
            raise AgentError(
                f"batch {batch.entity}/{batch.batch_id}: its manifest in {batch.folder} is damaged ({exc.reason}); "
                "put the folder back from a backup, or run `cynare-agent extract --full` to send a new batch"
            ) from None
        prefix = f"{batch.entity}/{batch.batch_id}/"
        manifest_sha = hashlib.sha256(manifest_bytes).hexdigest()
        manifest_present = self._present(prefix + MANIFEST_NAME)
        if manifest_present == _UNREADABLE and self._state.blob_sent(prefix + MANIFEST_NAME, manifest_sha):
            manifest_present = manifest_sha
        if manifest_present is not None and manifest_present != _UNREADABLE:
            # The batch id is derived from the files, so a committed batch of that id is this batch.
            self._state.mark_uploaded(batch.entity, batch.batch_id)
            return UploadOutcome(batch.entity, batch.batch_id, 0, len(manifest.files) + 1, "already uploaded")
        uploaded = skipped = 0
        self._progress.start(f"upload {batch.entity}/{batch.batch_id} (files)")
        for entry, path in self._files(batch, manifest):
            if self._send(prefix + entry, path, None):
                uploaded += 1
            else:
                skipped += 1
            self._progress.advance(1)
        if self._send(prefix + MANIFEST_NAME, None, (manifest_bytes, manifest_sha)):
            uploaded += 1
        else:
            skipped += 1
        self._state.mark_uploaded(batch.entity, batch.batch_id)
        log.info(
            "uploaded batch %s/%s: %d blobs sent, %d already there", batch.entity, batch.batch_id, uploaded, skipped
        )
        return UploadOutcome(batch.entity, batch.batch_id, uploaded, skipped, "uploaded")

    def _files(self, batch: BatchRecord, manifest: Manifest) -> Iterator[tuple[str, Path]]:
        for entry in manifest.files:
            yield entry.file, batch.folder / entry.file

    def _present(self, blob: str) -> str | None:
        """The blob's recorded sha256, None when absent, _UNREADABLE when this credential may not read it."""
        try:
            return self._retrying(lambda: self._target.sha256_of(blob), f"look up {blob}")
        except CannotRead:
            return _UNREADABLE

    def _send(self, blob: str, path: Path | None, data: tuple[bytes, str] | None) -> bool:
        """Upload unless the same content is already there; True when something was sent."""
        if path is not None:
            try:
                sha = _sha256_file(path)
            except OSError as exc:
                raise AgentError(
                    f"{blob}: the batch's file {path} cannot be read ({exc.strerror or type(exc).__name__}); put the "
                    "batch folder back (from a backup) and run upload again"
                ) from None
        else:
            assert data is not None
            sha = data[1]
        present = self._present(blob)
        if present == sha or (present == _UNREADABLE and self._state.blob_sent(blob, sha)):
            return False
        if present not in (None, _UNREADABLE):
            raise AgentError(f"{blob} is already in storage with other content; the batch cannot be uploaded over it")

        def send() -> None:
            if path is not None:
                self._target.upload_file(blob, path, sha)
            else:
                assert data is not None
                self._target.upload_bytes(blob, data[0], sha)

        return create_once(self._target, self._state, blob, sha, send, self._retrying)

    def _retrying(self, action: Callable[[], T], what: str) -> T:
        try:
            return self._backoff.call(action, what, (TransientStorageError,))
        except TransientStorageError as exc:
            raise StorageUnavailable(
                f"{exc}; gave up after {self._backoff.retries + 1} attempts. Nothing of this batch is visible to "
                "the cloud until its manifest is uploaded, and the next run resumes where this one stopped"
            ) from None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
