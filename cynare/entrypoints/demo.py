"""`make demo`: a whole night of the sample firm, on this machine.

It starts Azurite and the local Xero (in process, a Xero minute lasting a second, every call checked
against Xero's spec), builds the demo PMS (three entities: UK, IE, US) and runs the on-premises
agent; connects each entity to its own Xero organisation as `cynare connect` does; then runs the
night in the Functions app itself (`function_app.app` on `LocalHost`): the import timer, the posting
queue until it is empty, a few things people do in Xero by hand, the sync timer, and the agent's
write-back into the PMS. A second night deletes a row in the PMS, which becomes a cancellation
(carried out in Xero, or refused with its reason). It prints each entity's night and writes
`night.json` (cynare.entrypoints.demo_report); it exits non-zero when a posted PMS document is not
exactly one document in Xero, a call broke Xero's contract, or a row read was neither accepted nor
rejected with a reason. Everything it starts, it stops, even on Ctrl-C. With `ui` (`make demo-ui`), the
firm's pages are then served on this machine until Ctrl-C (cynare.entrypoints.demo_ui).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.markup import escape

ENTITIES = ("UK", "IE", "US")
# Deleted between the two nights: the agent sees it gone and sends a cancellation, never guessed by the cloud.
DELETED_ALLOCATION = "AX-CREDIT-APPLIED"
# What the cloud knows of each demo entity's Xero organisation: UK has no CHF, so a CHF bill is held.
DEMO_ENTITIES = json.dumps({
    "UK": {"base_currency": "GBP", "currencies": ["GBP", "EUR", "USD"], "sources": ["demo-pms-1"]},
    "IE": {"base_currency": "EUR", "currencies": ["EUR", "GBP"], "sources": ["demo-pms-1"]},
    "US": {"base_currency": "USD", "currencies": ["USD"], "sources": ["demo-pms-1"]},
})  # fmt: skip
TIME_SCALE = 1 / 60  # a Xero minute lasts a real second: rate windows and token lifetimes shrink with it
INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C
# Ctrl-C reaches Azurite too (one process group), and the cleanup's storage calls then retry for minutes:
# after this long, the demo stops what it started itself and leaves.
GRACE_SECONDS = 5.0
UI_PORT = 8780  # `make demo-ui`: the pages at http://127.0.0.1:8780/api/pages/ (another port when it is taken)


def run_demo(
    workdir: str,
    *,
    entities: Sequence[str] = ENTITIES,
    second_night: bool = True,
    console: Console | None = None,
    ui: bool = False,
    ui_port: int = UI_PORT,
) -> int:
    """Run the demo in `workdir`; 0 when every check passed, 1 when one failed, 2 when it could not start.

    `entities` and `second_night` make a shorter run (the tests use one entity and one night). With `ui`,
    the firm's pages are then served on `ui_port` until Ctrl-C, and the result is still the night's.
    """
    from cynare.entrypoints.demo_night import DemoNight, NightSetupError
    from cynare.entrypoints.demo_ui import serve_pages

    console = console or Console(width=max(110, Console().width))  # the per-state table needs the room
    unknown = sorted(set(entities) - set(ENTITIES))
    if unknown or not entities:
        console.print(f"[red]error:[/] the demo firm's entities are {', '.join(ENTITIES)}, not {', '.join(unknown)}")
        return 2
    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    console.rule("Cynare Link demo: a night of the sample firm")
    interrupts = _Interrupts(console)
    try:
        # Whatever happens inside, the stack stops what was started: the Functions host, the local Xero, Azurite.
        with contextlib.ExitStack() as stack:
            stack.enter_context(interrupts.handled())
            stack.enter_context(_night_log(work / "logs" / "night.log"))
            night = stack.enter_context(
                DemoNight.start(console, work, list(entities), second_night=second_night, stoppers=interrupts.stoppers)
            )
            code = night.run()
            if ui:
                serve_pages(night.host, console, ui_port)
    except NightSetupError as error:
        console.print(f"[bold red]The demo could not start:[/] {escape(str(error))}")
        return 2
    except KeyboardInterrupt:
        console.print("[bold red]Interrupted:[/] everything the demo started is stopped")
        return INTERRUPTED
    console.print(f"the demo took {time.perf_counter() - started:.0f} s end to end")
    return code


class _Interrupts:
    """Ctrl-C (or SIGTERM) unwinds the demo, each thing it started stopped in turn.

    Should the unwinding take longer than GRACE_SECONDS, or Ctrl-C come again, the `stoppers` (the
    local Xero's and Azurite's stop) run from here and the process leaves at once.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.stoppers: list[Callable[[], None]] = []
        self._interrupted = False
        self._watchdog: threading.Timer | None = None

    @contextlib.contextmanager
    def handled(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signal handlers belong to the main thread; elsewhere the caller's own rules apply
            return
        previous = {number: signal.signal(number, self._interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            if self._watchdog is not None:
                self._watchdog.cancel()  # everything unwound in time
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        if self._interrupted:
            self._leave()
        self._interrupted = True
        self._watchdog = threading.Timer(GRACE_SECONDS, self._leave)
        self._watchdog.daemon = True
        self._watchdog.start()
        raise KeyboardInterrupt

    def _leave(self) -> None:
        for stop in reversed(self.stoppers):
            with contextlib.suppress(Exception):  # stopping the rest matters more than why one would not stop
                stop()
        self.console.print("[bold red]Interrupted:[/] the local Xero and Azurite are stopped")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(INTERRUPTED)


@contextlib.contextmanager
def _night_log(path: Path) -> Iterator[None]:
    """The night's log lines (the Functions', the agent's, the SDKs' warnings) go to a file, not over the output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """The app settings in the process environment (the functions read them there), as they were afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def demo_entities(entities: Sequence[str]) -> str:
    """CYNARE_ENTITIES for the entities this run uses."""
    declared = json.loads(DEMO_ENTITIES)
    return json.dumps({code: declared[code] for code in entities})


def utc_now() -> datetime:
    return datetime.now(UTC)
