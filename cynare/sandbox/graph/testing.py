"""Helpers for tests and scripts: a stand-in running in a thread on a free port, the settings the app
needs to use it, and a client for its /_sandbox/ admin surface that sends the run's admin token."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from cynare.sandbox.graph.identity import MAIL_READ_WRITE, MAIL_SEND
from cynare.sandbox.graph.stand_in import DEFAULT_MAILBOX, GraphStandIn


class GraphAdmin:
    """The served stand-in's /_sandbox/ surface, with the run's admin token on every request.

    `admin.fault(429, path="sendMail", retry_after=7)`, `admin.messages()`, `admin.calls()`,
    `admin.reset()`; `get`/`post` return the `requests.Response` for anything else.
    """

    def __init__(self, stand_in: GraphStandIn, timeout: float = 10.0) -> None:
        self.base = f"{stand_in.url}/_sandbox"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update(stand_in.admin_headers)

    def get(self, path: str) -> requests.Response:
        return self.session.get(f"{self.base}/{path.lstrip('/')}", timeout=self.timeout)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.session.post(f"{self.base}/{path.lstrip('/')}", json=body, timeout=self.timeout)

    def fault(self, status: int, *, count: int = 1, path: str = "", **details: Any) -> None:
        """Queue a fault (`code`, `message`, `retry_after`, `seconds` as the admin surface takes them)."""
        reply = self.post("faults", {"status": status, "count": count, "path": path, **details})
        reply.raise_for_status()

    def messages(self) -> list[dict[str, Any]]:
        reply = self.get("messages")
        reply.raise_for_status()
        found: list[dict[str, Any]] = reply.json()["messages"]
        return found

    def calls(self) -> list[dict[str, Any]]:
        reply = self.get("calls")
        reply.raise_for_status()
        found: list[dict[str, Any]] = reply.json()["calls"]
        return found

    def reset(self) -> None:
        self.post("reset").raise_for_status()

    def close(self) -> None:
        self.session.close()


@dataclass(frozen=True)
class RunningGraph:
    """A served stand-in and what the app needs to reach it (the CYNARE_GRAPH_* settings)."""

    url: str
    tenant_id: str
    client_id: str
    client_secret: str
    mailbox: str
    admin: GraphAdmin
    stand_in: GraphStandIn

    def __repr__(self) -> str:
        # The client secret stays out of test output.
        return f"RunningGraph(url={self.url!r}, tenant_id={self.tenant_id!r}, mailbox={self.mailbox!r})"

    @property
    def mail_dir(self) -> Path:
        return self.stand_in.mail_dir

    def settings(self) -> dict[str, str]:
        return settings_for(self.stand_in)


def settings_for(stand_in: GraphStandIn) -> dict[str, str]:
    """The environment settings that point the app at a served stand-in."""
    return {
        "CYNARE_REPORT_MAILBOX": stand_in.mailbox,
        "CYNARE_GRAPH_URL": stand_in.url,
        "CYNARE_GRAPH_TENANT_ID": stand_in.tenant_id,
        "CYNARE_GRAPH_CLIENT_ID": stand_in.client_id,
        "CYNARE_GRAPH_CLIENT_SECRET": stand_in.client_secret,
    }


@contextmanager
def running_graph(
    out: str | Path | None = None,
    *,
    mailbox: str = DEFAULT_MAILBOX,
    permissions: Iterable[str] = (MAIL_SEND, MAIL_READ_WRITE),
    token_lifetime: int = 3599,
    port: int = 0,
) -> Iterator[RunningGraph]:
    """A stand-in served in a background thread until the block ends (fresh ids and secret each time)."""
    stand_in = GraphStandIn(mailbox=mailbox, out=out, permissions=permissions, token_lifetime=token_lifetime)
    stand_in.start(port)
    admin = GraphAdmin(stand_in)
    try:
        yield RunningGraph(
            stand_in.url,
            stand_in.tenant_id,
            stand_in.client_id,
            stand_in.client_secret,
            stand_in.mailbox,
            admin,
            stand_in,
        )
    finally:
        admin.close()
        stand_in.stop()
