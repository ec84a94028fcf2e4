"""Refusals a person must fix become exceptions with Xero's words and the action, never retried for ever;
once the cause is fixed in Xero, `exceptions retry` posts the document on the next run, and `exceptions skip`
with a note settles it for good. An organisation that already has the firm's clients as contacts gets them
matched, never duplicated; an uncertain match is a conflict a person settles.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State
from cynare.sandbox.xero.books_file import SAMPLE
from cynare.sandbox.xero.emulator import Emulator
from cynare.service_layer.exceptions import NoSuchException, list_exceptions, retry, skip
from cynare.service_layer.posting.run import PostingStatus
from tests.batches import Rows, merge
from tests.e2e.test_posting_night import (
    Firm,
    bill_rows,
    books,
    client_row,
    contact_numbered,
    copies_in_xero,
    invoices_numbered,
    make_firm,
    payments_of,
    receipt_rows,
    uk_mappings,
)


def now() -> datetime:
    return datetime.now(UTC)


def exceptions_of(firm: Firm, entity: str) -> dict[str, str]:
    return {str(e.key): e.reason for e in list_exceptions(firm.uow, entity).documents}


def state_of(firm: Firm, entity: str, key: str) -> State:
    return firm.documents(entity)[DocKey.parse(key)].state


def first_night() -> Rows:
    return merge(
        uk_mappings(),
        {"clients": [client_row("C1", "Ashby & Sons", "GBP"), client_row("C2", "Brook Partners", "GBP")]},
        {"clients": [client_row("C3", "Dunmore Inc", "USD")]},
        # Dated before the lock date Xero has (31 Oct 2026); the receipt paying it waits for it.
        bill_rows("B1", "C1", [("100.00", "20.00", "4000", "S", "LON", "LIT")], day="2026-10-15"),
        bill_rows("B2", "C1", [("200.00", "40.00", "4000", "S", "LON", "LIT")]),
        bill_rows("B3", "C3", [("300.00", "0.00", "4100", "E", "LON", "LIT")], currency="USD", rate="1.27"),
        bill_rows("B4", "C2", [("400.00", "80.00", "4000", "S", "MAN", "COR")]),
        bill_rows("B5", "C2", [("50.00", "10.00", "4000", "S", "MAN", "COR")]),
        bill_rows("B6", "C2", [("70.00", "14.00", "4000", "S", "MAN", "COR")]),
        receipt_rows("R1", "C1", {"B1": "120.00"}),
        receipt_rows("R2", "C2", {"B4": "480.00"}),
        receipt_rows("R3", "C2", {"B5": "60.00", "B6": "84.00"}),  # one batch payment
    )


def second_night() -> Rows:
    # R2's payment was reconciled in Xero against the bank feed, then the cheque bounced; R3 went as one batch
    # payment and only its payment of B5 is recalled.
    returns = [
        {"return_id": "RR2", "receipt_id": "R2", "date": "2026-11-24", "currency": "GBP", "reason": "cheque bounced"},
        {"return_id": "RR3", "receipt_id": "R3", "date": "2026-11-24", "currency": "GBP", "amount": "60.00",
         "reason": "part of the transfer recalled"},
    ]  # fmt: skip
    return merge(
        bill_rows("B7", "C2", [("90.00", "18.00", "4000", "S", "LON", "LIT")], day="2026-11-24"),
        {
            "returned_receipts": returns,
            "returned_allocations": [{"return_id": "RR3", "bill_id": "B5", "amount": "60.00"}],
        },
    )


def test_refusals_become_exceptions_that_are_fixed_then_retried_or_skipped(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator]
) -> None:
    # Xero's idempotency window lasts 60 s here, so a retry comes well inside it: a retried document must
    # not be answered from Xero's memory of the refusal.
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator, time_scale=1 / 6)
    firm.xero.set_lock_date("UK", date(2026, 10, 31))
    firm.xero.unsubscribe_currency("UK", "USD")
    first = first_night()
    firm.night({"UK": first})
    firm.connect("UK")

    assert firm.post("UK").status is PostingStatus.DONE
    found = exceptions_of(firm, "UK")
    assert sorted(found) == ["bills|B1", "bills|B3"], found
    assert "The document date cannot be before the period lock date of 31 Oct 2026" in found["bills|B1"]
    assert "change the lock date in Xero or the document's date in the PMS, then retry" in found["bills|B1"]
    assert "Organisation is not subscribed to currency USD" in found["bills|B3"]
    assert "add the currency in Xero, then retry" in found["bills|B3"]
    r1 = firm.documents("UK")[DocKey.parse("receipt_allocations|R1|B1")]
    assert r1.state is State.WAITING and "bills|B1" in r1.reason, r1.reason

    # Archived in Xero after the client was posted; then the client's next bill arrives. R2's payment is
    # reconciled in Xero; R3 went as one batch payment and only one of its bills is returned.
    tenant = firm.xero.tenant("UK")
    [c2] = contact_numbered(tenant, "C2")
    firm.xero.edit_contact("UK", c2.contact_id, ContactStatus="ARCHIVED")
    with firm.xero.lock:
        [r2] = payments_of(tenant, "R2")
        r2.is_reconciled = True  # a person matched it to the bank statement line in Xero
    firm.night({"UK": second_night()})
    assert firm.post("UK").status is PostingStatus.DONE
    found = exceptions_of(firm, "UK")
    assert sorted(found) == ["bills|B1", "bills|B3", "bills|B7", "returned_receipts|RR2", "returned_receipts|RR3"]
    assert "This contact has been archived" in found["bills|B7"]
    assert "restore the contact in Xero, then retry" in found["bills|B7"]
    assert "This payment has been reconciled and cannot be deleted" in found["returned_receipts|RR2"]
    assert "unreconcile it in Xero, then retry" in found["returned_receipts|RR2"]
    assert "batch payment" in found["returned_receipts|RR3"]
    assert "return the whole receipt" in found["returned_receipts|RR3"]

    # Not retried for ever: the next runs send nothing for them.
    writes, before = firm.writes_to("UK"), books(firm.xero, "UK")
    for _ in range(2):
        assert firm.post("UK").status is PostingStatus.DONE
    assert firm.writes_to("UK") == writes and books(firm.xero, "UK") == before
    assert sorted(exceptions_of(firm, "UK")) == sorted(found)

    # The causes fixed in Xero, then `exceptions retry`: the next run posts them (and what waited on them).
    firm.xero.set_lock_date("UK", None)
    with firm.xero.lock:
        tenant.currencies.append("USD")  # a person adds the currency in Xero
        r2.is_reconciled = False
    firm.xero.edit_contact("UK", c2.contact_id, ContactStatus="ACTIVE")
    for key in ("bills|B1", "bills|B3", "bills|B7", "returned_receipts|RR2"):
        retry(firm.uow, firm.app.queue, "UK", DocKey.parse(key), "ann", now)
    # Settled outside Cynare Link: the batch deleted in Xero by hand and the rest of the receipt entered again.
    with pytest.raises(NoSuchException, match="say why"):
        skip(firm.uow, "UK", DocKey.parse("returned_receipts|RR3"), "ann", "  ", now)
    skip(firm.uow, "UK", DocKey.parse("returned_receipts|RR3"), "ann", "batch deleted in Xero by hand", now)

    assert firm.post("UK").status is PostingStatus.DONE
    assert exceptions_of(firm, "UK") == {}
    for key in ("bills|B1", "bills|B3", "bills|B7", "receipt_allocations|R1|B1", "returned_receipts|RR2"):
        assert state_of(firm, "UK", key) is State.POSTED, key
    skipped = firm.documents("UK")[DocKey.parse("returned_receipts|RR3")]
    assert skipped.state is State.CANCELLED and "batch deleted in Xero by hand" in skipped.reason
    with pytest.raises(NoSuchException):
        retry(firm.uow, firm.app.queue, "UK", DocKey.parse("returned_receipts|RR3"), "ann", now)
    copies = copies_in_xero(firm.xero, "UK", merge(first, second_night()))
    assert {doc: n for doc, n in copies.items() if n != 1} == {}, copies
    with firm.xero.lock:
        [b1] = invoices_numbered(tenant, "INV-B1")
        [b3] = invoices_numbered(tenant, "INV-B3")
        [b4] = invoices_numbered(tenant, "INV-B4")
        assert (b1.status, b1.amount_due) == ("PAID", Decimal(0))
        assert (b3.currency_code, b3.currency_rate, b3.amount_due) == ("USD", Decimal("1.27"), Decimal("300.00"))
        assert (r2.status, b4.amount_due) == ("DELETED", Decimal("480.00"))
        assert sum(1 for b in tenant.batch_payments.values() if b.status != "DELETED") == 1, "RR3 sent nothing"

    # Settled for good: later nights and runs leave it alone.
    writes = firm.writes_to("UK")
    firm.night({"UK": second_night()})
    assert firm.post("UK").status is PostingStatus.DONE
    assert firm.writes_to("UK") == writes and state_of(firm, "UK", "returned_receipts|RR3") is State.CANCELLED


# -- an organisation that already has the firm's clients ---------------------------------------------------


def books_with_contacts() -> dict[str, Any]:
    """The three sample organisations, UK's with the firm's clients already in it, as a firm moving to Xero has."""
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    books_file: dict[str, Any] = copy.deepcopy(sample)
    [uk] = [o for o in books_file["organisations"] if o["entity"] == "UK"]
    uk["contacts"] = [
        {"name": "Ashby & Sons", "contact_number": "K1", "email": "accounts@ashby.example"},  # its number
        {"name": "Brook Partners", "email": "k2@example.com"},  # same name and email, no number
        {"name": "castell  GMBH", "email": "K3@Example.com"},  # the same, written otherwise
        {"name": "Dunmore Inc", "email": "ap@dunmore.example"},  # same name, another email: uncertain
    ]
    return books_file


def clients_night() -> Rows:
    clients = [
        client_row("K1", "Ashby & Sons", "GBP"),
        client_row("K2", "Brook Partners", "GBP"),
        client_row("K3", "Castell GmbH", "GBP"),
        client_row("K4", "Dunmore Inc", "GBP"),
        client_row("K5", "Ashby & Sons", "GBP"),  # another client of the same name as K1
        client_row("K6", "Fresh Start Ltd", "GBP"),
    ]
    bills = [bill_rows(f"B{n}", f"K{n}", [("100.00", "20.00", "4000", "S", "LON", "LIT")]) for n in range(1, 7)]
    return merge(uk_mappings(), {"clients": clients}, *bills)


def test_contacts_already_in_xero_are_matched_never_duplicated_and_an_uncertain_one_is_a_conflict(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator]
) -> None:
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator, books=books_with_contacts())
    tenant = firm.xero.tenant("UK")
    with firm.xero.lock:
        existing = {c.name: c.contact_id for c in tenant.contacts.values()}
    rows = clients_night()
    firm.night({"UK": rows})
    firm.connect("UK")

    assert firm.post("UK").status is PostingStatus.DONE

    with firm.xero.lock:
        by_name: dict[str, list[Any]] = {}
        for contact in tenant.contacts.values():
            by_name.setdefault(" ".join(contact.name.split()).casefold(), []).append(contact)
    duplicated = {name: len(found) for name, found in by_name.items() if len(found) > 1}
    assert not duplicated, duplicated
    assert len(tenant.contacts) == 4 + 2, "only K5 (a second Ashby & Sons) and K6 are new contacts"
    # Matched by number, or adopted (matched by name and email): the same contacts, now numbered.
    ids = {c.contact_number: c.contact_id for c in tenant.contacts.values() if c.contact_number}
    assert ids["K1"] == existing["Ashby & Sons"]
    assert ids["K2"] == existing["Brook Partners"] and ids["K3"] == existing["castell  GMBH"]
    [k5] = contact_numbered(tenant, "K5")
    assert k5.name == "Ashby & Sons (K5)"
    # The uncertain one is a conflict a person settles, naming what to do; Xero's contact is left as it was.
    found = exceptions_of(firm, "UK")
    assert sorted(found) == ["clients|K4"], found
    reason = found["clients|K4"]
    assert "Dunmore Inc" in reason and "ap@dunmore.example" in reason, reason
    assert "set its contact number to K4 in Xero" in reason and "then retry" in reason, reason
    assert tenant.contacts[existing["Dunmore Inc"]].contact_number in (None, "")
    b4 = firm.documents("UK")[DocKey.parse("bills|B4")]
    assert b4.state is State.WAITING and "clients|K4" in b4.reason
    with firm.xero.lock:
        for n in (1, 2, 3, 5, 6):
            [invoice] = invoices_numbered(tenant, f"INV-B{n}")
            assert invoice.contact_id == ids[f"K{n}"], n

    # The person decides Dunmore Inc is K4: its number set in Xero, then retried.
    firm.xero.edit_contact("UK", existing["Dunmore Inc"], ContactNumber="K4")
    retry(firm.uow, firm.app.queue, "UK", DocKey.parse("clients|K4"), "ann", now)
    assert firm.post("UK").status is PostingStatus.DONE
    assert exceptions_of(firm, "UK") == {}
    assert len(tenant.contacts) == 6
    k4 = firm.documents("UK")[DocKey.parse("clients|K4")]
    assert (k4.state, k4.xero_id) == (State.POSTED, existing["Dunmore Inc"])
    with firm.xero.lock:
        [invoice] = invoices_numbered(tenant, "INV-B4")
        assert invoice.contact_id == existing["Dunmore Inc"]
    copies = copies_in_xero(firm.xero, "UK", rows)
    assert {doc: n for doc, n in copies.items() if n != 1} == {}, copies
