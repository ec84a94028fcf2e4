"""The WSGI application: identity endpoints, the Accounting API pipeline and the /_sandbox admin.

Every request first passes the guard (guard.py): Host must name this emulator on loopback and an
Origin, when sent, must be its own; /_sandbox/ also wants the per-run admin token.

An accounting call goes: contract check of the request, token, tenant, route, the token's scopes
(scopes.py), rate limits, injected fault, Idempotency-Key, the resource rule under the books' lock,
then rate headers, contract check of the response and the call log.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from cynare.sandbox.xero import admin, routes, scopes
from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.calllog import CallRecord
from cynare.sandbox.xero.errors import XeroError, bad_request, forbidden, not_found, problem
from cynare.sandbox.xero.guard import Guard
from cynare.sandbox.xero.idempotency import Saved, fingerprint
from cynare.sandbox.xero.jsondates import ms_datetime
from cynare.sandbox.xero.jsonio import dumps, loads

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cynare.sandbox.xero.emulator import Emulator

PREFIX = "/api.xro/2.0"
logger = logging.getLogger(__name__)
JSON = "application/json; charset=utf-8"
# Set in the WSGI environ once the whole request body has been read: only then may the server keep the
# connection open for the next request (see emulator._KeepAliveHandler).
DRAINED = "cynare.xero.body_drained"


class DropConnection(Exception):
    """Close the socket without answering (the case where the client cannot know what happened)."""


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status=status, headers=headers or {}, content_type=JSON)


class XeroApp:
    def __init__(self, emulator: Emulator) -> None:
        self.em = emulator
        # Bound to the port by Emulator.start before the server answers anything; until then every
        # request is refused.
        self.guard = Guard()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        # Read the body in full before anything else (forms parse the cached copy), so that an early
        # refusal leaves no unread bytes in front of the next request on a kept-alive connection.
        request.get_data()
        environ[DRAINED] = True
        try:
            response = self.dispatch(request)
        except DropConnection as exc:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            # werkzeug treats a ConnectionError as a dropped client and writes nothing more.
            raise ConnectionAbortedError("connection dropped by an injected fault") from exc
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def dispatch(self, request: Request) -> Response:
        path = request.path
        # Xero's paths are case-insensitive; the SDK asks for /Connections.
        lowered = path.lower()
        try:
            self.guard.check(request.environ.get("HTTP_HOST"), request.headers.get("Origin"))
            if lowered.startswith(PREFIX + "/"):
                return self.accounting(request)
            if lowered == "/connect/token" and request.method == "POST":
                body = self.em.identity.token(request.form, request.headers.get("Authorization"))
                return json_response(200, body, {"Cache-Control": "no-store"})
            if lowered == "/identity/connect/authorize":
                if request.method == "GET":
                    refused = self.em.identity.refused_authorisation(request.args)
                    if refused is not None:
                        return Response("", status=302, headers={"Location": refused})
                    return Response(
                        self.em.identity.consent_page(request.args), content_type="text/html; charset=utf-8"
                    )
                target = self.em.identity.consent(request.form, request.form.getlist("tenant_id"))
                return Response("", status=302, headers={"Location": target})
            if lowered == "/connections" and request.method == "GET":
                return json_response(200, self.em.identity.connections(request.headers.get("Authorization")))
            if lowered.startswith("/connections/") and request.method == "DELETE":
                self.em.identity.disconnect(request.headers.get("Authorization"), path[len("/connections/") :])
                return Response("", status=204)
            if lowered.startswith("/_sandbox/"):
                return admin.handle(self.em, request)
            raise not_found()
        except XeroError as err:
            return json_response(err.status, err.body, err.headers)

    # --- the Accounting API ----------------------------------------------------------------
    def accounting(self, request: Request) -> Response:
        em = self.em
        rel = request.path[len(PREFIX) :]
        raw = request.get_data()
        query = dict(request.args.items())
        checker = em.contract
        if checker is not None:
            em.note_violations(
                checker.check_request(request.method, rel, query, request.headers, raw, request.content_type or "")
            )
        tenant_id: str | None = None
        app_id: str | None = None
        fault_kind: str | None = None
        replayed = False
        try:
            token = em.identity.authenticate(request.headers.get("Authorization"))
            tenant_id = (request.headers.get("xero-tenant-id") or "").strip().lower()
            if tenant_id not in token.connection.tenant_ids or tenant_id not in em.tenants:
                raise forbidden()
            found = routes.match(request.method, rel)
            if found is None:
                raise not_found() if not routes.path_known(rel) else problem(405, "Method Not Allowed", request.method)
            route, params = found
            needed = scopes.accepted(request.method, rel)
            if needed is None:
                em.note_violations([f"no scope is known for {request.method} {rel}: add it to scopes.py"])
            if needed is None or not needed & token.scopes:
                raise scopes.refusal()
            tenant = em.tenants[tenant_id]
            app_id = token.connection.client_id
            refusal = em.limits.acquire(app_id, tenant_id, tenant.day_limit)
            if refusal is not None:
                headers = {"X-Rate-Limit-Problem": refusal.problem}
                if refusal.retry_after is not None:
                    headers["Retry-After"] = str(refusal.retry_after)
                response = json_response(
                    429, {"Title": "Too Many Requests", "Status": 429, "Detail": refusal.problem}, headers
                )
            else:
                try:
                    em.log.in_flight(tenant_id, em.limits.in_flight(app_id, tenant_id))
                    fault = em.faults.take(tenant_id)
                    fault_kind = fault.kind if fault else None
                    if fault is not None and fault.kind in ("500", "503"):
                        raise _fault_error(fault.kind)
                    if fault is not None and fault.kind in ("timeout", "slow"):
                        time.sleep(fault.seconds)
                        if fault.kind == "timeout":
                            raise DropConnection()
                    response, replayed = self._run(request, rel, raw, query, route, params, tenant_id, app_id)
                    if fault is not None and fault.kind == "drop_after":
                        raise DropConnection()
                finally:
                    em.limits.release(app_id, tenant_id)
        except XeroError as err:
            response = json_response(err.status, err.body, err.headers)
        except DropConnection:
            em.log.record(CallRecord(em.clock.now(), request.method, rel, tenant_id, 0, fault_kind))
            raise
        if app_id is not None and tenant_id is not None:
            response.headers.update(em.limits.headers(app_id, tenant_id, em.tenants[tenant_id].day_limit))
        if checker is not None:
            em.note_violations(
                checker.check_response(
                    request.method, rel, query, request.headers, response.status_code, response.get_data(), JSON
                )
            )
        em.log.record(
            CallRecord(em.clock.now(), request.method, rel, tenant_id, response.status_code, fault_kind, replayed)
        )
        return response

    def _run(
        self,
        request: Request,
        rel: str,
        raw: bytes,
        query: dict[str, str],
        route: routes.Route,
        params: dict[str, str],
        tenant_id: str,
        app_id: str,
    ) -> tuple[Response, bool]:
        em = self.em
        key = request.headers.get("Idempotency-Key") if request.method in ("POST", "PUT") else None
        scope = (app_id, tenant_id)
        print_ = fingerprint(request.method, rel.lower(), request.query_string.decode(), raw) if key else ""
        with em.lock:
            if key:
                saved = em.idempotency.check(scope, key, print_)
                if saved is not None:
                    return Response(
                        saved.body, status=saved.status, headers=list(saved.headers), content_type=JSON
                    ), True
            try:
                body = loads(raw) if raw else None
            except ValueError as exc:
                raise bad_request("The request body is not valid JSON") from exc
            now = em.clock.now()
            call = Call(
                em.tenants[tenant_id],
                request.method,
                query,
                request.headers,
                body,
                now,
                params,
                em.clients[app_id].name,
            )
            try:
                result = route.handler(call)
                status, payload = 200, _envelope(result, now, em.clients[app_id].name)
            except XeroError as err:
                status, payload = err.status, err.body
            except Exception as exc:
                # A fault in the emulator itself: answer like Xero's 500 and make the test fail.
                logger.exception("emulator error on %s %s", request.method, rel)
                em.note_violations([f"emulator error on {request.method} {rel}: {exc!r}"])
                status, payload = 500, _fault_error("500").body
            encoded = dumps(payload)
            if key:
                em.idempotency.save(scope, key, print_, Saved(status, encoded, ()))
        return Response(encoded, status=status, content_type=JSON), False


def _envelope(result: dict[str, Any], now: Any, provider: str) -> dict[str, Any]:
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": provider,
        "DateTimeUTC": ms_datetime(now),
        **result,
    }


def _fault_error(kind: str) -> XeroError:
    if kind == "503":
        return problem(503, "Service Unavailable", "The Xero API is temporarily unavailable. Please try again later.")
    return problem(
        500, "Internal Server Error", "An error occurred in Xero. Check the API Status page for current service status."
    )
