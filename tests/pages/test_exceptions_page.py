"""The exceptions page, through the pages' own request handling (sign-in, CSRF, roles, headers) over a real
firm on Azurite with its own local Xero: Xero's refusals, a document held too long and stopped entities,
each with what to do; filters and pages; retry, skip with a note and run again, each in the audit log;
forged forms and viewers change nothing; whatever the PMS says is escaped; WCAG 2.2 AA by axe-core."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from html import unescape
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State
from cynare.presentation.pages.csrf import Csrf
from cynare.presentation.pages.principal import ADMIN_ROLE, VIEWER_ROLE
from cynare.presentation.pages.signing import Signer
from cynare.presentation.pages.site import handle
from cynare.presentation.pages.web import PageRequest, PageResponse
from cynare.sandbox.xero.emulator import Emulator
from cynare.service_layer.posting.run import PostingStatus
from cynare.service_layer.xero_port import IssueKind
from tests.a11y import assert_accessible
from tests.batches import Rows, merge
from tests.e2e.test_posting_night import Firm, bill_rows, client_row, make_firm, uk_mappings

pytestmark = pytest.mark.azurite

ENVIRON = {"WEBSITE_AUTH_ENABLED": "true"}  # App Service Authentication: the principal header is trusted
SCRIPT_NAME = "<script>alert(1)</script>"
LOCK_DATE = date(2026, 10, 31)
LATER = 27  # bills dated before the lock date besides B1: with B1 and B3, 29 refusals, two pages of 25


def principal(name: str, role: str) -> dict[str, str]:
    claims = [{"typ": "name", "val": name}, {"typ": "roles", "val": role}]
    encoded = base64.b64encode(json.dumps({"auth_typ": "aad", "claims": claims}).encode()).decode()
    return {"x-ms-client-principal": encoded}


ADMIN = principal("Ann Admin", ADMIN_ROLE)
VIEWER = principal("Vic Viewer", VIEWER_ROLE)


class Pages:
    """The firm's pages as a browser reaches them, at a moment of the test's choosing."""

    def __init__(self, firm: Firm) -> None:
        self.firm = firm
        self.now = datetime.now(UTC)

    def get(self, path: str, who: dict[str, str] = ADMIN, **query: str) -> PageResponse:
        return self._call(PageRequest("GET", path, query=query, headers=who))

    def post(self, path: str, form: dict[str, str], who: dict[str, str] = ADMIN) -> PageResponse:
        return self._call(PageRequest("POST", path, form=form, headers=who))

    def token(self, who: dict[str, str] = ADMIN) -> str:
        """The token the admin's page carries; for a viewer, whose page has no form, one made as it would be."""
        if who is ADMIN:
            return csrf_of(html(self.get("/exceptions", who)))
        key = base64.b64decode(self.firm.app.settings.token_key)
        return Csrf(Signer(key, "csrf")).token("Vic Viewer", self.now)

    def _call(self, request: PageRequest) -> PageResponse:
        return handle(request, self.firm.app, self.firm.app.audit, ENVIRON, self.now)


def html(response: PageResponse) -> str:
    return response.body.decode("utf-8")


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page carries no CSRF token"
    return unescape(found.group(1))


def notice_of(response: PageResponse) -> str:
    assert response.status == 303, (response.status, html(response)[:2000])
    location = dict(response.headers)["Location"]
    assert location.startswith("/api/pages/exceptions"), location
    return parse_qs(urlsplit(location).query).get("notice", [""])[0]


def titles(page: str) -> list[str]:
    """Each listed exception's heading, as read."""
    return [unescape(re.sub(r"<[^>]+>", "", t)) for t in re.findall(r'<h3 id="title-[^"]+">(.*?)</h3>', page)]


