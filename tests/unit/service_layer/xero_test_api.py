"""The real Xero adapter for one entity of the local Xero, with every call recorded for a test to count and inspect."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cynare.adapters.xero.http import XeroHttpApi
from cynare.adapters.xero.pacer import Pacer
from cynare.service_layer.xero_port import XeroCallFailed, XeroReply


@dataclass(frozen=True)
class Sent:
    """One call as made and answered."""

    method: str
    path: str
    params: dict[str, str]
    if_modified_since: str | None  # as the header carries it: UTC to the second
    status: int
    body: Any


class RecordingXeroApi:
    def __init__(self, base_url: str, token: str, tenant_id: str, entity: str, timeout: float = 10.0) -> None:
        self._inner = XeroHttpApi(entity, tenant_id, base_url, lambda force: token, pacer=Pacer(), timeout=timeout)
        self.entity = entity
        self.tenant_id = tenant_id
        self.usage = self._inner.usage
        self.sent: list[Sent] = []

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        if_modified_since: datetime | None = None,
    ) -> XeroReply:
        since = if_modified_since.astimezone(UTC).replace(microsecond=0).isoformat() if if_modified_since else None
        try:
            reply = self._inner.call(method, path, params=params, body=body, idempotency_key=idempotency_key,
                                     if_modified_since=if_modified_since)  # fmt: skip
        except XeroCallFailed as failure:
            self.sent.append(Sent(method, path, dict(params or {}), since, failure.status or 0, None))
            raise
        self.sent.append(Sent(method, path, dict(params or {}), since, reply.status, reply.body))
        return reply

    def close(self) -> None:
        self._inner.close()
