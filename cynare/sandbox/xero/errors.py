"""Xero's error shapes.

A refused document is a ValidationException (HTTP 400) whose Elements repeat the submitted elements,
each with its ValidationErrors. Identity and gateway errors use the problem-details shape.
"""

from __future__ import annotations

from typing import Any

VALIDATION_MESSAGE = "A validation exception occurred"


class XeroError(Exception):
    """A whole call refused: the handler raises it and the app writes `body` with `status`."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def validation_body(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"ErrorNumber": 10, "Type": "ValidationException", "Message": VALIDATION_MESSAGE, "Elements": elements}


def refused(messages: list[str], element: dict[str, Any] | None = None) -> XeroError:
    """A 400 ValidationException for one element (or for the call as a whole)."""
    item = dict(element or {})
    item["ValidationErrors"] = [{"Message": m} for m in messages]
    return XeroError(400, validation_body([item]))


def problem(status: int, title: str, detail: str) -> XeroError:
    return XeroError(status, {"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": None})


def forbidden(detail: str = "AuthenticationUnsuccessful") -> XeroError:
    return problem(403, "Forbidden", detail)


def unauthorized(detail: str) -> XeroError:
    return problem(401, "Unauthorized", detail)


def not_found(what: str = "The resource you're looking for cannot be found") -> XeroError:
    return problem(404, "Not Found", what)


def query_parse(message: str) -> XeroError:
    """A 400 for a `where` or `order` Xero cannot read (an unknown field, a wrong operand)."""
    return XeroError(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message})


def bad_request(message: str) -> XeroError:
    """A 400 that is not about an element, e.g. a malformed body or a reused idempotency key."""
    return XeroError(400, {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message})
