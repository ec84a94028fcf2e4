"""What the browser tests share: a firm's pages served through the real Functions app, a person signed in
through the development sign-in, axe-core run inside the page, and the keyboard's view of a page.

The pages are served as `make demo-ui` serves them: function_app.app on LocalHost, behind LocalWeb on a
loopback port. Chromium is Debian's (/usr/bin/chromium), driven by Python Playwright; Playwright's own
browsers are never downloaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

from cynare.entrypoints import pages_functions
from cynare.entrypoints.local_host import LocalHost, load_app
from cynare.entrypoints.local_web import LocalWeb
from cynare.sandbox.xero.apps import WEB_CLIENT_ID, WEB_SECRET
from tests.a11y.checker import WCAG_22_AA
from tests.e2e.test_posting_night import ENTITIES, Firm

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CYNARE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ADMIN, VIEWER = "admin", "viewer"
_LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$")


def require_tools() -> None:
    """Fail, saying what to install, when Chromium or axe-core is missing (never skip)."""
    missing = []
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium at {CHROMIUM} (as root: `apt-get install -y chromium`, or `make install`)")
    if not AXE.is_file():
        missing.append(f"npm package axe-core (`npm ci` in {ROOT})")
    if missing:
        pytest.fail("the browser tests cannot run; missing: " + "; ".join(missing), pytrace=False)


# -- the firm's pages, served -------------------------------------------------------------------------------


def firm_settings(firm: Firm, entities: str = ENTITIES) -> dict[str, str]:
    """The app settings of `firm` (local.settings.json's names), as the Functions host would hold them."""
    settings = firm.app.settings
    return {
        "AzureWebJobsStorage": firm.storage_connection,
        "CYNARE_STORAGE_CONNECTION": firm.storage_connection,
        "CYNARE_STORAGE_ACCOUNT": "",
        "CYNARE_TABLE_PREFIX": firm.prefix,
        "CYNARE_INBOUND_CONTAINER": settings.inbound_container,
        "CYNARE_IMPORT_SCHEDULE": "0 30 0,1 * * *",
        "CYNARE_SYNC_SCHEDULE": "0 0 5 * * *",
        "CYNARE_RECONCILE_SCHEDULE": "0 30 5 * * *",
        "CYNARE_ENTITIES": entities,
        "CYNARE_TOKEN_KEY": settings.token_key,
        "CYNARE_XERO_URL": settings.xero_url,
        "CYNARE_XERO_TIME_SCALE": repr(settings.xero_time_scale),
        "CYNARE_PAGES_DEV_SIGN_IN": "on",
        "CYNARE_XERO_CLIENT_ID": WEB_CLIENT_ID,  # the local Xero's web app, for the connect page
        "CYNARE_XERO_CLIENT_SECRET": WEB_SECRET,
    }


@contextlib.contextmanager
def serve_pages(firm: Firm, monkeypatch: pytest.MonkeyPatch, entities: str = ENTITIES) -> Iterator[LocalWeb]:
    """The firm's pages through the real Functions app (function_app.app on LocalHost) behind LocalWeb."""
    settings = firm_settings(firm, entities)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    for name in ("WEBSITE_SITE_NAME", "WEBSITE_INSTANCE_ID", "WEBSITE_AUTH_ENABLED"):
        monkeypatch.delenv(name, raising=False)  # the development sign-in works only off Azure
    # The pages function binds its app once per process, from the settings. Here it is the firm's own app:
    # the same tables as the settings name, with this test's own poster queue and lease container
    # (make_firm's), because the tests share one Azurite.
    monkeypatch.setattr(pages_functions, "_app", lambda: firm.app)
    with LocalHost(load_app(ROOT), settings, ROOT / "host.json") as host, LocalWeb(host) as web:
        monkeypatch.setenv("CYNARE_PAGES_URL", web.url)  # Xero's redirect URI is under it
        yield web


# -- the browser ----------------------------------------------------------------------------------------


def loopback_only(route: Route) -> None:
    """Nothing leaves the machine: a page's request outside loopback is refused (and shows in the test)."""
    url = urlsplit(route.request.url)
    if url.scheme in ("data", "about", "blob") or _LOOPBACK.match(url.hostname or ""):
        route.continue_()
    else:
        route.abort("blockedbyclient")


def new_context(browser: Browser, web: LocalWeb, *, bypass_csp: bool = False) -> BrowserContext:
    """A fresh browser profile for `web`. `bypass_csp` only for axe: the pages' CSP forbids every script,
    and axe-core is one; every other test sees the pages with their CSP as a person's browser does."""
    context = browser.new_context(
        base_url=web.url, bypass_csp=bypass_csp, viewport={"width": 1280, "height": 800}, locale="en-GB"
    )
    context.set_default_timeout(20_000)
    context.route("**/*", loopback_only)
    return context


def sign_in(page: Page, web: LocalWeb, role: str = ADMIN, name: str = "Alex Admin") -> None:
    """The development sign-in, as a person does it: the pages send them there first."""
    page.goto(web.pages_url)
    assert urlsplit(page.url).path == "/api/pages/dev-sign-in", page.url
    page.get_by_label("Your name").fill(name)
    page.locator(f"#role-{role}").check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(web.pages_url)
    assert f"Signed in as {name}" in page.inner_text("header")


def pages_path(path: str, **query: str) -> str:
    """The address of a page under /api/pages, e.g. pages_path("/exceptions", entity="UK")."""
    from cynare.presentation.pages.web import url

    return url(path, **query)


# -- axe-core, inside the page ---------------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now (the context must bypass CSP)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        list(WCAG_22_AA),
    )
    return list(result["violations"])


