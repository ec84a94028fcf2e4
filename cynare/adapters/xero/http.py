"""One entity's organisation over HTTP: the XeroApi port with `requests`, nothing retried behind our back.

Every call names the tenant the entity was bound to, and only that one. Transport retries are off
(urllib3 would resend a write whose outcome is unknown); the one retry here is after a 401, with a
fresh token. Every other failure becomes XeroCallFailed with the Problem the retry policy acts on.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from cynare.adapters.xero import jsonio
from cynare.adapters.xero.pacer import Pacer
from cynare.service_layer.xero_port import Problem, Usage, XeroCallFailed, XeroReply

XERO_ACCOUNTING_URL = "https://api.xero.com/api.xro/2.0"
MAX_IDEMPOTENCY_KEY = 128
_LIMIT_PROBLEMS = {
    "minute": Problem.MINUTE_LIMIT,
    "day": Problem.DAY_LIMIT,
    "concurrent": Problem.CONCURRENT_LIMIT,
    "appminute": Problem.APP_MINUTE_LIMIT,
}
_LIMIT_WORDS = {
    Problem.MINUTE_LIMIT: "its 60 calls a minute",
    Problem.DAY_LIMIT: "its daily call limit",
    Problem.CONCURRENT_LIMIT: "its 5 calls in flight",
    Problem.APP_MINUTE_LIMIT: "the app's calls a minute across all organisations",
}
_MAX_MESSAGES = 50  # a batch of 50 elements, one message each, is already a lot to read

logger = logging.getLogger(__name__)

TokenSource = Callable[[bool], str]


def session_without_retries() -> requests.Session:
    """A Session whose transport never resends a request on its own."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class XeroHttpApi:
    """The XeroApi port for one entity, bound to one tenant.

    `token_source(force_refresh)` gives the access token (TokenKeeper.access_token); `pacer` is shared
    by every thread calling this organisation. A `session` given is used as it is (its adapters are the
    caller's); otherwise one is made with transport retries off.
    """

    def __init__(
        self,
        entity: str,
        tenant_id: str,
        accounting_url: str,
        token_source: TokenSource,
        *,
        pacer: Pacer,
        timeout: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        try:
            uuid.UUID(tenant_id)
        except (ValueError, TypeError, AttributeError):
            raise ValueError(f"{entity}: {tenant_id!r} is not a Xero tenant id") from None
        self.entity = entity
        self.tenant_id = tenant_id
        self.usage = Usage()
        self._base = accounting_url.rstrip("/")
        self._token_source = token_source
        self._pacer = pacer
        self._timeout = timeout
        self._session = session if session is not None else session_without_retries()
        self._usage_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"XeroHttpApi(entity={self.entity!r}, tenant_id={self.tenant_id!r}, url={self._base!r})"

    def close(self) -> None:
        self._session.close()

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
        method = method.upper()
        if not path.startswith("/") or path.startswith("//") or "?" in path or "#" in path:
            raise ValueError(f"{path!r} is not a path under the Accounting API (give the query as params)")
        headers = {"xero-tenant-id": self.tenant_id, "Accept": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = _checked_key(idempotency_key)
        if if_modified_since is not None:
            headers["If-Modified-Since"] = _modified_since(if_modified_since)
        data = None
        if body is not None:
            data = jsonio.dumps(body)
            headers["Content-Type"] = "application/json"
        token = self._token_source(False)
        response = self._send(method, path, params, data, headers, token)
        if response.status_code == 401:
            # An access token can expire or be revoked between reading and use: one fresh try.
            token = self._token_source(True)
            response = self._send(method, path, params, data, headers, token)
        return self._answer(method, path, response)

    # --- one HTTP exchange -------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        data: bytes | None,
        headers: dict[str, str],
        token: str,
    ) -> requests.Response:
        sent = {**headers, "Authorization": f"Bearer {token}"}
        with self._pacer.slot():
            started = time.monotonic()
            try:
                response = self._session.request(
                    method,
                    self._base + path,
                    params=dict(params) if params else None,
                    data=data,
                    headers=sent,
                    timeout=self._timeout,
                    allow_redirects=False,
                )
                content = response.content  # read inside the slot: the call is in flight until then
            except requests.Timeout as exc:
                self._count(data, b"", None)
                self._log(method, path, "timeout", started)
                raise XeroCallFailed(
                    Problem.TIMEOUT,
                    f"Xero did not answer {self.entity}'s call {method} {path} within {self._timeout:g} s: "
                    "whether it was carried out is unknown",
                ) from exc
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                self._count(data, b"", None)
                self._log(method, path, "dropped", started)
                raise XeroCallFailed(
                    Problem.DROPPED,
                    f"the connection to Xero broke during {self.entity}'s call {method} {path}: "
                    "whether it was carried out is unknown",
                ) from exc
            self._count(data, content, response.headers)
            self._log(method, path, str(response.status_code), started)
        return response

    def _count(self, data: bytes | None, content: bytes, headers: Mapping[str, str] | None) -> None:
        with self._usage_lock:
            usage = self.usage
            usage.calls += 1
            usage.bytes_sent += len(data or b"")
            usage.bytes_read += len(content)
            if headers is None:
                return
            day = _int_header(headers, "X-DayLimit-Remaining")
            minute = _int_header(headers, "X-MinLimit-Remaining")
            if day is not None:
                usage.day_remaining = day
            if minute is not None:
                usage.minute_remaining = minute

    def _log(self, method: str, path: str, status: str, started: float) -> None:
        # Never the headers: they carry the access token.
        logger.debug("xero %s %s %s -> %s in %.3fs", self.entity, method, path, status, time.monotonic() - started)

    # --- what the answer means ---------------------------------------------------------------
    def _answer(self, method: str, path: str, response: requests.Response) -> XeroReply:
        status = response.status_code
        what = f"{self.entity}'s call {method} {path}"
        if 200 <= status < 300:
            try:
                body = jsonio.loads(response.content) if response.content else None
            except ValueError as exc:
                # Carried out, probably, but unreadable: the caller must look before sending again.
                raise XeroCallFailed(
                    Problem.SERVER_ERROR,
                    f"Xero answered {what} with {status} but a body that is not JSON",
                    status=status,
                ) from exc
            return XeroReply(status, body, CaseInsensitiveDict(response.headers))
        body = _parsed_or_none(response)
        retry_after = _retry_after(response.headers)
        if status == 429:
            raw = (response.headers.get("X-Rate-Limit-Problem") or "").strip().lower()
            # An unnamed limit is treated as the minute one: waiting is the safe reading.
            problem = _LIMIT_PROBLEMS.get(raw, Problem.MINUTE_LIMIT)
            with self._usage_lock:
                self.usage.throttled += 1
            if problem is Problem.MINUTE_LIMIT and retry_after:
                self._pacer.pause(retry_after)
            wait = f"; Xero asks to wait {retry_after:g} s" if retry_after is not None else ""
            raise XeroCallFailed(
                problem,
                f"Xero refused {what}: {self.entity} reached {_LIMIT_WORDS[problem]} (429){wait}",
                status=status,
                retry_after=retry_after,
            )
        messages = _xero_messages(body)
        said = f": {'; '.join(messages)}" if messages else ""
        if status >= 500:
            raise XeroCallFailed(
                Problem.SERVER_ERROR,
                f"Xero failed on {what} ({status}){said}: whether it was carried out is unknown",
                status=status,
                retry_after=retry_after,
                messages=messages,
            )
        if status == 401:
            raise XeroCallFailed(
                Problem.UNAUTHORIZED,
                f"Xero refused {what} even with a fresh access token (401{said}): the connection may have been "
                f"revoked or lack a scope; reconnect {self.entity} to Xero",
                status=status,
                messages=messages,
            )
        if status == 403:
            raise XeroCallFailed(
                Problem.FORBIDDEN,
                f"Xero refused {what} (403{said}): the connection does not reach the organisation "
                f"{self.entity} is bound to (tenant {self.tenant_id}); reconnect {self.entity} to that organisation",
                status=status,
                messages=messages,
            )
        if status == 404:
            raise XeroCallFailed(
                Problem.NOT_FOUND,
                f"Xero found nothing at {path} for {self.entity} (404)",
                status=status,
                messages=messages,
            )
        if 400 <= status < 500:
            raise XeroCallFailed(
                Problem.REFUSED,
                f"Xero refused {what} ({status}){said or ' without saying why'}",
                status=status,
                messages=messages,
            )
        # A redirect or anything else Xero never sends: treat as a failure whose outcome is unknown.
        raise XeroCallFailed(
            Problem.SERVER_ERROR,
            f"Xero answered {what} with an unexpected {status}: whether it was carried out is unknown",
            status=status,
        )


def _checked_key(key: str) -> str:
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise ValueError(f"an Idempotency-Key must have 1 to {MAX_IDEMPOTENCY_KEY} characters, not {len(key)}")
    if not key.isascii() or not key.isprintable():
        raise ValueError("an Idempotency-Key must be printable ASCII")
    return key


def _modified_since(at: datetime) -> str:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("If-Modified-Since needs an aware datetime (UTC)")
    # UTC to the second, with its offset, as the official SDK sends it (a date-time in Xero's spec).
    return at.astimezone(UTC).replace(microsecond=0).isoformat()


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        return None  # an HTTP date: Xero sends seconds, so this is not worth guessing at
    return seconds if seconds >= 0 else None


def _parsed_or_none(response: requests.Response) -> Any:
    try:
        return jsonio.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        return None


def _xero_messages(body: Any) -> tuple[str, ...]:
    """Xero's own words: each element's ValidationErrors, else the body's Message or Detail."""
    if not isinstance(body, dict):
        return ()
    found: list[str] = []
    elements = body.get("Elements")
    if isinstance(elements, list):
        for element in elements:
            errors = element.get("ValidationErrors") if isinstance(element, dict) else None
            for error in errors if isinstance(errors, list) else ():
                message = error.get("Message") if isinstance(error, dict) else None
                if isinstance(message, str) and message and message not in found:
                    found.append(message)
    if not found:
        for key in ("Message", "Detail"):
            message = body.get(key)
            if isinstance(message, str) and message:
                found.append(message)
                break
    return tuple(found[:_MAX_MESSAGES])
