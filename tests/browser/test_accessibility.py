"""Every page meets WCAG 2.2 AA in Chromium: axe-core finds no violation, and every keyboard stop shows
where focus is. The pages are those in routes.py (each GET page without a parameter, so that a page added
there is checked without a word here), the development sign-in, the page that says a page does not exist,
and every page those link to, as a person would reach them from the firm's night.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from cynare.entrypoints.local_web import LocalWeb
from cynare.presentation.pages.routes import ROUTES
from tests.browser.conftest import SCRIPT_NAME
from tests.browser.harness import ADMIN, VIEWER, check, pages_path

pytestmark = pytest.mark.azurite  # the firm's warehouse

GET_PAGES = sorted({route.pattern for route in ROUTES if route.method == "GET" and "{" not in route.pattern})
MAX_LINKED_PAGES = 25  # a crawl's bound: pagination and filters multiply addresses, not templates


@pytest.mark.parametrize("role", [ADMIN, VIEWER])
@pytest.mark.parametrize("path", GET_PAGES)
def test_each_page_of_the_routes_meets_wcag_22_aa(
    path: str, role: str, night_pages: LocalWeb, open_page: Callable[..., Page]
) -> None:
    page = open_page(night_pages, role, bypass_csp=True)
    response = page.goto(pages_path(path))
    # Some answer a refusal without their query (Xero's callback, the connect choice): a page all the same.
    assert response is not None and response.status < 500, f"{path}: HTTP {response and response.status}"
    assert response.headers["content-type"].startswith("text/html")
    check(page, f"{path} as {role} (HTTP {response.status})")


def test_the_development_sign_in_and_a_missing_page_meet_wcag_22_aa(
    night_pages: LocalWeb, open_page: Callable[..., Page]
) -> None:
    page = open_page(night_pages, None, bypass_csp=True)
    page.goto(night_pages.pages_url)
    assert urlsplit(page.url).path == pages_path("/dev-sign-in")
    check(page, "the development sign-in")
    page.get_by_role("button", name="Sign in").click()  # no name: the error is said and tied to the field
    assert page.get_by_label("Your name").get_attribute("aria-invalid") == "true"
    check(page, "the development sign-in with an error")
    signed_in = open_page(night_pages, ADMIN, bypass_csp=True)
    response = signed_in.goto(pages_path("/no-such-page"))
    assert response is not None and response.status == 404
    check(signed_in, "a page that does not exist")


def test_every_page_linked_from_the_pages_meets_wcag_22_aa(
    night_pages: LocalWeb, open_page: Callable[..., Page]
) -> None:
    """From the front page, every page a link leads to (an entity's status, exceptions, mappings, a filter,
    the next page of a list), up to MAX_LINKED_PAGES of them, checked like the routes' own."""
    page = open_page(night_pages, ADMIN, bypass_csp=True)
    start = pages_path("/")
    waiting, seen = [start], {start}
    checked: list[str] = []
    named: list[str] = []
    while waiting and len(checked) < MAX_LINKED_PAGES:
        address = waiting.pop(0)
        kind = page.request.get(address).headers.get("content-type", "")
        if not kind.startswith("text/html"):
            continue  # a download (a CSV export), not a page
        response = page.goto(address)
        assert response is not None and response.status == 200, f"{address}: HTTP {response and response.status}"
        if SCRIPT_NAME in page.inner_text("main"):
            named.append(address)  # shown as the text it is; a script run would have opened a dialog
        check(page, address)
        checked.append(address)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urlsplit(href)
            if target.scheme or target.netloc or not target.path.startswith(pages_path("/")):
                continue  # another site, or not a page (the stylesheet)
            if target.path.startswith(pages_path("/static/")):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen:
                seen.add(link)
                waiting.append(link)
    assert len(checked) > len(GET_PAGES) / 2, checked
    assert named, "no page showed the client whose name is markup"
