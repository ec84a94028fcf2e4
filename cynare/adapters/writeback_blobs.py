"""Write-back documents for the agent, and the agent's acknowledgements of them (docs/writeback-format.md).

A document is `writeback/{entity}/{writeback_id}.json`; writing it again overwrites it, and the
agent sees the corrected content as a new version. The agent deletes a document only after it has
acknowledged it as `inbound/_acks/{entity}/{writeback_id}/{version}.json`, so a document still in
`writeback` is one it has not applied yet.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import ContainerClient, ContentSettings

from cynare.adapters.blob_inbox import INBOUND, blob_service
from cynare.adapters.storage import StorageSettings
from cynare.adapters.tables.keys import check_entity
from cynare.extract.fields import ID_MAX, IDENTIFIER_PATTERN
from cynare.extract.writeback import ACKS_PREFIX, WRITEBACK_CONTAINER

_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
_JSON = ".json"


def _checked_id(writeback_id: str) -> str:
    if len(writeback_id) > ID_MAX or not _IDENTIFIER.fullmatch(writeback_id):
        raise ValueError(
            f"write-back id {writeback_id!r} is not an id: 1 to {ID_MAX} printable ASCII characters, none of | ~ # / \\ ?"
        )
    return writeback_id


class BlobWritebackOutbox:
    def __init__(
        self, settings: StorageSettings, container: str = WRITEBACK_CONTAINER, inbound_container: str = INBOUND
    ) -> None:
        service = blob_service(settings)
        self._documents: ContainerClient = service.get_container_client(container)
        self._inbound: ContainerClient = service.get_container_client(inbound_container)
        self._ready = False

    def write(self, entity: str, writeback_id: str, document_json: str) -> None:
        name = f"{check_entity(entity)}/{_checked_id(writeback_id)}{_JSON}"
        if not self._ready:
            with contextlib.suppress(ResourceExistsError):
                self._documents.create_container()
            self._ready = True
        self._documents.upload_blob(
            name,
            document_json.encode("utf-8"),
            overwrite=True,  # a corrected document replaces the one the agent has not applied yet
            content_settings=ContentSettings(content_type="application/json; charset=utf-8"),
        )

    def waiting(self, entity: str) -> Iterator[str]:
        """Ids of the entity's documents still in `writeback` (not yet applied, acknowledged and deleted)."""
        prefix = f"{check_entity(entity)}/"
        return iter(sorted(self._names(self._documents, prefix)))

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
