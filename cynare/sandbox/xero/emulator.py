"""The emulator object: books, identity, limits and faults, served on a loopback port.

In-process tests use its Python API (inspection, faults, what people do in Xero directly); the
served emulator offers the same under /_sandbox/ (see admin.py), to callers that send this run's
`admin_token` (see guard.py).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import tempfile
import threading
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer, WSGIRequestHandler

from cynare.sandbox.xero import books_file, direct, snapshot
from cynare.sandbox.xero.app import DRAINED, XeroApp
from cynare.sandbox.xero.apps import ClientApp
from cynare.sandbox.xero.calllog import CallLog, TenantCounts
from cynare.sandbox.xero.clock import Clock, ScaledClock
from cynare.sandbox.xero.contract import ContractChecker, load_spec
from cynare.sandbox.xero.faults import FaultKind, Faults
from cynare.sandbox.xero.guard import TOKEN_HEADER
from cynare.sandbox.xero.idempotency import IdempotencyStore
from cynare.sandbox.xero.identity import Identity
from cynare.sandbox.xero.limits import RateLimits
from cynare.sandbox.xero.state import Tenant

HOST = "127.0.0.1"
logger = logging.getLogger(__name__)


class _KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's request handler with HTTP/1.1 keep-alive and no Nagle delay.

    werkzeug's development server answers every call with `Connection: close` and then waits up to
    10 ms for stray request bytes to discard: each call paid a TCP connection, a server thread and
    that wait. The emulator reads every request body in full (and says so in the environ) and answers
    with a complete bytes body, so a connection can stay open for the client's next call, as it would
    with Xero. Anything unusual (a body left unread, an error in the app) closes the connection.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        server = self.server
        if isinstance(server, _Server):
            with server.connections_lock:
                server.connections.add(self.connection)

    def finish(self) -> None:
        server = self.server
        if isinstance(server, _Server):
            with server.connections_lock:
                server.connections.discard(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return self.wfile.write

        try:
            chunks = self.server.app(environ, start_response)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except (ConnectionError, TimeoutError) as exc:
            # An injected fault dropped the connection on purpose.
            self.close_connection = True
            self.connection_dropped(exc, environ)
            return
        except Exception:
            logger.exception("error in the emulator's WSGI app")
            started[:] = ["500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain; charset=utf-8")]]
            body = b"Internal Server Error"
            environ[DRAINED] = False
        status, headers = started
        code, _, reason = str(status).partition(" ")
        self.send_response(int(code), reason)
        sized = False
        for key, value in headers:
            if key.lower() == "content-length":
                sized = True
            elif key.lower() in ("connection", "transfer-encoding"):
                continue
            self.send_header(key, value)
        if not sized:
            self.send_header("Content-Length", str(len(body)))
        if not environ.get(DRAINED):
            # The request body may still be on the socket: it must not be read as the next request.
            self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if environ["REQUEST_METHOD"] != "HEAD" and body:
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # werkzeug formats (and colours) a line per request even when its logger drops it.
        if logging.getLogger("werkzeug").isEnabledFor(logging.INFO):
            super().log_request(code, size)


class _Server(ThreadedWSGIServer):
    """A threaded werkzeug server that can close its open keep-alive connections when stopped."""

    def __init__(self, host: str, port: int, app: XeroApp) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(host, port, app, _KeepAliveHandler)

    def close_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
        for conn in open_now:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)


class Emulator:
    """A stateful, multi-tenant Xero. `validate=True` checks every call against the official spec.

    `books` names the organisations it holds (a books file's path, or its parsed JSON; books_file.py):
    the three sample organisations when not given; `reset()` returns to them. `snapshot_path` loads
    the books from any file at start instead (the developer's own choice);
    `snapshot_dir` is the only folder /_sandbox/snapshot/save|load may touch (a new temporary folder
    when not given, made on first use); `admin_token` is what /_sandbox/ requests must send in
    X-Sandbox-Token (a fresh random one when not given).
    """

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        clock: Clock | None = None,
        validate: bool = False,
        spec_path: Path | None = None,
        snapshot_path: str | None = None,
        snapshot_dir: str | Path | None = None,
        admin_token: str | None = None,
        books: str | Path | Mapping[str, Any] | None = None,
    ) -> None:
        if admin_token is not None and not admin_token:
            raise ValueError("admin_token must not be empty")
        self.admin_token = admin_token or secrets.token_urlsafe(32)
        self._snapshot_dir = Path(snapshot_dir).resolve() if snapshot_dir is not None else None
        self.clock: Clock = clock or ScaledClock(time_scale)
        self.lock = threading.RLock()
        self.books = books_file.load(books)
        tenants, self.clients = self.books.build()
        self.tenants: dict[str, Tenant] = snapshot.load(snapshot_path) if snapshot_path else tenants
        self.identity = Identity(self.clock, self.clients, self.tenants)
        self.limits = RateLimits(self.clock)
        self.idempotency = IdempotencyStore(self.clock)
        self.faults = Faults()
        self.log = CallLog()
        self.contract: ContractChecker | None = ContractChecker(load_spec(spec_path)) if validate else None
        self.violations: list[str] = []
        self._violations_lock = threading.Lock()
        self.app = XeroApp(self)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # --- serving ---------------------------------------------------------------------------
    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (a free port when 0) in a background thread; returns the base URL."""
        # werkzeug logs every request at INFO; a benchmark would spend its time printing.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = _Server(HOST, port, self.app)
        # Before the first request is served: from now on only this port's Host and Origin pass.
        self.app.guard.bind(self._server.server_port)
        # A short poll keeps stop() quick: tests start and stop one emulator each.
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name="xero-emulator", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            # A stopped emulator answers nothing, not even on a connection a client kept alive.
            if isinstance(self._server, _Server):
                self._server.close_connections()
            self.app.guard.bind(None)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not serving")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def accounting_url(self) -> str:
        return f"{self.url}/api.xro/2.0"

    @property
    def token_url(self) -> str:
        return f"{self.url}/connect/token"

    @property
    def admin_headers(self) -> dict[str, str]:
        """The header every /_sandbox/ request must carry."""
        return {TOKEN_HEADER: self.admin_token}

    @property
    def snapshot_dir(self) -> Path:
        """The folder /_sandbox/snapshot/save|load works in (resolved)."""
        with self.lock:
            if self._snapshot_dir is None:
                self._snapshot_dir = Path(tempfile.mkdtemp(prefix="cynare-xero-snapshots-")).resolve()
            return self._snapshot_dir

    # --- identity shortcuts ----------------------------------------------------------------
    def client_for(self, entity: str) -> ClientApp:
        """The custom connection (client credentials) that reaches the entity's organisation."""
        tenant_id = self.tenant(entity).tenant_id
        found = next((c for c in self.clients.values() if c.custom_tenant_id == tenant_id), None)
        if found is None:
            raise KeyError(f"no custom connection reaches {entity}")
        return found

    def token(self, entity: str, scope: str | None = None) -> str:
        """An access token for the entity's custom connection, got over HTTP like a script would.

        `scope` asks for fewer scopes than the connection has (space-separated), as Xero allows.
        """
        client = self.client_for(entity)
        form = {"grant_type": "client_credentials"}
        if scope is not None:
            form["scope"] = scope
        reply = requests.post(
            self.token_url,
            data=form,
            auth=(client.client_id, client.client_secret),
            timeout=10,
        )
        reply.raise_for_status()
        return str(reply.json()["access_token"])

    # --- inspection ------------------------------------------------------------------------
    def tenant(self, key: str) -> Tenant:
        """A tenant by entity code (UK, IE, US for the samples; any case) or tenant id."""
        found = next((t for t in self.tenants.values() if t.entity_code.upper() == key.upper()), None)
        return found if found is not None else self.tenants[key.lower()]

    def counts(self) -> dict[str, TenantCounts]:
        return self.log.counts()

    def note_violations(self, found: list[str]) -> None:
        if found:
            with self._violations_lock:
                self.violations.extend(found)

    def state_summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                t.tenant_id: {
                    "entity": t.entity_code,
                    "name": t.name,
                    "base_currency": t.base_currency,
                    "currencies": list(t.currencies),
                    "period_lock_date": t.period_lock_date.isoformat() if t.period_lock_date else None,
                    "day_limit": t.day_limit,
                    "contacts": len(t.contacts),
                    "invoices": len(t.invoices),
                    "credit_notes": len(t.credit_notes),
                    "payments": len(t.payments),
                    "overpayments": len(t.overpayments),
                    "allocations": len(t.allocations),
                }
                for t in self.tenants.values()
            }

    # --- control ---------------------------------------------------------------------------
    def inject(self, kind: FaultKind, count: int = 1, entity: str | None = None, seconds: float = 0.0) -> None:
        self.faults.add(kind, count, self.tenant(entity).tenant_id if entity else None, seconds)

    def set_day_limit(self, entity: str, limit: int) -> None:
        with self.lock:
            self.tenant(entity).day_limit = limit

    def reset(self) -> None:
        """The books file's organisations afresh, no tokens, no faults, no call log, fresh rate windows."""
        self._replace_books(self.books.build()[0])
        self.identity.reset()
        self.limits.reset()
        self.idempotency.reset()
        self.faults.clear()
        self.log.reset()
        with self._violations_lock:
            self.violations.clear()

    def save_snapshot(self, path: str | Path) -> None:
        with self.lock:
            snapshot.save(self.tenants, path)

    def load_snapshot(self, path: str | Path) -> None:
        self._replace_books(snapshot.load(path))

    def snapshot_file(self, name: object) -> Path:
        """The file a web request names for a snapshot: a plain file name inside `snapshot_dir`.

        Raises snapshot.SnapshotNameError for anything else (a path, `..`, a link out of the folder).
        """
        return snapshot.confine(self.snapshot_dir, name)

    def _replace_books(self, tenants: dict[str, Tenant]) -> None:
        with self.lock:
            # Identity shares this dict: change it in place.
            self.tenants.clear()
            self.tenants.update(tenants)

    # --- what people do in Xero directly ----------------------------------------------------
    def receive_from_bank_feed(
        self, entity: str, invoice_id: str, amount: Decimal, on: date | None = None, account_code: str = "090"
    ) -> str:
        with self.lock:
            return direct.receive_from_bank_feed(
                self.tenant(entity), self.clock.now(), invoice_id, amount, on, account_code
            )

    def record_batch_payment(
        self, entity: str, receipts: list[tuple[str, Decimal]], on: date | None = None, account_code: str = "090"
    ) -> list[str]:
        with self.lock:
            return direct.record_batch_payment(self.tenant(entity), self.clock.now(), receipts, on, account_code)

    def allocate_credit(
        self, entity: str, credit_id: str, invoice_id: str, amount: Decimal, on: date | None = None
    ) -> str:
        with self.lock:
            return direct.allocate_credit(self.tenant(entity), self.clock.now(), credit_id, invoice_id, amount, on)

    def void_invoice(self, entity: str, invoice_id: str) -> None:
        with self.lock:
            direct.void_invoice(self.tenant(entity), self.clock.now(), invoice_id)

    def edit_contact(self, entity: str, contact_id: str, **changes: Any) -> None:
        with self.lock:
            direct.edit_contact(self.tenant(entity), self.clock.now(), contact_id, changes)

    def set_lock_date(self, entity: str, period: date | None, end_of_year: date | None = None) -> None:
        with self.lock:
            direct.set_lock_date(self.tenant(entity), period, end_of_year)

    def unsubscribe_currency(self, entity: str, code: str) -> None:
        with self.lock:
            direct.unsubscribe_currency(self.tenant(entity), code)
