"""The demo with pages, as a person runs it (one entity and one night, to be quick): after the night the
firm's pages are served from the same Functions app at the printed address, with the development sign-in,
and show the night; Ctrl-C then stops the pages and everything else the demo started, and the exit code is
the night's result.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Browser

from cynare.sandbox.xero.contract import WHERE_TO_GET, spec_path
from tests.browser.harness import loopback_only

pytestmark = [
    pytest.mark.slow,
    pytest.mark.azurite,
    pytest.mark.skipif(not spec_path().exists(), reason=WHERE_TO_GET),
]
ROOT = Path(__file__).resolve().parents[2]
# What `cynare demo --ui` runs, for one entity and one night; its own pages port.
DEMO = ("import sys; from cynare.entrypoints.demo import run_demo; "
        "sys.exit(run_demo(sys.argv[1], entities=['US'], second_night=False, ui=True, ui_port=0))")  # fmt: skip
ADDRESS = re.compile(r"The firm's pages: (http://127\.0\.0\.1:\d+/api/pages/)")
AZURITE = re.compile(r"Azurite \(in memory\): blob http://127\.0\.0\.1:(\d+)")
START_WITHIN = 900.0  # seconds for the night on a busy two-core machine


class Demo:
    """The demo's process (in its own process group, as a terminal's job) and what it prints, line by line."""

    def __init__(self, workdir: Path) -> None:
        environ = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", "TERM": "dumb"}
        self.process = subprocess.Popen([sys.executable, "-c", DEMO, str(workdir)], cwd=ROOT, env=environ,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)  # fmt: skip
        self.lines: list[str] = []
        self._new: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            self._new.put(line)
        self._new.put(None)

    def wait_for(self, pattern: re.Pattern[str], within: float) -> re.Match[str]:
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._new.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if found := pattern.search(line):
                return found
        raise AssertionError(f"the demo never printed {pattern.pattern!r}:\n" + "".join(self.lines[-80:]))

    def interrupt(self) -> int:
        """Ctrl-C in the terminal: SIGINT to the whole job (Azurite included), then its exit code."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=120)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path)
    try:
        yield running
    finally:
        running.kill()


def test_the_demo_serves_the_firms_pages_until_ctrl_c(demo: Demo, browser: Browser) -> None:
    azurite_port = int(demo.wait_for(AZURITE, 120).group(1))
    address = demo.wait_for(ADDRESS, START_WITHIN).group(1)

    context = browser.new_context(base_url=address)
    context.route("**/*", loopback_only)
    try:
        page = context.new_page()
        page.goto(address)
        assert urlsplit(page.url).path == "/api/pages/dev-sign-in"
        assert "Development sign-in" in page.inner_text("h1")
        page.get_by_label("Your name").fill("Demo Person")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(address)
        assert "Signed in as Demo Person (may change)" in page.inner_text("header")
        status = page.goto(f"{address}status?entity=US")
        assert status is not None and status.status == 200
        assert "US" in page.inner_text("main")
        connect = page.goto(f"{address}connect")
        assert connect is not None and connect.status == 200
        page.get_by_role("button", name="Connect Xero organisations").click()  # the local Xero's web app
        page.wait_for_url("**/identity/connect/authorize?**")
        assert "wants access to your Xero organisations" in page.locator("h1").inner_text()
    finally:
        context.close()

    code = demo.interrupt()
    printed = "".join(demo.lines)
    assert code == 0, printed[-4000:]
    assert "the demo took" in printed
    for gone in (address, f"http://127.0.0.1:{azurite_port}/"):
        with pytest.raises(requests.ConnectionError):
            requests.get(gone, timeout=2)
