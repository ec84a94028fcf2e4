"""Write-back documents for the agent, and the agent's acknowledgements of them (docs/writeback-format.md).

A document is `writeback/{entity}/{writeback_id}.json`; writing it again overwrites it, and the
agent sees the corrected content as a new version. The agent deletes a document only after it has
acknowledged it as `inbound/_acks/{entity}/{writeback_id}/{version}.json`, so a document still in
`writeback` is one it has not applied yet.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import ContainerClient, ContentSettings

from cynare.adapters.blob_inbox import INBOUND, blob_service
from cynare.adapters.storage import StorageSettings
from cynare.adapters.tables.keys import check_entity
from cynare.extract.fields import ID_MAX, IDENTIFIER_PATTERN
from cynare.extract.writeback import ACKS_PREFIX, WRITEBACK_CONTAINER, WritebackDocument, XeroReceipt

log = logging.getLogger(__name__)
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
_utc_now = partial(datetime.now, UTC)
WRITEBACK_LOG = "writeback-log"  # the cloud's copies; the agent has no access to this container
_JSON = ".json"


def _checked_id(writeback_id: str) -> str:
    if len(writeback_id) > ID_MAX or not _IDENTIFIER.fullmatch(writeback_id):
        raise ValueError(
            f"write-back id {writeback_id!r} is not an id: 1 to {ID_MAX} printable ASCII characters, none of | ~ # / \\ ?"
        )
    return writeback_id


class BlobWritebackOutbox:
    def __init__(
        self,
        settings: StorageSettings,
        container: str = WRITEBACK_CONTAINER,
        inbound_container: str = INBOUND,
        log_container: str = WRITEBACK_LOG,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        service = blob_service(settings)
        self._documents: ContainerClient = service.get_container_client(container)
        self._inbound: ContainerClient = service.get_container_client(inbound_container)
        self._log: ContainerClient = service.get_container_client(log_container)
        self._clock = clock
        self._ready = False

    def write(self, entity: str, writeback_id: str, document_json: str) -> None:
        name = f"{check_entity(entity)}/{_checked_id(writeback_id)}{_JSON}"
        if not self._ready:
            for container in (self._documents, self._log):
                with contextlib.suppress(ResourceExistsError):
                    container.create_container()
            self._ready = True
        content = document_json.encode("utf-8")
        json_type = ContentSettings(content_type="application/json; charset=utf-8")
        # The cloud's own copy first, named by when it was written: once the agent has applied and deleted
        # the document, the reconciliation still knows what it carried and whether the PMS's debtors list
        # was extracted before or after it.
        written = self._clock().strftime("%Y%m%dT%H%M%S%fZ")
        self._log.upload_blob(f"{check_entity(entity)}/{written}-{writeback_id}{_JSON}", content, overwrite=True,
                              content_settings=json_type)  # fmt: skip
        # A corrected document replaces the one the agent has not applied yet.
        self._documents.upload_blob(name, content, overwrite=True, content_settings=json_type)

    def written_since(self, entity: str, since: datetime) -> Iterator[bytes]:
        """The documents written for the entity at or after `since`, from the cloud's own copies."""
        prefix = f"{check_entity(entity)}/"
        mark = since.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        try:
            for blob in self._log.list_blobs(name_starts_with=prefix):
                if str(blob.name)[len(prefix) :] >= mark:
                    yield self._log.download_blob(blob.name).readall()
        except ResourceNotFoundError:  # nothing written yet
            return

    def waiting(self, entity: str) -> Iterator[str]:
        """Ids of the entity's documents still in `writeback` (not yet applied, acknowledged and deleted)."""
        prefix = f"{check_entity(entity)}/"
        return iter(sorted(self._names(self._documents, prefix)))

    def read(self, entity: str, writeback_id: str) -> bytes | None:
        """A document still waiting, or None once the agent has applied and deleted it."""
        name = f"{check_entity(entity)}/{_checked_id(writeback_id)}{_JSON}"
        try:
            return self._documents.download_blob(name).readall()
        except ResourceNotFoundError:
            return None

    def acknowledged(self, entity: str, writeback_id: str) -> list[str]:
        """Versions of the document the agent has acknowledged (a corrected document adds its own)."""
        prefix = f"{ACKS_PREFIX}/{check_entity(entity)}/{_checked_id(writeback_id)}/"
        return sorted(self._names(self._inbound, prefix))

    @staticmethod
    def _names(container: ContainerClient, prefix: str) -> list[str]:
        """The names directly under `prefix` that end in .json, without the prefix and the suffix."""
        found: list[str] = []
        try:
            for blob in container.list_blobs(name_starts_with=prefix):
                rest = str(blob.name)[len(prefix) :]
                if "/" not in rest and rest.endswith(_JSON) and len(rest) > len(_JSON):
                    found.append(rest[: -len(_JSON)])
        except ResourceNotFoundError:  # the container is made by the first write: nothing yet
            return []
        return found


def payments_not_in_pms(outbox: BlobWritebackOutbox, entity: str, extracted_at: datetime | None) -> frozenset[str]:
    """Receipts taken in Xero that the PMS's last extract cannot hold yet: in a write-back document the
    agent has not applied (still in `writeback`), or in one written after that extract was taken."""
    documents: list[bytes] = []
    for writeback_id in outbox.waiting(entity):
        raw = outbox.read(entity, writeback_id)
        if raw is not None:  # None: applied and deleted since it was listed
            documents.append(raw)
    if extracted_at is not None:
        documents.extend(outbox.written_since(entity, extracted_at))
    found: set[str] = set()
    for raw in documents:
        try:
            items = WritebackDocument.parse(raw).items
        except ValueError as exc:  # pydantic's ValidationError and bad JSON are both ValueErrors
            # Not a document this cloud wrote: its receipts, if any, show as unexplained, never hidden.
            log.warning("a write-back document of %s could not be read and was left out: %s", entity, exc)
            continue
        found.update(item.xero_payment_id for item in items if isinstance(item, XeroReceipt))
    return frozenset(found)
