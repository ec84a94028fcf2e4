"""A MailMessage in Graph's terms, and which way it must travel.

Graph takes at most 4 MB in one request, base64 included: attachments totalling under 3 MB go inside
the sendMail request itself. A larger message goes as a draft: each file of 3 MB or more through an
upload session (which refuses smaller files), each smaller one in a request of its own, then the
draft is sent.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cynare.service_layer.reconciliation.ports import Attachment, MailMessage

if TYPE_CHECKING:
    from msgraph.generated.models.file_attachment import FileAttachment
    from msgraph.generated.models.message import Message
    from msgraph.generated.models.recipient import Recipient

INLINE_LIMIT = 3_000_000  # attachments in one request: under 3 MB (Graph's documented limit)
REQUEST_BUDGET = 4_000_000  # one request's body, kept under Graph's 4 MB with room to spare
_ENVELOPE = 8 * 1024  # JSON around the body and attachments: names, recipients, property names


def attachments_size(message: MailMessage) -> int:
    return sum(len(a.content) for a in message.attachments)


def fits_one_request(message: MailMessage) -> bool:
    """Whether sendMail can carry the whole message, attachments included."""
    if attachments_size(message) >= INLINE_LIMIT:
        return False
    encoded = sum(_base64_length(len(a.content)) for a in message.attachments)
    return encoded + len(json.dumps(message.html)) + _ENVELOPE <= REQUEST_BUDGET


def needs_upload_session(attachment: Attachment) -> bool:
    return len(attachment.content) >= INLINE_LIMIT


def graph_message(message: MailMessage, *, with_attachments: bool) -> Message:
    from msgraph.generated.models.body_type import BodyType
    from msgraph.generated.models.item_body import ItemBody
    from msgraph.generated.models.message import Message

    composed = Message(
        subject=message.subject,
        body=ItemBody(content_type=BodyType.Html, content=message.html),
        to_recipients=[_recipient(a) for a in message.to],
        cc_recipients=[_recipient(a) for a in message.cc],
    )
    if with_attachments:
        composed.attachments = [graph_attachment(a) for a in message.attachments]
    return composed


def graph_attachment(attachment: Attachment) -> FileAttachment:
    from msgraph.generated.models.file_attachment import FileAttachment

    return FileAttachment(
        odata_type="#microsoft.graph.fileAttachment",
        name=attachment.name,
        content_type=attachment.content_type,
        content_bytes=attachment.content,
        is_inline=bool(attachment.content_id),
        content_id=attachment.content_id or None,
    )


def _recipient(address: str) -> Recipient:
    from msgraph.generated.models.email_address import EmailAddress
    from msgraph.generated.models.recipient import Recipient

    return Recipient(email_address=EmailAddress(address=address))


def _base64_length(size: int) -> int:
    return 4 * ((size + 2) // 3)
