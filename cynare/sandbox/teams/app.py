"""The WSGI application: the webhook path of one Workflows flow, and the /_sandbox admin.

A post goes: Host and Origin (guard.py), the flow's path, POST, api-version, the shared-access
signature (sp, sv, sig), the rate limit, any injected fault, then the message as Teams would take it
(message.py); an accepted one is captured and answered 202 Accepted with an empty body, as Workflows does.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from cynare.sandbox.teams import admin
from cynare.sandbox.teams.errors import WorkflowError, not_found, throttled
from cynare.sandbox.teams.guard import check_origin
from cynare.sandbox.teams.message import checked_message

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cynare.sandbox.teams.faults import Fault
    from cynare.sandbox.teams.stand_in import TeamsStandIn

logger = logging.getLogger(__name__)
JSON = "application/json; charset=utf-8"
TRIGGER_PERMISSION = "/triggers/manual/run"  # the `sp` a manual trigger's callback URL carries
SIGNATURE_VERSION = "1.0"
# Logic Apps' form (prod-NN.region.logic.azure.com) and Power Platform's (…/powerautomate/automations/direct).
_WEBHOOK_PATH = re.compile(r"^(?:/powerautomate/automations/direct)?/workflows/([^/]+)/triggers/manual/paths/invoke$")
_FAULT_WORDS = {
    "429": "Rate limit is exceeded (an injected fault)",
    "500": "The server encountered an internal error (an injected fault)",
    "502": "Bad gateway (an injected fault)",
    "503": "The service is temporarily unavailable (an injected fault)",
    "504": "The gateway timed out (an injected fault)",
}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type=JSON)


class WorkflowsApp:
    def __init__(self, stand_in: TeamsStandIn) -> None:
        self.stand_in = stand_in

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.get_data()  # read in full first, so that a refusal leaves nothing unread on the connection
        try:
            response = self.dispatch(request)
        except _Drop:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            # werkzeug treats a ConnectionError as a dropped client and writes nothing more.
            raise ConnectionAbortedError("connection dropped by an injected fault") from None
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def dispatch(self, request: Request) -> Response:
        try:
            check_origin(request.environ.get("HTTP_HOST"), request.headers.get("Origin"), self.stand_in.hosts)
            if request.path.startswith("/_sandbox/"):
                return admin.handle(self.stand_in, request)
            found = _WEBHOOK_PATH.match(request.path)
            if found is None or found.group(1) != self.stand_in.workflow_id:
                raise not_found()
            return self.webhook(request)
        except WorkflowError as err:
            return json_response(err.status, err.body, err.headers)

    def webhook(self, request: Request) -> Response:
        stand_in = self.stand_in
        if request.method != "POST":
            raise WorkflowError(405, "MethodNotAllowed", f"The trigger takes POST, not {request.method}.")
        _check_signature(request, stand_in.sig)
        wait = stand_in.limit.take()
        if wait is not None:
            raise throttled(wait, f"More than {stand_in.limit.per_second} requests a second to this workflow.")
        fault = stand_in.faults.take()
        if fault is not None:
            _fail(fault)
        message = checked_message(request.content_type or "", request.get_data())
        post = stand_in.capture.keep(message)
        logger.info("Teams stand-in: card %d accepted%s", post.n, f", written to {post.file}" if post.file else "")
        run_id = f"0858{uuid.uuid4().int % 10**16:016d}"
        return Response(b"", status=202, headers={"x-ms-workflow-run-id": run_id})


class _Drop(Exception):
    """Close the socket without answering: the caller cannot know whether the card was posted."""


def _check_signature(request: Request, sig: str) -> None:
    if not request.args.get("api-version"):
        raise WorkflowError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    given = {name: request.args.get(name) for name in ("sp", "sv", "sig")}
    if not all(given.values()):
        raise WorkflowError(
            401, "DirectApiAuthorizationRequired", "The request must be authenticated only by Shared Access scheme."
        )
    matches = hmac.compare_digest((given["sig"] or "").encode("utf-8", "surrogatepass"), sig.encode("utf-8"))
    if not matches or given["sp"] != TRIGGER_PERMISSION or given["sv"] != SIGNATURE_VERSION:
        raise WorkflowError(
            401, "DirectApiInvalidAuthorizationSignature", "The provided authorization signature is not valid."
        )


def _fail(fault: Fault) -> None:
    if fault.kind == "drop":
        raise _Drop()
    if fault.kind == "slow":
        time.sleep(fault.seconds)  # then answer as usual
        return
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    code = "WorkflowRequestsThrottled" if fault.kind == "429" else "ServiceProblem"
    raise WorkflowError(int(fault.kind), code, _FAULT_WORDS[fault.kind], headers)
