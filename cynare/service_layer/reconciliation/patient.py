"""Xero reads for the reconciliation, retried as the retry table says: a read has no outcome to lose, so
every passing trouble (a 429, a 5xx, a timeout) is waited out and asked again."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from cynare.domain.retry_policy import Action, rule_for, wait_before
from cynare.service_layer.xero_port import Usage, XeroApi, XeroCallFailed, XeroReply

_PASSING = (Action.WAIT_AND_RETRY, Action.BACK_OFF_AND_RETRY)


class PatientXero:
    """An XeroApi that retries what passes; it only reads, so no idempotency key is needed."""

    def __init__(self, xero: XeroApi, sleep: Callable[[float], None]) -> None:
        self._xero = xero
        self._sleep = sleep
        self.entity = xero.entity
        self.tenant_id = xero.tenant_id
        self.usage: Usage = xero.usage  # the door's own count, shared: every retried call is counted there

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
        attempt = 1
        while True:
            try:
                return self._xero.call(method, path, params=params, body=body, idempotency_key=idempotency_key,
                                       if_modified_since=if_modified_since)  # fmt: skip
            except XeroCallFailed as failed:
                rule = rule_for(failed.problem.value)
                if rule.action not in _PASSING or attempt >= rule.attempts:
                    raise
                self._sleep(wait_before(failed.problem.value, attempt, failed.retry_after))
                attempt += 1
