"""What a finance team does on the pages, in Chromium, through the real Functions app: connect an entity on
the local Xero's consent page and post to it; retry a document Xero refused once the cause is fixed, and see
it posted; map a new nominal code and see the document it held posted. Each ends in the local Xero's books
and in the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State
from cynare.entrypoints.local_web import LocalWeb
from cynare.sandbox.xero.seed import UK_TENANT_ID
from cynare.service_layer.posting.run import PostingStatus
from cynare.service_layer.xero_port import ConnectionKind
from tests.batches import Rows, merge
from tests.browser.harness import ADMIN, pages_path
from tests.browser.harness import check as accessible
from tests.e2e.test_posting_night import Firm, bill_rows, client_row, invoices_numbered, uk_mappings

pytestmark = pytest.mark.azurite  # the firm's warehouse


def night(*bills: Rows) -> Rows:
    clients = {"clients": [client_row("C1", "Ashby & Sons", "GBP"), client_row("C2", "Brook Partners", "GBP")]}
    return merge(uk_mappings(), clients, *bills)


def state_of(firm: Firm, key: str) -> State:
    return firm.documents("UK")[DocKey.parse(key)].state


def in_xero(firm: Firm, number: str) -> int:
    with firm.xero.lock:
        return len(invoices_numbered(firm.xero.tenant("UK"), number))


def notice(page: Page) -> str:
    return page.locator("main .notice[role=status]").inner_text()


def check(page: Page, address: str, where: str) -> None:
    """axe-core and the keyboard on a page the flow reached, in another profile of the same person (one that
    lets axe's script in)."""
    page.goto(address)
    accessible(page, where)


def audit_says(page: Page, *words: str) -> None:
    page.goto(pages_path("/audit"))
    log = page.locator("main").inner_text()
    assert all(word in log for word in words), log


def test_an_entity_is_connected_on_xeros_consent_page_and_then_posts(
    firm: Firm, pages: LocalWeb, open_page: Callable[..., Page]
) -> None:
    organisation = firm.xero.tenant("UK").name
    page = open_page(pages, ADMIN)
    page.goto(pages_path("/connect"))
    assert "Not connected" in page.get_by_role("row", name=re.compile(r"^UK")).inner_text()

    page.get_by_role("button", name="Connect Xero organisations").click()
    # Xero's own page (the local Xero's), as a person sees it: choose the organisations and allow access.
    page.wait_for_url(f"{firm.xero.url}/identity/connect/authorize?**")
    assert "wants access to your Xero organisations" in page.locator("h1").inner_text()
    for other in ("IE", "US"):
        page.get_by_label(firm.xero.tenant(other).name).uncheck()
    page.get_by_role("button", name="Allow access").click()

    # Back on the pages (the callback checked state and PKCE): which entity posts to the organisation.
    page.wait_for_url(f"**{pages_path('/connect/choose')}?attempt=*")
    assert urlsplit(page.url).netloc == urlsplit(pages.url).netloc
    check(open_page(pages, ADMIN, bypass_csp=True), page.url, "the choice of each organisation's entity")
    page.get_by_label(f"Entity for {organisation}").select_option("UK")
    page.get_by_role("button", name="Connect the chosen entities").click()
    page.wait_for_url(f"**{pages_path('/connect')}?**")
    assert f"UK posts to {organisation}" in notice(page)
    assert organisation in page.get_by_role("row", name=re.compile(r"^UK")).inner_text()

    with firm.uow.for_entity("UK") as work:
        binding = work.connection.binding()
    assert binding is not None and binding.tenant_id == UK_TENANT_ID and binding.kind is ConnectionKind.APP
    assert binding.bound_by == "Alex Admin"
    audit_says(page, "connect", "Alex Admin", organisation)

    firm.night({"UK": night(bill_rows("B1", "C1", [("100.00", "20.00", "4000", "S", "LON", "LIT")]))})
    assert firm.post("UK").status is PostingStatus.DONE
    assert state_of(firm, "bills|B1") is State.POSTED and in_xero(firm, "INV-B1") == 1


def test_a_document_xero_refused_is_retried_from_the_exceptions_page_and_then_posts(
    firm: Firm, pages: LocalWeb, open_page: Callable[..., Page]
) -> None:
    firm.xero.set_lock_date("UK", date(2026, 10, 31))
    firm.night({"UK": night(
        bill_rows("B1", "C1", [("100.00", "20.00", "4000", "S", "LON", "LIT")], day="2026-10-15"),  # locked
        bill_rows("B2", "C2", [("200.00", "40.00", "4000", "S", "LON", "LIT")]),
    )})  # fmt: skip
    firm.connect("UK")
    assert firm.post("UK").status is PostingStatus.DONE
    assert state_of(firm, "bills|B1") is State.REJECTED and in_xero(firm, "INV-B1") == 0

    page = open_page(pages, ADMIN)
    page.goto(pages_path("/exceptions", entity="UK"))
    refused = page.locator("article", has=page.get_by_role("heading", name=re.compile(r"\(bills\|B1\)")))
    said = refused.inner_text()
    assert "period lock date of 31 Oct 2026" in said, said
    assert "change the lock date in Xero or the document's date in the PMS, then retry" in said

    firm.xero.set_lock_date("UK", None)  # the cause fixed in Xero, as the page said
    refused.get_by_role("button", name="Retry").click()
    page.wait_for_url(f"**{pages_path('/exceptions')}?**")
    assert "UK bills|B1 is queued and goes to Xero on the next run" in notice(page)
    assert page.get_by_role("heading", name=re.compile(r"\(bills\|B1\)")).count() == 0

    assert firm.post("UK").status is PostingStatus.DONE
    assert state_of(firm, "bills|B1") is State.POSTED and in_xero(firm, "INV-B1") == 1
    audit_says(page, "retry", "bills|B1", "Alex Admin")


def test_a_new_nominal_code_mapped_on_the_mappings_page_releases_the_document_it_held(
    firm: Firm, pages: LocalWeb, open_page: Callable[..., Page]
) -> None:
    firm.night({"UK": night(
        bill_rows("B1", "C1", [("100.00", "20.00", "4000", "S", "LON", "LIT")]),
        bill_rows("B5", "C1", [("90.00", "18.00", "4999", "S", "LON", "LIT")]),  # 4999: no mapping
    )})  # fmt: skip
    firm.connect("UK")
    assert firm.post("UK").status is PostingStatus.DONE
    assert state_of(firm, "bills|B5") is State.WAITING and in_xero(firm, "INV-B5") == 0

    page = open_page(pages, ADMIN)
    page.goto(pages_path("/mappings/UK"))
    nominal = page.locator("section", has=page.get_by_role("heading", name="Nominal codes", exact=True))
    first = nominal.locator("tbody tr").first  # codes without a mapping come first
    assert "Nominal code 4999" in first.inner_text() and "1 document held" in first.inner_text()

    page.get_by_role("button", name="Refresh from Xero").click()  # Xero's accounts, to choose from
    page.wait_for_url(f"**{pages_path('/mappings/UK')}?**")
    assert "Read from Xero" in notice(page)
    check(open_page(pages, ADMIN, bypass_csp=True), page.url, "the mappings with Xero's lists")
    page.get_by_label("Xero value for Nominal code 4999").first.select_option("200")
    page.get_by_role("button", name="Set Nominal code 4999").first.click()
    page.wait_for_url(f"**{pages_path('/mappings/UK')}?**")
    assert "Nominal code 4999 now maps to 200" in notice(page)
    assert "1 document held was released for posting" in notice(page)
    assert state_of(firm, "bills|B5") is State.READY

    assert firm.post("UK").status is PostingStatus.DONE
    assert state_of(firm, "bills|B5") is State.POSTED and in_xero(firm, "INV-B5") == 1
    with firm.xero.lock:
        [invoice] = invoices_numbered(firm.xero.tenant("UK"), "INV-B5")
        assert [line.account_code for line in invoice.lines] == ["200"]
    audit_says(page, "map nominal", "4999", "Alex Admin")