def as_shown(page: str) -> str:
    """The page with its one stylesheet inline, as the browser has it (the file is not served at its address)."""
    css = files("cynare.presentation.pages").joinpath("static", "site.css").read_text(encoding="utf-8")
    shown = page.replace('<link rel="stylesheet" href="/api/pages/static/site.css">', f"<style>{css}</style>")
    assert shown != page
    return shown


def night() -> Rows:
    late = [bill_rows(f"L{n:02d}", "C2", [("10.00", "2.00", "4000", "S", "LON", "LIT")], day="2026-10-20")
            for n in range(1, LATER + 1)]  # fmt: skip
    return merge(
        uk_mappings(),
        {
            "clients": [
                client_row("C1", SCRIPT_NAME, "GBP"),
                client_row("C2", "Brook Partners", "GBP"),
                client_row("C3", "Dunmore Inc", "USD"),
            ]
        },
        bill_rows("B1", "C1", [("100.00", "20.00", "4000", "S", "LON", "LIT")], day="2026-10-15"),  # the lock date
        bill_rows("B2", "C2", [("200.00", "40.00", "4000", "S", "LON", "LIT")]),  # posts
        bill_rows("B3", "C3", [("300.00", "0.00", "4100", "E", "LON", "LIT")], currency="USD", rate="1.27"),
        bill_rows("B5", "C2", [("90.00", "18.00", "4999", "S", "LON", "LIT")]),  # 4999 is not mapped: held
        *late,
    )


@pytest.fixture
def firm(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator]
) -> Firm:
    """UK's night posted: B1 and the L bills before Xero's lock date, B3 in a currency the organisation lacks,
    B5 held on an unmapped nominal; IE and US not connected."""
    made = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator)
    made.xero.set_lock_date("UK", LOCK_DATE)
    made.xero.unsubscribe_currency("UK", "USD")
    made.night({"UK": night()})
    made.connect("UK")
    assert made.post("UK").status is PostingStatus.DONE
    return made


def state_of(firm: Firm, key: str) -> State:
    return firm.documents("UK")[DocKey.parse(key)].state


def test_each_exception_is_listed_with_xeros_words_and_the_fix_filtered_and_paged(firm: Firm) -> None:
    pages = Pages(firm)
    first = pages.get("/exceptions")
    assert first.status == 200
    page = html(first)
    # Rejected, oldest first: 25 of 29 on the first page, the held bill not yet (held under 3 days).
    assert "29 exceptions" in page and "Showing 1–25 of 29 (page 1 of 2)" in page
    shown = titles(page)
    assert len(shown) == 25 and 'href="/api/pages/exceptions?page=2"' in page
    second = html(pages.get("/exceptions", page="2"))
    assert "Showing 26–29 of 29 (page 2 of 2)" in second and len(titles(second)) == 4
    assert 'href="/api/pages/exceptions?page=1"' in second
    assert not set(titles(second)) & set(shown)
    both = page + second
    assert {"UK: bill INV-B1, GBP 120.00 (bills|B1)", "UK: bill INV-B3, USD 300.00 (bills|B3)"} <= {
        *shown,
        *titles(second),
    }
    assert not any("B5" in t for t in [*shown, *titles(second)])
    assert "The document date cannot be before the period lock date of 31 Oct 2026" in both
    assert "change the lock date in Xero or the document&#39;s date in the PMS, then retry" in both
    assert "Organisation is not subscribed to currency USD" in both
    assert "add the currency in Xero, then retry" in both
    # Whatever the PMS says is text, never markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in both and "<script" not in both

    # By the refusal's kind, and by entity: US and IE have posted nothing yet.
    currency = html(pages.get("/exceptions", cause="rejected:currency"))
    assert titles(currency) == ["UK: bill INV-B3, USD 300.00 (bills|B3)"]
    assert '<option value="rejected:currency" selected>Rejected by Xero: currency (1)</option>' in currency
    assert '<option value="rejected:lock date">Rejected by Xero: lock date (28)</option>' in currency
    assert "0 exceptions matching the filter" in html(pages.get("/exceptions", entity="US"))
    assert firm.post("US").status is PostingStatus.NOT_CONNECTED
    us = html(pages.get("/exceptions", entity="US"))
    assert titles(us) == ["US: stopped, not connected"]
    assert 'href="/api/pages/connect"' in us and "connect the entity to its Xero organisation" in us
    # Anything else in the query is no filter at all.
    odd = html(pages.get("/exceptions", entity="<b>XX</b>", cause="rejected:nonsense", age="3", page="x"))
    assert "30 exceptions</h2>" in odd and "&lt;b&gt;XX" not in odd and "<b>XX" not in odd

    # Four days on: B5 is held too long, with what it waits on and a way to the mapping it needs.
    pages.now += timedelta(days=4)
    held = html(pages.get("/exceptions", cause="held"))
    assert titles(held) == ["UK: bill INV-B5, GBP 108.00 (bills|B5)"]
    assert "waiting on mapping: nominal 4999 (UK) (no mapping row)" in held
    assert "map the code" in held and "4 days" in held
    assert (
        'href="/api/pages/mappings/UK?kind=nominal&amp;code=4999">Fix the mapping of nominal code 4999 for UK' in held
    )
    assert "Skip with a note" in held and "Retry</button>" not in held  # a held document cannot be retried
    assert "31 exceptions matching the filter" in html(pages.get("/exceptions", age="1"))
    assert "0 exceptions matching the filter" in html(pages.get("/exceptions", age="7"))

    # A viewer sees it all and no action.
    viewer = html(pages.get("/exceptions", VIEWER, cause="rejected:currency"))
    assert titles(viewer) == titles(currency)
    assert "Retry</button>" not in viewer and "Skip with a note" not in viewer
    assert "An administrator can retry or skip this." in viewer

    assert_accessible(as_shown(page), name="exceptions-list")
    assert_accessible(as_shown(held), name="exceptions-held")


