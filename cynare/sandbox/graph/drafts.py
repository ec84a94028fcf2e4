"""Draft messages and the upload sessions that attach large files to them, as Outlook keeps them.

The large-attachment path of Graph: POST /users/{id}/messages makes a draft; each file of 3 MB or more
gets an upload session (createUploadSession), whose pre-authenticated uploadUrl takes the bytes in
order by PUT with Content-Range, at most 4 MB a request; smaller files are POSTed to the draft's
attachments; POST .../send sends it (DELETE on the message discards it). Where Graph documents no error for a broken upload (a gap in
the ranges, a wrong total) the codes here are the stand-in's own, in Graph's shape.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cynare.sandbox.graph.errors import (
    GraphError,
    bad_request,
    body_unreadable,
    invalid_token,
    item_not_found,
    too_large,
)
from cynare.sandbox.graph.message import INLINE_LIMIT, MESSAGE_LIMIT, Composed, FileAttachment, lower_keys

CHUNK_LIMIT = 4 * 1024 * 1024  # "up to 4 MB each time"
SESSION_LIFETIME = timedelta(hours=2)
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def outlook_id() -> str:
    """An id shaped like Exchange's (base64 with '=' and '-', which URLs must carry encoded)."""
    return "AAMkAG" + secrets.token_urlsafe(24) + "="


@dataclass
class Draft:
    id: str
    message: Composed
    attachments: list[FileAttachment] = field(default_factory=list)

    def size(self) -> int:
        return sum(len(a.content) for a in self.attachments)


@dataclass
class UploadSession:
    id: str
    message_id: str
    token: str
    expires_at: datetime
    item: FileAttachment  # content empty until complete
    size: int
    received: bytearray = field(default_factory=bytearray)


@dataclass(frozen=True, slots=True)
class ChunkResult:
    done: bool
    next_start: int
    expires_at: datetime
    attachment_id: str = ""


class Drafts:
    def __init__(self) -> None:
        self._drafts: dict[str, Draft] = {}
        self._sessions: dict[str, UploadSession] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._drafts.clear()
            self._sessions.clear()

    def ids(self) -> list[str]:
        """The drafts still in the mailbox."""
        with self._lock:
            return list(self._drafts)

    def create(self, message: Composed) -> Draft:
        draft = Draft(outlook_id(), message, list(message.attachments))
        with self._lock:
            self._drafts[draft.id] = draft
        return draft

    def attach(self, message_id: str, attachment: FileAttachment) -> str:
        with self._lock:
            draft = self._draft(message_id)
            _check_message_size(draft, len(attachment.content))
            draft.attachments.append(attachment)
        return outlook_id()

    def open_session(self, message_id: str, body: dict[str, Any], now: datetime) -> UploadSession:
        item = _attachment_item(body)
        size = item.pop("size")
        with self._lock:
            draft = self._draft(message_id)
            _check_message_size(draft, size)
            session = UploadSession(
                outlook_id(),
                message_id,
                secrets.token_urlsafe(32),
                now + SESSION_LIFETIME,
                FileAttachment(item["name"], item["content_type"], b"", item["is_inline"], item["content_id"]),
                size,
            )
            self._sessions[session.id] = session
        return session

    def put(
        self, session_id: str, token: str | None, authorization: str | None, content_range: str | None, chunk: bytes
    ) -> ChunkResult:
        if authorization:
            raise invalid_token(
                "Send no Authorization header to an uploadUrl: it is pre-authenticated (its authtoken)."
            )
        with self._lock:
            session = self._session(session_id, token)
            start, end, total = _parse_range(content_range)
            if total != session.size:
                raise bad_request(
                    f"The upload session is for {session.size} total bytes, but the fragment declares a total of {total}.",
                    "ErrorInvalidRequest",
                )
            if len(chunk) > CHUNK_LIMIT:
                raise too_large()
            if end - start + 1 != len(chunk):
                raise bad_request(
                    "The Content-Range header length does not match the provided number of bytes.",
                    "ErrorInvalidRequest",
                )
            if start != len(session.received):
                raise GraphError(
                    416,
                    "ErrorInvalidRange",
                    "The uploaded fragment is not contiguous with the last one: "
                    f"the next expected range starts at {len(session.received)}.",
                )
            if end >= total:
                raise bad_request("The fragment ends beyond the declared total size.", "ErrorInvalidRequest")
            session.received.extend(chunk)
            if len(session.received) < session.size:
                return ChunkResult(False, len(session.received), session.expires_at)
            del self._sessions[session.id]
            draft = self._draft(session.message_id)
            item = session.item
            draft.attachments.append(
                FileAttachment(item.name, item.content_type, bytes(session.received), item.is_inline, item.content_id)
            )
            return ChunkResult(True, session.size, session.expires_at, outlook_id())

    def cancel(self, session_id: str, token: str | None) -> None:
        with self._lock:
            session = self._session(session_id, token)
            del self._sessions[session.id]

    def take(self, message_id: str) -> Composed:
        """The draft as it is sent (it leaves the drafts)."""
        with self._lock:
            draft = self._draft(message_id)
            del self._drafts[message_id]
            for key in [k for k, s in self._sessions.items() if s.message_id == message_id]:
                del self._sessions[key]
        m = draft.message
        return Composed(m.subject, m.body_type, m.body, m.to, m.cc, m.bcc, tuple(draft.attachments), m.sender)

    def _draft(self, message_id: str) -> Draft:
        draft = self._drafts.get(message_id)
        if draft is None:
            raise item_not_found()
        return draft

    def _session(self, session_id: str, token: str | None) -> UploadSession:
        session = self._sessions.get(session_id)
        if session is None:
            raise item_not_found()
        if not token or not secrets.compare_digest(token, session.token):
            raise invalid_token("The authtoken of this uploadUrl is not valid: use the uploadUrl exactly as returned.")
        if datetime.now(UTC) >= session.expires_at:
            raise invalid_token("Lifetime validation failed, the token is expired.")
        return session


