"""XeroHttpApi against the local Xero: one tenant per entity, exact money, every failure mapped, usage."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from cynare.adapters.xero.http import XeroHttpApi
from cynare.adapters.xero.jsonio import dumps, xero_date
from cynare.adapters.xero.pacer import Pacer
from cynare.sandbox.xero.clock import ManualClock
from cynare.service_layer.xero_port import Credentials, Problem, XeroCallFailed
from tests.integration.xero.conftest import assert_no_secret, wire
from tests.integration.xero.test_jsonio_and_pacer import FakeTime


def invoice_body(contact: str = "Acme Ltd", unit: str = "100.00", account: str = "200", **extra: Any) -> dict[str, Any]:
    return {
        "Type": "ACCREC",
        "Contact": {"Name": contact},
        "Date": "2026-05-01",
        "DueDate": "2026-05-31",
        "Status": "AUTHORISED",
        "LineItems": [
            {
                "Description": "Fees",
                "Quantity": Decimal("1.5"),
                "UnitAmount": Decimal(unit),
                "AccountCode": account,
                "TaxType": "OUTPUT2",
            }
        ],
        **extra,
    }


def fails(api: XeroHttpApi, method: str, path: str, **kwargs: Any) -> XeroCallFailed:
    with pytest.raises(XeroCallFailed) as caught:
        api.call(method, path, **kwargs)
    return caught.value


def test_two_entities_side_by_side_each_reach_only_their_own_tenant(xero_emulator, xero_tenant_ids):
    uk, ie = wire(xero_emulator, "UK"), wire(xero_emulator, "IE")
    assert uk.binding.client_id != ie.binding.client_id
    names: dict[str, list[str]] = {"UK": [], "IE": []}

    def work(entity: str, api: XeroHttpApi) -> None:
        for n in range(4):
            org = api.call("GET", "/Organisation").body["Organisations"][0]
            names[entity].append(org["Name"])
            api.call(
                "PUT",
                "/Contacts",
                body={"Contacts": [{"Name": f"{entity} client {n}", "ContactNumber": f"{entity}-{n}"}]},
            )

    threads = [threading.Thread(target=work, args=(e.binding.entity, e.api)) for e in (uk, ie)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert set(names["UK"]) == {"Harrow & Vance LLP"} and len(names["UK"]) == 4
    assert set(names["IE"]) == {"Harrow & Vance Ireland Limited"} and len(names["IE"]) == 4
    for entity in ("UK", "IE"):
        contacts = {c.name for c in xero_emulator.tenant(entity).contacts.values()}
        assert contacts == {f"{entity} client {n}" for n in range(4)}
    counts = xero_emulator.counts()
    assert counts[xero_tenant_ids["UK"]].calls == uk.api.usage.calls == 8
    assert counts[xero_tenant_ids["IE"]].calls == ie.api.usage.calls == 8
    assert xero_tenant_ids["US"] not in counts
    # Two connections, two tokens, each stored with its own entity.
    uk_token, ie_token = uk.connections.stored().access_token, ie.connections.stored().access_token
    assert uk_token and ie_token and uk_token != ie_token


def test_decimal_amounts_are_exact_both_ways(xero_emulator):
    uk = wire(xero_emulator, "UK")
    body = {"Invoices": [invoice_body(unit="123.4567")]}
    created = uk.api.call("PUT", "/Invoices", params={"unitdp": "4"}, body=body).body["Invoices"][0]
    line = created["LineItems"][0]
    assert line["UnitAmount"] == Decimal("123.4567") and isinstance(line["UnitAmount"], Decimal)
    read = uk.api.call("GET", f"/Invoices/{created['InvoiceID']}", params={"unitdp": "4"}).body["Invoices"][0]
    line = read["LineItems"][0]
    assert line["UnitAmount"] == Decimal("123.4567")
    assert line["Quantity"] == Decimal("1.5")
    # 1.5 x 123.4567 = 185.18505: Xero rounds the line to cents, then tax per line.
    assert line["LineAmount"] == (Decimal("1.5") * Decimal("123.4567")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert read["SubTotal"] == Decimal("185.19") and read["TotalTax"] == Decimal("37.04")
    assert read["Total"] == Decimal("222.23") and isinstance(read["Total"], Decimal)
    assert xero_date(read["Date"]) == date(2026, 5, 1)
    stored = xero_emulator.tenant("UK").invoices[created["InvoiceID"]]
    assert stored.lines[0].unit_amount == Decimal("123.4567")


def test_usage_counts_calls_bytes_and_remaining_figures(xero_emulator):
    uk = wire(xero_emulator, "UK")
    first = uk.api.call("GET", "/Organisation")
    assert uk.api.usage.calls == 1 and uk.api.usage.bytes_sent == 0
    assert uk.api.usage.day_remaining == 4999 and uk.api.usage.minute_remaining == 59
    assert first.headers["x-daylimit-remaining"] == "4999"  # the reply's headers ignore case
    body = {"Contacts": [{"Name": "Usage Ltd"}]}
    reply = uk.api.call("PUT", "/Contacts", body=body)
    usage = uk.api.usage
    assert usage.calls == 2 and usage.throttled == 0
    assert usage.bytes_sent == len(dumps(body))
    assert usage.bytes_read > len(b'{"Contacts":[]}') and reply.status == 200
    assert (usage.day_remaining, usage.minute_remaining) == (4998, 58)


def test_each_call_sends_only_the_bound_tenant_and_logs_no_headers(xero_emulator, xero_tenant_ids, caplog):
    uk = wire(xero_emulator, "UK")
    uk.api.call("GET", "/Organisation")
    uk.api.call("GET", "/Currencies")
    assert {r.tenant_id for r in xero_emulator.log.records()} == {xero_tenant_ids["UK"]}
    lines = [r.getMessage() for r in caplog.records if r.name == "cynare.adapters.xero.http"]
    assert len(lines) == 2
    assert lines[0].startswith("xero UK GET /Organisation -> 200 in ")
    assert not any("Bearer" in line or "tenant" in line.lower() for line in lines)
    with pytest.raises(ValueError):
        XeroHttpApi("UK", "", xero_emulator.accounting_url, uk.keeper.access_token, pacer=Pacer())
    with pytest.raises(ValueError):
        uk.api.call("GET", "https://elsewhere.example/Organisation")


def test_minute_429_carries_retry_after_and_pauses_the_pacer(make_xero_emulator):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    fake = FakeTime()
    uk = wire(em, "UK", pacer=Pacer(per_minute=1000, clock=fake.clock, sleep=fake.sleep))
    for _ in range(60):
        uk.api.call("GET", "/Currencies")
    assert uk.api.usage.minute_remaining == 0
    failed = fails(uk.api, "GET", "/Currencies")
    assert failed.problem is Problem.MINUTE_LIMIT and failed.status == 429
    assert failed.retry_after == 60.0
    assert "UK" in str(failed) and "60 s" in str(failed)
    assert uk.api.usage.throttled == 1 and uk.api.usage.calls == 61
    assert fake.sleeps == []
    clock.advance(60)
    uk.api.call("GET", "/Currencies")  # the pacer held it for Retry-After first
    assert fake.sleeps == [pytest.approx(60.0)]
    assert_no_secret(str(failed), em)


def test_day_429_is_reported_without_pausing_the_pacer(make_xero_emulator):
    em = make_xero_emulator(clock=ManualClock())
    em.set_day_limit("UK", 2)
    fake = FakeTime()
    uk = wire(em, "UK", pacer=Pacer(clock=fake.clock, sleep=fake.sleep))
    uk.api.call("GET", "/Organisation")
    uk.api.call("GET", "/Organisation")
    assert uk.api.usage.day_remaining == 0
    failed = fails(uk.api, "GET", "/Organisation")
    assert failed.problem is Problem.DAY_LIMIT and failed.status == 429
    assert failed.retry_after is not None and failed.retry_after > 80_000
    assert "UK reached its daily call limit" in str(failed)
    assert uk.api.usage.throttled == 1
    fails(uk.api, "GET", "/Organisation")
    assert fake.sleeps == []  # a day's wait is the retry policy's decision, not a blocked thread


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_errors(xero_emulator, kind):
    uk = wire(xero_emulator, "UK")
    xero_emulator.inject(kind, entity="UK")
    failed = fails(uk.api, "PUT", "/Contacts", body={"Contacts": [{"Name": "Server Error Ltd"}]})
    assert failed.problem is Problem.SERVER_ERROR and failed.status == int(kind)
    assert failed.outcome_unknown
    assert "UK's call PUT /Contacts" in str(failed) and failed.messages
    assert_no_secret(str(failed), xero_emulator)
    assert uk.api.call("GET", "/Organisation").status == 200


def test_timeout(xero_emulator):
    uk = wire(xero_emulator, "UK", timeout=0.4)
    uk.api.call("GET", "/Organisation")  # the token is in hand before the fault
    xero_emulator.inject("timeout", entity="UK", seconds=1.5)
    failed = fails(uk.api, "PUT", "/Contacts", body={"Contacts": [{"Name": "Slow Ltd"}]})
    assert failed.problem is Problem.TIMEOUT and failed.outcome_unknown and failed.status is None
    assert "UK's call PUT /Contacts" in str(failed) and "0.4 s" in str(failed)
    assert uk.api.usage.calls == 2
    assert_no_secret(str(failed), xero_emulator)


def test_connection_dropped_after_the_call_was_carried_out(xero_emulator):
    uk = wire(xero_emulator, "UK")
    xero_emulator.inject("drop_after", entity="UK")
    failed = fails(uk.api, "PUT", "/Contacts", body={"Contacts": [{"Name": "Dropped Ltd"}]})
    assert failed.problem is Problem.DROPPED and failed.outcome_unknown
    assert "UK" in str(failed) and "unknown" in str(failed)
    # Xero saved it although we never heard back: the caller must look it up before sending again.
    assert [c.name for c in xero_emulator.tenant("UK").contacts.values()] == ["Dropped Ltd"]
    found = uk.api.call("GET", "/Contacts", params={"searchTerm": "Dropped"}).body["Contacts"]
    assert [c["Name"] for c in found] == ["Dropped Ltd"]
    assert_no_secret(str(failed), xero_emulator)


def test_401_gets_a_fresh_token_and_retries_once(make_xero_emulator):
    em = make_xero_emulator(clock=ManualClock())
    secret = em.client_for("UK").client_secret
    stale = Credentials(
        client_secret=secret, access_token="revoked-token", access_expires_at=em.clock.now() + timedelta(hours=1)
    )
    uk = wire(em, "UK", credentials=stale)
    reply = uk.api.call("GET", "/Organisation")
    assert reply.status == 200
    assert [r.status for r in em.log.records()] == [401, 200]
    assert uk.api.usage.calls == 2
    stored = uk.connections.stored()
    assert stored.access_token not in ("", "revoked-token")
    # The fresh token is used from then on, without asking again.
    uk.api.call("GET", "/Organisation")
    assert len(uk.connections.saves) == 1


def test_401_twice_is_unauthorized(xero_emulator):
    asked: list[bool] = []

    def source(force: bool) -> str:
        asked.append(force)
        return "never-valid-token"

    api = XeroHttpApi("UK", xero_emulator.tenant("UK").tenant_id, xero_emulator.accounting_url, source, pacer=Pacer())
    failed = fails(api, "GET", "/Organisation")
    assert failed.problem is Problem.UNAUTHORIZED and failed.status == 401
    assert asked == [False, True] and api.usage.calls == 2
    assert "reconnect UK" in str(failed) and "never-valid-token" not in str(failed)


def test_403_when_the_token_does_not_reach_the_bound_tenant(xero_emulator):
    uk, ie = wire(xero_emulator, "UK"), wire(xero_emulator, "IE")
    # A UK client that was (wrongly) given the IE connection's tokens: Xero refuses, nothing falls back.
    crossed = XeroHttpApi(
        "UK", uk.binding.tenant_id, xero_emulator.accounting_url, ie.keeper.access_token, pacer=Pacer()
    )
    failed = fails(crossed, "PUT", "/Contacts", body={"Contacts": [{"Name": "Wrong Tenant Ltd"}]})
    assert failed.problem is Problem.FORBIDDEN and failed.status == 403
    assert "UK" in str(failed) and uk.binding.tenant_id in str(failed)
    assert xero_emulator.tenant("UK").contacts == {} and xero_emulator.tenant("IE").contacts == {}
    assert_no_secret(str(failed), xero_emulator)


def test_400_carries_xeros_messages(xero_emulator):
    uk = wire(xero_emulator, "UK")
    failed = fails(uk.api, "PUT", "/Invoices", body={"Invoices": [invoice_body(account="999")]})
    assert failed.problem is Problem.REFUSED and failed.status == 400 and not failed.outcome_unknown
    assert any("999" in m for m in failed.messages)
    assert "Xero refused UK's call PUT /Invoices" in str(failed) and failed.messages[0] in str(failed)
    # A bad query is refused in Xero's other shape (Message only).
    bad = fails(uk.api, "GET", "/Contacts", params={"where": 'Nmae == "x"'})
    assert bad.problem is Problem.REFUSED and any("Nmae" in m for m in bad.messages)
    assert_no_secret(str(failed) + str(bad), xero_emulator)


def test_a_batch_with_summarize_errors_false_answers_200_with_each_elements_errors(xero_emulator):
    uk = wire(xero_emulator, "UK")
    body = {"Invoices": [invoice_body(contact="Good Ltd"), invoice_body(contact="Bad Ltd", account="999")]}
    reply = uk.api.call("PUT", "/Invoices", params={"summarizeErrors": "false"}, body=body)
    assert reply.status == 200
    good, bad = reply.body["Invoices"]
    assert good["StatusAttributeString"] == "OK"
    assert bad["StatusAttributeString"] == "ERROR" and bad["ValidationErrors"]


def test_404(xero_emulator):
    uk = wire(xero_emulator, "UK")
    failed = fails(uk.api, "GET", f"/Invoices/{uuid.uuid4()}")
    assert failed.problem is Problem.NOT_FOUND and failed.status == 404 and "UK" in str(failed)


def test_idempotency_key(xero_emulator):
    uk = wire(xero_emulator, "UK")
    with pytest.raises(ValueError, match="128"):
        uk.api.call("PUT", "/Contacts", body={"Contacts": [{"Name": "Key Ltd"}]}, idempotency_key="k" * 129)
    assert uk.api.usage.calls == 0
    body = {"Contacts": [{"Name": "Key Ltd"}]}
    key = "x" * 128
    first = uk.api.call("PUT", "/Contacts", body=body, idempotency_key=key).body["Contacts"][0]
    again = uk.api.call("PUT", "/Contacts", body=body, idempotency_key=key).body["Contacts"][0]
    assert first["ContactID"] == again["ContactID"]
    assert len(xero_emulator.tenant("UK").contacts) == 1
    assert [r.replayed for r in xero_emulator.log.records()] == [False, True]


def test_if_modified_since(make_xero_emulator):
    clock = ManualClock()
    em = make_xero_emulator(clock=clock)
    uk = wire(em, "UK")
    uk.api.call("PUT", "/Contacts", body={"Contacts": [{"Name": "Early Ltd"}]})
    cursor = clock.now()
    clock.advance(5)
    uk.api.call("PUT", "/Contacts", body={"Contacts": [{"Name": "Late Ltd"}]})
    since = uk.api.call("GET", "/Contacts", if_modified_since=cursor + timedelta(seconds=1)).body["Contacts"]
    assert [c["Name"] for c in since] == ["Late Ltd"]
    everything = uk.api.call("GET", "/Contacts", if_modified_since=cursor - timedelta(hours=1)).body["Contacts"]
    assert {c["Name"] for c in everything} == {"Early Ltd", "Late Ltd"}
    with pytest.raises(ValueError, match="aware"):
        uk.api.call("GET", "/Contacts", if_modified_since=cursor.replace(tzinfo=None))


def test_failures_log_one_debug_line_each(xero_emulator, caplog):
    uk = wire(xero_emulator, "UK")
    xero_emulator.inject("500", entity="UK")
    fails(uk.api, "GET", "/Organisation")
    lines = [r for r in caplog.records if r.name == "cynare.adapters.xero.http"]
    assert len(lines) == 1 and lines[0].levelno == logging.DEBUG
    assert lines[0].getMessage().startswith("xero UK GET /Organisation -> 500 in ")
