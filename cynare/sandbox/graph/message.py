"""Reading Graph's JSON for a message and its file attachments, as strictly as Graph reads it.

Property names are matched without regard to case, as Graph does (msgraph-sdk writes the sendMail
parameters as `Message` and `SaveToSentItems`); a property the type does not have is refused, as
OData refuses it. Two rules are stricter than Graph's own, because a report without them is a bug
on our side: a message needs at least one To recipient (Graph would take Cc or Bcc alone), and a file
attachment needs its contentType (Graph would guess one) and, when inline, its contentId.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from cynare.sandbox.graph.errors import GraphError, bad_request, body_unreadable, invalid_recipients, too_large

FILE_ATTACHMENT = "#microsoft.graph.fileAttachment"
# Attachments sent in one request (sendMail, a draft, POST .../attachments) must total under 3 MB;
# a file of 3 MB or more goes through an upload session (createUploadSession), which refuses less.
INLINE_LIMIT = 3_000_000
# What Exchange Online accepts in one message by default (35 MB, attachments included).
MESSAGE_LIMIT = 35 * 1024 * 1024

_MESSAGE_PROPERTIES = frozenset(
    name.lower()
    for name in (
        "@odata.type",
        "subject",
        "body",
        "toRecipients",
        "ccRecipients",
        "bccRecipients",
        "replyTo",
        "from",
        "sender",
        "attachments",
        "importance",
        "internetMessageHeaders",
        "isDeliveryReceiptRequested",
        "isReadReceiptRequested",
        "categories",
        "hasAttachments",
    )
)
_ATTACHMENT_PROPERTIES = frozenset(
    name.lower()
    for name in (
        "@odata.type",
        "name",
        "contentType",
        "contentBytes",
        "isInline",
        "contentId",
        "size",
        "contentLocation",
    )
)
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True, slots=True)
class FileAttachment:
    name: str
    content_type: str
    content: bytes
    is_inline: bool = False
    content_id: str = ""


@dataclass(frozen=True, slots=True)
class Composed:
    """A message as Graph would hold it: the body type is `html` or `text`."""

    subject: str
    body_type: str
    body: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    attachments: tuple[FileAttachment, ...] = ()
    sender: str = ""  # the `from` address asked for, if any


def lower_keys(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise body_unreadable(f"{where} must be a JSON object.")
    return {str(key).lower(): value for key, value in raw.items()}


def is_address(text: str) -> bool:
    return bool(_ADDRESS.match(text))


def read_message(raw: Any, *, draft: bool = False) -> Composed:
    """The `message` of sendMail, or the body of POST /messages (`draft`: recipients may come later)."""
    fields = lower_keys(raw, "The message")
    unknown = sorted(set(fields) - _MESSAGE_PROPERTIES)
    if unknown:
        raise body_unreadable(
            f"The property '{unknown[0]}' does not exist on type 'microsoft.graph.message'. Make sure to only use "
            "property names that are defined by the type or mark the type as open type."
        )
    odata_type = fields.get("@odata.type")
    if odata_type not in (None, "#microsoft.graph.message"):
        raise body_unreadable(f"A type named '{odata_type}' is not a message.")
    subject = fields.get("subject") or ""
    if not isinstance(subject, str):
        raise body_unreadable("Cannot convert the value of 'subject' to the expected type 'Edm.String'.")
    body_type, body = _read_body(fields.get("body"))
    to = _read_recipients(fields.get("torecipients"), "toRecipients")
    cc = _read_recipients(fields.get("ccrecipients"), "ccRecipients")
    bcc = _read_recipients(fields.get("bccrecipients"), "bccRecipients")
    if not to and not draft:
        raise invalid_recipients("A message can't be sent because it contains no recipients.")
    attachments = tuple(read_attachment(item) for item in _list(fields.get("attachments"), "attachments"))
    check_inline_total(attachments)
    sender = ""
    if fields.get("from") is not None:
        sender = _read_address(fields["from"], "from")
    return Composed(subject, body_type, body, to, cc, bcc, attachments, sender)


def check_sendable(message: Composed) -> None:
    """What a draft needs when it is sent."""
    if not message.to:
        raise invalid_recipients("A message can't be sent because it contains no recipients.")


def read_attachment(raw: Any) -> FileAttachment:
    fields = lower_keys(raw, "An attachment")
    odata_type = fields.get("@odata.type")
    if odata_type != FILE_ATTACHMENT:
        if odata_type is None:
            raise body_unreadable(
                "An attachment needs its '@odata.type': the abstract type 'microsoft.graph.attachment' cannot be "
                f"created; send '{FILE_ATTACHMENT}'."
            )
        raise body_unreadable(f"The stand-in takes file attachments only ('{FILE_ATTACHMENT}'), not '{odata_type}'.")
    unknown = sorted(set(fields) - _ATTACHMENT_PROPERTIES)
    if unknown:
        raise body_unreadable(
            f"The property '{unknown[0]}' does not exist on type 'microsoft.graph.fileAttachment'. Make sure to only "
            "use property names that are defined by the type or mark the type as open type."
        )
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _required("name")
    content_type = fields.get("contenttype")
    if not isinstance(content_type, str) or "/" not in content_type:
        raise _required("contentType")
    encoded = fields.get("contentbytes")
    if not isinstance(encoded, str):
        raise _required("contentBytes")
    content = decode_base64(encoded)
    is_inline = fields.get("isinline", False)
    if not isinstance(is_inline, bool):
        raise body_unreadable("Cannot convert the value of 'isInline' to the expected type 'Edm.Boolean'.")
    content_id = fields.get("contentid") or ""
    if not isinstance(content_id, str):
        raise body_unreadable("Cannot convert the value of 'contentId' to the expected type 'Edm.String'.")
    if is_inline and not content_id:
        raise bad_request(
            f"Inline attachment '{name}' has no contentId: the HTML cannot show it (<img src=\"cid:...\">).",
            "ErrorInvalidProperty",
        )
    return FileAttachment(name, content_type, content, is_inline, content_id)


def check_inline_total(attachments: tuple[FileAttachment, ...] | list[FileAttachment]) -> None:
    """Attachments carried in one request must total under 3 MB (Graph's 4 MB request, base64 included)."""
    if sum(len(a.content) for a in attachments) >= INLINE_LIMIT:
        raise too_large()


def decode_base64(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        shown = encoded if len(encoded) <= 20 else encoded[:20] + "..."
        raise body_unreadable(f"Cannot convert the literal '{shown}' to the expected type 'Edm.Binary'.") from None


def _read_body(raw: Any) -> tuple[str, str]:
    if raw is None:
        return "text", ""
    fields = lower_keys(raw, "The message body")
    kind = fields.get("contenttype", "text")
    if not isinstance(kind, str) or kind.lower() not in ("html", "text"):
        raise body_unreadable(f"Cannot convert the literal '{kind}' to the expected type 'microsoft.graph.bodyType'.")
    content = fields.get("content") or ""
    if not isinstance(content, str):
        raise body_unreadable("Cannot convert the value of 'content' to the expected type 'Edm.String'.")
    return kind.lower(), content


def _read_recipients(raw: Any, where: str) -> tuple[str, ...]:
    return tuple(_read_address(item, where) for item in _list(raw, where))


def _read_address(raw: Any, where: str) -> str:
    fields = lower_keys(raw, f"A recipient in {where}")
    email = fields.get("emailaddress")
    address = lower_keys(email, f"emailAddress in {where}").get("address") if email is not None else None
    if not isinstance(address, str) or not address.strip():
        raise invalid_recipients(
            "Recipient '' isn't resolved. All recipients must be resolved before a message can be submitted."
        )
    if not is_address(address.strip()):
        raise invalid_recipients(
            f"Recipient '{address}' isn't resolved. All recipients must be resolved before a message can be submitted."
        )
    return address.strip()


def _list(raw: Any, where: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise body_unreadable(f"'{where}' must be a JSON array.")
    return raw


def _required(name: str) -> GraphError:
    return bad_request(f"Required property is missing: the file attachment's '{name}'.", "ErrorRequiredPropertyMissing")