def test_a_retry_from_the_page_after_the_cause_is_fixed_posts_on_the_next_run(firm: Firm) -> None:
    pages = Pages(firm)
    with firm.xero.lock:
        firm.xero.tenant("UK").currencies.append("USD")  # a person adds the currency in Xero
    back = "cause=rejected%3Acurrency&page=1"
    queued = firm.app.queue.peek_entities().count("UK")
    notice = notice_of(pages.post("/exceptions/UK/retry", {"csrf_token": pages.token(), "key": "bills|B3",
                                                             "back": back}))  # fmt: skip
    assert notice == "UK bills|B3 is queued and goes to Xero on the next run."
    assert state_of(firm, "bills|B3") is State.READY
    assert firm.app.queue.peek_entities().count("UK") == queued + 1
    [entry] = firm.app.audit.recent(entity="UK")
    assert (entry.who, entry.action, entry.detail) == ("Ann Admin", "retry", "bills|B3")

    assert firm.post("UK").status is PostingStatus.DONE
    assert state_of(firm, "bills|B3") is State.POSTED
    after = html(pages.get("/exceptions", cause="rejected:currency", notice=notice))
    assert '<p class="notice" role="status">UK bills|B3 is queued' in after
    assert "0 exceptions matching the filter" in after

    # Retrying what is no longer rejected says so and changes nothing.
    again = notice_of(pages.post("/exceptions/UK/retry", {"csrf_token": pages.token(), "key": "bills|B3"}))
    assert again.startswith("Nothing was retried: UK bills|B3 cannot be retried: it is posted, not rejected")
    assert len(firm.app.audit.recent(entity="UK")) == 1


