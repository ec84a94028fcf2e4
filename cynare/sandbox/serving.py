"""A WSGI app served on 127.0.0.1 from a daemon thread, for the local stand-ins and the local pages.

Loopback only, a quiet request log (a request line can carry a secret in its query: an upload URL's
authtoken, a webhook's signature), a port bound here rather than by werkzeug (which leaves the
process with sys.exit when the port is taken) and a stop that returns within a poll.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

HOST = "127.0.0.1"
POLL_SECONDS = 0.05  # a short poll keeps stop() quick: tests start and stop one server each


class QuietHandler(WSGIRequestHandler):
    """werkzeug's request handler without its request lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class LoopbackServer:
    def __init__(self, app: Any, name: str, request_handler: type[WSGIRequestHandler] = QuietHandler) -> None:
        self._app = app
        self._name = name
        self._handler = request_handler
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def serving(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"the {self._name} is not started: call start() first")
        return int(self._server.port)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, port: int = 0) -> int:
        """Serve on 127.0.0.1 (a free port when 0); returns the port. A taken port raises OSError."""
        if self._server is not None:
            raise RuntimeError(f"the {self._name} is already started")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listening:
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listening.bind((HOST, port))
            listening.listen(64)
            server = make_server(HOST, listening.getsockname()[1], self._app, threaded=True,
                                 request_handler=self._handler, fd=listening.fileno())  # fmt: skip
        self._server = server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=POLL_SECONDS), name=self._name, daemon=True
        )
        self._thread.start()
        return int(server.port)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None
