"""One poster per entity across every instance of the Function App: a lease on a blob per entity.

Why: the Function App scales out, and a queue message per entity can reach two instances at once
(a retry, a second announcement). Xero's limits are per organisation (calls a minute, calls at
once, calls a day) and one entity posts to one organisation, so two posters for one entity would
share those limits blindly and could send the same document twice. Whoever holds the entity's
lease posts; the others see False and leave the work to it.

A lease lasts `lease_seconds` (Azure allows 15 to 60) and is renewed from a daemon thread every
third of that while held, so a long posting run keeps it; a worker that dies stops renewing, and
the lease lapses within `lease_seconds`, so a crash never blocks the entity for longer.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobClient, BlobLeaseClient

from cynare.adapters.blob_inbox import blob_service
from cynare.adapters.storage import StorageSettings
from cynare.adapters.tables.keys import check_entity

logger = logging.getLogger(__name__)

MIN_LEASE, MAX_LEASE = 15, 60  # Azure's bounds for a lease of fixed duration
LOST = frozenset({"LeaseIdMismatchWithLeaseOperation", "LeaseNotPresentWithLeaseOperation", "LeaseLost"})


class BlobPosterLock:
    def __init__(self, settings: StorageSettings, container: str = "cynare-locks", lease_seconds: int = 60) -> None:
        if not MIN_LEASE <= lease_seconds <= MAX_LEASE:
            raise ValueError(f"a lease lasts {MIN_LEASE} to {MAX_LEASE} seconds, not {lease_seconds}")
        self._container = blob_service(settings).get_container_client(container)
        self._lease_seconds = lease_seconds

    def hold(self, entity: str) -> AbstractContextManager[bool]:
        """Yields True while this worker holds the entity's lease, False when another does."""
        return self._hold(check_entity(entity))

    @contextmanager
    def _hold(self, entity: str) -> Iterator[bool]:
        lease = self._acquire(self._container.get_blob_client(f"poster/{entity}"))
        if lease is None:
            yield False
            return
        stop = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(lease, entity, stop), name=f"cynare-poster-lease-{entity}", daemon=True
        )
        renewer.start()
        try:
            yield True
        finally:
            stop.set()
            renewer.join()
            try:
                lease.release()
            except AzureError:
                # Not fatal: an unreleased lease lapses by itself; the caller's own error, if any, goes on.
                logger.warning(
                    "the poster lease of %s was not released; it lapses within %s s", entity, self._lease_seconds
                )

    def _acquire(self, blob: BlobClient) -> BlobLeaseClient | None:
        try:
            return self._lease(blob)
        except ResourceNotFoundError:
            self._create(blob)  # the entity's first hold: make its blob (and the container), then lease it
        return self._lease(blob)

    def _lease(self, blob: BlobClient) -> BlobLeaseClient | None:
        try:
            return blob.acquire_lease(lease_duration=self._lease_seconds)
        except HttpResponseError as error:
            if _code(error) == "LeaseAlreadyPresent":
                return None
            raise

    def _create(self, blob: BlobClient) -> None:
        with contextlib.suppress(ResourceExistsError):
            self._container.create_container()
        with contextlib.suppress(ResourceExistsError):  # another worker made it first
            blob.upload_blob(b"", overwrite=False)

    def _renew(self, lease: BlobLeaseClient, entity: str, stop: threading.Event) -> None:
        while not stop.wait(self._lease_seconds / 3):
            try:
                lease.renew()
            except HttpResponseError as error:
                if _code(error) in LOST:
                    logger.error("the poster lease of %s was lost (it lapsed and another worker took it)", entity)
                    return
                logger.warning("the poster lease of %s was not renewed (%s); trying again", entity, error.status_code)
            except AzureError as error:
                logger.warning(
                    "the poster lease of %s was not renewed (%s); trying again", entity, type(error).__name__
                )


def _code(error: HttpResponseError) -> str:
    # Storage sets `error_code` on the errors it raises; azure-core's type does not declare it.
    return str(getattr(error, "error_code", "") or "")
