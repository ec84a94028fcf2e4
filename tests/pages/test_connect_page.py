"""The connect pages against the local Xero over HTTP: the authorization code flow (state and PKCE) through
the emulator's consent page, binding organisations to entities, refusing whatever is not genuine or not the
entity's organisation, disconnecting, the roles, and no secret on any page."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, parse_qsl, urljoin, urlsplit

import pytest
import requests

from cynare.presentation.pages.connect_page import attempt_store, xero_app
from cynare.presentation.pages.web import PageResponse
from cynare.sandbox.xero.apps import WEB_2026_CLIENT_ID, WEB_2026_SECRET
from cynare.sandbox.xero.seed import IE_TENANT_ID, UK_TENANT_ID, US_TENANT_ID
from cynare.service_layer.xero_port import Binding, ConnectionKind, Credentials
from tests.a11y import A11yReport
from tests.e2e.test_posting_night import Firm
from tests.pages.conftest import Visit

PAGES = "http://127.0.0.1:7071"
CALLBACK = f"{PAGES}/api/pages/connect/callback"
SETTINGS = {"CYNARE_XERO_CLIENT_ID": WEB_2026_CLIENT_ID, "CYNARE_XERO_CLIENT_SECRET": WEB_2026_SECRET,
            "CYNARE_PAGES_URL": PAGES}  # fmt: skip
ADMIN = "Alex Admin"
_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"')
_CHOICE = re.compile(r'id="org-(\d+)-hint">Base currency (\w+); tenant <span class="code">([0-9a-f-]+)</span>')


@dataclass
class Browser:
    """One person's pages, every response kept so that the test can search them all for secrets."""

    firm: Firm
    visit: Visit
    name: str = ADMIN
    role: str = "admin"
    seen: list[PageResponse] = field(default_factory=list)

    def get(self, path: str, query: Mapping[str, str] | None = None, **options: object) -> PageResponse:
        return self._keep(self.visit(self.firm.app, path, query=query, name=self.name, role=self.role,
                                     environ=SETTINGS, **options))  # fmt: skip

    def post(self, path: str, form: Mapping[str, str] | None = None, **options: object) -> PageResponse:
        return self._keep(self.visit(self.firm.app, path, method="POST", form=form, name=self.name, role=self.role,
                                     environ=SETTINGS, **options))  # fmt: skip

    def _keep(self, response: PageResponse) -> PageResponse:
        self.seen.append(response)
        return response

    def as_(self, name: str, role: str = "admin") -> Browser:
        return Browser(self.firm, self.visit, name, role, self.seen)


def location(response: PageResponse) -> str:
    assert response.status == 303, (response.status, response.body[:2000])
    return dict(response.headers)["Location"]


def text(response: PageResponse) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.body.decode("utf-8")))


def to_xero(browser: Browser, path: str = "/connect/start") -> str:
    """Press "Connect Xero organisations" (or an entity's Reconnect): the address of Xero's consent page."""
    address = location(browser.post(path))
    assert address.startswith(f"{browser.firm.xero.url}/identity/connect/authorize?")
    return address


def allow(consent_page: str, tenants: Iterable[str]) -> dict[str, str]:
    """On the local Xero's consent page, as a person: choose the organisations and allow access. Xero's answer
    (the query it redirects the browser to the callback with)."""
    page = requests.get(consent_page, timeout=10)
    assert page.status_code == 200, page.text
    form = {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}
    reply = requests.post(urljoin(consent_page, "/identity/connect/authorize"),
                          data={**form, "tenant_id": list(tenants), "approve": "1"}, allow_redirects=False,
                          timeout=10)  # fmt: skip
    assert reply.status_code == 302, reply.text
    back = reply.headers["Location"]
    assert back.startswith(CALLBACK + "?"), back
    return dict(parse_qsl(urlsplit(back).query))


