"""The daily reconciliation end to end: PMS batches imported on Azurite, posted to the local Xero, things done
by hand in Xero, then `reconcile`: every planted cause found and explained to the cent, the report kept and
sent by email (the local Graph) and to Teams (the local Workflows webhook).
"""

from __future__ import annotations

import dataclasses
import email
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import requests

from cynare.adapters.report_blobs import BlobReportStore
from cynare.adapters.writeback_blobs import BlobWritebackOutbox, payments_not_in_pms
from cynare.bootstrap import App, DeliverySettings, channels
from cynare.domain.reconciliation import Cause, EntityReconciliation, Status
from cynare.sandbox.graph.testing import RunningGraph, running_graph
from cynare.sandbox.teams.testing import Served, serve_teams_stand_in
from cynare.sandbox.xero.emulator import Emulator
from cynare.service_layer.posting.run import PostingStatus
from cynare.service_layer.reconciliation.run import ReconcileOutcome, ReportSettings, reconcile
from tests.batches import Rows, merge
from tests.e2e.test_posting_night import (
    Firm,
    bill_rows,
    contact_numbered,
    ie_night,
    invoices_numbered,
    make_firm,
    uk_night,
)

D = Decimal
AS_AT = "2026-11-25"
FIRST_READ = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
SECOND_READ = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
ONLY = {
    "UK": {"base_currency": "GBP", "currencies": ["GBP", "EUR", "USD"], "sources": ["pms-a"]},
    "IE": {"base_currency": "EUR", "currencies": ["EUR", "GBP"], "sources": ["pms-a"]},
}


def pms_debtors(*nights: Rows, cancelled: frozenset[str] = frozenset(), adjust: dict[tuple[str, str], str] | None = None
                ) -> list[dict[str, str]]:  # fmt: skip
    """The PMS's own debtors list: every document in its ledger, cancelled ones left out, as its query sums them."""
    balance: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    receipts: dict[str, tuple[str, str, Decimal]] = {}
    signs = {"bills": ("bill_id", "total", 1), "credit_notes": ("credit_note_id", "total", -1),
             "write_offs": ("write_off_id", "amount", -1), "receipts": ("receipt_id", "amount", -1),
             "unallocated_receipts": ("unallocated_id", "amount", -1)}  # fmt: skip
    for rows in nights:
        for dataset, (key, column, sign) in signs.items():
            for row in rows.get(dataset, []):
                if row[key] in cancelled:
                    continue
                balance[(row["client_id"], row["currency"])] += sign * Decimal(row[column])
                if dataset == "receipts":
                    receipts[row["receipt_id"]] = (row["client_id"], row["currency"], Decimal(row["amount"]))
    for rows in nights:
        for row in rows.get("returned_receipts", []):
            client, currency, amount = receipts[row["receipt_id"]]
            balance[(client, currency)] += Decimal(row["amount"]) if row.get("amount") else amount
    for key, change in (adjust or {}).items():
        balance[key] += Decimal(change)
    return [{"client_id": c, "currency": cur, "balance": f"{v:.2f}", "as_at": AS_AT} for (c, cur), v in balance.items()]


@pytest.fixture
def graph(tmp_path: Path) -> Iterator[RunningGraph]:
    with running_graph(tmp_path / "out") as served:
        yield served


@pytest.fixture
def teams(tmp_path: Path) -> Iterator[Served]:
    with serve_teams_stand_in(tmp_path / "out") as served:
        yield served


def reporting(firm: Firm, graph: RunningGraph, teams: Served, unique_name: str, **report: Any) -> App:
    """The firm's app with its own report and write-back containers, reporting to the local Graph and Teams."""
    app, storage = firm.app, firm.app.settings.storage
    writeback = BlobWritebackOutbox(storage, container=f"{unique_name}-wb", inbound_container=f"{unique_name}in",
                                    log_container=f"{unique_name}-wblog")  # fmt: skip
    delivery = DeliverySettings(mailbox=graph.mailbox, graph_url=graph.url, graph_tenant_id=graph.tenant_id,
                                graph_client_id=graph.client_id, graph_client_secret=graph.client_secret,
                                teams_webhook_url=teams.webhook_url)  # fmt: skip
    settings = ReportSettings(firm="Test & Co", recipients=("finance@firm.example",),
                              tolerances={"EUR": D("0.02")}, status_url="https://cynare.firm.example/status",
                              **report)  # fmt: skip
    return dataclasses.replace(
        app, settings=dataclasses.replace(app.settings, report=settings), writeback=writeback,
        waiting_payments=lambda entity, read_at: payments_not_in_pms(writeback, entity, read_at),
        reports=BlobReportStore(storage, container=f"{unique_name}-reports"), channels=channels(delivery),
    )  # fmt: skip


def run_reconcile(app: App, day: datetime | None = None) -> ReconcileOutcome:
    clock: Callable[[], datetime] = (lambda: day) if day else app.clock  # type: ignore[assignment,return-value]
    return reconcile(app.uow, app.connector, app.waiting_payments, app.history, app.reports, app.channels,
                     app.render, app.settings.report, clock, lambda seconds: None)  # fmt: skip


