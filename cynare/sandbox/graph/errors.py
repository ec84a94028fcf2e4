"""Graph's and Entra's error shapes.

Graph answers `{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}`;
Entra's token endpoint answers OAuth errors (`error`, `error_description` starting with an AADSTS
number, `error_codes`, trace and correlation ids). Handlers raise GraphError or EntraError and the app
writes the body with the request's ids.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

# What Graph says when a request body is over its 4 MB limit (sendMail, a draft, an attachment, a chunk).
TOO_LARGE_MESSAGE = "The maximum request length supported is 4MB."
ACCESS_DENIED_MESSAGE = "Access is denied. Check credentials and try again."


class GraphError(Exception):
    """A request refused the way Graph refuses it."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class EntraError(Exception):
    """A token request refused the way Entra (login.microsoftonline.com) refuses it."""

    def __init__(self, status: int, error: str, aadsts: int, description: str) -> None:
        super().__init__(status, error, aadsts)
        self.status = status
        self.error = error
        self.aadsts = aadsts
        self.description = description


def graph_body(code: str, message: str, request_id: str, client_request_id: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": _now_text(),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }


def entra_body(error: EntraError) -> dict[str, Any]:
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return {
        "error": error.error,
        "error_description": (
            f"AADSTS{error.aadsts}: {error.description} "
            f"Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {stamp}"
        ),
        "error_codes": [error.aadsts],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={error.aadsts}",
    }


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    return GraphError(400, code, message)


def body_unreadable(message: str) -> GraphError:
    """OData's refusal of a body it cannot read into the entity's type."""
    return GraphError(400, "RequestBodyRead", message)


def too_large() -> GraphError:
    return GraphError(413, "BadRequest", TOO_LARGE_MESSAGE)


def access_denied() -> GraphError:
    return GraphError(403, "ErrorAccessDenied", ACCESS_DENIED_MESSAGE)


def invalid_token(message: str) -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", message, {"WWW-Authenticate": 'Bearer realm=""'})


def item_not_found() -> GraphError:
    return GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


def invalid_recipients(detail: str) -> GraphError:
    return GraphError(400, "ErrorInvalidRecipients", f"At least one recipient isn't valid., {detail}")


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