def choices_page(browser: Browser, answer: Mapping[str, str]) -> tuple[PageResponse, str, dict[str, int]]:
    """Xero's answer to the callback, then the choice page: it, its attempt id and each tenant's field."""
    choose = urlsplit(location(browser.get("/connect/callback", answer)))
    assert choose.path == "/api/pages/connect/choose"
    page = browser.get("/connect/choose", dict(parse_qsl(choose.query)))
    assert page.status == 200, text(page)
    attempt = dict(_HIDDEN.findall(page.body.decode()))["attempt"]
    return page, html.unescape(attempt), {tenant: int(index) for index, _, tenant in _CHOICE.findall(text(page))}


def bind(browser: Browser, attempt: str, fields: Mapping[str, int], chosen: Mapping[str, str]) -> PageResponse:
    form = {"attempt": attempt, **{f"org-{index}": chosen.get(tenant, "") for tenant, index in fields.items()}}
    return browser.post("/connect/bind", form)


def connect(browser: Browser, chosen: Mapping[str, str]) -> PageResponse:
    """The whole flow: the organisations of `chosen` (tenant id -> entity) consented to and bound."""
    answer = allow(to_xero(browser), chosen)
    _, attempt, fields = choices_page(browser, answer)
    return bind(browser, attempt, fields, chosen)


def binding(firm: Firm, entity: str) -> tuple[Binding | None, Credentials | None]:
    with firm.uow.for_entity(entity) as work:
        return work.connection.binding(), work.connection.credentials()


def nothing_bound(firm: Firm) -> bool:
    return all(binding(firm, entity) == (None, None) for entity in firm.uow.entities())


def actions(firm: Firm, entity: str = "") -> list[str]:
    return [entry.action for entry in firm.app.audit.recent(entity=entity)]


def posts_to(firm: Firm, entity: str) -> str:
    """The organisation the entity's door opens on, as a night's posting opens it (token, scopes, tenant, binding)."""
    bound, _ = binding(firm, entity)
    assert bound is not None
    with firm.uow.for_entity(entity) as work:
        api = firm.app.connector.connect(bound, work.connection)
    return str(api.call("GET", "/Organisation").body["Organisations"][0]["Name"])


def assert_no_secret(pages: Iterable[PageResponse], secrets: Iterable[str]) -> None:
    for page in pages:
        shown = page.body.decode("utf-8", errors="replace") + " ".join(value for _, value in page.headers)
        for secret in secrets:
            assert secret and secret not in shown and html.escape(secret) not in shown


@pytest.fixture
def browser(page_firm: Firm, visit: Visit) -> Browser:
    return Browser(page_firm, visit)


# --- the flow --------------------------------------------------------------------------------------------