def entity(outcome: ReconcileOutcome, code: str) -> EntityReconciliation:
    return next(e for e in outcome.report.entities if e.entity == code)


def causes(result: EntityReconciliation, currency: str) -> dict[tuple[str, Cause], Decimal]:
    line = next(c for c in result.currencies if c.currency == currency)
    found: dict[tuple[str, Cause], Decimal] = defaultdict(Decimal)
    for client in line.clients:
        for why in client.explanations:
            found[(client.client_id, why.cause)] += why.amount
    return dict(found)


def sent_mail(graph: RunningGraph) -> list[Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(graph.mail_dir.glob("*.eml"))]


def as_person(xero: Emulator, entity_code: str, method: str, path: str, body: Any) -> dict[str, Any]:
    """A person in Xero keying something in (through the API, checked like any call)."""
    reply = requests.request(method, f"{xero.accounting_url}{path}", json=body, timeout=10, headers={
        "Authorization": f"Bearer {xero.token(entity_code)}", "xero-tenant-id": xero.tenant(entity_code).tenant_id,
        "Accept": "application/json"})  # fmt: skip
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


def ie_posted(tmp_path: Path, storage_connection: str, unique_name: str, make_xero: Callable[..., Emulator]) -> Firm:
    """A firm of IE alone after a normal night, every document posted, with its debtors list."""
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero, entities=json.dumps({"IE": ONLY["IE"]}))
    night = ie_night()
    firm.night({"IE": merge(night, {"debtors": pms_debtors(night)})})
    firm.connect("IE")
    assert firm.post("IE").status is PostingStatus.DONE
    return firm


def test_a_normal_night_is_balanced_and_the_all_clear_goes_out_on_both_channels(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator],
    graph: RunningGraph, teams: Served,
) -> None:  # fmt: skip
    firm = ie_posted(tmp_path, storage_connection, unique_name, make_xero_emulator)
    app = reporting(firm, graph, teams, unique_name, entity_recipients={"IE": ("ie-finance@firm.example",)})

    outcome = run_reconcile(app)

    ie = entity(outcome, "IE")
    assert ie.status is Status.BALANCED, [(c.currency, c.clients) for c in ie.currencies]
    assert {c.currency for c in ie.currencies} == {"EUR", "GBP"}
    assert all(c.pms_total == c.xero_total for c in ie.currencies)
    assert ie.control is not None and ie.control.status is Status.BALANCED
    assert outcome.report.all_clear
    assert [str(d) for d in outcome.deliveries] == ["email: sent", "email to IE's recipients: sent", "Teams: sent"]
    mail, own = sent_mail(graph)  # the firm's whole report, then IE's own part to IE's people
    assert "all clear" in mail["Subject"].lower()
    assert (mail["To"], own["To"]) == ("finance@firm.example", "ie-finance@firm.example")
    names = [part.get_filename() for part in mail.walk() if part.get_filename()]
    assert f"reconciliation-{outcome.report.day}.xlsx" in names
    (card,) = teams.admin.cards()
    assert "all clear" in json.dumps(card).lower()
    assert set(outcome.saved) >= {"html", "xlsx", "card"}
    assert BlobReportStore(app.settings.storage, container=f"{unique_name}-reports").load(
        outcome.report.day, "delivery.json") is not None  # fmt: skip