def _attachment_item(body: dict[str, Any]) -> dict[str, Any]:
    fields = lower_keys(body, "The request body")
    if "attachmentitem" not in fields:
        raise bad_request("The request body must have the parameter 'AttachmentItem'.", "ErrorInvalidParameter")
    item = lower_keys(fields["attachmentitem"], "AttachmentItem")
    kind = item.get("attachmenttype")
    if not isinstance(kind, str) or kind.lower() != "file":
        raise bad_request("AttachmentItem.attachmentType must be 'file'.", "ErrorInvalidParameter")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("Required property is missing: AttachmentItem.name.", "ErrorRequiredPropertyMissing")
    size = item.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise body_unreadable("Cannot convert the value of 'size' to the expected type 'Edm.Int64'.")
    if size < INLINE_LIMIT:
        raise bad_request(
            f"The attachment is {size} bytes: an upload session is for files of 3 MB or more; "
            "POST smaller files to the message's attachments.",
            "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
        )
    content_type = item.get("contenttype")
    if not isinstance(content_type, str) or "/" not in content_type:
        raise bad_request("Required property is missing: AttachmentItem.contentType.", "ErrorRequiredPropertyMissing")
    is_inline = item.get("isinline") or False
    content_id = item.get("contentid") or ""
    if not isinstance(is_inline, bool) or not isinstance(content_id, str):
        raise body_unreadable("AttachmentItem.isInline must be a boolean and contentId a string.")
    if is_inline and not content_id:
        raise bad_request(f"Inline attachment '{name}' has no contentId.", "ErrorInvalidProperty")
    return {"name": name, "size": size, "content_type": content_type, "is_inline": is_inline, "content_id": content_id}


def _check_message_size(draft: Draft, adding: int) -> None:
    if draft.size() + adding > MESSAGE_LIMIT:
        raise bad_request("The message exceeds the maximum supported size.", "ErrorMessageSizeExceeded")


def _parse_range(header: str | None) -> tuple[int, int, int]:
    found = _CONTENT_RANGE.match((header or "").strip())
    if found is None:
        raise bad_request(
            f"Content-Range {header!r} is missing or malformed: send 'bytes {{start}}-{{end}}/{{total}}'.",
            "ErrorInvalidRequest",
        )
    start, end, total = (int(g) for g in found.groups())
    if end < start:
        raise bad_request(f"Content-Range {header!r} ends before it starts.", "ErrorInvalidRequest")
    return start, end, total
