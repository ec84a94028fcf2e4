"""Connections and tokens against the local Xero: custom connections, the app flow with PKCE, rotating
refresh tokens saved before use and refreshed by one worker at a time, scopes, and the binding check."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from cynare.adapters.xero.auth import (
    APP_SCOPES,
    REQUIRED_SCOPES,
    TenantConnection,
    TokenGrant,
    TokenKeeper,
    XeroIdentity,
    check_binding,
    check_scopes,
    missing_scopes,
    pkce_pair,
    verify_tenant_reachable,
)
from cynare.adapters.xero.http import XeroHttpApi
from cynare.adapters.xero.pacer import Pacer
from cynare.sandbox.xero.apps import WEB_2026_CLIENT_ID, WEB_2026_SECRET, WEB_CLIENT_ID, WEB_SECRET
from cynare.sandbox.xero.clock import ManualClock
from cynare.sandbox.xero.emulator import Emulator
from cynare.service_layer.xero_port import Binding, ConnectionKind, Credentials, Problem, XeroCallFailed
from tests.integration.xero.conftest import MemoryConnections, assert_no_secret, binding_for, wire

REDIRECT = "http://localhost:5000/callback"


class CountingIdentity(XeroIdentity):
    """The emulator's identity service, counting grants; a refresh can be made slow to widen a race."""

    def __init__(self, em: Emulator, refresh_delay: float = 0.0) -> None:
        base = XeroIdentity.local(em.url, timeout=10)
        super().__init__(base.token_url, base.connections_url, base.authorize_endpoint, 10)
        self.client_credentials_calls = 0
        self.refresh_calls = 0
        self._delay = refresh_delay

    def client_credentials(self, *args: Any, **kwargs: Any) -> TokenGrant:
        self.client_credentials_calls += 1
        return super().client_credentials(*args, **kwargs)

    def refresh(self, *args: Any, **kwargs: Any) -> TokenGrant:
        self.refresh_calls += 1
        time.sleep(self._delay)
        return super().refresh(*args, **kwargs)


def authorise(
    em: Emulator, identity: XeroIdentity, client_id: str, scopes: tuple[str, ...], tenants: list[str]
) -> tuple[str, str]:
    """Through the consent page as a person would: the authorisation code and the PKCE verifier."""
    verifier, challenge = pkce_pair()
    url = identity.authorize_url(client_id, REDIRECT, scopes, "state-1", challenge)
    page = requests.get(url, timeout=10)
    assert page.status_code == 200, page.text
    form = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)}
    reply = requests.post(
        f"{em.url}/identity/connect/authorize",
        data={**form, "tenant_id": tenants, "approve": "1"},
        allow_redirects=False,
        timeout=10,
    )
    assert reply.status_code == 302
    query = parse_qs(urlparse(reply.headers["Location"]).query)
    assert query["state"] == ["state-1"], query
    return query["code"][0], verifier


def connect_app(em: Emulator, tenants: list[str], entity: str = "UK") -> tuple[Binding, MemoryConnections, TokenGrant]:
    """Connect `entity` through the 2026 app (granular scopes), as the implementer does once."""
    identity = XeroIdentity.local(em.url)
    code, verifier = authorise(em, identity, WEB_2026_CLIENT_ID, APP_SCOPES, tenants)
    grant = identity.exchange_code(WEB_2026_CLIENT_ID, WEB_2026_SECRET, code, REDIRECT, verifier, now=em.clock.now())
    check_scopes(entity, grant.scopes, ConnectionKind.APP)
    binding = binding_for(em, entity, ConnectionKind.APP, WEB_2026_CLIENT_ID)
    credentials = Credentials(
        client_secret=WEB_2026_SECRET,
        access_token=grant.access_token,
        access_expires_at=grant.expires_at,
        refresh_token=grant.refresh_token,
        refresh_issued_at=em.clock.now(),
        scopes=grant.scopes,
    )
    return binding, MemoryConnections(binding, credentials), grant


# --- identity ---------------------------------------------------------------------------------------


def test_identity_endpoints_real_and_local() -> None:
    real = XeroIdentity.real()
    assert real.token_url == "https://identity.xero.com/connect/token"
    assert real.connections_url == "https://api.xero.com/connections"
    assert real.authorize_endpoint == "https://login.xero.com/identity/connect/authorize"
    local = XeroIdentity.local("http://127.0.0.1:8765/")
    assert local.token_url == "http://127.0.0.1:8765/connect/token"
    assert local.connections_url == "http://127.0.0.1:8765/connections"
    assert local.authorize_endpoint == "http://127.0.0.1:8765/identity/connect/authorize"


