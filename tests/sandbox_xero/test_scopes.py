"""Scopes: granular ones for apps from March 2026, broad ones for older apps, Xero's 401 outside them."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from xero_python.accounting import Contact, Contacts, Invoices
from xero_python.exceptions import HTTPStatusException

from cynare.sandbox.xero import apps, routes, scopes, seed
from cynare.sandbox.xero.books_file import SAMPLE
from tests.sandbox_xero.conftest import UK, invoice

REDIRECT = "http://localhost:5000/callback"
INVOICE = {
    "Type": "ACCREC",
    "Contact": {"Name": "Scoped Client"},
    "Status": "AUTHORISED",
    "LineItems": [{"Description": "Fees", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}],
}


def _call(em, token: str, method: str, path: str, body: dict | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": UK, "Accept": "application/json"}
    return requests.request(method, f"{em.accounting_url}/{path}", json=body, headers=headers, timeout=10)


def _refused(reply: requests.Response) -> bool:
    body = reply.json()
    uuid.UUID(body.pop("Instance"))
    return reply.status_code == 401 and body == {
        "Type": None,
        "Title": "Unauthorized",
        "Status": 401,
        "Detail": "AuthorizationUnsuccessful",
        "Extensions": {},
    }


def test_a_read_scope_cannot_write(xero_emulator, xero_accounting):
    """The point of the issue: a token with accounting.contacts.read could create contacts."""
    api = xero_accounting("UK", scope="accounting.contacts.read")
    assert api.get_contacts(UK).contacts == []
    with pytest.raises(HTTPStatusException) as caught:
        api.create_contacts(UK, Contacts(contacts=[Contact(name="Not Allowed")]))
    assert caught.value.http_resp.status == 401 and b"AuthorizationUnsuccessful" in caught.value.body
    assert xero_emulator.tenant("UK").contacts == {}  # nothing was done
    token = xero_emulator.token("UK", "accounting.contacts.read")
    assert _refused(_call(xero_emulator, token, "PUT", "Contacts", {"Contacts": [{"Name": "Nor This"}]}))
    assert _refused(_call(xero_emulator, token, "GET", "Invoices"))


@pytest.mark.parametrize(
    ("scope", "allowed", "refused"),
    [
        (
            "accounting.invoices accounting.contacts.read",
            [("PUT", "Invoices"), ("GET", "Invoices"), ("GET", "CreditNotes"), ("GET", "Contacts")],
            [("GET", "Payments"), ("GET", "BankTransactions"), ("GET", "Accounts"), ("GET", "Reports/TrialBalance")],
        ),
        (
            "accounting.invoices.read accounting.payments.read accounting.banktransactions.read",
            [("GET", "Invoices"), ("GET", "Payments"), ("GET", "Overpayments"), ("GET", "BankTransactions")],
            [("PUT", "Invoices"), ("PUT", "Payments"), ("PUT", "BankTransactions"), ("GET", "Contacts")],
        ),
        (
            "accounting.settings.read accounting.reports.trialbalance.read",
            [("GET", "Accounts"), ("GET", "TaxRates"), ("GET", "Organisation"), ("GET", "Reports/TrialBalance")],
            [("GET", "Reports/BalanceSheet"), ("GET", "Invoices")],
        ),
        (
            "accounting.transactions.read accounting.reports.read",
            [
                ("GET", "Invoices"),
                ("GET", "Payments"),
                ("GET", "Reports/BalanceSheet"),
                ("GET", "Reports/TrialBalance"),
            ],
            [("PUT", "Invoices"), ("PUT", "Payments"), ("GET", "Contacts"), ("GET", "Accounts")],
        ),
    ],
)
def test_each_scope_covers_its_resources(xero_emulator, scope, allowed, refused):
    token = xero_emulator.token("UK", scope)
    for method, path in allowed:
        reply = _call(xero_emulator, token, method, path, {"Invoices": [INVOICE]} if method == "PUT" else None)
        assert reply.status_code == 200, (scope, method, path, reply.text)
    for method, path in refused:
        assert _refused(_call(xero_emulator, token, method, path, {} if method == "PUT" else None)), (method, path)


def test_broad_scopes_still_serve_older_apps(xero_api):
    made = xero_api.create_invoices(UK, Invoices(invoices=[invoice()])).invoices[0]
    assert made.total == 120
    assert xero_api.get_report_trial_balance(UK).reports[0].report_type == "TrialBalance"
    assert xero_api.get_accounts(UK).accounts


def test_a_token_asks_only_for_scopes_the_connection_has(xero_emulator):
    client = seed.ENTITY_CLIENTS["UK"]
    for scope in ("accounting.unknown", "openid accounting.contacts", "accounting.transactions nonsense"):
        reply = requests.post(
            xero_emulator.token_url,
            data={"grant_type": "client_credentials", "scope": scope},
            auth=(client.client_id, client.client_secret),
            timeout=5,
        )
        assert (reply.status_code, reply.json()) == (400, {"error": "invalid_scope"}), scope
    reply = requests.post(
        xero_emulator.token_url,
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
        timeout=5,
    )
    assert reply.json()["scope"] == scopes.DEFAULT_SCOPE


def test_a_granular_only_connection_from_a_books_file(make_xero_emulator):
    books = {
        "format": "cynare-xero-books/1",
        "organisations": [
            {
                **{k: v for k, v in _sample_uk().items() if k not in ("connection", "tenant_id")},
                "entity": "NEW",
                "connection": {"scopes": ["accounting.invoices", "accounting.contacts"]},
            }
        ],
    }
    em = make_xero_emulator(books=books)
    client = em.client_for("NEW")
    assert client.default_scope == "accounting.invoices accounting.contacts"
    with pytest.raises(requests.HTTPError):
        em.token("NEW", "accounting.transactions")
    token = em.token("NEW")
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": em.tenant("NEW").tenant_id}
    assert requests.get(f"{em.accounting_url}/Invoices", headers=headers, timeout=5).status_code == 200
    assert requests.get(f"{em.accounting_url}/Payments", headers=headers, timeout=5).status_code == 401


def _sample_uk() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))["organisations"][0]


def _authorize(em, client_id: str, scope: str) -> requests.Response:
    return requests.get(
        f"{em.url}/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": "s9",
        },
        allow_redirects=False,
        timeout=5,
    )


def _form(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


def test_consent_page_names_each_scope_in_words_and_cancel_denies(xero_emulator):
    page = _authorize(
        xero_emulator, apps.WEB_2026_CLIENT_ID, "openid offline_access accounting.invoices accounting.reports.aged.read"
    )
    assert page.status_code == 200
    for scope in ("openid", "offline_access", "accounting.invoices", "accounting.reports.aged.read"):
        assert scopes.WORDS[scope] in page.text and f"<code>{scope}</code>" in page.text
    assert '<button type="submit" name="cancel" value="1"' in page.text
    reply = requests.post(
        f"{xero_emulator.url}/identity/connect/authorize",
        data={**_form(page.text), "tenant_id": [seed.UK_TENANT_ID], "cancel": "1"},
        allow_redirects=False,
        timeout=5,
    )
    target = urlparse(reply.headers["Location"])
    assert reply.status_code == 302 and target.geturl().startswith(REDIRECT)
    assert parse_qs(target.query) == {"error": ["access_denied"], "state": ["s9"]}


def test_an_app_from_2026_cannot_ask_for_broad_scopes(xero_emulator):
    reply = _authorize(xero_emulator, apps.WEB_2026_CLIENT_ID, "openid accounting.transactions")
    assert reply.status_code == 302
    assert parse_qs(urlparse(reply.headers["Location"]).query) == {"error": ["invalid_scope"], "state": ["s9"]}
    # An older app may ask for either generation.
    assert (
        _authorize(xero_emulator, apps.WEB_CLIENT_ID, "accounting.transactions accounting.payments").status_code == 200
    )


def test_a_consented_token_carries_exactly_its_scopes(xero_emulator):
    page = _authorize(xero_emulator, apps.WEB_2026_CLIENT_ID, "offline_access accounting.invoices.read")
    reply = requests.post(
        f"{xero_emulator.url}/identity/connect/authorize",
        data={**_form(page.text), "tenant_id": [seed.UK_TENANT_ID]},
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlparse(reply.headers["Location"]).query)["code"][0]
    token = requests.post(
        xero_emulator.token_url,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(apps.WEB_2026_CLIENT_ID, apps.WEB_2026_SECRET),
        timeout=5,
    ).json()
    assert token["scope"] == "offline_access accounting.invoices.read"
    assert _call(xero_emulator, token["access_token"], "GET", "Invoices").status_code == 200
    assert _refused(_call(xero_emulator, token["access_token"], "PUT", "Invoices", {"Invoices": [INVOICE]}))
    refreshed = requests.post(
        xero_emulator.token_url,
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(apps.WEB_2026_CLIENT_ID, apps.WEB_2026_SECRET),
        timeout=5,
    ).json()
    assert _refused(_call(xero_emulator, refreshed["access_token"], "GET", "Payments"))


def _paths(route: routes.Route) -> list[str]:
    """Sample paths a route answers (each alternative of an alternation)."""
    pattern = route.pattern.pattern.strip("^$")
    choices = re.findall(r"\(\?P<\w+>([A-Za-z|]+)\)", pattern)
    filled = re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "0f0e0d0c-0000-4000-8000-000000000001", pattern)
    if not choices:
        return [filled]
    return [re.sub(r"\(\?P<\w+>[A-Za-z|]+\)", option, filled) for option in choices[0].split("|")]


def test_every_route_needs_a_known_scope():
    for route in routes.ROUTES:
        for path in _paths(route):
            assert route.pattern.match(path), path
            assert scopes.accepted(route.method, path), f"no scope for {route.method} {path}: add it to scopes.py"
