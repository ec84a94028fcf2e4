"""The Graph adapter against the local stand-in: a sender wired as the app wires it, and a check after
every test that no secret (the client secret, an access token, an upload URL's authtoken) reached a
log record."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cynare.adapters.graph_mail import GraphMailSender, graph_mail_sender
from cynare.sandbox.graph.pytest_plugin import make_graph  # noqa: F401 (fixture for this folder)
from cynare.sandbox.graph.testing import RunningGraph

_UNHIDDEN_AUTHTOKEN = re.compile(r"authtoken=(?!\[hidden\])", re.IGNORECASE)


def sender_for(
    g: RunningGraph, mailbox: str | None = None, secret: str | None = None, **options: Any
) -> GraphMailSender:
    return graph_mail_sender(
        mailbox or g.mailbox,
        graph_url=g.url,
        tenant_id=g.tenant_id,
        client_id=g.client_id,
        client_secret=secret or g.client_secret,
        **options,
    )


def secrets_of(g: RunningGraph) -> set[str]:
    return {g.client_secret, *g.stand_in.identity.issued()}


@pytest.fixture
def made(make_graph: Callable[..., RunningGraph]) -> Iterator[Callable[..., RunningGraph]]:  # noqa: F811
    """The plugin's factory, remembering each stand-in so that the logs can be checked against it."""
    started: list[RunningGraph] = []

    def make(**options: Any) -> RunningGraph:
        g = make_graph(**options)
        started.append(g)
        return g

    make.started = started  # type: ignore[attr-defined]
    yield make


@pytest.fixture
def graph(made: Callable[..., RunningGraph]) -> RunningGraph:
    return made()


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture, made: Callable[..., RunningGraph]) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    text = "\n".join(formatter.format(r) for r in records)  # tracebacks included
    for g in made.started:  # type: ignore[attr-defined]
        leaked = [s for s in secrets_of(g) if s in text]
        assert not leaked, "a secret reached the log"
    assert not _UNHIDDEN_AUTHTOKEN.search(text), "an upload URL's authtoken reached the log"
