"""Payloads too large for a table row, kept in Blob Storage and referenced from the row.

A row holds at most 1 MiB; a bill of hundreds of long lines can be more. Such a payload is
written to `{prefix}-documents/{entity}/{dataset}/{key hash}-{version}.json` before its row, so a
row never points at a blob that is not there; a version's blob never changes once written.
"""

from __future__ import annotations

import contextlib
import hashlib

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient, ContainerClient

from cynare.domain.documents import DocKey


class PayloadBlobs:
    def __init__(self, service: BlobServiceClient, table_prefix: str) -> None:
        self._container: ContainerClient = service.get_container_client(f"{table_prefix.lower()}-documents")
        self._ready = False

    def put(self, entity: str, key: DocKey, version: str, text: str) -> str:
        if not self._ready:
            with contextlib.suppress(ResourceExistsError):
                self._container.create_container()
            self._ready = True
        digest = hashlib.sha256(key.firm_id.encode()).hexdigest()[:32]
        name = f"{entity}/{key.dataset}/{digest}-{version}.json"
        self._container.upload_blob(name, text.encode(), overwrite=True)
        return name

    def get(self, name: str) -> str:
        return bytes(self._container.download_blob(name).readall()).decode()
