"""Helpers for tests and scripts: the stand-in served on a free port for a `with` block, and a client
for its /_sandbox/ admin surface that sends the run's admin token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import requests

from cynare.sandbox.teams.stand_in import TeamsStandIn


class TeamsAdmin:
    """The served stand-in's /_sandbox/ surface: `admin.cards()`, `admin.inject("503", count=2)`, ..."""

    def __init__(self, base_url: str, admin_headers: dict[str, str], timeout: float = 10.0) -> None:
        self.base = f"{base_url}/_sandbox"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update(admin_headers)

    def posts(self) -> list[dict[str, Any]]:
        """Each accepted post: n, received_at, file (or None) and the message as received."""
        return list(self._call("GET", "posts")["posts"])

    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Card of each accepted post's first attachment, oldest first."""
        return [post["message"]["attachments"][0]["content"] for post in self.posts()]

    def inject(
        self, kind: str, count: int = 1, *, retry_after: int | None = None, seconds: float | None = None
    ) -> dict[str, Any]:
        """The next `count` posts fail: with status `kind` ("429", "500", "502", "503", "504", with
        Retry-After when given), "slow" (answered after `seconds`) or "drop" (closed, no answer)."""
        body: dict[str, Any] = {"kind": kind, "count": count}
        if retry_after is not None:
            body["retry_after"] = retry_after
        if seconds is not None:
            body["seconds"] = seconds
        return dict(self._call("POST", "faults", body)["queued"])

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "faults")["faults"])

    def reset(self) -> None:
        self._call("POST", "reset")

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self.session.request(method, f"{self.base}/{path}", json=body, timeout=self.timeout)
        if not response.ok:
            try:
                said = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                said = response.text
            raise RuntimeError(f"the Teams stand-in's admin refused {method} {path} ({response.status_code}): {said}")
        result: dict[str, Any] = response.json()
        return result


class Served(NamedTuple):
    webhook_url: str  # holds the run's signature: a secret as far as the code under test knows
    admin: TeamsAdmin


@contextmanager
def serve_teams_stand_in(out: str | Path | None = None, **options: Any) -> Iterator[Served]:
    """`with serve_teams_stand_in(tmp_path) as (url, admin):` a stand-in on a free loopback port, stopped
    after the block. `options` go to TeamsStandIn (workflow_id, sig, admin_token, per_second, clock)."""
    stand_in = TeamsStandIn(out=out, **options)
    url = stand_in.start()
    admin = TeamsAdmin(stand_in.url, stand_in.admin_headers)
    try:
        yield Served(url, admin)
    finally:
        admin.close()
        stand_in.stop()