def test_skip_needs_a_note_tied_to_its_field_then_settles_the_document(firm: Firm) -> None:
    pages = Pages(firm)
    form = {"csrf_token": pages.token(), "key": "bills|B1", "back": "cause=rejected%3Alock+date", "note": "   "}
    refused = pages.post("/exceptions/UK/skip", form)
    assert refused.status == 400
    page = html(refused)
    field = re.search(r"<textarea [^>]*>", page)
    assert field, page
    error_id = re.search(r'<span class="field-error" id="([^"]+)">Write why it is skipped', page)
    assert error_id, "the error is shown beside the field"
    assert 'aria-invalid="true"' in field.group(0) and error_id.group(1) in field.group(0)
    assert re.search(r'<details class="skip" open>', page) and 'role="alert"' in page
    assert "selected>Rejected by Xero: lock date (28)</option>" in page  # the list as it was
    assert state_of(firm, "bills|B1") is State.REJECTED and firm.app.audit.recent() == []
    assert_accessible(as_shown(page), name="exceptions-skip-error")

    form["note"] = "entered in Xero by hand as INV-0042"
    assert notice_of(pages.post("/exceptions/UK/skip", form)) == "UK bills|B1 is skipped and will not be sent to Xero."
    skipped = firm.documents("UK")[DocKey.parse("bills|B1")]
    assert skipped.state is State.CANCELLED and "entered in Xero by hand as INV-0042" in skipped.reason
    [entry] = firm.app.audit.recent(entity="UK")
    assert (entry.action, entry.detail) == ("skip", "bills|B1: entered in Xero by hand as INV-0042")
    assert "(bills|B1)" not in html(pages.get("/exceptions"))


def test_a_forged_form_or_a_viewers_action_is_refused_and_changes_nothing(firm: Firm) -> None:
    pages = Pages(firm)
    firm.app.poisoned("IE", "the message failed 5 times: boom")
    before = firm.documents("UK")
    form = {"key": "bills|B1", "note": "forged"}
    for path in ("/exceptions/UK/retry", "/exceptions/UK/skip", "/exceptions/IE/run-again"):
        for token in ("", "forged.token", pages.token(VIEWER)):  # none, made up, another person's
            refused = pages.post(path, {**form, "kind": "poisoned", "csrf_token": token})
            assert refused.status == 403 and "This form could not be accepted" in html(refused)
        as_viewer = pages.post(path, {**form, "kind": "poisoned", "csrf_token": pages.token(VIEWER)}, VIEWER)
        assert as_viewer.status == 403 and "Only an administrator can do this" in html(as_viewer)
    assert firm.documents("UK") == before and firm.app.audit.recent() == []
    with firm.uow.for_entity("IE") as work:
        assert [i.kind for i in work.issues.open()] == [IssueKind.POISONED]
    # Names that are not the firm's are no page at all.
    bad = pages.post("/exceptions/XX/retry", {"csrf_token": pages.token(), "key": "bills|B1"})
    assert bad.status == 404
    assert pages.post("/exceptions/UK/retry", {"csrf_token": pages.token(), "key": "nonsense|B1"}).status == 404


def test_a_stopped_entity_is_listed_first_and_runs_again(firm: Firm) -> None:
    pages = Pages(firm)
    firm.app.poisoned("IE", "the message failed 5 times: boom")
    page = html(pages.get("/exceptions"))
    assert titles(page)[0] == "IE: stopped, poisoned"
    assert "the message failed 5 times: boom" in page and "read the error in the app&#39;s log" in page
    assert "Run IE again</button>" in page
    notice = notice_of(pages.post("/exceptions/IE/run-again", {"csrf_token": pages.token(), "kind": "poisoned",
                                                              "back": "entity=IE"}))  # fmt: skip
    assert notice == "IE is queued: its posting runs again now."
    with firm.uow.for_entity("IE") as work:
        assert work.issues.open() == []
    assert "IE" in firm.app.queue.peek_entities()
    [entry] = firm.app.audit.recent(entity="IE")
    assert (entry.action, entry.detail) == ("run again", "after poisoned")
    assert "0 exceptions matching the filter" in html(pages.get("/exceptions", entity="IE"))
