"""post_to_xero on in-memory repositories against the local Xero: one small entity, every rule in sight."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cynare.domain import documents as doc
from cynare.domain.lifecycle import Stamp, State, arrive
from cynare.domain.money import Money
from cynare.sandbox.xero.emulator import Emulator
from cynare.service_layer.connect import ConnectRefused, OrganisationSeen, bind_entity
from cynare.service_layer.exceptions import list_exceptions, retry, skip
from cynare.service_layer.posting.run import PostingStatus, post_to_xero
from cynare.service_layer.posting.sender import Budget
from cynare.service_layer.unit_of_work import CashDirection, EntitySettings
from cynare.service_layer.xero_port import Binding, ConnectionKind, ConnectionRepository, Credentials, IssueKind
from tests.unit.service_layer.conftest import RecordingQueue
from tests.unit.service_layer.fakes import FakeUnitOfWork
from tests.unit.service_layer.posting_fakes import FakePosterLock
from tests.unit.service_layer.xero_test_api import RecordingXeroApi

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
UK_SETTINGS = EntitySettings("UK", "GBP", frozenset({"GBP", "EUR"}), frozenset({"pms"}))
STAMP = Stamp("b1", "pms", 1)


def clock() -> datetime:
    return NOW


def gbp(amount: str) -> Money:
    return Money(Decimal(amount), "GBP")


class Connector:
    """Hands the poster the UK organisation of the local Xero, as the real connector would after its checks."""

    def __init__(self, emulator: Emulator, tenant_id: str, token: str) -> None:
        self.apis: list[RecordingXeroApi] = []
        self._args = (emulator.accounting_url, token, tenant_id)

    def connect(self, binding: Binding, connection: ConnectionRepository) -> RecordingXeroApi:
        api = RecordingXeroApi(*self._args, binding.entity)
        self.apis.append(api)
        return api

    def writes(self) -> int:
        return sum(1 for api in self.apis for sent in api.sent if sent.method != "GET")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork({"UK": UK_SETTINGS})


@pytest.fixture
def connector(xero_emulator: Emulator, xero_tenant_ids: dict[str, str], xero_token) -> Connector:  # type: ignore[no-untyped-def]
    return Connector(xero_emulator, xero_tenant_ids["UK"], xero_token("UK"))


def _bind(uow: FakeUnitOfWork, tenant_id: str) -> None:
    with uow.for_entity("UK") as work:
        seen = OrganisationSeen(tenant_id, "Harrow & Vance LLP", "GBP")
        bind_entity(work, seen, ConnectionKind.CUSTOM, "client", Credentials(client_secret="s"), clock, "test")


def _scene(uow: FakeUnitOfWork, bill_date: date = date(2026, 11, 2), only: frozenset[str] | None = None) -> None:
    """One client, one bill of two lines, one receipt paying it: ready, with the entity's mappings."""
    line = doc.Line(1, "Fees", "4000", "S", gbp("100.00"), gbp("20.00"), tracking=(doc.Tracking("office", "LON"),))
    second = doc.Line(2, "Disbursements", "4000", "S", gbp("50.00"), gbp("10.00"))
    bodies: list[tuple[doc.DocKey, doc.Body]] = [
        (doc.DocKey("clients", "C1"), doc.Client("C1", "Ashdown Legal Client", "GBP", email="a@example.com")),
        (doc.DocKey("bills", "B1"), doc.Bill("B1", "UK-B1", "C1", bill_date, date(2026, 12, 2), Decimal(1),
                                             gbp("180.00"), (line, second))),
        (doc.DocKey("receipts", "R1"), doc.Receipt("R1", "C1", date(2026, 11, 20), Decimal(1), gbp("180.00"), "BANK1")),
        (doc.DocKey("receipt_allocations", "R1|B1"), doc.ReceiptAllocation("R1", "B1", gbp("180.00"))),
    ]  # fmt: skip
    with uow.for_entity("UK") as work:
        work.reference.store("map_nominal", [("4000", {"xero_account_code": "200"})])
        work.reference.store("map_vat", [("S", {"xero_tax_type": "OUTPUT2"})])
        work.reference.store("map_bank", [("BANK1", {"xero_account_code": "090"})])
        work.reference.store("map_tracking", [("office|LON", {"xero_category": "Office", "xero_option": "London"})])
        stored = [arrive(None, doc.Document("UK", key, "pms", key.firm_id, body), (), STAMP, NOW) for key, body in bodies
                  if only is None or key.dataset in only]  # fmt: skip
        assert not work.documents.save([s for s in stored if s is not None])


