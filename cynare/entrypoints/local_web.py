"""The Functions app's HTTP functions on a loopback port, so that a browser can use the firm's pages locally.

`LocalWeb(host).start()` serves on 127.0.0.1 (a free port, or the one given) what the Functions host
would serve under its route prefix (`/api/`): each request is handed to `LocalHost.call_http` for the
function whose route and methods match, with its method, path and query, headers (cookies included) and
body, and the function's `HttpResponse` goes back as it is (status, headers such as Set-Cookie and
Location, body). It is what `make demo-ui` and the browser tests put in front of the pages.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import azure.functions as func
from werkzeug.datastructures import Headers
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from cynare.entrypoints.local_host import LocalHost

# Loopback only: the development sign-in must never be reachable from another machine.
from cynare.sandbox.serving import HOST, LoopbackServer

MAX_BODY = 10_000_000  # the pages take at most a CSV of mappings
log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without its own request lines: LocalWeb logs each request itself, query left out
    (an OAuth callback's query carries the authorization code)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            log.error("%s", message % args)


class LocalWeb:
    """Serves `host`'s HTTP functions on 127.0.0.1, one function run at a time, as LocalHost runs them."""

    def __init__(self, host: LocalHost, port: int = 0) -> None:
        self.host = host
        self._port = port
        self._serving = LoopbackServer(self._wsgi, "local web server", _QuietHandler)
        self._hosts: frozenset[str] = frozenset()
        # LocalHost runs one function at a time; a browser asks for a page and its stylesheet at once.
        self._one_at_a_time = threading.Lock()

    @property
    def port(self) -> int:
        return self._serving.port

    @property
    def url(self) -> str:
        return self._serving.url

    @property
    def prefix(self) -> str:
        """The route prefix, as the host serves it: `/api`."""
        prefix = self.host.options.route_prefix
        return f"/{prefix}" if prefix else ""

    @property
    def pages_url(self) -> str:
        """Where the firm's pages start: http://127.0.0.1:PORT/api/pages/."""
        return f"{self.url}{self.prefix}/pages/"

    def start(self) -> str:
        """Serve in a background thread; returns the base address. OSError when the port is taken."""
        port = self._serving.start(self._port)
        # A page on another site cannot reach us through a name it resolves to 127.0.0.1 (DNS rebinding).
        self._hosts = frozenset({f"{HOST}:{port}", f"localhost:{port}"})
        log.info("serving the Functions app's HTTP functions at %s%s/", self.url, self.prefix)
        return self.url

    def stop(self) -> None:
        self._serving.stop()
        self._hosts = frozenset()

    def __enter__(self) -> LocalWeb:
        if not self._serving.serving:
            self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # One request -------------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_BODY
        response = self._respond(request)
        log.info("%s %s: %d", request.method, request.path, response.status_code)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if request.host.lower() not in self._hosts:
            return _text(421, f"This server answers only for {self.url}.")
        if request.path in ("", "/") and request.method == "GET" and self._routes_to("GET", self.pages_url):
            return Response(status=302, headers=[("Location", self.pages_url)])
        prefix = self.prefix
        if prefix and not (request.path == prefix or request.path.startswith(f"{prefix}/")):
            return _text(404, f"Only the Functions app's HTTP functions are served here, under {prefix}/: "
                              f"the pages are at {self.pages_url}")  # fmt: skip
        query = request.query_string.decode("latin-1")
        path = request.path + (f"?{query}" if query else "")
        name = self.host.http_function_for(request.method, path)
        if name is None:
            return _text(404, f"No function of the app answers {request.method} {request.path}.")
        try:
            body = request.get_data(cache=False)
        except Exception:  # werkzeug's RequestEntityTooLarge
            return _text(413, f"The request is larger than {MAX_BODY:,} bytes.")
        headers: dict[str, str] = {}
        for key, value in request.headers.items():
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        with self._one_at_a_time:
            answer = self.host.call_http(name, request.method, path, body, headers)
        return _as_wsgi_response(answer)

    def _routes_to(self, method: str, url: str) -> bool:
        return self.host.http_function_for(method, url.removeprefix(self.url)) is not None


def _as_wsgi_response(answer: func.HttpResponse) -> Response:
    """The function's response as the host sends it: every header (one Set-Cookie each), and unless the
    function set its own Content-Type, the MIME type (with the charset for text/*, as azure.functions does)."""
    headers = Headers()
    for key, value in answer.headers.items():
        headers.add(key, value)
    if "Content-Type" not in headers:
        text = answer.mimetype.startswith("text/")
        headers["Content-Type"] = f"{answer.mimetype}; charset={answer.charset}" if text else answer.mimetype
    return Response(answer.get_body(), status=answer.status_code, headers=headers)


def _text(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")
