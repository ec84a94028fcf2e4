"""The identity service: grants, token lifetimes, /connections and tenant checks."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import requests
from xero_python.api_client import ApiClient
from xero_python.api_client.oauth2 import TokenApi
from xero_python.identity import IdentityApi

from cynare.sandbox.xero import seed
from cynare.sandbox.xero.clock import ManualClock
from cynare.sandbox.xero.testing import sdk_configuration

WEB = next(c for c in seed.CLIENTS if c.client_id == seed.WEB_CLIENT_ID)
REDIRECT = "http://localhost:5000/callback"


def _authorize(em, chosen: list[str]) -> str:
    page = requests.get(
        f"{em.url}/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": WEB.client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid accounting.transactions",
            "state": "s1",
        },
        timeout=5,
    )
    assert page.status_code == 200
    assert "Harrow &amp; Vance LLP" in page.text and "Harrow &amp; Vance US LLC" in page.text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    reply = requests.post(
        f"{em.url}/identity/connect/authorize", data={**form, "tenant_id": chosen}, allow_redirects=False, timeout=5
    )
    assert reply.status_code == 302
    target = urlparse(reply.headers["Location"])
    query = parse_qs(target.query)
    assert target.geturl().startswith(REDIRECT) and query["state"] == ["s1"]
    return query["code"][0]


def _exchange(em, **form) -> requests.Response:
    return requests.post(em.token_url, data=form, auth=(WEB.client_id, WEB.client_secret), timeout=5)


def _connections(em, access: str) -> requests.Response:
    return requests.get(f"{em.url}/connections", headers={"Authorization": f"Bearer {access}"}, timeout=5)


def test_authorization_code_flow_lists_consented_tenants(xero_emulator):
    code = _authorize(xero_emulator, [seed.UK_TENANT_ID, seed.US_TENANT_ID])
    token = _exchange(xero_emulator, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 1800 and token["refresh_token"]
    tenants = [c["tenantId"] for c in _connections(xero_emulator, token["access_token"]).json()]
    assert tenants == [seed.UK_TENANT_ID, seed.US_TENANT_ID]
    # The code is single use.
    again = _exchange(xero_emulator, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}


def test_sdk_identity_api_reads_connections(xero_emulator):
    code = _authorize(xero_emulator, [seed.IE_TENANT_ID])
    token = _exchange(xero_emulator, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
    store = {**token, "scope": token["scope"].split()}
    api_client = ApiClient(
        sdk_configuration(WEB.client_id, WEB.client_secret),
        oauth2_token_getter=lambda: store,
        oauth2_token_saver=store.update,
    )
    connections = IdentityApi(api_client, base_url=xero_emulator.url).get_connections()
    assert [(str(c.tenant_id), c.tenant_name, c.tenant_type) for c in connections] == [
        (seed.IE_TENANT_ID, "Harrow & Vance Ireland Limited", "ORGANISATION")
    ]


def test_refresh_tokens_rotate_with_a_grace_period_and_expire(make_xero_emulator):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    code = _authorize(em, [seed.UK_TENANT_ID])
    first = _exchange(em, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
    second = _exchange(em, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    clock.advance(timedelta(minutes=29))
    # The previous token still works inside the 30-minute grace...
    assert _exchange(em, grant_type="refresh_token", refresh_token=first["refresh_token"]).status_code == 200
    clock.advance(timedelta(minutes=2))
    # ...and not after it.
    assert _exchange(em, grant_type="refresh_token", refresh_token=first["refresh_token"]).json() == {
        "error": "invalid_grant"
    }
    clock.advance(timedelta(days=60, minutes=1))
    assert _exchange(em, grant_type="refresh_token", refresh_token=second["refresh_token"]).status_code == 400


def test_access_tokens_expire_after_30_minutes(make_xero_emulator):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    access = em.token("UK")
    headers = {"Authorization": f"Bearer {access}", "xero-tenant-id": seed.UK_TENANT_ID}
    assert requests.get(f"{em.accounting_url}/Organisation", headers=headers, timeout=5).status_code == 200
    clock.advance(timedelta(minutes=30, seconds=1))
    expired = requests.get(f"{em.accounting_url}/Organisation", headers=headers, timeout=5)
    assert expired.status_code == 401 and expired.json()["Detail"].startswith("TokenExpired")


def test_client_credentials_by_form_and_by_sdk(xero_emulator, monkeypatch):
    client = seed.ENTITY_CLIENTS["IE"]
    by_form = requests.post(
        xero_emulator.token_url,
        data={"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": client.client_secret},
        timeout=5,
    ).json()
    assert "refresh_token" not in by_form
    assert [c["tenantId"] for c in _connections(xero_emulator, by_form["access_token"]).json()] == [seed.IE_TENANT_ID]
    monkeypatch.setattr(TokenApi, "client_credentials_token_url", xero_emulator.token_url)
    store: dict = {}
    api_client = ApiClient(
        sdk_configuration(client.client_id, client.client_secret),
        oauth2_token_getter=lambda: store,
        oauth2_token_saver=store.update,
    )
    token = api_client.get_client_credentials_token()
    assert token["access_token"] and token["token_type"] == "Bearer"
    wrong = requests.post(
        xero_emulator.token_url, data={"grant_type": "client_credentials"}, auth=(client.client_id, "nope"), timeout=5
    )
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_client"}


def test_unknown_tenant_or_tenant_outside_the_token_is_403(xero_emulator):
    access = xero_emulator.token("UK")
    for tenant in (seed.IE_TENANT_ID, "00000000-0000-0000-0000-000000000000", ""):
        reply = requests.get(
            f"{xero_emulator.accounting_url}/Invoices",
            headers={"Authorization": f"Bearer {access}", "xero-tenant-id": tenant},
            timeout=5,
        )
        assert reply.status_code == 403, tenant
        assert reply.json()["Title"] == "Forbidden"
    assert requests.get(f"{xero_emulator.accounting_url}/Invoices", timeout=5).status_code == 401
    # The calls without a tenant header broke the spec on purpose: the contract check saw it.
    assert any("xero-tenant-id" in v for v in xero_emulator.violations)
    xero_emulator.violations.clear()