def test_pkce_pair_and_authorize_url() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128 and re.fullmatch(r"[A-Za-z0-9_-]+", verifier)
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == expected
    assert pkce_pair()[0] != verifier
    url = XeroIdentity.real().authorize_url("CID", REDIRECT, APP_SCOPES, "s", challenge)
    query = parse_qs(urlparse(url).query)
    assert url.startswith("https://login.xero.com/identity/connect/authorize?")
    assert query["scope"] == [" ".join(APP_SCOPES)] and query["code_challenge"] == [challenge]
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]


def test_token_grant_repr_shows_no_secret() -> None:
    grant = TokenGrant("access-secret", datetime.now(UTC), "refresh-secret", ("accounting.invoices",))
    assert "secret" not in repr(grant) and "accounting.invoices" in repr(grant)


def test_wrong_client_secret_says_what_to_do(xero_emulator):
    client = xero_emulator.client_for("UK")
    with pytest.raises(XeroCallFailed) as caught:
        XeroIdentity.local(xero_emulator.url).client_credentials(client.client_id, "not-the-secret", entity="UK")
    failed = caught.value
    assert failed.problem is Problem.UNAUTHORIZED and failed.status == 400
    assert "check the client id and secret stored for UK" in str(failed)
    assert "not-the-secret" not in str(failed)
    assert_no_secret(str(failed), xero_emulator)


# --- custom connections -----------------------------------------------------------------------------


def test_custom_connection_token_is_obtained_once_and_cached(make_xero_emulator):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    binding = binding_for(em, "UK")
    connections = MemoryConnections(binding, Credentials(client_secret=em.client_for("UK").client_secret))
    identity = CountingIdentity(em)
    keeper = TokenKeeper(binding, connections, identity, clock.now)
    first = keeper.access_token()
    reads = connections.reads
    assert keeper.access_token() == keeper.access_token() == first
    assert identity.client_credentials_calls == 1
    assert connections.reads == reads  # a token it knows to be fresh costs no read of the store
    stored = connections.stored()
    assert stored.access_token == first and stored.client_secret == em.client_for("UK").client_secret
    assert stored.access_expires_at == clock.now() + timedelta(minutes=30)
    assert "accounting.transactions" in stored.scopes and not missing_scopes(stored.scopes)
    clock.advance(timedelta(minutes=27, seconds=30))  # 2.5 minutes left: still used
    assert keeper.access_token() == first
    clock.advance(timedelta(minutes=1))  # 1.5 minutes left: too little for a batch
    second = keeper.access_token()
    assert second != first and identity.client_credentials_calls == 2
    assert connections.stored().access_token == second
    assert first not in repr(stored) and stored.client_secret not in repr(keeper)


class LosingConnections(MemoryConnections):
    """Another worker stores its token just before our first save."""

    def __init__(self, em: Emulator, binding: Binding, credentials: Credentials) -> None:
        super().__init__(binding, credentials)
        self.em = em
        self.winner = ""

    def save_credentials(self, credentials: Credentials) -> bool:
        if not self.winner:
            self.winner = self.em.token("UK")
            theirs = Credentials(
                client_secret=credentials.client_secret,
                access_token=self.winner,
                access_expires_at=self.em.clock.now() + timedelta(minutes=30),
                etag=credentials.etag,
            )
            assert super().save_credentials(theirs)
        return super().save_credentials(credentials)


def test_custom_connection_that_loses_the_save_uses_the_winners_token(xero_emulator):
    binding = binding_for(xero_emulator, "UK")
    connections = LosingConnections(
        xero_emulator, binding, Credentials(client_secret=xero_emulator.client_for("UK").client_secret)
    )
    keeper = TokenKeeper(binding, connections, XeroIdentity.local(xero_emulator.url), xero_emulator.clock.now)
    assert keeper.access_token() == connections.winner
    assert len(connections.saves) == 1


def test_an_entity_without_credentials_is_not_connected(xero_emulator):
    binding = binding_for(xero_emulator, "UK")
    keeper = TokenKeeper(
        binding, MemoryConnections(binding, None), XeroIdentity.local(xero_emulator.url), xero_emulator.clock.now
    )
    with pytest.raises(XeroCallFailed) as caught:
        keeper.access_token()
    assert caught.value.problem is Problem.UNAUTHORIZED
    assert str(caught.value).startswith("UK is not connected to Xero: connect it")


