"""The error shape a Workflows webhook (a Logic Apps request trigger) answers with:
`{"error": {"code": ..., "message": ...}}`."""

from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    """A request refused: the app writes `body` with `status`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    @property
    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def not_found() -> WorkflowError:
    return WorkflowError(404, "WorkflowNotFound", "The workflow could not be found.")


def schema_mismatch(detail: str) -> WorkflowError:
    """The flow's trigger takes a Teams message ({"type": "message", "attachments": [...]}) and nothing else."""
    return WorkflowError(
        400,
        "TriggerInputSchemaMismatch",
        f"The input body for trigger 'manual' of type 'Request' did not match its schema definition: {detail}",
    )


def throttled(retry_after: int, why: str) -> WorkflowError:
    return WorkflowError(429, "WorkflowRequestsThrottled", why, {"Retry-After": str(retry_after)})
