"""`cynare sandbox graph`: serve the Graph stand-in on 127.0.0.1 until interrupted.

It prints the settings that point the app at it (CYNARE_GRAPH_URL and the app registration's tenant,
client id and secret: fixed sample values, for this stand-in only, so that local.settings.json can
name them once), the mailbox it may send as, where the .eml files go and this run's admin token.
"""

from __future__ import annotations

import threading
from pathlib import Path

from cynare.sandbox.graph.guard import TOKEN_HEADER
from cynare.sandbox.graph.stand_in import DEFAULT_MAILBOX, GraphStandIn
from cynare.sandbox.graph.testing import settings_for

DEFAULT_PORT = 8766
DEFAULT_OUT = "out/graph"
# The local app registration: not secrets, they open nothing but this stand-in.
SAMPLE_TENANT_ID = "9a7c0000-0000-4000-8000-00000000c0de"
SAMPLE_CLIENT_ID = "9a7c0000-0000-4000-8000-0000000a1101"
SAMPLE_CLIENT_SECRET = "local-graph-stand-in-secret"  # noqa: S105 (the local stand-in's own)


def start(port: int = DEFAULT_PORT, out: str | Path = DEFAULT_OUT, mailbox: str = DEFAULT_MAILBOX) -> GraphStandIn:
    stand_in = GraphStandIn(
        mailbox=mailbox,
        out=out,
        tenant_id=SAMPLE_TENANT_ID,
        client_id=SAMPLE_CLIENT_ID,
        client_secret=SAMPLE_CLIENT_SECRET,
    )
    url = stand_in.start(port)
    print(f"Graph stand-in on {url}: Graph at {stand_in.graph_url}, tokens at {stand_in.token_url}")
    print(f"  sends as {stand_in.mailbox} only; every message is written to {stand_in.mail_dir}/")
    print("settings for the app (local.settings.json or the environment):")
    for name, value in settings_for(stand_in).items():
        print(f"  {name}={value}")
    print(f"admin under {url}/_sandbox/ (send header {TOKEN_HEADER}: {stand_in.admin_token})")
    print("Ctrl-C to stop.", flush=True)
    return stand_in


def serve(port: int = DEFAULT_PORT, out: str | Path = DEFAULT_OUT, mailbox: str = DEFAULT_MAILBOX) -> None:
    try:
        stand_in = start(port, out, mailbox)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"the Graph stand-in could not start: {exc}") from exc
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stand_in.stop()