# --- the app flow ------------------------------------------------------------------------------------


def test_app_connects_with_pkce_and_reaches_the_chosen_organisations(xero_emulator, xero_tenant_ids):
    binding, connections, grant = connect_app(xero_emulator, [xero_tenant_ids["UK"], xero_tenant_ids["IE"]])
    assert grant.refresh_token and set(grant.scopes) == set(APP_SCOPES)
    identity = XeroIdentity.local(xero_emulator.url)
    reached = identity.connections(grant.access_token, entity="UK")
    assert [(c.tenant_id, c.tenant_name, c.tenant_type) for c in reached] == [
        (xero_tenant_ids["UK"], "Harrow & Vance LLP", "ORGANISATION"),
        (xero_tenant_ids["IE"], "Harrow & Vance Ireland Limited", "ORGANISATION"),
    ]
    assert all(isinstance(c, TenantConnection) and c.auth_event_id for c in reached)
    assert verify_tenant_reachable(identity, grant.access_token, binding).tenant_name == "Harrow & Vance LLP"
    keeper = TokenKeeper(binding, connections, identity, xero_emulator.clock.now)
    api = XeroHttpApi("UK", binding.tenant_id, xero_emulator.accounting_url, keeper.access_token, pacer=Pacer())
    check_binding(api, binding)
    api.call("PUT", "/Contacts", body={"Contacts": [{"Name": "App Client Ltd"}]})
    assert [c.name for c in xero_emulator.tenant("UK").contacts.values()] == ["App Client Ltd"]
    assert xero_emulator.tenant("IE").contacts == {}
    # A code is single use: exchanging it again says to start connecting again.
    code, verifier = authorise(xero_emulator, identity, WEB_2026_CLIENT_ID, APP_SCOPES, [xero_tenant_ids["UK"]])
    identity.exchange_code(WEB_2026_CLIENT_ID, WEB_2026_SECRET, code, REDIRECT, verifier)
    with pytest.raises(XeroCallFailed, match="start connecting UK again") as caught:
        identity.exchange_code(WEB_2026_CLIENT_ID, WEB_2026_SECRET, code, REDIRECT, verifier, entity="UK")
    assert code not in str(caught.value)


def test_refresh_rotates_and_the_new_refresh_token_is_saved_before_use(make_xero_emulator, xero_tenant_ids):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    binding, connections, grant = connect_app(em, [xero_tenant_ids["UK"]])
    identity = CountingIdentity(em)
    keeper = TokenKeeper(binding, connections, identity, clock.now)
    assert keeper.access_token() == grant.access_token
    clock.advance(timedelta(minutes=29))
    token = keeper.access_token()
    stored = connections.stored()
    assert identity.refresh_calls == 1 and token != grant.access_token
    assert stored.access_token == token
    assert stored.refresh_token and stored.refresh_token != grant.refresh_token
    assert stored.refresh_issued_at == clock.now()
    assert stored.client_secret == WEB_2026_SECRET  # kept
    api = XeroHttpApi("UK", binding.tenant_id, em.accounting_url, keeper.access_token, pacer=Pacer())
    assert api.call("GET", "/Organisation").status == 200
    # The stored (rotated) refresh token is the one that works once the old one's grace is over.
    clock.advance(timedelta(minutes=31))
    assert keeper.access_token() != token and identity.refresh_calls == 2
    assert_no_secret(repr(stored) + repr(keeper) + repr(connections.saves), em)


class BrokenSaves(MemoryConnections):
    def save_credentials(self, credentials: Credentials) -> bool:
        raise RuntimeError("the warehouse is unavailable")


def test_no_access_token_is_handed_out_until_the_rotated_refresh_token_is_saved(make_xero_emulator, xero_tenant_ids):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    binding, connections, _ = connect_app(em, [xero_tenant_ids["UK"]])
    broken = BrokenSaves(binding, connections.stored())
    identity = CountingIdentity(em)
    keeper = TokenKeeper(binding, broken, identity, clock.now)
    clock.advance(timedelta(minutes=29))
    with pytest.raises(RuntimeError, match="warehouse"):
        keeper.access_token()
    assert identity.refresh_calls == 1  # refreshed, but the token never left the keeper