def _post(uow: FakeUnitOfWork, connector: Connector, **budget: int) -> tuple[PostingStatus, RecordingQueue]:
    queue = RecordingQueue()
    outcome = post_to_xero("UK", uow, connector, FakePosterLock(), queue, clock, lambda _: None, Budget(**budget))
    return outcome.status, queue


def _states(uow: FakeUnitOfWork) -> dict[str, State]:
    return {str(key): stored.state for key, stored in uow.documents("UK").items()}


def test_the_night_posts_each_document_once_and_a_second_run_sends_nothing(
    uow: FakeUnitOfWork, connector: Connector, xero_emulator: Emulator, xero_tenant_ids: dict[str, str]
) -> None:
    _bind(uow, xero_tenant_ids["UK"])
    _scene(uow)
    assert _post(uow, connector)[0] is PostingStatus.DONE
    assert set(_states(uow).values()) == {State.POSTED}
    books = xero_emulator.tenant("UK")
    [invoice] = [i for i in books.invoices.values() if i.number == "UK-B1"]
    assert (invoice.total, invoice.amount_due, invoice.status) == (Decimal("180.00"), Decimal("0.00"), "PAID")
    with uow.for_entity("UK") as work:
        kinds = sorted(item.item["dataset"] for item in work.outbox.pending() if item.item["kind"] == "posted")
    assert kinds == ["bills", "clients", "receipts"]  # a receipt's allocation goes back with the receipt
    writes = connector.writes()
    assert _post(uow, connector)[0] is PostingStatus.DONE
    assert connector.writes() == writes  # nothing sent again


def test_an_entity_not_connected_stops_with_an_issue_and_calls_nothing(
    uow: FakeUnitOfWork, connector: Connector
) -> None:
    _scene(uow)
    assert _post(uow, connector)[0] is PostingStatus.NOT_CONNECTED
    assert not connector.apis
    with uow.for_entity("UK") as work:
        [issue] = work.issues.open()
    assert issue.kind is IssueKind.NOT_CONNECTED and "cynare connect UK" in issue.message


def test_a_second_poster_for_the_same_entity_stands_aside(uow: FakeUnitOfWork, connector: Connector) -> None:
    lock = FakePosterLock()
    with lock.hold("UK") as held:
        assert held
        outcome = post_to_xero("UK", uow, connector, lock, RecordingQueue(), clock, lambda _: None)
    assert outcome.status is PostingStatus.BUSY and not connector.apis


def test_connecting_an_organisation_with_another_base_currency_is_refused_and_saves_nothing(
    uow: FakeUnitOfWork,
) -> None:
    with uow.for_entity("UK") as work, pytest.raises(ConnectRefused, match="base currency is EUR"):
        bind_entity(work, OrganisationSeen("t-ie", "Harrow & Vance Ireland Limited", "EUR"), ConnectionKind.CUSTOM,
                    "client", Credentials(client_secret="s"), clock, "test")  # fmt: skip
    with uow.for_entity("UK") as work:
        assert work.connection.binding() is None and work.connection.credentials() is None


def test_receipts_recorded_in_xero_are_not_posted_from_the_pms(
    connector: Connector, xero_tenant_ids: dict[str, str]
) -> None:
    settings = EntitySettings("UK", "GBP", frozenset({"GBP"}), frozenset({"pms"}), CashDirection.XERO)
    uow = FakeUnitOfWork({"UK": settings})
    _bind(uow, xero_tenant_ids["UK"])
    _scene(uow)
    _post(uow, connector)
    states = _states(uow)
    assert states["bills|B1"] is State.POSTED
    assert states["receipts|R1"] is states["receipt_allocations|R1|B1"] is State.CANCELLED
    assert "recorded in Xero from the bank feed" in uow.documents("UK")[doc.DocKey("receipts", "R1")].reason


def test_a_refusal_is_an_exception_with_the_action_and_a_retry_posts_it_once_the_cause_is_fixed(
    uow: FakeUnitOfWork, connector: Connector, xero_emulator: Emulator, xero_tenant_ids: dict[str, str]
) -> None:
    _bind(uow, xero_tenant_ids["UK"])
    xero_emulator.set_lock_date("UK", date(2026, 11, 10))
    _scene(uow)
    _post(uow, connector)
    found = list_exceptions(uow, "UK")
    [refused] = [e for e in found.documents if e.key == doc.DocKey("bills", "B1")]
    assert "lock date" in refused.reason and "then retry" in refused.reason
    assert _states(uow)["receipt_allocations|R1|B1"] is State.WAITING  # its bill is not in Xero: it says so
    xero_emulator.set_lock_date("UK", None)
    queue = RecordingQueue()
    retry(uow, queue, "UK", doc.DocKey("bills", "B1"), "ann", clock)
    assert queue.announced == ["UK"]
    _post(uow, connector)
    assert set(_states(uow).values()) == {State.POSTED}