def test_connecting_through_xeros_consent_page_binds_the_entity_to_its_organisation(browser: Browser) -> None:
    firm = browser.firm
    overview = browser.get("/connect")
    assert overview.status == 200 and "Connect Xero organisations" in text(overview)
    policy = dict(overview.headers)["Content-Security-Policy"]
    assert f"form-action 'self' {firm.xero.url};" in policy and "script-src" not in policy
    assert [v for k, v in overview.headers if k == "Content-Security-Policy"] == [policy]  # one policy, not two

    consent_page = to_xero(browser)
    asked = {key: values[0] for key, values in parse_qs(urlsplit(consent_page).query).items()}
    assert asked["client_id"] == WEB_2026_CLIENT_ID and asked["redirect_uri"] == CALLBACK
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert "offline_access" in asked["scope"].split() and "client_secret" not in consent_page
    # The verifier stays here, sealed: it is read back only to prove it is on no page.
    nonce = asked["state"].rpartition(".")[0].partition("|")[0]
    started = attempt_store(firm.app).get(nonce)
    assert started is not None and started.person == ADMIN and started.verifier
    assert started.verifier not in consent_page

    answer = allow(consent_page, [UK_TENANT_ID])
    assert answer["state"] == asked["state"] and answer["code"]
    page, attempt, fields = choices_page(browser, answer)
    assert fields == {UK_TENANT_ID: 0}
    assert 'label for="org-0">Entity for Harrow &amp; Vance LLP</label>' in page.body.decode()
    assert nothing_bound(firm)  # not before the person chose

    done = bind(browser, attempt, fields, {UK_TENANT_ID: "UK"})
    assert urlsplit(location(done)).path == "/api/pages/connect"
    bound, credentials = binding(firm, "UK")
    assert bound is not None and credentials is not None
    assert (bound.tenant_id, bound.kind, bound.client_id, bound.bound_by, bound.base_currency) == (
        UK_TENANT_ID, ConnectionKind.APP, WEB_2026_CLIENT_ID, ADMIN, "GBP")  # fmt: skip
    assert credentials.refresh_token and credentials.client_secret == WEB_2026_SECRET
    assert binding(firm, "IE") == (None, None) and binding(firm, "US") == (None, None)
    assert posts_to(firm, "UK") == "Harrow & Vance LLP"
    assert {"connect started", "connect consent", "connect"} <= set(actions(firm))
    assert "Harrow & Vance LLP" in next(e.detail for e in firm.app.audit.recent(entity="UK") if e.action == "connect")

    after = browser.get("/connect", dict(parse_qsl(urlsplit(location(done)).query)))
    shown = text(after)
    assert "Connected: UK posts to Harrow & Vance LLP." in shown and UK_TENANT_ID in shown
    assert "Reconnect UK" in shown and "Disconnect UK" in shown and "Connect IE" in shown
    assert_no_secret(browser.seen, [WEB_2026_SECRET, started.verifier, credentials.access_token,
                                    credentials.refresh_token, firm.app.settings.token_key])  # fmt: skip


def test_one_consent_binds_several_entities_each_with_its_own_refresh_token(browser: Browser) -> None:
    firm = browser.firm
    chosen = {UK_TENANT_ID: "UK", IE_TENANT_ID: "IE", US_TENANT_ID: ""}  # US's organisation is left alone
    location(connect(browser, chosen))
    (uk, uk_secrets), (ie, ie_secrets) = binding(firm, "UK"), binding(firm, "IE")
    assert uk is not None and ie is not None and uk_secrets is not None and ie_secrets is not None
    assert (uk.tenant_id, ie.tenant_id) == (UK_TENANT_ID, IE_TENANT_ID) and binding(firm, "US") == (None, None)
    # Refresh tokens are single use: two entities sharing one would spend each other's.
    assert uk_secrets.refresh_token != ie_secrets.refresh_token
    assert posts_to(firm, "UK") == "Harrow & Vance LLP"
    assert posts_to(firm, "IE") == "Harrow & Vance Ireland Limited"


def test_an_organisation_chosen_for_the_wrong_entity_is_refused_beside_its_field_and_nothing_is_saved(
    browser: Browser, axe: Callable[..., A11yReport]
) -> None:
    firm = browser.firm
    _, attempt, fields = choices_page(browser, allow(to_xero(browser), [UK_TENANT_ID, US_TENANT_ID]))
    refused = bind(browser, attempt, fields, {UK_TENANT_ID: "IE", US_TENANT_ID: "US"})  # UK's books are in GBP
    assert refused.status == 400
    page = refused.body.decode()
    index = fields[UK_TENANT_ID]
    shown = text(refused)
    assert "Nothing was connected" in shown
    assert "which is not IE's organisation: its base currency is GBP, and IE's is EUR" in shown
    assert f'aria-describedby="org-{index}-hint org-{index}-error" aria-invalid="true"' in page
    assert re.search(rf'id="org-{index}-error">[^<]*Harrow &amp; Vance LLP[^<]*GBP[^<]*EUR', page)
    assert f'href="#org-{index}"' in page  # the summary leads to the field
    assert "aria-invalid" not in page.split(f'id="org-{fields[US_TENANT_ID]}"')[1].split(">")[0]
    assert nothing_bound(firm)  # US's choice was right, and is not saved either
    assert "connect refused" in actions(firm)
    axe(refused, name="connect-choose-refused")

    # The same consent, chosen again correctly, binds.
    location(bind(browser, attempt, fields, {UK_TENANT_ID: "UK", US_TENANT_ID: "US"}))
    assert binding(firm, "UK")[0] is not None and binding(firm, "US")[0] is not None


