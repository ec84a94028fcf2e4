"""The stand-in object: one Workflows flow's webhook, its capture, rate limit and faults, served on a
loopback port.

The webhook URL has the real one's shape, with this run's workflow id and signature:
`http://127.0.0.1:PORT/workflows/{id}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={sig}`.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

from werkzeug.serving import WSGIRequestHandler

from cynare.sandbox.serving import LoopbackServer
from cynare.sandbox.teams.app import SIGNATURE_VERSION, TRIGGER_PERMISSION, WorkflowsApp
from cynare.sandbox.teams.capture import Capture
from cynare.sandbox.teams.faults import Faults
from cynare.sandbox.teams.guard import TOKEN_HEADER, loopback_hosts, mask_sig
from cynare.sandbox.teams.limits import REQUESTS_PER_SECOND, RateLimit

API_VERSION = "2016-06-01"
logger = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler, logging through our logger with the signature hidden: a request line holds
    the whole webhook URL, and werkzeug would write it to the log as it is."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log("info", '"%s" %s %s', self.requestline, code, size)  # werkzeug's own adds colour codes

    def log(self, type: str, message: str, *args: Any) -> None:
        level = logging.ERROR if type == "error" else logging.DEBUG
        if logger.isEnabledFor(level):
            logger.log(level, "%s", mask_sig(message % args))


class TeamsStandIn:
    """A Workflows webhook that posts to a Teams channel, on 127.0.0.1.

    `out` is the folder whose `teams/` subfolder receives each accepted message as a file (none when not
    given); `workflow_id`, `sig` and `admin_token` are fresh random values unless given; `per_second`
    and `clock` set the rate limit (a fixed clock makes every request fall in one second).
    """

    def __init__(
        self,
        *,
        out: str | Path | None = None,
        workflow_id: str | None = None,
        sig: str | None = None,
        admin_token: str | None = None,
        per_second: int = REQUESTS_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (("workflow_id", workflow_id), ("sig", sig), ("admin_token", admin_token)):
            if value is not None and not value:
                raise ValueError(f"{name} must not be empty")
        self.workflow_id = workflow_id or uuid.uuid4().hex
        self.sig = sig or secrets.token_urlsafe(32)
        self.admin_token = admin_token or secrets.token_urlsafe(32)
        self.capture = Capture(Path(out) if out is not None else None)
        self.faults = Faults()
        self.limit = RateLimit(per_second, clock)
        self.hosts: frozenset[str] = frozenset()  # none until started: every request is refused
        self.app = WorkflowsApp(self)
        self._serving = LoopbackServer(self.app, "Teams stand-in", _QuietHandler)

    @property
    def port(self) -> int:
        return self._serving.port

    @property
    def url(self) -> str:
        return self._serving.url

    @property
    def webhook_url(self) -> str:
        """The URL to set as CYNARE_TEAMS_WEBHOOK_URL: it holds this run's signature."""
        query = f"api-version={API_VERSION}&sp={quote(TRIGGER_PERMISSION, safe='')}&sv={SIGNATURE_VERSION}"
        return f"{self.url}/workflows/{self.workflow_id}/triggers/manual/paths/invoke?{query}&sig={self.sig}"

    @property
    def admin_headers(self) -> dict[str, str]:
        return {TOKEN_HEADER: self.admin_token}

    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (a free port when 0) in a background thread; returns the webhook URL."""
        self.hosts = loopback_hosts(self._serving.start(port))
        return self.webhook_url

    def stop(self) -> None:
        self._serving.stop()
        self.hosts = frozenset()

    def reset(self) -> None:
        """Forget the posts held in memory (files stay), the queued faults and the rate window."""
        self.capture.clear()
        self.faults.clear()
        self.limit.clear()

    def __enter__(self) -> TeamsStandIn:
        if not self._serving.serving:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
