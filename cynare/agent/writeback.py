"""Use case: apply what the cloud wrote back for the PMS, once and only once, then acknowledge it.

For each document in `writeback/{entity}/`: apply it (one transaction, or one CSV folder), record
it in the agent's state under its entity, id and version (the SHA-256 of its content), upload the
acknowledgement `inbound/_acks/{entity}/{id}/{version}.json`, and delete the document (only the
version read: a corrected one that arrived meanwhile stays for the next run). A run that stops at
any step repeats only the steps after the last one done: a version already recorded is not applied
again, only acknowledged; a corrected document (same id, new content) is a new version, applied.

One document's failure, or one entity's, does not stop the others.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Protocol, TypeVar

from pydantic import ValidationError

from cynare.agent.create_once import create_once
from cynare.agent.errors import AgentError, BlobChanged, StorageUnavailable, TransientStorageError, WritebackError
from cynare.agent.retry import Backoff
from cynare.agent.state import AgentState, WritebackRecord
from cynare.extract.writeback import Acknowledgement, WritebackDocument

log = logging.getLogger(__name__)
T = TypeVar("T")


class Downloaded(Protocol):
    @property
    def data(self) -> bytes: ...

    @property
    def etag(self) -> str | None: ...


class WritebackInbox(Protocol):
    """The `writeback` container (read, list, delete)."""

    def list(self, prefix: str) -> Iterator[str]: ...

    def download(self, blob: str) -> Downloaded: ...

    def delete(self, blob: str, etag: str | None = None) -> None: ...


class AckTarget(Protocol):
    """The `inbound` container (create)."""

    def upload_bytes(self, blob: str, data: bytes, sha256: str) -> None: ...


class Applier(Protocol):
    def apply(self, document: WritebackDocument, applied_at: datetime) -> bool:
        """Apply all items or none; False when the PMS already has this version of the document."""


@dataclass(frozen=True, slots=True)
class WritebackOutcome:
    entity: str
    writeback_id: str
    items: int
    note: str


class WritebackRunner:
    def __init__(
        self, inbox: WritebackInbox, acks: AckTarget, applier: Applier, state: AgentState, backoff: Backoff,
        *, agent_name: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:  # fmt: skip
        self._inbox, self._acks, self._applier, self._state = inbox, acks, applier, state
        self._backoff, self._agent_name, self._clock = backoff, agent_name, clock

    def run(self, entities: list[str]) -> tuple[list[WritebackOutcome], list[str]]:
        """Outcomes of the documents handled, and the problems of those refused (the others go on)."""
        outcomes: list[WritebackOutcome] = []
        problems: list[str] = []
        for entity in entities:
            try:
                names = sorted(self._storage(partial(self._list, f"{entity}/"), "list write-backs"))
            except AgentError as exc:
                log.error("write-backs of %s: cannot list them: %s", entity, exc)
                problems.append(f"write-backs of {entity}: cannot list them: {exc}")
                continue
            for blob in names:
                try:
                    outcomes.append(self._handle(entity, blob))
                except WritebackError as exc:
                    log.error("%s", exc)
                    problems.append(str(exc))
                except AgentError as exc:
                    log.error("write-back %s: %s", blob, exc)
                    problems.append(f"write-back {blob}: {exc}")
        return outcomes, problems

    def _list(self, prefix: str) -> list[str]:
        return list(self._inbox.list(prefix))

    def _handle(self, entity: str, blob: str) -> WritebackOutcome:
        downloaded = self._storage(lambda: self._inbox.download(blob), f"download {blob}")
        try:
            document = WritebackDocument.parse(downloaded.data)
        except (ValueError, ValidationError) as exc:
            raise WritebackError(f"write-back {blob} is not a valid version 1 document: {_first_error(exc)}") from None
        if document.entity != entity or document.blob_name != blob:
            raise WritebackError(
                f"write-back {blob} names entity {document.entity} and id {document.writeback_id}: a document of "
                f"{entity} must be {entity}/<its id>.json; nothing of it was applied"
            )
        version = document.version
        note = "already applied"
        record = self._state.writeback_record(entity, document.writeback_id, version)
        if record is None:
            applied_at = self._clock()
            note = "applied" if self._applier.apply(document, applied_at) else "already in the PMS"
            self._state.record_writeback(
                entity, document.writeback_id, version, len(document.items), applied_at.isoformat(timespec="seconds")
            )
            record = self._state.writeback_record(entity, document.writeback_id, version)
            assert record is not None
        if record.acknowledged_at is None:
            self._acknowledge(document, record)
        try:
            self._storage(lambda: self._inbox.delete(blob, downloaded.etag), f"delete {blob}")
        except BlobChanged:
            note += "; a newer version arrived meanwhile and waits for the next run"
        log.info("write-back %s/%s (version %s): %s, acknowledged", entity, document.writeback_id, version[:12], note)
        return WritebackOutcome(entity, document.writeback_id, len(document.items), note)

    def _acknowledge(self, document: WritebackDocument, record: WritebackRecord) -> None:
        """Create the acknowledgement once; its content comes from the record, so every attempt sends the same."""
        ack = Acknowledgement(
            writeback_id=document.writeback_id,
            entity=document.entity,
            version=document.version,
            applied_at=datetime.fromisoformat(record.applied_at),
            items=record.items,
            applied_by=self._agent_name,
        )
        body = ack.to_json()
        sha = hashlib.sha256(body).hexdigest()
        create_once(
            self._acks, self._state, ack.blob_name, sha, lambda: self._acks.upload_bytes(ack.blob_name, body, sha),
            self._storage,
        )  # fmt: skip
        self._state.mark_acknowledged(document.entity, document.writeback_id, record.version)

    def _storage(self, action: Callable[[], T], what: str) -> T:
        try:
            return self._backoff.call(action, what, (TransientStorageError,))
        except TransientStorageError as exc:
            raise StorageUnavailable(f"{exc}; gave up after {self._backoff.retries + 1} attempts") from None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors(include_url=False, include_input=False)[0]
        return f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
    return str(exc).splitlines()[0]