def test_the_same_entity_twice_or_no_entity_at_all_is_refused(browser: Browser) -> None:
    _, attempt, fields = choices_page(browser, allow(to_xero(browser), [UK_TENANT_ID, US_TENANT_ID]))
    twice = bind(browser, attempt, fields, {UK_TENANT_ID: "UK", US_TENANT_ID: "UK"})
    assert twice.status == 400 and "UK is chosen for 'Harrow & Vance LLP' as well" in text(twice)
    none = bind(browser, attempt, fields, {})
    assert none.status == 400 and "Choose an entity for at least one organisation" in text(none)
    unknown = bind(browser, attempt, fields, {UK_TENANT_ID: "XX"})
    assert unknown.status == 400 and "'XX' is not one of the firm's entities" in text(unknown)
    assert nothing_bound(browser.firm)


# --- the state -----------------------------------------------------------------------------------------


def test_a_tampered_a_borrowed_and_a_reused_state_are_refused_and_nothing_is_saved(
    browser: Browser, axe: Callable[..., A11yReport]
) -> None:
    firm = browser.firm
    answer = allow(to_xero(browser), [UK_TENANT_ID])
    state = answer["state"]

    nonce, _, rest = state.partition("|")
    tampered = browser.get("/connect/callback", {**answer, "state": nonce[:-1] + ("A" if nonce[-1] != "A" else "B")
                                                 + "|" + rest})  # fmt: skip
    assert tampered.status == 400 and "is not one these pages made" in text(tampered)
    assert "Nothing was connected: start again from the connect page." in text(tampered)

    borrowed = browser.as_("Bea Admin").get("/connect/callback", answer)
    assert borrowed.status == 400 and "someone else started" in text(borrowed)
    missing = browser.get("/connect/callback", {"code": answer["code"]})
    assert missing.status == 400 and "without the state" in text(missing)
    assert nothing_bound(firm)

    # Neither spent the attempt: its own person finishes it, once.
    first = browser.get("/connect/callback", answer)
    assert first.status == 303, text(first)
    again = browser.get("/connect/callback", answer)
    assert again.status == 400 and "finished already" in text(again)
    assert nothing_bound(firm)
    refused = [e.detail for e in firm.app.audit.recent() if e.action == "connect refused"]
    assert any(d.startswith("tampered state") for d in refused) and any(d.startswith("used state") for d in refused)
    assert any(d.startswith("another person's state") for d in refused)
    axe(tampered, name="connect-refused")  # last: Xero's code lives 0.5 s at this test's time scale


def test_the_choice_belongs_to_the_person_who_started_and_is_used_once(browser: Browser) -> None:
    firm = browser.firm
    _, attempt, fields = choices_page(browser, allow(to_xero(browser), [UK_TENANT_ID]))
    other = browser.as_("Bea Admin")
    assert other.get("/connect/choose", {"attempt": attempt}).status == 400
    assert bind(other, attempt, fields, {UK_TENANT_ID: "UK"}).status == 400
    assert nothing_bound(firm)
    location(bind(browser, attempt, fields, {UK_TENANT_ID: "UK"}))
    assert bind(browser, attempt, fields, {UK_TENANT_ID: "UK"}).status == 400  # spent


