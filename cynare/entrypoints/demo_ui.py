"""`make demo-ui` (`cynare demo --ui`): after the demo's night, the firm's pages served on this machine.

The pages function of the same Functions app, on the same local host, behind cynare.entrypoints.local_web,
at a printed loopback address with the development sign-in on, until Ctrl-C; then the demo stops
everything it started, as it does without the pages.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console

from cynare.entrypoints.demo import environment
from cynare.entrypoints.local_web import LocalWeb
from cynare.sandbox.xero.apps import WEB_CLIENT_ID, WEB_SECRET

if TYPE_CHECKING:
    from cynare.entrypoints.local_host import LocalHost


def serve_pages(host: LocalHost, console: Console, port: int) -> None:
    """Serve the pages of `host`'s app on loopback `port` (a free one when it is taken) until Ctrl-C."""
    from cynare.entrypoints import pages_functions

    web = LocalWeb(host, port)
    try:
        web.start()
    except OSError as error:
        web = LocalWeb(host, 0)
        web.start()
        console.print(f"port {port} cannot be used ({error.strerror}): the pages take port {web.port} instead")
    address = web.pages_url
    # The development sign-in: this machine only (the pages refuse it in Azure). The connect page connects
    # the local Xero's sandbox web app (its published secret), and Xero sends the person back under
    # CYNARE_PAGES_URL, the address the pages are served at.
    settings = {"CYNARE_PAGES_DEV_SIGN_IN": "on", "CYNARE_PAGES_URL": web.url,
                "CYNARE_XERO_CLIENT_ID": WEB_CLIENT_ID, "CYNARE_XERO_CLIENT_SECRET": WEB_SECRET}  # fmt: skip
    try:
        with environment(settings):
            # The pages bind their app once per process: to this run's Azurite and settings, not an earlier run's.
            pages_functions._app.cache_clear()
            console.rule("The firm's pages")
            console.print(f"[bold]The firm's pages: {address}[/] (development sign-in: choose a name and a role; "
                          "the local Xero's consent page is where the connect page sends you). Ctrl-C stops "
                          "the pages, the Functions app, the local Xero and Azurite.", highlight=False)  # fmt: skip
            until_interrupted()
    finally:
        web.stop()
        pages_functions._app.cache_clear()


def until_interrupted() -> None:
    """Ctrl-C is how a person ends the demo with pages: it ends serving, not the demo's result."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return
