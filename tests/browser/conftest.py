"""Fixtures of the browser tests: Debian's Chromium under Playwright, a firm on Azurite with its own local
Xero, its pages served through the real Functions app, and a person signed in (admin or viewer).

Every browser test runs in one xdist group (one worker, one after another): each starts Chromium and a
firm, and two cores do not run two of them side by side any faster.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, sync_playwright

from cynare.adapters.azurite import Azurite
from cynare.entrypoints.local_web import LocalWeb
from cynare.sandbox.xero.emulator import Emulator
from tests.browser.harness import (
    ADMIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    new_context,
    require_tools,
    serve_pages,
    sign_in,
)
from tests.e2e.test_posting_night import Firm, client_row, make_firm, uk_night

HERE = Path(__file__).parent
SCRIPT_NAME = '<script>alert("x")</script> & Co'  # a client's name: the pages must show it as text
_names = itertools.count()


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, once per test module."""
    require_tools()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """`open_page(web, role="admin"|"viewer"|None, name=..., bypass_csp=False)`: a fresh profile's page,
    signed in through the development sign-in unless role is None. No page may open a dialog: one would
    mean a script ran (a client's name taken as markup where axe's script is let in)."""
    contexts: list[BrowserContext] = []
    dialogs: list[str] = []

    def dialog_opened(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def open_(web: LocalWeb, role: str | None = ADMIN, name: str = "", bypass_csp: bool = False) -> Page:
        context = new_context(browser, web, bypass_csp=bypass_csp)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", dialog_opened)
        if role is not None:
            sign_in(page, web, role, name or ("Alex Admin" if role == ADMIN else "Vic Viewer"))
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not dialogs, f"a script ran in the pages and opened a dialog: {dialogs}"


def fresh_name() -> str:
    return f"b{next(_names)}x{id(object()) % 100000}"


class _Emulators:
    """make_xero_emulator for a module-scoped firm: the same checks, the module's lifetime."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self.tmp = tmp
        self.made: list[Emulator] = []

    def __call__(self, **options: Any) -> Emulator:
        options.setdefault("validate", True)
        options.setdefault("snapshot_dir", self.tmp.mktemp("xero-snapshots"))
        emulator = Emulator(**options)
        emulator.start()
        self.made.append(emulator)
        return emulator

    def stop(self) -> None:
        for emulator in self.made:
            emulator.stop()
        broken = [v for emulator in self.made for v in emulator.violations]
        assert not broken, "calls broke Xero's OpenAPI contract:\n" + "\n".join(broken)


@pytest.fixture(scope="module")
def night_firm(azurite: Azurite, xero_spec: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firm]:
    """A firm after a night with something on every page: UK and IE posted, one bill held (an unmapped
    nominal), one refused by Xero (before its lock date), a client whose name is markup. Read-only:
    the tests that change things make their own firm."""
    emulators = _Emulators(tmp_path_factory)
    firm = make_firm(tmp_path_factory.mktemp("firm"), azurite.connection_string, fresh_name(), emulators)
    try:
        firm.xero.set_lock_date("UK", date(2026, 10, 31))
        rows = uk_night()
        rows["clients"].append(client_row("C9", SCRIPT_NAME, "GBP"))
        rows["bills"].append({**rows["bills"][1], "bill_id": "B9", "bill_number": "INV-B9", "client_id": "C9",
                              "date": "2026-10-15"})  # fmt: skip
        rows["bill_lines"].append({**rows["bill_lines"][2], "bill_id": "B9"})
        firm.night({"UK": rows})
        firm.connect("UK")
        firm.post("UK")
        yield firm
    finally:
        emulators.stop()


@pytest.fixture(scope="module")
def module_monkeypatch() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def night_pages(night_firm: Firm, module_monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalWeb]:
    """`night_firm`'s pages, served through the real Functions app for the whole module."""
    with serve_pages(night_firm, module_monkeypatch) as web:
        yield web


@pytest.fixture
def firm(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator]
) -> Firm:
    """A firm of this test's own (tables, containers, queue, local Xero), for a test that changes things."""
    return make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator, time_scale=1 / 6)


@pytest.fixture
def pages(firm: Firm, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalWeb]:
    with serve_pages(firm, monkeypatch) as web:
        yield web
