"""Every message the stand-in sends, kept in memory and written as an .eml file a person can open.

`{out}/mail/{UTC time}-{n}.eml`: From the mailbox, To, Cc, Subject and Date headers, the body, each
inline image as a related part with its Content-ID (so `<img src="cid:...">` shows in a mail client),
then the other attachments. Bcc recipients are kept in memory only, as a real Bcc leaves no header.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from cynare.sandbox.graph.message import Composed, FileAttachment


@dataclass(frozen=True, slots=True)
class SentMail:
    n: int
    sent_at: datetime
    mailbox: str
    message: Composed
    route: str  # "sendMail" or "draft" (created, attached to, then sent)
    saved_to_sent_items: bool
    eml: Path
    extras: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What the admin surface lists: everything but the attachments' bytes."""
        m = self.message
        return {
            "n": self.n,
            "sent_at": self.sent_at.isoformat(),
            "from": self.mailbox,
            "to": list(m.to),
            "cc": list(m.cc),
            "bcc": list(m.bcc),
            "subject": m.subject,
            "body_type": m.body_type,
            "body": m.body,
            "attachments": [_attachment_summary(a) for a in m.attachments],
            "route": self.route,
            "saved_to_sent_items": self.saved_to_sent_items,
            "eml": str(self.eml),
        }


def _attachment_summary(a: FileAttachment) -> dict[str, Any]:
    return {
        "name": a.name,
        "content_type": a.content_type,
        "size": len(a.content),
        "sha256": hashlib.sha256(a.content).hexdigest(),
        "is_inline": a.is_inline,
        "content_id": a.content_id,
    }


def to_email(message: Composed, mailbox: str, sent_at: datetime) -> EmailMessage:
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = mailbox
    mail["To"] = ", ".join(message.to)
    if message.cc:
        mail["Cc"] = ", ".join(message.cc)
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(sent_at)
    mail["Message-ID"] = make_msgid(domain=mailbox.rpartition("@")[2] or None)
    mail.set_content(message.body, subtype="html" if message.body_type == "html" else "plain")
    # Inline images belong to an HTML body; in a text body they are plain attachments.
    inline = [a for a in message.attachments if a.is_inline and message.body_type == "html"]
    for part in inline:
        maintype, _, subtype = part.content_type.partition("/")
        mail.add_related(
            part.content, maintype, subtype, cid=f"<{part.content_id}>", filename=part.name, disposition="inline"
        )
    shown = {id(part) for part in inline}
    for part in message.attachments:
        if id(part) in shown:
            continue
        maintype, _, subtype = part.content_type.partition("/")
        mail.add_attachment(part.content, maintype, subtype, filename=part.name)
    return mail


class Outbox:
    """The sent messages of one stand-in; files under `{folder}/mail/`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sent: list[SentMail] = []
        self._count = 0
        self._lock = threading.Lock()

    @property
    def mail_dir(self) -> Path:
        return self.folder / "mail"

    def record(self, mailbox: str, message: Composed, route: str, saved: bool, now: datetime) -> SentMail:
        with self._lock:
            self._count += 1
            n = self._count
        path = self.mail_dir / f"{now.strftime('%Y%m%dT%H%M%S')}{now.microsecond // 1000:03d}Z-{n}.eml"
        data = to_email(message, mailbox, now).as_bytes()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so that a reader watching the folder never sees half a message.
        partial = path.with_suffix(".eml.partial")
        partial.write_bytes(data)
        partial.replace(path)
        sent = SentMail(n, now, mailbox, message, route, saved, path)
        with self._lock:
            self._sent.append(sent)
        return sent

    def sent(self) -> list[SentMail]:
        with self._lock:
            return list(self._sent)

    def clear(self) -> None:
        """Forget the messages (their files stay)."""
        with self._lock:
            self._sent.clear()