def test_a_late_answer_and_a_cancel_on_xeros_page_connect_nothing(browser: Browser) -> None:
    firm = browser.firm
    answer = allow(to_xero(browser), [UK_TENANT_ID])
    late = browser.get("/connect/callback", answer, now=datetime.now(UTC) + timedelta(minutes=11))
    assert late.status == 400 and "has expired" in text(late)

    cancelled = allow_or_cancel(to_xero(browser))
    assert cancelled["error"] == "access_denied"
    denied = browser.get("/connect/callback", cancelled)
    assert denied.status == 400 and "You cancelled on Xero's page. Nothing was connected" in text(denied)
    assert nothing_bound(firm)


def allow_or_cancel(consent_page: str) -> dict[str, str]:
    page = requests.get(consent_page, timeout=10)
    form = {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}
    reply = requests.post(urljoin(consent_page, "/identity/connect/authorize"), data={**form, "cancel": "1"},
                          allow_redirects=False, timeout=10)  # fmt: skip
    return dict(parse_qsl(urlsplit(reply.headers["Location"]).query))


# --- disconnect, reconnect -----------------------------------------------------------------------------------


def test_disconnect_removes_the_binding_tells_xero_and_is_in_the_audit_log(browser: Browser) -> None:
    firm = browser.firm
    location(connect(browser, {UK_TENANT_ID: "UK", IE_TENANT_ID: "IE"}))
    _, credentials = binding(firm, "UK")
    assert credentials is not None

    notice = dict(parse_qsl(urlsplit(location(browser.post("/connect/UK/disconnect"))).query))["notice"]
    assert "UK is disconnected from Harrow & Vance LLP" in notice and "Xero no longer lets the app reach it" in notice
    assert binding(firm, "UK") == (None, None)
    entry = next(e for e in firm.app.audit.recent(entity="UK") if e.action == "disconnect")
    assert entry.who == ADMIN and "Xero was told" in entry.detail and UK_TENANT_ID in entry.detail
    # In Xero the app no longer reaches UK's organisation; IE's still posts.
    reached = requests.get(f"{firm.xero.url}/connections", timeout=10,
                           headers={"Authorization": f"Bearer {credentials.access_token}"}).json()  # fmt: skip
    assert [c["tenantId"] for c in reached] == [IE_TENANT_ID]
    assert posts_to(firm, "IE") == "Harrow & Vance Ireland Limited"

    again = dict(parse_qsl(urlsplit(location(browser.post("/connect/UK/disconnect"))).query))["notice"]
    assert "UK is not connected to Xero, so there is nothing to disconnect" in again


def test_a_custom_connection_is_disconnected_here_and_xero_is_not_asked(browser: Browser) -> None:
    firm = browser.firm
    firm.connect("US")
    notice = dict(parse_qsl(urlsplit(location(browser.post("/connect/US/disconnect"))).query))["notice"]
    assert "custom connection still exists in Xero's developer portal" in notice
    assert binding(firm, "US") == (None, None) and "disconnect" in actions(firm, "US")


def test_reconnect_goes_through_xero_again_and_keeps_the_entity_on_its_organisation(browser: Browser) -> None:
    firm = browser.firm
    firm.connect("UK")  # a custom connection, moved to the app
    consent_page = to_xero(browser, "/connect/UK/reconnect")
    page, attempt, fields = choices_page(browser, allow(consent_page, [UK_TENANT_ID]))
    assert re.search(r'<option value="UK" selected>', page.body.decode())  # bound to it already
    location(bind(browser, attempt, fields, {UK_TENANT_ID: "UK"}))
    bound, _ = binding(firm, "UK")
    assert bound is not None and bound.kind is ConnectionKind.APP and bound.tenant_id == UK_TENANT_ID
    assert "reconnect started" in actions(firm, "UK")


def selected(page: PageResponse, index: int) -> str:
    """The entity the choice page proposes for the organisation of field `index` ("" = do not bind)."""
    block = page.body.decode().split(f'<select id="org-{index}"')[1].split("</select>")[0]
    found = re.search(r'<option value="([^"]*)" selected>', block)
    return found.group(1) if found else ""


