"""The `xero-post` queue: one message per entity with work, read by the posting function."""

from __future__ import annotations

import contextlib
import json

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from cynare.adapters.storage import connect
from cynare.adapters.tables.connection import StorageSettings

XERO_POST = "xero-post"


class StorageWorkQueue:
    def __init__(self, settings: StorageSettings, queue: str = XERO_POST) -> None:
        # The Functions host reads queue messages as base64 by default.
        encoding = TextBase64EncodePolicy()
        self._client = connect(
            settings,
            "queue",
            lambda text: QueueClient.from_connection_string(text, queue, message_encode_policy=encoding),
            lambda url, credential: QueueClient(url, queue, credential=credential, message_encode_policy=encoding),
        )
        with contextlib.suppress(ResourceExistsError):
            self._client.create_queue()

    def announce(self, entity: str, reason: str, delay_seconds: float = 0.0) -> None:
        # A visibility delay is whole seconds; the queue keeps it at most 7 days.
        delay = min(max(0, round(delay_seconds)), 7 * 24 * 3600) or None
        self._client.send_message(json.dumps({"entity": entity, "reason": reason}), visibility_timeout=delay)

    def peek_entities(self, limit: int = 32) -> list[str]:
        return [json.loads(_decode(message.content))["entity"] for message in self._client.peek_messages(limit)]


def _decode(content: str) -> str:
    import base64

    try:
        return base64.b64decode(content).decode()
    except ValueError:
        return content