@pytest.mark.parametrize("workers", [1, 2])
def test_two_threads_refreshing_at_once_make_exactly_one_refresh(make_xero_emulator, xero_tenant_ids, workers):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    binding, connections, grant = connect_app(em, [xero_tenant_ids["UK"]])
    identity = CountingIdentity(em, refresh_delay=0.2)
    slept: list[float] = []

    def short_sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(0.02)

    keepers = [TokenKeeper(binding, connections, identity, clock.now, short_sleep) for _ in range(workers)]
    clock.advance(timedelta(minutes=29))
    tokens: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(keeper: TokenKeeper) -> None:
        start.wait()
        try:
            tokens.append(keeper.access_token())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(keepers[n % workers],)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert identity.refresh_calls == 1
    assert len(tokens) == 2 and tokens[0] == tokens[1] != grant.access_token
    assert connections.stored().access_token == tokens[0]
    assert connections.claims == 1
    if workers == 2:
        assert slept  # the second worker waited for the first one's refresh instead of refreshing too


def test_a_worker_waits_30_seconds_for_anothers_refresh_then_gives_up(make_xero_emulator, xero_tenant_ids):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    binding, connections, _ = connect_app(em, [xero_tenant_ids["UK"]])
    clock.advance(timedelta(minutes=29))
    assert connections.claim_refresh(until=clock.now() + timedelta(minutes=5), now=clock.now())  # a stuck worker
    slept: list[float] = []
    keeper = TokenKeeper(binding, connections, CountingIdentity(em), clock.now, slept.append)
    with pytest.raises(XeroCallFailed) as caught:
        keeper.access_token()
    assert caught.value.problem is Problem.UNAUTHORIZED
    assert "another worker holds the refresh of UK's Xero token" in str(caught.value)
    assert sum(slept) == pytest.approx(30.0)


def test_app_connection_401_refreshes_once(make_xero_emulator, xero_tenant_ids):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    binding, connections, grant = connect_app(em, [xero_tenant_ids["UK"]])
    revoked = Credentials(
        client_secret=WEB_2026_SECRET,
        access_token="revoked-access-token",
        access_expires_at=clock.now() + timedelta(minutes=20),
        refresh_token=grant.refresh_token,
        refresh_issued_at=clock.now(),
    )
    connections = MemoryConnections(binding, revoked)
    identity = CountingIdentity(em)
    keeper = TokenKeeper(binding, connections, identity, clock.now)
    api = XeroHttpApi("UK", binding.tenant_id, em.accounting_url, keeper.access_token, pacer=Pacer())
    assert api.call("GET", "/Organisation").status == 200
    assert identity.refresh_calls == 1 and connections.stored().refresh_token != grant.refresh_token
    # Another thread's 401 on the old token, moments later, does not refresh (and rotate) again.
    assert keeper.access_token(force_refresh=True) == connections.stored().access_token
    assert identity.refresh_calls == 1


def test_an_expired_refresh_token_says_to_reconnect(make_xero_emulator, xero_tenant_ids):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    binding, connections, grant = connect_app(em, [xero_tenant_ids["UK"]])
    clock.advance(timedelta(days=61))
    keeper = TokenKeeper(binding, connections, XeroIdentity.local(em.url), clock.now)
    with pytest.raises(XeroCallFailed) as caught:
        keeper.access_token()
    failed = caught.value
    assert failed.problem is Problem.UNAUTHORIZED and "reconnect UK to Xero" in str(failed)
    assert "refresh token" in str(failed) and grant.refresh_token not in str(failed)
    assert_no_secret(str(failed), em)


# --- scopes ---------------------------------------------------------------------------------------------


def test_missing_scopes_accepts_the_broad_equivalents() -> None:
    assert missing_scopes(REQUIRED_SCOPES) == []
    assert (
        missing_scopes("accounting.transactions accounting.contacts accounting.settings accounting.reports.read") == []
    )
    assert missing_scopes(REQUIRED_SCOPES, ConnectionKind.APP) == ["offline_access"]
    assert missing_scopes(APP_SCOPES, ConnectionKind.APP) == []
    assert missing_scopes(["accounting.contacts.read", "accounting.invoices", "accounting.settings.read"]) == [
        "accounting.contacts",
        "accounting.payments",
        "accounting.banktransactions",
        "accounting.reports.trialbalance.read",
        "accounting.reports.aged.read",
    ]