def test_every_planted_cause_is_found_and_explained_to_the_cent(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator],
    graph: RunningGraph, teams: Served,
) -> None:  # fmt: skip
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator,
                     entities=json.dumps({"UK": ONLY["UK"]}))  # fmt: skip
    firm.xero.set_lock_date("UK", date(2026, 10, 31))
    returned = {
        "returned_receipts": [{"return_id": "RR2", "receipt_id": "R2", "date": "2026-11-24", "currency": "GBP",
                               "amount": "60.00", "reason": "part of the transfer recalled"}],
        "returned_allocations": [{"return_id": "RR2", "bill_id": "B2", "amount": "60.00"}],
    }  # fmt: skip
    first = merge(
        uk_night(), returned,
        bill_rows("B10", "C1", [("100.00", "20.00", "4000", "S", "LON", "LIT")], day="2026-10-15"),  # before the lock
        bill_rows("B11", "C2", [("100.00", "20.00", "4000", "S", "LON", "LIT")]),  # its amount changed in Xero
        bill_rows("B12", "C1", [("200.00", "40.00", "4000", "S", "LON", "LIT")]),  # part paid from the bank feed
        bill_rows("B13", "C2", [("80.00", "16.00", "4000", "S", "LON", "LIT")]),  # voided in Xero
        bill_rows("B14", "C1", [("10.00", "2.00", "4000", "S", "LON", "LIT")]),  # cancelled in the PMS next day
    )  # fmt: skip
    firm.night({"UK": merge(first, {"debtors": pms_debtors(first)})}, extracted_at=FIRST_READ)
    firm.connect("UK")
    assert firm.post("UK").status is PostingStatus.DONE

    xero, tenant = firm.xero, firm.xero.tenant("UK")
    invoice = {n: invoices_numbered(tenant, f"INV-{n}")[0].invoice_id for n in ("B11", "B12", "B13")}
    as_person(xero, "UK", "POST", f"/Invoices/{invoice['B11']}", {"Invoices": [{"LineItems": [
        {"Description": "Advice", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200",
         "TaxType": "ZERORATEDOUTPUT"}]}]})  # fmt: skip
    xero.receive_from_bank_feed("UK", invoice["B12"], D("40.00"))
    xero.void_invoice("UK", invoice["B13"])
    [c1] = contact_numbered(tenant, "C1")
    as_person(xero, "UK", "PUT", "/Invoices", {"Invoices": [{
        "Type": "ACCREC", "Contact": {"ContactID": c1.contact_id}, "Date": "2026-11-20", "DueDate": "2026-12-20",
        "Status": "AUTHORISED", "CurrencyCode": "GBP", "LineAmountTypes": "Exclusive",
        "LineItems": [{"Description": "Keyed in Xero", "Quantity": 1, "UnitAmount": 50, "AccountCode": "200",
                       "TaxType": "ZERORATEDOUTPUT"}]}]})  # fmt: skip
    app = reporting(firm, graph, teams, unique_name)
    app.sync_from_xero("UK")  # the bank-feed receipt is written back; the agent has not applied it

    # The next day's extract: B14 cancelled (not yet posted to Xero); the debtors list has a cent more on C2's
    # GBP balance (nothing explains it) and on C3's EUR balance (within the EUR tolerance).
    cancel = {
        "cancellations": [{"kind": "bill", "document_id": "B14", "date": "2026-11-25", "reason": "raised in error"}]
    }
    debtors = pms_debtors(first, cancelled=frozenset({"B14"}), adjust={("C2", "GBP"): "0.01", ("C3", "EUR"): "0.01"})
    firm.night({"UK": merge(cancel, {"debtors": debtors})}, extracted_at=SECOND_READ)

    outcome = run_reconcile(app)

    uk = entity(outcome, "UK")
    assert causes(uk, "GBP") == {
        ("C1", Cause.NOT_POSTED): D("108.00"),  # B5, an unmapped nominal
        ("C1", Cause.REJECTED): D("120.00"),  # B10, before the lock date
        ("C1", Cause.RECEIPT_NOT_WRITTEN_BACK): D("40.00"),
        ("C1", Cause.ONLY_IN_XERO): D("-50.00"),
        ("C1", Cause.CANCELLATION_NOT_APPLIED): D("-12.00"),
        ("C2", Cause.AMOUNT_DIFFERS): D("20.00"),
        ("C2", Cause.RETURN_NOT_REVERSED): D("60.00"),
        ("C2", Cause.CANCELLED_IN_XERO): D("96.00"),
    }
    assert causes(uk, "EUR") == {("C3", Cause.EXCHANGE_DIFFERENCE): D("0.01")}
    for line in uk.currencies:
        assert line.explained + line.unexplained == line.difference == line.pms_total - line.xero_total
    gbp = next(c for c in uk.currencies if c.currency == "GBP")
    assert [(c.client_id, c.unexplained) for c in gbp.clients if c.unexplained] == [("C2", D("0.01"))]
    assert gbp.status is Status.UNEXPLAINED and uk.status is Status.UNEXPLAINED
    assert uk.control is not None and uk.control.status is Status.BALANCED
    assert not outcome.report.all_clear
    rejected = next(e for c in gbp.clients for e in c.explanations if e.cause is Cause.REJECTED)
    assert "lock date" in rejected.detail

    (mail,) = sent_mail(graph)
    assert "UK" in mail["Subject"] and "0.01" in mail["Subject"]
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "Unexplained" in html and "lock date" in html
    assert any(p.get("Content-ID") for p in mail.walk() if p.get_content_type() == "image/png")
    (card,) = teams.admin.cards()
    assert "UK" in json.dumps(card)


def test_a_channel_that_fails_never_stops_the_other_and_is_told_the_next_day(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator],
    graph: RunningGraph, teams: Served,
) -> None:  # fmt: skip
    firm = ie_posted(tmp_path, storage_connection, unique_name, make_xero_emulator)
    app = reporting(firm, graph, teams, unique_name)
    today = datetime.now(UTC)

    graph.admin.fault(403, code="ErrorAccessDenied", message="Access is denied. Check credentials and try again.",
                      path="sendMail")  # fmt: skip
    first = run_reconcile(app, today - timedelta(days=1))
    email_sent, teams_sent = first.deliveries
    assert not email_sent.sent and "ErrorAccessDenied" in email_sent.problem
    assert graph.client_secret not in email_sent.problem
    assert teams_sent.sent
    (card,) = teams.admin.cards()
    assert "email" in json.dumps(card).lower() and "not" in json.dumps(card).lower()

    second = run_reconcile(app, today)
    assert all(d.sent for d in second.deliveries)
    assert any("was not delivered by email" in notice for notice in second.report.notices)
    (mail,) = sent_mail(graph)
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "was not delivered by email" in html
    # The trend has both days, and the change since yesterday is known.
    assert all(len(days) == 2 for days in second.report.history.values())
    assert second.report.change_since_yesterday("IE", "EUR") == D(0)
