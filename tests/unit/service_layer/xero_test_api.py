"""A test-only XeroApi over `requests`: one entity's organisation in the local Xero, every call recorded.

Amounts go out as JSON numbers written from their Decimal (never through float) and come back as
Decimal (`parse_float=Decimal`); If-Modified-Since is sent as ISO 8601 in UTC, to the second.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import requests

from cynare.service_layer.xero_port import Problem, Usage, XeroCallFailed, XeroReply

_LIMIT_PROBLEMS = {
    "minute": Problem.MINUTE_LIMIT,
    "day": Problem.DAY_LIMIT,
    "concurrent": Problem.CONCURRENT_LIMIT,
    "appminute": Problem.APP_MINUTE_LIMIT,
}


def dumps(value: Any) -> str:
    """JSON with each Decimal written as the number it is ("120.00" stays 120.00)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("amounts are Decimal, never float")
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def format_if_modified_since(at: datetime) -> str:
    """UTC to the second, as Xero reads the header (and the local Xero accepts ISO 8601)."""
    if at.tzinfo is None:
        raise ValueError("If-Modified-Since needs an aware time")
    return at.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Sent:
    """One call as made and answered: what a test counts and inspects."""

    method: str
    path: str
    params: dict[str, str]
    if_modified_since: str | None
    status: int
    body: Any


class RequestsXeroApi:
    def __init__(self, base_url: str, token: str, tenant_id: str, entity: str, timeout: float = 10.0) -> None:
        self.entity = entity
        self.tenant_id = tenant_id
        self.usage = Usage()
        self.sent: list[Sent] = []
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._session = requests.Session()
        self._session.headers.update(
            {"Authorization": f"Bearer {token}", "xero-tenant-id": tenant_id, "Accept": "application/json"}
        )

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
        headers: dict[str, str] = {}
        data: bytes | None = None
        if body is not None:
            data = dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        since = format_if_modified_since(if_modified_since) if if_modified_since else None
        if since:
            headers["If-Modified-Since"] = since
        try:
            response = self._session.request(
                method, self._base + path, params=dict(params or {}), data=data, headers=headers, timeout=self._timeout
            )
        except requests.Timeout as exc:
            raise XeroCallFailed(Problem.TIMEOUT, f"{method} {path}: no answer in time") from exc
        except requests.ConnectionError as exc:
            raise XeroCallFailed(Problem.DROPPED, f"{method} {path}: the connection broke") from exc
        self.usage.calls += 1
        self.usage.bytes_sent += len(data or b"")
        self.usage.bytes_read += len(response.content)
        for header, name in (("X-DayLimit-Remaining", "day_remaining"), ("X-MinLimit-Remaining", "minute_remaining")):
            if header in response.headers:
                setattr(self.usage, name, int(response.headers[header]))
        parsed = json.loads(response.text, parse_float=Decimal) if response.content else None
        self.sent.append(Sent(method, path, dict(params or {}), since, response.status_code, parsed))
        if response.status_code >= 400:
            raise _failure(method, path, response, parsed)
        return XeroReply(response.status_code, parsed, dict(response.headers))

    def close(self) -> None:
        self._session.close()


def _failure(method: str, path: str, response: requests.Response, parsed: Any) -> XeroCallFailed:
    status = response.status_code
    messages: tuple[str, ...] = ()
    if isinstance(parsed, Mapping):
        messages = tuple(
            str(error.get("Message"))
            for element in parsed.get("Elements") or []
            for error in element.get("ValidationErrors") or []
        ) or ((str(parsed["Message"]),) if parsed.get("Message") else ())
    if status == 429:
        problem = _LIMIT_PROBLEMS.get(response.headers.get("X-Rate-Limit-Problem", ""), Problem.MINUTE_LIMIT)
        retry = response.headers.get("Retry-After")
        return XeroCallFailed(problem, f"{method} {path}: rate limited", status=status,
                              retry_after=float(retry) if retry else None)  # fmt: skip
    problem = {400: Problem.REFUSED, 401: Problem.UNAUTHORIZED, 403: Problem.FORBIDDEN, 404: Problem.NOT_FOUND}.get(
        status, Problem.SERVER_ERROR
    )
    return XeroCallFailed(problem, f"{method} {path}: {status} {'; '.join(messages)}", status=status, messages=messages)