def test_a_connection_granted_fewer_scopes_is_refused_listing_them(xero_emulator):
    client = xero_emulator.client_for("UK")
    grant = XeroIdentity.local(xero_emulator.url).client_credentials(
        client.client_id, client.client_secret, ["accounting.invoices", "accounting.contacts.read"]
    )
    assert grant.scopes == ("accounting.invoices", "accounting.contacts.read")
    with pytest.raises(XeroCallFailed) as caught:
        check_scopes("UK", grant.scopes)
    assert caught.value.problem is Problem.UNAUTHORIZED
    assert str(caught.value).startswith(
        "connecting UK to Xero needs the scopes accounting.contacts, accounting.payments, "
        "accounting.banktransactions, accounting.settings.read, accounting.reports.trialbalance.read, "
        "accounting.reports.aged.read, which the connection was not granted: "
    )
    with pytest.raises(XeroCallFailed, match="needs the scope offline_access, which"):
        check_scopes("UK", REQUIRED_SCOPES, ConnectionKind.APP)


def test_asking_for_scopes_an_app_does_not_have_is_refused(xero_emulator, xero_tenant_ids):
    client = xero_emulator.client_for("UK")
    identity = XeroIdentity.local(xero_emulator.url)
    with pytest.raises(XeroCallFailed, match="invalid_scope") as caught:
        identity.client_credentials(client.client_id, client.client_secret, ["payroll.employees"], entity="UK")
    assert "ask only for scopes it has" in str(caught.value)
    # A 2026 app asking for a broad scope: the consent page refuses at once, as Xero does.
    _, challenge = pkce_pair()
    url = identity.authorize_url(WEB_2026_CLIENT_ID, REDIRECT, ("accounting.transactions",), "s", challenge)
    reply = requests.get(url, allow_redirects=False, timeout=10)
    assert reply.status_code == 302 and "error=invalid_scope" in reply.headers["Location"]
    # The older app may still use the broad ones.
    broad = ("accounting.transactions", "offline_access")
    code, verifier = authorise(xero_emulator, identity, WEB_CLIENT_ID, broad, [xero_tenant_ids["UK"]])
    grant = identity.exchange_code(WEB_CLIENT_ID, WEB_SECRET, code, REDIRECT, verifier)
    assert missing_scopes(grant.scopes, ConnectionKind.APP) == [
        "accounting.contacts",
        "accounting.settings.read",
        "accounting.reports.trialbalance.read",
        "accounting.reports.aged.read",
    ]


# --- the binding ------------------------------------------------------------------------------------------


def test_check_binding_accepts_the_bound_organisation(xero_emulator):
    uk = wire(xero_emulator, "UK")
    check_binding(uk.api, uk.binding)


def test_check_binding_refuses_a_renamed_organisation(xero_emulator):
    uk = wire(xero_emulator, "UK")
    xero_emulator.tenant("UK").name = "Harrow & Vance Test Data LLP"
    with pytest.raises(XeroCallFailed) as caught:
        check_binding(uk.api, uk.binding)
    failed = caught.value
    assert failed.problem is Problem.FORBIDDEN
    message = str(failed)
    assert '"Harrow & Vance LLP"' in message and '"Harrow & Vance Test Data LLP"' in message
    assert "correct UK's binding" in message and "reconnect UK" in message
    assert_no_secret(message, xero_emulator)


def test_check_binding_refuses_another_base_currency(xero_emulator):
    uk = wire(xero_emulator, "UK")
    euro = replace(uk.binding, base_currency="EUR")
    with pytest.raises(XeroCallFailed) as caught:
        check_binding(uk.api, euro)
    assert caught.value.problem is Problem.FORBIDDEN
    assert "base currency EUR" in str(caught.value) and "keeps its books in GBP" in str(caught.value)


def test_check_binding_refuses_a_client_set_up_for_another_tenant(xero_emulator, xero_tenant_ids):
    ie = wire(xero_emulator, "IE")
    uk_binding = binding_for(xero_emulator, "UK")
    with pytest.raises(XeroCallFailed) as caught:
        check_binding(ie.api, uk_binding)
    assert caught.value.problem is Problem.FORBIDDEN
    assert xero_emulator.counts() == {}  # refused before any call


def test_an_app_connection_that_no_longer_reaches_the_tenant_is_forbidden(xero_emulator, xero_tenant_ids):
    _, _, grant = connect_app(xero_emulator, [xero_tenant_ids["UK"]])
    ie_binding = binding_for(xero_emulator, "IE", ConnectionKind.APP, WEB_2026_CLIENT_ID)
    with pytest.raises(XeroCallFailed) as caught:
        verify_tenant_reachable(XeroIdentity.local(xero_emulator.url), grant.access_token, ie_binding)
    failed = caught.value
    assert failed.problem is Problem.FORBIDDEN
    assert 'IE\'s Xero connection no longer reaches "Harrow & Vance Ireland Limited"' in str(failed)
    assert_no_secret(str(failed), xero_emulator)