def test_skip_settles_a_refused_document_for_good_with_its_note(
    uow: FakeUnitOfWork, connector: Connector, xero_emulator: Emulator, xero_tenant_ids: dict[str, str]
) -> None:
    _bind(uow, xero_tenant_ids["UK"])
    xero_emulator.set_lock_date("UK", date(2026, 11, 10))
    _scene(uow)
    _post(uow, connector)
    skip(uow, "UK", doc.DocKey("bills", "B1"), "ann", "entered in Xero by hand as INV-0042", clock)
    assert "INV-0042" in uow.documents("UK")[doc.DocKey("bills", "B1")].reason
    assert not list_exceptions(uow, "UK").documents


def test_the_day_budget_keeps_its_reserve_and_the_entity_waits_for_the_next_window(
    uow: FakeUnitOfWork, connector: Connector, xero_tenant_ids: dict[str, str]
) -> None:
    _bind(uow, xero_tenant_ids["UK"])
    _scene(uow)
    status, queue = _post(uow, connector, day_limit=202, day_reserve=200)
    assert status is PostingStatus.STOPPED and queue.announced == ["UK"]
    with uow.for_entity("UK") as work:
        [issue] = work.issues.open()
    assert issue.kind is IssueKind.DAY_LIMIT and "kept for the reconciliation" in issue.message
    assert State.REJECTED not in _states(uow).values()


def test_an_attempt_with_an_unknown_outcome_is_looked_up_and_never_sent_twice(
    uow: FakeUnitOfWork, connector: Connector, xero_emulator: Emulator, xero_tenant_ids: dict[str, str]
) -> None:
    _bind(uow, xero_tenant_ids["UK"])
    _scene(uow, only=frozenset({"clients"}))
    _post(uow, connector)
    _scene(uow, only=frozenset({"bills", "receipts", "receipt_allocations"}))
    xero_emulator.inject("drop_after", count=4, entity="UK")  # saved in Xero, the answer lost, on every retry
    status, _ = _post(uow, connector)
    assert status is PostingStatus.MORE
    assert State.POSTING in _states(uow).values()
    _post(uow, connector)
    assert set(_states(uow).values()) == {State.POSTED}
    books = xero_emulator.tenant("UK")
    assert [c.contact_number for c in books.contacts.values()].count("C1") == 1
    assert [i.number for i in books.invoices.values()].count("UK-B1") == 1
    assert len([p for p in books.payments.values() if p.status != "DELETED"]) == 1


def test_an_allocation_cancelled_in_the_pms_is_removed_in_xero_and_the_bill_owes_again(
    uow: FakeUnitOfWork, connector: Connector, xero_emulator: Emulator, xero_tenant_ids: dict[str, str]
) -> None:
    _bind(uow, xero_tenant_ids["UK"])
    _scene(uow, only=frozenset({"clients", "bills"}))
    line = doc.Line(1, "Fee reduction", "4000", "S", gbp("50.00"), gbp("10.00"))
    credit = doc.CreditNote("CN1", "UK-CN1", "C1", date(2026, 11, 3), Decimal(1), gbp("60.00"), (line,))
    applied = doc.Allocation("A1", doc.DocKey("credit_notes", "CN1"), "B1", date(2026, 11, 4), gbp("60.00"))
    _arrive(uow, [(doc.DocKey("credit_notes", "CN1"), credit), (doc.DocKey("allocations", "A1"), applied)])
    _post(uow, connector)
    [invoice] = [i for i in xero_emulator.tenant("UK").invoices.values() if i.number == "UK-B1"]
    assert invoice.amount_due == Decimal("120.00")
    withdrawn = doc.Cancellation(doc.DocKey("allocations", "A1"), date(2026, 11, 5), "applied to the wrong bill")
    _arrive(uow, [(doc.DocKey("cancellations", "allocations|A1"), withdrawn)])
    _post(uow, connector)
    assert invoice.amount_due == Decimal("180.00")
    states = _states(uow)
    assert states["allocations|A1"] is State.CANCELLED and states["cancellations|allocations|A1"] is State.POSTED


def _arrive(uow: FakeUnitOfWork, bodies: list[tuple[doc.DocKey, doc.Body]]) -> None:
    with uow.for_entity("UK") as work:
        stored = [
            arrive(None, doc.Document("UK", key, "pms", key.firm_id, body), (), STAMP, NOW) for key, body in bodies
        ]
        assert not work.documents.save([s for s in stored if s is not None])
