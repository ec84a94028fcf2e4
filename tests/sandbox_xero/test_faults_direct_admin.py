"""Injected faults, what people do in Xero directly, inspection, reset and snapshots."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import urllib3
from xero_python.accounting import Invoices
from xero_python.exceptions import HTTPStatusException

from cynare.sandbox.xero.emulator import Emulator
from tests.sandbox_xero.conftest import UK, invoice


@pytest.mark.parametrize("kind", ["500", "503"])
def test_next_calls_fail_with_server_errors(xero_api, xero_emulator, kind):
    xero_emulator.inject(kind, count=2)
    for _ in range(2):
        with pytest.raises(HTTPStatusException) as caught:
            xero_api.get_organisations(UK)
        assert caught.value.http_resp.status == int(kind)
    assert xero_api.get_organisations(UK).organisations[0].name == "Harrow & Vance LLP"
    assert xero_emulator.counts()[UK].by_status[int(kind)] == 2


def test_timeout_holds_the_call_then_drops_it(xero_accounting, xero_emulator):
    api = xero_accounting("UK", timeout=0.3)
    xero_emulator.inject("timeout", seconds=1.0, entity="UK")
    with pytest.raises(urllib3.exceptions.HTTPError):
        api.create_invoices(UK, Invoices(invoices=[invoice(invoice_number="T-1")]))
    assert xero_emulator.tenant("UK").invoices == {}


def test_carried_out_then_connection_dropped(xero_api, xero_emulator):
    xero_emulator.inject("drop_after", entity="UK")
    with pytest.raises((urllib3.exceptions.HTTPError, ConnectionError)):
        xero_api.create_invoices(UK, Invoices(invoices=[invoice(invoice_number="D-1")]))
    # Xero saved it although the caller never heard back.
    assert [i.number for i in xero_emulator.tenant("UK").invoices.values()] == ["D-1"]
    assert xero_api.get_invoices(UK, invoice_numbers=["D-1"]).invoices[0].status == "AUTHORISED"


def test_direct_actions_change_what_the_api_sees(xero_api, xero_emulator):
    inv = xero_api.create_invoices(UK, Invoices(invoices=[invoice(contact="Direct Ltd", amount="100")])).invoices[0]
    xero_emulator.receive_from_bank_feed("UK", inv.invoice_id, Decimal("20.00"), date(2026, 5, 3))
    assert xero_api.get_invoice(UK, inv.invoice_id).invoices[0].amount_due == Decimal("100.00")
    other = xero_api.create_invoices(UK, Invoices(invoices=[invoice(contact="Direct Ltd", amount="5")])).invoices[0]
    xero_emulator.void_invoice("UK", other.invoice_id)
    assert xero_api.get_invoice(UK, other.invoice_id).invoices[0].status == "VOIDED"
    xero_emulator.edit_contact("UK", inv.contact.contact_id, EmailAddress="ap@direct.example")
    assert xero_api.get_contact(UK, inv.contact.contact_id).contacts[0].email_address == "ap@direct.example"


def test_admin_http_surface(xero_api, xero_emulator, xero_admin):
    inv = xero_api.create_invoices(UK, Invoices(invoices=[invoice(contact="Admin Ltd", amount="50")])).invoices[0]
    reply = xero_admin.post("UK/bank-feed-receipt", {"invoice_id": inv.invoice_id, "amount": "60.00"})
    assert reply.status_code == 200 and reply.json()["PaymentID"]
    assert xero_api.get_invoice(UK, inv.invoice_id).invoices[0].status == "PAID"
    over = xero_admin.post("UK/bank-feed-receipt", {"invoice_id": inv.invoice_id, "amount": "1"})
    assert over.status_code == 400
    assert xero_admin.post("UK/lock-date", {"period_lock_date": "2026-06-30"}).status_code == 200
    assert xero_emulator.tenant("UK").period_lock_date == date(2026, 6, 30)
    assert xero_admin.post("UK/unsubscribe-currency", {"code": "USD"}).status_code == 200
    assert xero_emulator.tenant("UK").currencies == ["GBP", "EUR"]
    state = xero_admin.get("state").json()
    assert state[UK]["invoices"] == 1 and state[UK]["period_lock_date"] == "2026-06-30"
    calls = xero_admin.get("calls").json()
    assert calls[UK]["calls"] == 2 and calls[UK]["throttled"] == 0
    saved = xero_admin.post("snapshot/save", {"name": "books.json"})
    assert saved.status_code == 200 and saved.json()["file"] == str(xero_emulator.snapshot_dir / "books.json")
    assert xero_admin.post("reset").status_code == 200
    assert xero_emulator.tenant("UK").invoices == {}
    assert xero_admin.post("snapshot/load", {"name": "books.json"}).status_code == 200
    restored = xero_emulator.tenant("UK").invoices[inv.invoice_id]
    assert restored.status == "PAID" and restored.amount_paid == Decimal("60.00")
    assert xero_admin.post("faults", {"kind": "503", "entity": "UK"}).status_code == 200
    assert [f.kind for f in xero_emulator.faults.pending()] == ["503"]
    assert xero_admin.post("faults", {"count": 1}).status_code == 400
    assert xero_admin.post("reset", [1]).status_code == 400


def test_snapshot_round_trip_keeps_every_record(xero_api, xero_emulator, tmp_path):
    inv = xero_api.create_invoices(UK, Invoices(invoices=[invoice(contact="Snap Ltd", amount="10")])).invoices[0]
    xero_emulator.receive_from_bank_feed("UK", inv.invoice_id, Decimal("5"))
    path = tmp_path / "snap.json"
    xero_emulator.save_snapshot(path)
    loaded = Emulator(snapshot_path=str(path))
    assert loaded.tenant("UK").invoices == xero_emulator.tenant("UK").invoices
    assert loaded.tenant("UK").payments == xero_emulator.tenant("UK").payments
    assert loaded.tenant("UK").invoice_numbers == {inv.invoice_number}
