"""The stand-in object: the app registration, mailbox, drafts, outbox and faults, served on loopback.

Tests use its Python API (`sent`, `calls`, `inject`); the served stand-in offers the same under
/_sandbox/ (admin.py) to callers that send this run's `admin_token`.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from cynare.sandbox.graph.app import CallRecord, GraphApp
from cynare.sandbox.graph.capture import Outbox, SentMail
from cynare.sandbox.graph.drafts import Drafts
from cynare.sandbox.graph.faults import Fault, Faults
from cynare.sandbox.graph.guard import TOKEN_HEADER
from cynare.sandbox.graph.identity import MAIL_READ_WRITE, MAIL_SEND, AppRegistration, Identity
from cynare.sandbox.graph.message import Composed
from cynare.sandbox.serving import LoopbackServer

DEFAULT_MAILBOX = "reconciliation@harrowvance.example"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class GraphStandIn:
    """Microsoft Graph's mail sending for one app registration and the one mailbox it may send as.

    `permissions` are the application permissions granted to the app (Mail.Send to send; Mail.ReadWrite
    as well for attachments of 3 MB or more, which go through a draft). Ids and the client secret are
    random unless given; `out` is where `mail/*.eml` are written (a new temporary folder if not given).
    """

    def __init__(
        self,
        *,
        mailbox: str = DEFAULT_MAILBOX,
        out: str | Path | None = None,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        admin_token: str | None = None,
        permissions: Iterable[str] = (MAIL_SEND, MAIL_READ_WRITE),
        token_lifetime: int = 3599,
    ) -> None:
        if "@" not in mailbox:
            raise ValueError(f"mailbox {mailbox!r} is not an email address")
        for name, value in (("client_secret", client_secret), ("admin_token", admin_token)):
            if value is not None and not value:
                raise ValueError(f"{name} must not be empty")
        self.mailbox = mailbox
        self.mailbox_object_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailbox:{mailbox.lower()}"))
        self.admin_token = admin_token or secrets.token_urlsafe(32)
        self.identity = Identity(
            AppRegistration(
                tenant_id or str(uuid.uuid4()),
                client_id or str(uuid.uuid4()),
                client_secret or secrets.token_urlsafe(30),
                frozenset(permissions),
            ),
            token_lifetime,
        )
        folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="cynare-graph-"))
        self.outbox = Outbox(folder.resolve())
        self.drafts = Drafts()
        self.faults = Faults()
        self._calls: list[CallRecord] = []
        self._calls_lock = threading.Lock()
        self.app = GraphApp(self)
        self._serving = LoopbackServer(self.app, "Graph stand-in")  # quiet: an uploadUrl's authtoken is in its query

    # --- the app registration ------------------------------------------------------------------
    @property
    def tenant_id(self) -> str:
        return self.identity.app.tenant_id

    @property
    def client_id(self) -> str:
        return self.identity.app.client_id

    @property
    def client_secret(self) -> str:
        return self.identity.app.client_secret

    # --- serving -----------------------------------------------------------------------------
    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (a free port when 0) in a background thread; returns the base URL."""
        self._serving.start(port)
        # Before the first request is served: from now on only this port's Host passes.
        self.app.guard.bind(self._serving.port)
        return self.url

    def stop(self) -> None:
        if self._serving.serving:
            self._serving.stop()
            self.app.guard.bind(None)

    def __enter__(self) -> GraphStandIn:
        if not self._serving.serving:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._serving.port

    @property
    def url(self) -> str:
        """The root: Graph under /v1.0, the token endpoint under /{tenant}/oauth2/v2.0/token."""
        return self._serving.url

    @property
    def graph_url(self) -> str:
        return f"{self.url}/v1.0"

    @property
    def token_url(self) -> str:
        return f"{self.url}/{self.tenant_id}/oauth2/v2.0/token"

    @property
    def admin_headers(self) -> dict[str, str]:
        return {TOKEN_HEADER: self.admin_token}

    @property
    def out(self) -> Path:
        return self.outbox.folder

    @property
    def mail_dir(self) -> Path:
        return self.outbox.mail_dir

    # --- what happened -------------------------------------------------------------------------
    def deliver(self, message: Composed, route: str, saved_to_sent_items: bool) -> SentMail:
        sent = self.outbox.record(self.mailbox, message, route, saved_to_sent_items, datetime.now(UTC))
        logging.getLogger(__name__).info("graph stand-in sent %r as %s (%s)", message.subject, sent.eml.name, route)
        return sent

    @property
    def sent(self) -> list[SentMail]:
        return self.outbox.sent()

    def note_call(self, call: CallRecord) -> None:
        with self._calls_lock:
            self._calls.append(call)

    @property
    def calls(self) -> list[CallRecord]:
        with self._calls_lock:
            return list(self._calls)

    # --- control -----------------------------------------------------------------------------
    def inject(
        self,
        status: int,
        *,
        count: int = 1,
        path: str = "",
        code: str = "",
        message: str = "",
        retry_after: int | None = None,
        seconds: float = 0.0,
    ) -> None:
        """The next `count` requests whose path contains `path` answer `status` (0: dropped)."""
        self.faults.add(Fault(status, count, path, code, message, retry_after, seconds))

    def reset(self) -> None:
        self.outbox.clear()
        self.drafts.clear()
        self.faults.clear()
        self.identity.reset()
        with self._calls_lock:
            self._calls.clear()
