"""What the agent raises, drawn as a tree so callers know what to catch.

AgentError                  anything the agent reports to a person and stops on
├── ConfigError             (config.py) the configuration cannot be used
├── ExtractInputError       a query or export file gives columns or values the extract cannot take
├── SourceBusy              the PMS is locked or busy after every retry: try again later
├── StorageUnavailable      storage could not be reached after every retry (nothing half visible)
├── StorageError            storage refused for good (permission, expiry): retrying will not help
│   └── CreateRefused       403 on a create: no create permission, or (create-only SAS) the blob exists
├── TransientStorageError   one failed storage call that may pass (retried with backoff)
├── BlobExists / CannotRead what a create-only SAS answers: already there / may not read
├── BlobChanged             a blob was replaced after it was read (a conditional delete spared it)
├── WritebackError          a write-back document could not be applied (nothing of it applied)
└── StepFailures            some entities or batches failed while the others went on

No message carries a secret: storage errors are described by their kind and status, never by URL.
"""

from __future__ import annotations


class AgentError(Exception):
    """A failure the agent reports in plain words."""


class ExtractInputError(AgentError):
    """A query file or export file returns columns or values the extract format cannot take."""


class SourceBusy(AgentError):
    """The PMS database stayed locked or busy through every retry."""


class StorageUnavailable(AgentError):
    """Blob storage could not be reached through every retry."""


class WritebackError(AgentError):
    """A write-back document could not be applied; its transaction was rolled back."""


class StorageError(AgentError):
    """Storage refused an operation for good (permission, missing container): retrying will not help."""


class TransientStorageError(AgentError):
    """The network or the service failed for now: worth retrying."""


class CreateRefused(StorageError):
    """A create answered 403 AuthorizationPermissionMismatch.

    A SAS without create permission answers this, and so does a create-only SAS when the blob is
    already there: the caller tells the two apart by what it recorded before sending.
    """


class BlobChanged(AgentError):
    """The blob was replaced after it was read; a delete on condition of the version read spared it."""


class BlobExists(AgentError):
    """A create-only upload found the blob already there."""


class CannotRead(AgentError):
    """The credential may create blobs but not read their properties (a create-only SAS)."""


class StepFailures(AgentError):
    """Some entities or batches failed and the others went on; each failure was already shown on its own line."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("; ".join(failures))
        self.failures = failures
