"""The WSGI application: Entra's token endpoint, Graph's mail routes, upload URLs and /_sandbox admin.

Every request first passes the guard (guard.py): Host must name this stand-in on loopback and no
Origin may be sent; /_sandbox/ also wants the per-run admin token. Any other request may meet an
injected fault (faults.py) before it is handled, and is counted in the call log.
"""

from __future__ import annotations

import base64
import binascii
import logging
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from cynare.sandbox.graph import admin, routes
from cynare.sandbox.graph.errors import EntraError, GraphError, entra_body, graph_body, too_large
from cynare.sandbox.graph.faults import Fault
from cynare.sandbox.graph.guard import Guard

if TYPE_CHECKING:
    from cynare.sandbox.graph.stand_in import GraphStandIn

REQUEST_LIMIT = 4 * 1024 * 1024  # Graph refuses a larger request body with 413
_TOKEN_SUFFIX = "/oauth2/v2.0/token"  # noqa: S105 (a path, not a secret)
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CallRecord:
    method: str
    path: str  # without the query: an uploadUrl's authtoken stays out
    status: int  # 0: the connection was dropped
    fault: bool


class DropConnection(Exception):
    """Close the socket without answering (the client cannot know what happened)."""


class GraphApp:
    def __init__(self, stand_in: GraphStandIn) -> None:
        self.stand_in = stand_in
        # Bound to the port by GraphStandIn.start before anything is answered.
        self.guard = Guard()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.get_data()  # read in full first, so that an early refusal leaves nothing unread
        try:
            response = self.dispatch(request)
        except DropConnection as exc:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            # werkzeug takes a ConnectionError as a dropped client and writes nothing more.
            raise ConnectionAbortedError("connection dropped by an injected fault") from exc
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def dispatch(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        client_request_id = request.headers.get("client-request-id") or str(uuid.uuid4())
        ids = {"request-id": request_id, "client-request-id": client_request_id}
        path = request.path
        try:
            self.guard.check(request.environ.get("HTTP_HOST"), request.headers.get("Origin"))
            if path.startswith("/_sandbox/"):
                return admin.handle(self.stand_in, request)
        except GraphError as err:
            return _graph_error(err, request_id, client_request_id)
        fault = self.stand_in.faults.take(path)
        try:
            response = self._fault(fault, ids) if fault is not None else self._route(request, ids)
        except DropConnection:
            self.stand_in.note_call(CallRecord(request.method, path, 0, True))
            raise
        response.headers.update(ids)
        self.stand_in.note_call(CallRecord(request.method, path, response.status_code, fault is not None))
        return response

    def _route(self, request: Request, ids: dict[str, str]) -> Response:
        path = request.path
        try:
            if path.endswith(_TOKEN_SUFFIX) and path.count("/") == 4:
                return self._token(request)
            if path.lower().startswith("/v1.0/"):
                if len(request.get_data()) > REQUEST_LIMIT:
                    raise too_large()
                return routes.graph(self.stand_in, request)
            if path.lower().startswith("/api/v2.0/"):
                return routes.upload(self.stand_in, request)
            raise GraphError(404, "NotFound", f"No resource at {path}.")
        except GraphError as err:
            return _graph_error(err, ids["request-id"], ids["client-request-id"])
        except Exception as exc:
            # A fault in the stand-in itself: answer like Graph's 500 and say so in the log.
            logger.exception("graph stand-in error on %s %s", request.method, path)
            failed = GraphError(500, "generalException", f"The stand-in failed: {type(exc).__name__}.")
            return _graph_error(failed, ids["request-id"], ids["client-request-id"])

    def _token(self, request: Request) -> Response:
        tenant = request.path.split("/")[1]
        if request.method != "POST":
            return Response(b"", status=405, headers={"Allow": "POST"})
        try:
            body = self.stand_in.identity.token(tenant, request.form, _basic(request.headers.get("Authorization")))
        except EntraError as err:
            return routes.json_response(err.status, entra_body(err), {"Cache-Control": "no-store"})
        return routes.json_response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _fault(self, fault: Fault, ids: dict[str, str]) -> Response:
        if fault.seconds:
            time.sleep(fault.seconds)
        if fault.status == 0:
            raise DropConnection()
        err = GraphError(fault.status, fault.code, fault.message)
        if fault.retry_after is not None:
            err.headers["Retry-After"] = str(fault.retry_after)
        return _graph_error(err, ids["request-id"], ids["client-request-id"])


def _graph_error(err: GraphError, request_id: str, client_request_id: str) -> Response:
    return routes.json_response(
        err.status, graph_body(err.code, err.message, request_id, client_request_id), err.headers
    )


def _basic(authorization: str | None) -> tuple[str, str] | None:
    """Client id and secret from HTTP Basic authentication, as Entra also accepts them."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)