def check(page: Page, where: str) -> None:
    """No axe violation on the page as it is, and a visible focus indicator on every keyboard stop (the page
    is loaded again for the walk: a GET page). The page's context must bypass CSP (new_context)."""
    violations = axe_violations(page)
    assert not violations, describe_violations(where, violations)
    stops = tab_stops(page)
    assert stops, f"{where}: the keyboard reaches nothing"
    hidden = [str(stop) for stop in stops if not stop.shows_focus]
    assert not hidden, f"{where}: no visible focus indicator on " + "; ".join(hidden)


def describe_violations(where: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{where}: {len(violations)} WCAG 2.2 AA violation(s) by axe-core"]
    for rule in violations:
        lines.append(f"  - {rule['id']} [{rule.get('impact')}]: {rule['help']} ({rule['helpUrl']})")
        lines += [f"      at {' '.join(map(str, node['target']))}" for node in rule["nodes"]]
    return "\n".join(lines)


# -- the keyboard -------------------------------------------------------------------------------------------

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const order = [...document.querySelectorAll('*')].indexOf(el);
  return {
    tag: el.localName, id: el.id, cls: el.className || '', href: el.getAttribute('href') || '',
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 80),
    outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
    outlineColor: style.outlineColor, boxShadow: style.boxShadow,
    focusVisible: el.matches(':focus-visible'), order,
    inView: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
            && box.top < innerHeight && box.left < innerWidth,
    inMain: !!el.closest('main'), inNav: !!el.closest('nav[aria-label="Main"]'),
  };
}"""


@dataclass(frozen=True)
class Stop:
    """Where keyboard focus is: the element and how it is shown."""

    tag: str
    id: str
    cls: str
    href: str
    text: str
    outline_style: str
    outline_width: float
    box_shadow: str
    focus_visible: bool
    order: int  # the element's place in the document
    in_view: bool
    in_main: bool
    in_nav: bool  # in the site's main navigation

    @property
    def shows_focus(self) -> bool:
        """A visible focus indicator: an outline (the stylesheet's :focus-visible ring) or a box shadow."""
        outlined = self.outline_style not in ("none", "") and self.outline_width >= 2
        return self.in_view and (outlined or self.box_shadow not in ("none", ""))

    def __str__(self) -> str:
        what = f"{self.tag}{'#' + self.id if self.id else ''}{'.' + self.cls if self.cls else ''}"
        return f"{what} {self.text!r}" + (f" -> {self.href}" if self.href else "")


def focused(page: Page) -> Stop | None:
    raw = page.evaluate(_FOCUSED)
    if raw is None:
        return None
    return Stop(raw["tag"], raw["id"], str(raw["cls"]), raw["href"], raw["text"], raw["outlineStyle"],
                float(raw["outlineWidth"]), raw["boxShadow"], bool(raw["focusVisible"]), int(raw["order"]),
                bool(raw["inView"]), bool(raw["inMain"]), bool(raw["inNav"]))  # fmt: skip


def from_the_top(page: Page) -> None:
    """The page loaded afresh (a GET page), so that Tab starts at its top: after a blur, or a skip link's
    fragment in the address, the browser would go on from where focus was."""
    page.goto(page.url.split("#")[0])
    page.mouse.move(0, 0)


def tab_stops(page: Page, limit: int = 150) -> list[Stop]:
    """Every keyboard stop of the page, in the order Tab reaches them from the top, once round."""
    from_the_top(page)
    stops: list[Stop] = []
    seen: set[tuple[int, str]] = set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = focused(page)
        if stop is None or (stop.order, stop.text) in seen:
            break
        seen.add((stop.order, stop.text))
        stops.append(stop)
    return stops


def as_json(value: Any) -> str:
    return json.dumps(value, indent=1, default=str)
