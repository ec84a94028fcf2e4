"""The /_sandbox/ admin surface of a served stand-in, for tests and scripts.

Every request must carry the run's admin token in X-Sandbox-Token (printed by `cynare sandbox graph`;
`GraphStandIn.admin_token` in process), besides the Host and Origin checks every route gets.

GET  /_sandbox/messages   every message sent, newest last (attachments by name, type, size, sha256)
GET  /_sandbox/calls      every request handled: method, path, status, whether a fault answered
GET  /_sandbox/faults     faults still queued
POST /_sandbox/faults     {"status", "count", "path", "code", "message", "retry_after", "seconds"}
                          the next `count` requests whose path contains `path` answer `status` with
                          Graph's error `code`/`message` (status 0 drops the connection)
POST /_sandbox/reset      no messages in memory (files stay), no drafts, faults, calls or tokens
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from cynare.sandbox.graph.errors import GraphError, bad_request
from cynare.sandbox.graph.faults import Fault
from cynare.sandbox.graph.guard import TOKEN_HEADER, check_admin_token

if TYPE_CHECKING:
    from cynare.sandbox.graph.stand_in import GraphStandIn


def _ok(body: Any) -> Response:
    return Response(json.dumps(body), content_type="application/json")


def handle(stand_in: GraphStandIn, request: Request) -> Response:
    # Before anything is read or done: without the token nothing changes and nothing is told.
    check_admin_token(request.headers.get(TOKEN_HEADER), stand_in.admin_token)
    action = request.path.removeprefix("/_sandbox/").strip("/")
    if request.method == "GET" and action == "messages":
        return _ok({"messages": [sent.summary() for sent in stand_in.sent]})
    if request.method == "GET" and action == "calls":
        return _ok({"calls": [asdict(call) for call in stand_in.calls]})
    if request.method == "GET" and action == "faults":
        return _ok({"faults": [asdict(fault) for fault in stand_in.faults.pending()]})
    if request.method == "POST" and action == "faults":
        fault = _fault(_body(request))
        stand_in.faults.add(fault)
        return _ok({"queued": asdict(fault)})
    if request.method == "POST" and action == "reset":
        stand_in.reset()
        return _ok({"reset": True})
    raise GraphError(404, "NotFound", f"No admin action {request.method} /_sandbox/{action}.")


def _body(request: Request) -> dict[str, Any]:
    raw = request.get_data()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        raise bad_request("The admin request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise bad_request("The admin request body must be a JSON object.")
    return body


def _fault(body: dict[str, Any]) -> Fault:
    if "status" not in body:
        raise bad_request('A fault needs its "status" (400-599, or 0 to drop the connection).')
    try:
        retry_after = body.get("retry_after")
        return Fault(
            status=int(body["status"]),
            remaining=int(body.get("count", 1)),
            path=str(body.get("path", "")),
            code=str(body.get("code", "")),
            message=str(body.get("message", "")),
            retry_after=int(retry_after) if retry_after is not None else None,
            seconds=float(body.get("seconds", 0)),
        )
    except (TypeError, ValueError) as exc:
        raise bad_request(f"Fault not understood: {exc}") from exc
