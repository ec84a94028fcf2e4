"""`cynare sandbox teams`: serve the Teams stand-in on 127.0.0.1 until interrupted.

At start it prints the webhook URL to set as CYNARE_TEAMS_WEBHOOK_URL (new each run: it holds the run's
signature), the admin token for /_sandbox/ and the folder the accepted cards are written to.
"""

from __future__ import annotations

import threading
from pathlib import Path

from cynare.sandbox.teams.guard import TOKEN_HEADER
from cynare.sandbox.teams.stand_in import TeamsStandIn


def start(port: int, out: str | Path) -> TeamsStandIn:
    stand_in = TeamsStandIn(out=Path(out))
    url = stand_in.start(port)
    print(f"Teams stand-in (a Workflows webhook posting to a channel) on {stand_in.url}")
    print(f"  webhook URL for this run (set CYNARE_TEAMS_WEBHOOK_URL to it): {url}")
    print(f"  admin under {stand_in.url}/_sandbox/ with header {TOKEN_HEADER}: {stand_in.admin_token}")
    print(f"  accepted cards are written to {stand_in.capture.folder}")
    print("Ctrl-C to stop.", flush=True)
    return stand_in


def serve(port: int, out: str | Path) -> None:
    try:
        stand_in = start(port, out)
    except OSError as exc:
        raise SystemExit(
            f"the Teams stand-in could not listen on 127.0.0.1:{port}: {exc.strerror}; choose another --port"
        ) from exc
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stand_in.stop()
