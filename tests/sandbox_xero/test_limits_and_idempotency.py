"""Rate limits with the time scale, and Idempotency-Key."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from xero_python.accounting import Invoices
from xero_python.exceptions import AccountingBadRequestException

from cynare.sandbox.xero.clock import ManualClock
from cynare.sandbox.xero.limits import APP_PER_MINUTE, RateLimits
from tests.sandbox_xero.conftest import UK, invoice


def _get(em, token, path="/Organisation"):
    return requests.get(
        f"{em.accounting_url}{path}", headers={"Authorization": f"Bearer {token}", "xero-tenant-id": UK}, timeout=10
    )


def test_every_response_carries_the_remaining_headers(xero_emulator):
    reply = _get(xero_emulator, xero_emulator.token("UK"))
    assert reply.headers["X-DayLimit-Remaining"] == "4999"
    assert reply.headers["X-MinLimit-Remaining"] == "59"
    assert reply.headers["X-AppMinLimit-Remaining"] == "9999"


def test_minute_limit_with_a_scaled_clock(make_xero_emulator):
    em = make_xero_emulator(time_scale=1 / 20, validate=False)  # an emulated minute lasts 3 real seconds
    token = em.token("UK")
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": UK}
    statuses = [
        session.get(f"{em.accounting_url}/Currencies", headers=headers, timeout=10).status_code for _ in range(60)
    ]
    refused = session.get(f"{em.accounting_url}/Currencies", headers=headers, timeout=10)
    if 429 not in statuses and refused.status_code == 200:
        pytest.skip("the machine was too slow to make 60 calls inside 3 seconds")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 3
    time.sleep(wait)
    assert session.get(f"{em.accounting_url}/Currencies", headers=headers, timeout=10).status_code == 200
    assert em.counts()[UK].throttled >= 1


def test_day_limit_is_configurable_per_tenant(make_xero_emulator):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    em.set_day_limit("UK", 3)
    token = em.token("UK")
    assert [_get(em, token).status_code for _ in range(3)] == [200, 200, 200]
    refused = _get(em, token)
    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) > 80_000
    clock.advance(timedelta(days=1))
    assert _get(em, em.token("UK")).status_code == 200  # the old token expired meanwhile


def test_five_calls_in_flight_then_429(xero_emulator):
    token = xero_emulator.token("UK")
    xero_emulator.inject("slow", count=6, entity="UK", seconds=0.6)
    results: list[requests.Response] = []
    threads = [threading.Thread(target=lambda: results.append(_get(xero_emulator, token))) for _ in range(6)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)
    for thread in threads:
        thread.join()
    refused = [r for r in results if r.status_code == 429]
    assert len(refused) == 1 and refused[0].headers["X-Rate-Limit-Problem"] == "concurrent"
    assert "Retry-After" not in refused[0].headers
    assert xero_emulator.counts()[UK].in_flight_peak == 5
    xero_emulator.faults.clear()


def test_app_minute_limit_across_tenants():
    clock = ManualClock()
    limits = RateLimits(clock)
    for n in range(APP_PER_MINUTE):
        assert limits.acquire("app", f"tenant-{n % 200}", 5000) is None
        limits.release("app", f"tenant-{n % 200}")
    refusal = limits.acquire("app", "tenant-new", 5000)
    assert refusal is not None and refusal.problem == "appminute" and refusal.retry_after == 60
    clock.advance(60)
    assert limits.acquire("app", "tenant-new", 5000) is None


def test_sdk_does_not_retry_429(xero_api, xero_emulator):
    from xero_python.exceptions import RateLimitException

    xero_emulator.set_day_limit("UK", 0)
    with pytest.raises(RateLimitException) as caught:
        xero_api.get_organisations(UK)
    assert caught.value.http_resp.status == 429
    assert xero_emulator.counts()[UK].throttled == 1


def test_idempotency_key_replays_refuses_a_different_body_and_expires(make_xero_emulator):
    from cynare.sandbox.xero.testing import sdk_client

    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    api = sdk_client(em, "UK")
    batch = Invoices(invoices=[invoice(invoice_number="IDEM-1")])
    first = api.create_invoices(UK, batch, idempotency_key="post-IDEM-1").invoices[0]
    again = api.create_invoices(UK, batch, idempotency_key="post-IDEM-1").invoices[0]
    assert again.invoice_id == first.invoice_id
    assert len(em.tenant("UK").invoices) == 1
    assert [r.replayed for r in em.log.records() if r.method == "PUT"] == [False, True]
    with pytest.raises(AccountingBadRequestException) as caught:
        api.create_invoices(UK, Invoices(invoices=[invoice(invoice_number="IDEM-2")]), idempotency_key="post-IDEM-1")
    assert "different request" in json.loads(caught.value.body)["Message"]
    clock.advance(timedelta(minutes=6, seconds=1))
    with pytest.raises(AccountingBadRequestException) as caught:
        api.create_invoices(UK, batch, idempotency_key="post-IDEM-1")  # really sent again: the number is taken
    assert "Invoice # must be unique." in caught.value.body.decode()
    assert Decimal(str(len(em.tenant("UK").invoices))) == 1
