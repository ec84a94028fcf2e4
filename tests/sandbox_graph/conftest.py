"""The Graph stand-in's own tests: its fixtures, a token, and requests as a plain HTTP client sends them."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from cynare.sandbox.graph.pytest_plugin import graph, make_graph  # noqa: F401 (fixtures for this folder)
from cynare.sandbox.graph.testing import RunningGraph

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def get_token(g: RunningGraph) -> str:
    reply = requests.post(
        f"{g.url}/{g.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": g.client_id,
            "client_secret": g.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=5,
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


@pytest.fixture
def bearer(graph: RunningGraph) -> dict[str, str]:  # noqa: F811 (the fixture imported above)
    return {"Authorization": f"Bearer {get_token(graph)}"}


def file_attachment(name: str, content: bytes, content_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.fileAttachment",
        "name": name,
        "contentType": content_type,
        "contentBytes": base64.b64encode(content).decode(),
        **extra,
    }


def message(**changes: Any) -> dict[str, Any]:
    """A valid message: HTML with an inline chart, a spreadsheet, one To and one Cc."""
    body: dict[str, Any] = {
        "subject": "Reconciliation 30 Nov 2026",
        "body": {"contentType": "HTML", "content": '<p>Differences: 2</p><img src="cid:trend">'},
        "toRecipients": [{"emailAddress": {"address": "finance@harrowvance.example"}}],
        "ccRecipients": [{"emailAddress": {"address": "partner@harrowvance.example", "name": "Partner"}}],
        "attachments": [
            file_attachment("trend.png", PNG, "image/png", isInline=True, contentId="trend"),
            file_attachment("reconciliation.xlsx", b"PK\x03\x04 sheet", XLSX_TYPE),
        ],
    }
    body.update(changes)
    return body


def send_mail(g: RunningGraph, headers: dict[str, str], body: Any, mailbox: str | None = None) -> requests.Response:
    return requests.post(f"{g.url}/v1.0/users/{mailbox or g.mailbox}/sendMail", json=body, headers=headers, timeout=10)


def error_of(reply: requests.Response) -> tuple[int, str, str]:
    """Status, Graph's code and message, after checking the whole error shape."""
    body = reply.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "innerError"}
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert reply.headers["request-id"] == error["innerError"]["request-id"]
    return reply.status_code, error["code"], error["message"]
