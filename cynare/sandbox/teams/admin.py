"""The /_sandbox/ admin surface, for tests and the developer; every request needs the run's admin token
in X-Sandbox-Token (printed by `cynare sandbox teams`; `TeamsStandIn.admin_token` in process).

GET  /_sandbox/posts     the accepted posts, oldest first: n, received_at, file, message
GET  /_sandbox/faults    the faults still queued
POST /_sandbox/faults    {"kind": "429"|"500"|"502"|"503"|"504"|"slow"|"drop", "count", "retry_after", "seconds"}
POST /_sandbox/reset     forget the posts held in memory (files stay), the faults and the rate window
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from cynare.sandbox.teams.errors import WorkflowError, not_found
from cynare.sandbox.teams.guard import TOKEN_HEADER, check_token

if TYPE_CHECKING:
    from cynare.sandbox.teams.faults import Fault
    from cynare.sandbox.teams.stand_in import TeamsStandIn


def _ok(body: Any) -> Response:
    return Response(json.dumps(body), content_type="application/json")


def _bad(message: str) -> WorkflowError:
    return WorkflowError(400, "BadRequest", message)


def handle(stand_in: TeamsStandIn, request: Request) -> Response:
    # Before anything is read or done: without the token nothing changes and nothing is told.
    check_token(request.headers.get(TOKEN_HEADER), stand_in.admin_token)
    what = request.path.removeprefix("/_sandbox/").strip("/")
    if request.method == "GET" and what == "posts":
        return _ok({"posts": [post.as_dict() for post in stand_in.capture.posts()]})
    if request.method == "GET" and what == "faults":
        return _ok({"faults": [fault.as_dict() for fault in stand_in.faults.pending()]})
    if request.method == "POST" and what == "faults":
        return _ok({"queued": _queue_fault(stand_in, _body(request)).as_dict()})
    if request.method == "POST" and what == "reset":
        stand_in.reset()
        return _ok({"reset": True})
    raise not_found()


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError as exc:
        raise _bad("the request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise _bad("the request body must be a JSON object")
    return body


def _queue_fault(stand_in: TeamsStandIn, body: dict[str, Any]) -> Fault:
    if "kind" not in body:
        raise _bad('missing field "kind"')
    retry_after = body.get("retry_after")
    try:
        return stand_in.faults.add(
            str(body["kind"]),
            int(body.get("count", 1)),
            int(retry_after) if retry_after is not None else None,
            float(body.get("seconds", 0)),
        )
    except (TypeError, ValueError) as exc:
        raise _bad(str(exc)) from exc
