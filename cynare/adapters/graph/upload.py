"""Uploading one large attachment to a draft through its upload session.

The uploadUrl is pre-authenticated (its `authtoken` query) and lives on Outlook's host, not Graph's:
the bytes go by plain PUTs with Content-Range, in order, at most 4 MB each, with no Authorization
header (Graph's instructions) and no retries. The authtoken is as good as a password until the
session expires, so it is kept out of logs (httpx logs each request's URL) and out of every error.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx

# 12 x 320 KiB: under Graph's 4 MB a request, and a multiple of the 320 KiB other upload sessions want.
CHUNK_SIZE = 12 * 320 * 1024
_AUTHTOKEN = re.compile(r"(authtoken=)[^&\s\"']+", re.IGNORECASE)


class UploadRefused(Exception):
    """The uploadUrl answered an error: `status`, Graph's `code` and `message`, the response headers."""

    def __init__(self, status: int, code: str, message: str, headers: httpx.Headers) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


@dataclass(frozen=True, slots=True)
class Progress:
    done: bool
    next_start: int


async def upload_in_ranges(http: httpx.AsyncClient, upload_url: str, content: bytes) -> None:
    """PUT `content` to `upload_url` range after range until the session answers 201 (complete)."""
    total = len(content)
    start = 0
    while True:
        end = min(start + CHUNK_SIZE, total) - 1
        reply = await http.put(
            upload_url,
            content=content[start : end + 1],
            headers={"Content-Range": f"bytes {start}-{end}/{total}", "Content-Type": "application/octet-stream"},
        )
        progress = _progress(reply, total)
        if progress.done:
            return
        if progress.next_start <= start:
            # The session took nothing of this range: sending it again would loop for ever.
            raise UploadRefused(reply.status_code, "NoProgress", "the upload session accepted no bytes", reply.headers)
        start = progress.next_start


def _progress(reply: httpx.Response, total: int) -> Progress:
    if reply.status_code == 201:
        return Progress(True, total)
    body = _json(reply)
    if reply.status_code != 200:
        found = body.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        raise UploadRefused(
            reply.status_code, str(error.get("code", "")), str(error.get("message", reply.reason_phrase)), reply.headers
        )
    # The session says where it wants the next bytes from ("2097152" or "2097152-3483321").
    ranges = body.get("nextExpectedRanges") or []
    try:
        return Progress(False, int(str(ranges[0]).split("-")[0]))
    except (IndexError, ValueError):
        raise UploadRefused(200, "NoExpectedRange", "the upload session named no next range", reply.headers) from None


def _json(reply: httpx.Response) -> dict[str, Any]:
    try:
        parsed = json.loads(reply.content) if reply.content else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


class HideUploadTokens(logging.Filter):
    """Rewrites `authtoken=...` in a log record's message and arguments (httpx logs request URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "authtoken=" in record.msg.lower():
            record.msg = hide_upload_token(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_hidden(arg) for arg in record.args)
        return True


def hide_upload_token(text: str) -> str:
    return _AUTHTOKEN.sub(r"\1[hidden]", text)


def _hidden(value: object) -> object:
    if isinstance(value, httpx.URL | str) and "authtoken=" in str(value).lower():
        return hide_upload_token(str(value))
    return value


def hide_upload_tokens_in_logs() -> None:
    """Install the filter on httpx's logger once (idempotent)."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, HideUploadTokens) for f in logger.filters):
        logger.addFilter(HideUploadTokens())
