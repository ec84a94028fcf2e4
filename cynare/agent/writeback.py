"""Use case: apply what the cloud wrote back for the PMS, once and only once, then acknowledge it.

For each document in `writeback/{entity}/`: apply it (one transaction, or one CSV folder), record
its id in the agent's state, upload the acknowledgement `inbound/_acks/{entity}/{id}.json`, and
delete the document. A run that stops at any step repeats only the steps after the last one done:
a document already recorded is not applied again, only acknowledged.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Protocol, TypeVar

from pydantic import ValidationError

from cynare.agent.errors import BlobExists, StorageUnavailable, TransientStorageError, WritebackError
from cynare.agent.retry import Backoff
from cynare.agent.state import AgentState
from cynare.extract.writeback import Acknowledgement, WritebackDocument

log = logging.getLogger(__name__)
T = TypeVar("T")


class WritebackInbox(Protocol):
    """The `writeback` container (read, list, delete)."""

    def list(self, prefix: str) -> Iterator[str]: ...

    def download(self, blob: str) -> bytes: ...

    def delete(self, blob: str) -> None: ...


class AckTarget(Protocol):
    """The `inbound` container (create)."""

    def upload_bytes(self, blob: str, data: bytes, sha256: str) -> None: ...


class Applier(Protocol):
    def apply(self, document: WritebackDocument, applied_at: datetime) -> bool:
        """Apply all items or none; False when the PMS already has this document."""


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
            names = sorted(self._storage(partial(self._list, f"{entity}/"), "list write-backs"))
            for blob in names:
                try:
                    outcomes.append(self._handle(entity, blob))
                except WritebackError as exc:
                    log.error("%s", exc)
                    problems.append(str(exc))
        return outcomes, problems

    def _list(self, prefix: str) -> list[str]:
        return list(self._inbox.list(prefix))

    def _handle(self, entity: str, blob: str) -> WritebackOutcome:
        data = self._storage(lambda: self._inbox.download(blob), f"download {blob}")
        try:
            document = WritebackDocument.parse(data)
        except (ValueError, ValidationError) as exc:
            raise WritebackError(f"write-back {blob} is not a valid version 1 document: {_first_error(exc)}") from None
        if document.entity != entity or document.blob_name != blob:
            raise WritebackError(f"write-back {blob} names entity {document.entity} and id {document.writeback_id}")
        note = "already applied"
        if not self._state.writeback_applied(entity, document.writeback_id):
            applied_at = self._clock()
            note = "applied" if self._applier.apply(document, applied_at) else "already in the PMS"
            self._state.record_writeback(
                entity, document.writeback_id, len(document.items), applied_at.isoformat(timespec="seconds")
            )
        self._acknowledge(document)
        self._storage(lambda: self._inbox.delete(blob), f"delete {blob}")
        log.info("write-back %s/%s: %s, acknowledged", entity, document.writeback_id, note)
        return WritebackOutcome(entity, document.writeback_id, len(document.items), note)

    def _acknowledge(self, document: WritebackDocument) -> None:
        ack = Acknowledgement(
            writeback_id=document.writeback_id,
            entity=document.entity,
            applied_at=self._clock(),
            items=len(document.items),
            applied_by=self._agent_name,
        )
        body = ack.to_json()
        # BlobExists: acknowledged by an earlier run that stopped before deleting the document.
        with contextlib.suppress(BlobExists):
            self._storage(
                lambda: self._acks.upload_bytes(ack.blob_name, body, hashlib.sha256(body).hexdigest()),
                f"acknowledge {document.writeback_id}",
            )
        self._state.mark_acknowledged(document.entity, document.writeback_id)

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
