"""Create a blob once, even with a credential that may only create (the recommended inbound SAS).

Before each upload the agent records its intent (the blob's name and SHA-256) in its state; after
it, that the blob was sent. A run stopped between the two (killed, power lost) finds the intent
next time and sends the blob again, and storage answers that it is already there: 409 when the
credential may read or write, but 403 under a create-only SAS, which may not even learn that the
blob exists. So "already there" is:

- 409 (BlobExists), or
- 403 (CreateRefused) on a blob this agent recorded as being sent with the same SHA-256, once the
  credential has shown it may create blobs (a probe under `_agent-check/`, which Cynare Link
  ignores): a SAS that lost its create permission or expired is then not taken for "already there".

Blob names are content names (a batch id is derived from its files; an acknowledgement names the
version of the document it acknowledges), so a blob of that name is that content.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final, Protocol

from cynare.agent.errors import AgentError, BlobExists, CreateRefused, StorageError
from cynare.agent.state import AgentState

log = logging.getLogger(__name__)
Retrying = Callable[[Callable[[], None], str], None]

PROBE_FOLDER: Final = "_agent-check"
EMPTY_SHA256: Final = hashlib.sha256(b"").hexdigest()


def probe_name() -> str:
    return f"{PROBE_FOLDER}/{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}.probe"


class CreateTarget(Protocol):
    def upload_bytes(self, blob: str, data: bytes, sha256: str) -> None: ...


def create_once(
    target: CreateTarget, state: AgentState, blob: str, sha256: str, send: Callable[[], None], retrying: Retrying
) -> bool:
    """Send `blob` (content `sha256`) unless it is already there; True when this call created it."""
    earlier = state.blob_pending(blob, sha256)
    state.record_blob_sending(blob, sha256)  # durable before the upload: a stop after it is found next run
    try:
        retrying(send, f"upload {blob}")
    except BlobExists:
        log.info("%s is already there: sent by an earlier run that stopped before recording it", blob)
    except CreateRefused as exc:
        if not earlier:
            raise CreateRefused(
                f"{exc}; a create-only SAS also answers this for a blob already in storage from a run this agent "
                "has no record of (a state restored from a backup): the next run takes it as there if the "
                "credential may create blobs"
            ) from None
        if not _may_create(target, retrying):
            raise
        log.info("%s is already there (a create-only SAS answers 403): sent by an earlier run that stopped", blob)
    else:
        state.record_blob_sent(blob, sha256)
        return True
    state.record_blob_sent(blob, sha256)
    return False


def _may_create(target: CreateTarget, retrying: Retrying) -> bool:
    """Whether the credential may create blobs now: then a 403 on a blob of ours means it is there."""
    name = probe_name()
    try:
        retrying(lambda: target.upload_bytes(name, b"", EMPTY_SHA256), f"upload {name}")
    except StorageError:
        return False
    delete: Callable[[str], None] | None = getattr(target, "delete", None)
    if delete is not None:
        try:
            delete(name)
        except AgentError:  # a create-only SAS may not delete: the empty probe stays, and is ignored
            log.info("probe blob %s left in storage (the credential may not delete); it may be deleted", name)
    return True
