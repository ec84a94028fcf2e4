"""Keyboard only: the first Tab reaches the skip link, which is seen and moves focus to the main content;
focus then goes through the page in its reading order, always visibly (the stylesheet's outline), and
reaches every link of the navigation. The development sign-in is done without a mouse.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from cynare.entrypoints.local_web import LocalWeb
from tests.browser.harness import ADMIN, focused, from_the_top, pages_path, tab_stops

pytestmark = pytest.mark.azurite  # the firm's warehouse

NAV = ["Status", "Exceptions", "Mappings", "Connect", "Audit log"]


def skip_link_first(page: Page, where: str) -> None:
    """Tab from the top: the skip link, visible and outlined; Enter: focus in main, and on from there."""
    from_the_top(page)
    page.keyboard.press("Tab")
    stop = focused(page)
    assert stop is not None and "skip-link" in stop.cls, f"{where}: the first Tab reached {stop}"
    assert stop.href == "#main" and stop.in_view, f"{where}: the skip link is not seen when focused: {stop}"
    assert stop.focus_visible and stop.shows_focus, f"{where}: no visible focus on the skip link: {stop}"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main", f"{where}: the skip link left focus elsewhere"
    page.keyboard.press("Tab")
    after = focused(page)
    if after is not None:  # a page whose main content has nothing to focus moves on to the footer or out
        assert after.in_main or not page.evaluate("() => !!document.querySelector('main a, main button, main input')")


@pytest.mark.parametrize("path", ["/", "/status"])
def test_a_page_by_keyboard_alone(path: str, night_pages: LocalWeb, open_page: Callable[..., Page]) -> None:
    page = open_page(night_pages, ADMIN)
    response = page.goto(pages_path(path))
    assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
    skip_link_first(page, path)

    stops = tab_stops(page)
    assert stops and "skip-link" in stops[0].cls
    # In reading order: no tabindex sends focus back up the page.
    orders = [stop.order for stop in stops]
    assert orders == sorted(orders), "focus jumps out of the page's order: " + " | ".join(map(str, stops))
    hidden = [str(stop) for stop in stops if not (stop.focus_visible and stop.shows_focus)]
    assert not hidden, "no visible focus on: " + "; ".join(hidden)
    reached = [stop.text for stop in stops if stop.in_nav]
    assert reached == NAV, reached
    nav_targets = {stop.text: urlsplit(stop.href).path for stop in stops if stop.in_nav}
    assert nav_targets["Status"] == pages_path("/status")

    # And a link followed with Enter, not a click.
    for _ in range(len(stops)):
        stop = focused(page)
        if stop is not None and stop.in_nav and stop.text == "Status":
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{pages_path('/status')}")
    assert page.locator("h1").inner_text()


def test_the_development_sign_in_by_keyboard_alone(night_pages: LocalWeb, open_page: Callable[..., Page]) -> None:
    page = open_page(night_pages, None)
    page.goto(night_pages.pages_url)
    assert urlsplit(page.url).path == pages_path("/dev-sign-in")
    skip_link_first(page, "the development sign-in")

    from_the_top(page)
    for _ in range(10):
        page.keyboard.press("Tab")
        stop = focused(page)
        assert stop is not None and stop.shows_focus, f"no visible focus on {stop}"
        if stop.id == "name":
            break
    else:
        raise AssertionError("Tab never reached the name field")
    page.keyboard.type("Kim Keyboard")
    page.keyboard.press("Tab")  # the role: one stop for the radio group, on the checked one
    stop = focused(page)
    assert stop is not None and stop.id == "role-admin" and stop.shows_focus, stop
    page.keyboard.press("ArrowDown")  # the arrow keys choose within the group
    assert page.locator("#role-viewer").is_checked()
    page.keyboard.press("Tab")
    stop = focused(page)
    assert stop is not None and stop.tag == "button" and stop.shows_focus, stop
    page.keyboard.press("Enter")
    page.wait_for_url(night_pages.pages_url)
    assert "Signed in as Kim Keyboard (may look)" in page.inner_text("header")
    assert "Development sign-in" in page.inner_text("body")