def test_connecting_one_entity_proposes_the_organisation_in_its_currency(browser: Browser) -> None:
    browser.firm.connect("US")
    consent_page = to_xero(browser, "/connect/IE/reconnect")
    page, _, fields = choices_page(browser, allow(consent_page, [UK_TENANT_ID, IE_TENANT_ID, US_TENANT_ID]))
    proposed = {tenant: selected(page, index) for tenant, index in fields.items()}
    assert proposed == {UK_TENANT_ID: "", IE_TENANT_ID: "IE", US_TENANT_ID: "US"}  # US: bound to it already


# --- who may, and what is shown ---------------------------------------------------------------------------


def test_a_viewer_cannot_start_bind_or_disconnect(browser: Browser) -> None:
    firm = browser.firm
    firm.connect("UK")
    viewer = browser.as_("Vic Viewer", "viewer")
    page = viewer.get("/connect")
    assert page.status == 200 and "Disconnect UK" not in text(page) and "<form" not in page.body.decode()
    for path in ("/connect/start", "/connect/UK/reconnect", "/connect/UK/disconnect", "/connect/bind"):
        refused = viewer.post(path, {"attempt": "x", "org-0": "UK"})
        assert refused.status == 403 and "Only an administrator can do this" in text(refused), path
    assert viewer.get("/connect/callback", {"code": "c", "state": "s"}).status == 403
    assert binding(firm, "UK")[0] is not None


def test_a_forged_form_is_refused(browser: Browser) -> None:
    browser.firm.connect("UK")
    forged = browser.post("/connect/UK/disconnect", csrf=False)
    assert forged.status == 403 and "could not be accepted" in text(forged)
    assert binding(browser.firm, "UK")[0] is not None


def test_the_connect_page_escapes_what_it_shows_and_meets_wcag_22_aa(
    browser: Browser, axe: Callable[..., A11yReport]
) -> None:
    firm = browser.firm
    person = browser.as_('Ann <script>alert("x")</script>')
    location(connect(person, {UK_TENANT_ID: "UK"}))
    page = person.get("/connect")
    body = page.body.decode()
    assert "<script" not in body and "&lt;script&gt;alert(" in body
    report = axe(page, name="connect")
    assert report.incomplete == [], report.incomplete
    assert len(report.focus_stops) >= 5  # skip link, nav, the entities' actions, the connect button
    assert_no_secret(browser.seen, [WEB_2026_SECRET])
    _, credentials = binding(firm, "UK")
    assert credentials is not None
    assert_no_secret(browser.seen, [credentials.access_token, credentials.refresh_token])
    axe(browser.as_("Vic Viewer", "viewer").get("/connect"), name="connect-viewer")


def test_without_its_settings_the_page_says_what_to_set() -> None:
    assert xero_app({})[0] is None and "CYNARE_XERO_CLIENT_ID" in xero_app({})[1]
    app, setup = xero_app({**SETTINGS, "CYNARE_PAGES_URL": "http://cynare.example"})
    assert app is None and "https://<app>.azurewebsites.net" in setup
    app, _ = xero_app({**SETTINGS, "CYNARE_PAGES_URL": "https://cynare.azurewebsites.net/"})
    assert app is not None and app.redirect_uri == "https://cynare.azurewebsites.net/api/pages/connect/callback"
    assert WEB_2026_SECRET not in repr(app)


def test_an_unconfigured_app_shows_the_settings_and_starts_nothing(page_firm: Firm, visit: Visit) -> None:
    page = visit(page_firm.app, "/connect")
    assert "needs the settings CYNARE_XERO_CLIENT_ID, CYNARE_XERO_CLIENT_SECRET, CYNARE_PAGES_URL" in text(page)
    assert "Connect Xero organisations</button>" not in page.body.decode()
    started = visit(page_firm.app, "/connect/start", method="POST")
    assert urlsplit(location(started)).path == "/api/pages/connect"
