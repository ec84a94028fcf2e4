"""The `inbound` container: batches the agent uploaded, each committed by its manifest blob.

Layout: `{entity}/{batch_id}/{dataset}.csv` and `{entity}/{batch_id}/manifest.json`; `_acks/` holds
the agent's write-back acknowledgements and is not a batch.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import IO, Any

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient

from cynare.adapters.storage import connect
from cynare.adapters.tables.connection import StorageSettings
from cynare.extract.manifest import MANIFEST_NAME

INBOUND = "inbound"


def blob_service(settings: StorageSettings) -> BlobServiceClient:
    return connect(
        settings,
        "blob",
        BlobServiceClient.from_connection_string,
        lambda url, credential: BlobServiceClient(account_url=url, credential=credential),
    )


class BlobBatch:
    def __init__(self, container: ContainerClient, entity: str, batch_id: str) -> None:
        self._container = container
        self._prefix = f"{entity}/{batch_id}/"

    @property
    def name(self) -> str:
        return f"{self._container.container_name}/{self._prefix.rstrip('/')}"

    def exists(self, filename: str) -> bool:
        return bool(self._container.get_blob_client(self._prefix + filename).exists())

    def open(self, filename: str) -> AbstractContextManager[IO[bytes]]:
        return self._download(filename)

    @contextmanager
    def _download(self, filename: str) -> Iterator[IO[bytes]]:
        try:
            downloader = self._container.download_blob(self._prefix + filename)
        except ResourceNotFoundError as exc:
            raise FileNotFoundError(f"{self.name}/{filename} is missing") from exc
        # Streamed chunk by chunk: memory stays flat in the file's size.
        yield io.BufferedReader(_ChunkStream(downloader.chunks()), buffer_size=1 << 20)


class _ChunkStream(io.RawIOBase):
    """A readable stream over the blob download's chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class BlobInbox:
    def __init__(self, service: BlobServiceClient, container: str = INBOUND) -> None:
        self._container = service.get_container_client(container)

    def ensure(self) -> BlobInbox:
        if not self._container.exists():
            self._container.create_container()
        return self

    def committed_batches(self) -> Iterator[tuple[str, str]]:
        for blob in self._container.list_blobs():
            parts = blob.name.split("/")
            if len(parts) == 3 and parts[2] == MANIFEST_NAME and not parts[0].startswith("_"):
                yield parts[0], parts[1]

    def open_batch(self, entity: str, batch_id: str) -> BlobBatch:
        return BlobBatch(self._container, entity, batch_id)

    def manifest_version(self, entity: str, batch_id: str) -> str:
        blob = self._container.get_blob_client(f"{entity}/{batch_id}/{MANIFEST_NAME}")
        return str(blob.get_blob_properties().etag)
