"""Posting when things break: a crash at every step, Xero's errors, time-outs, dropped connections and limits.

After a crash and a rerun nothing is in Xero twice and nothing is lost; the attempts left `posting` are
found by looking in Xero after its 6-minute idempotency window has passed, never sent again blindly.
Under injected faults and 429 storms everything still posts once, and no organisation is ever asked for
more than 5 calls at once or 60 in a minute.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from cynare.adapters.xero.connector import HttpXeroConnector
from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State, StoredDocument
from cynare.domain.retry_policy import rule_for
from cynare.sandbox.xero.emulator import Emulator
from cynare.sandbox.xero.limits import MINUTE, PER_MINUTE, RateLimits
from cynare.service_layer.posting.run import PostingOutcome, PostingStatus
from cynare.service_layer.unit_of_work import EntityWork, UnitOfWork
from cynare.service_layer.xero_port import (
    Binding,
    ConnectionRepository,
    IssueKind,
    OutboxItem,
    Usage,
    XeroApi,
    XeroReply,
)
from tests.batches import Rows, merge
from tests.e2e.test_posting_night import (
    Firm,
    allocation_row,
    bill_rows,
    books,
    client_row,
    copies_in_xero,
    credit_note_rows,
    ie_mappings,
    ie_night,
    make_firm,
    payments_of,
    receipt_rows,
    uk_mappings,
    uk_night,
    unallocated_row,
    us_mappings,
    write_off_row,
)

XERO_IDEMPOTENCY_WINDOW = 6 * 60  # seconds Xero keeps an Idempotency-Key
_KEY = re.compile(r"^cynare-(?P<operation>.+)-[0-9a-f]{64}$")
_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class Crash(Exception):
    """The worker dies here: the host is recycled, the machine lost."""


# -- wrapping the door to Xero and the warehouse ---------------------------------------------------------------

Hook = Callable[[XeroApi, str, str, dict[str, Any]], XeroReply]


class HookedApi:
    """One entity's XeroApi with a hook around each call (to crash, or to inject a fault just before it)."""

    def __init__(self, inner: XeroApi, hook: Hook) -> None:
        self.inner = inner
        self.hook = hook
        self.entity = inner.entity
        self.tenant_id = inner.tenant_id
        self.usage: Usage = inner.usage  # the same object: the adapter counts into it, the poster reads it

    def call(self, method: str, path: str, **options: Any) -> XeroReply:
        return self.hook(self.inner, method, path, options)


@dataclass
class HookedConnector:
    inner: HttpXeroConnector
    hook: Hook

    def connect(self, binding: Binding, connection: ConnectionRepository) -> XeroApi:
        return HookedApi(self.inner.connect(binding, connection), self.hook)


def step_of(method: str, path: str, options: Mapping[str, Any]) -> str:
    """A write's step, the same in every run: its operation (from the Idempotency-Key) and its path's shape."""
    found = _KEY.match(str(options.get("idempotency_key") or ""))
    operation = _ID.sub("{id}", found["operation"]) if found else "?"
    return f"{operation}: {method} {_ID.sub('{id}', path)}"


@dataclass
class Crasher:
    """Crashes each run once, at the first step not crashed at yet, at the point `where` names.

    before call: the documents are `posting`, nothing sent; drop after: Xero saves, then the connection drops
    on every retry; after call: Xero answered, the worker dies before recording it; after outbox: the
    write-back item is recorded, the document not; after record: both recorded, then the worker dies.
    """

    where: str
    firm: Firm
    steps: list[str] = field(default_factory=list)  # every write step met, in order
    crashed: list[str] = field(default_factory=list)
    pending: str | None = None  # a step Xero answered whose outcome is not recorded yet
    fired: bool = False

    def call(self, inner: XeroApi, method: str, path: str, options: dict[str, Any]) -> XeroReply:
        if method == "GET":
            return inner.call(method, path, **options)
        step = step_of(method, path, options)
        if step not in self.steps:
            self.steps.append(step)
        fresh = not self.fired and step not in self.crashed
        if fresh and self.where == "before call":
            self._crash(step)
        if fresh and self.where == "drop after":
            self.crashed.append(step)
            self.fired = True
            # Saved in Xero, then the answer lost: on this attempt and on every retry the poster makes.
            self.firm.xero.inject("drop_after", count=rule_for("dropped").attempts, entity=inner.entity)
        reply = inner.call(method, path, **options)
        if fresh and self.where == "after call":
            self._crash(step)
        if fresh and self.where in {"after outbox", "after record"}:
            self.pending = step
        return reply

    def outbox_put(self, put: Callable[[list[OutboxItem]], None], items: list[OutboxItem]) -> None:
        put(items)
        if self.where == "after outbox" and self.pending is not None:
            self._crash(self.pending)

    def saved(self, documents: Sequence[StoredDocument]) -> None:
        recorded = any(s.state is not State.POSTING or s.xero_id for s in documents)
        if self.where == "after record" and self.pending is not None and recorded:
            self._crash(self.pending)

    def _crash(self, step: str) -> None:
        self.crashed.append(step)
        self.fired = True
        self.pending = None
        raise Crash(f"the worker died at {step} ({self.where})")


class CrashingDocuments:
    def __init__(self, inner: Any, crasher: Crasher) -> None:
        self._inner = inner
        self._crasher = crasher

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def save_tracked(self, documents: Sequence[StoredDocument]) -> tuple[list[StoredDocument], list[DocKey]]:
        saved, lost = self._inner.save_tracked(documents)
        self._crasher.saved(saved)
        return saved, lost


class CrashingOutbox:
    def __init__(self, inner: Any, crasher: Crasher) -> None:
        self._inner = inner
        self._crasher = crasher

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def put(self, items: list[OutboxItem]) -> None:
        self._crasher.outbox_put(self._inner.put, items)


@dataclass
class CrashingUnitOfWork:
    inner: UnitOfWork
    crasher: Crasher

    def entities(self) -> list[str]:
        return self.inner.entities()

    @contextmanager
    def for_entity(self, entity: str) -> Iterator[EntityWork]:
        with self.inner.for_entity(entity) as work:
            yield dataclasses.replace(work, documents=CrashingDocuments(work.documents, self.crasher),
                                      outbox=CrashingOutbox(work.outbox, self.crasher))  # fmt: skip


# -- what the organisation was asked ---------------------------------------------------------------------------


class CallsAccepted:
    """Records when the local Xero let each call start (its rate limiter said yes), per tenant, in its time:
    the emulator counts 429s and in-flight peaks, but keeps no history of its minute windows."""

    def __init__(self, limits: RateLimits) -> None:
        self.starts: dict[str, list[float]] = {}
        self._limits = limits
        self._acquire = limits.acquire
        self._lock = threading.Lock()
        limits.acquire = self.acquire  # type: ignore[method-assign]

    def acquire(self, app: str, tenant_id: str, day_limit: int) -> Any:
        refused = self._acquire(app, tenant_id, day_limit)
        if refused is None:
            with self._lock:
                self.starts.setdefault(tenant_id, []).append(self._limits.clock.seconds())
        return refused

    def busiest_minute(self, tenant_id: str) -> int:
        """The most calls let start in one of Xero's minute windows (fixed, each opened by its first call)."""
        busiest, opened, used = 0, float("-inf"), 0
        for at in sorted(self.starts.get(tenant_id, [])):
            if at >= opened + MINUTE:
                opened, used = at, 0
            used += 1
            busiest = max(busiest, used)
        return busiest


def assert_within_limits(xero: Emulator, accepted: CallsAccepted, entities: Sequence[str]) -> None:
    counts = xero.counts()
    for entity in entities:
        tenant_id = xero.tenant(entity).tenant_id
        assert counts[tenant_id].in_flight_peak <= 5, (entity, counts[tenant_id])
        assert accepted.busiest_minute(tenant_id) <= PER_MINUTE, (entity, accepted.busiest_minute(tenant_id))


def states(firm: Firm, entity: str) -> dict[str, State]:
    return {str(key): stored.state for key, stored in firm.documents(entity).items()}


def unposted(firm: Firm, entity: str, rows: Rows, not_posted: frozenset[str] = frozenset()) -> dict[str, str]:
    """What is not as it should be: documents not in Xero exactly once, or in Xero but not recorded so."""
    copies = copies_in_xero(firm.xero, entity, rows)
    problems = {doc: f"{n} in Xero" for doc, n in copies.items() if n != (0 if doc in not_posted else 1)}
    # Posted, or voided in Xero since (a cancellation): either way recorded with its Xero id.
    for key, stored in firm.documents(entity).items():
        if str(key) in copies and str(key) not in not_posted and stored.state not in {State.POSTED, State.CANCELLED}:
            problems[str(key)] = f"in Xero, but {stored.state.value} in the warehouse: {stored.reason}"
    return problems


def assert_posted_once(firm: Firm, entity: str, rows: Rows, not_posted: frozenset[str] = frozenset()) -> None:
    problems = unposted(firm, entity, rows, not_posted)
    assert not problems, f"{entity}: {problems}"


# -- nights that take every step -------------------------------------------------------------------------------


def every_step_night() -> Rows:
    """One of each: contact, invoice (two), credit note, write-off (credit note, then its allocation),
    payment, batch payment, overpayment, allocations of credit and of cash on account."""
    return merge(
        uk_mappings(),
        {"clients": [client_row("C1", "Ashby & Sons", "GBP"), client_row("C2", "Brook Partners", "GBP")]},
        bill_rows("B1", "C1", [("1000.00", "200.00", "4000", "S", "LON", "LIT")]),
        bill_rows("B2", "C2", [("500.00", "100.00", "4000", "S", "LON", "COR")]),
        bill_rows("B3", "C2", [("200.00", "40.00", "4000", "S", "MAN", "LIT")]),
        bill_rows("B4", "C1", [("50.00", "10.00", "4000", "S", "MAN", "LIT")]),
        credit_note_rows("N1", "C1", "B1", "100.00", "20.00"),
        write_off_row("W1", "C2", "B3", "100.00"),
        receipt_rows("R1", "C1", {"B1": "300.00"}),
        receipt_rows("R2", "C2", {"B2": "600.00", "B3": "40.00"}),
        unallocated_row("U1", "C1", "80.00"),
        allocation_row("A1", "credit_note", "N1", "B1", "120.00"),
        allocation_row("A2", "unallocated_receipt", "U1", "B1", "80.00"),
    )


def second_night() -> Rows:
    """The next night: a bill voided in the PMS, a receipt returned (its payment deleted in Xero)."""
    return {
        "cancellations": [{"kind": "bill", "document_id": "B4", "date": "2026-11-24", "reason": "raised in error"}],
        "returned_receipts": [{"return_id": "RR1", "receipt_id": "R1", "date": "2026-11-24", "currency": "GBP",
                               "reason": "cheque bounced"}],
    }  # fmt: skip


CRASH_POINTS = ["before call", "drop after", "after call", "after outbox", "after record"]
STEPS_OF_THE_NIGHTS = {
    "contacts-create: PUT /Contacts", "invoices-create: PUT /Invoices", "credit-notes-create: PUT /CreditNotes",
    "write-offs-create: PUT /CreditNotes", "write-off-allocate: PUT /CreditNotes/{id}/Allocations",
    "payments: PUT /Payments", "batch-payments: PUT /BatchPayments",
    "overpayments-create: PUT /BankTransactions", "allocate: PUT /CreditNotes/{id}/Allocations",
    "allocate: PUT /Overpayments/{id}/Allocations", "void: POST /Invoices/{id}", "delete-{id}: POST /Payments/{id}",
}  # fmt: skip


@pytest.mark.parametrize("where", CRASH_POINTS)
def test_a_crash_at_every_step_then_a_rerun_posts_everything_once(
    where: str,
    tmp_path: Path,
    storage_connection: str,
    unique_name: str,
    make_xero_emulator: Callable[..., Emulator],
) -> None:
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator)
    firm.connect("UK")
    crasher = Crasher(where, firm)
    connector = HookedConnector(firm.app.connector, crasher.call)
    uow = CrashingUnitOfWork(firm.uow, crasher)
    outcomes: list[str] = []

    def night_until_done(rows: Rows) -> None:
        firm.night({"UK": rows})
        for _ in range(len(STEPS_OF_THE_NIGHTS) + 3):
            crasher.fired = False
            try:
                outcome = firm.post("UK", connector=connector, uow=uow)
            except Crash as crash:
                outcomes.append(str(crash))
            else:
                outcomes.append(f"{outcome.status.value}: {outcome.message}")
                assert outcome.status in {PostingStatus.DONE, PostingStatus.MORE}, outcome
                if outcome.status is PostingStatus.DONE and not crasher.fired:
                    return
            # The rerun comes after Xero has forgotten the attempt's Idempotency-Key: only a lookup can tell.
            firm.clock.advance(XERO_IDEMPOTENCY_WINDOW + 60)
        raise AssertionError(f"the night never finished: {outcomes}")

    first = every_step_night()
    night_until_done(first)
    night_until_done(second_night())

    assert set(crasher.crashed) == set(crasher.steps) == STEPS_OF_THE_NIGHTS, (crasher.crashed, outcomes)
    found = states(firm, "UK")
    problems = {doc: state.value for doc, state in found.items() if state in {State.REJECTED, State.READY,
                State.POSTING}} | unposted(firm, "UK", first)  # fmt: skip
    if (found["cancellations|bills|B4"], found["bills|B4"]) != (State.POSTED, State.CANCELLED):
        problems["bills|B4"] = f"voided by its cancellation, yet {found['bills|B4'].value} in the warehouse"
    tenant = firm.xero.tenant("UK")
    with firm.xero.lock:
        [b4] = [i for i in tenant.invoices.values() if i.number == "INV-B4"]
        [r1] = payments_of(tenant, "R1")
        [b1] = [i for i in tenant.invoices.values() if i.number == "INV-B1"]
        in_xero = (b4.status, r1.status, b1.amount_due)
    # The returned receipt reopened B1; its credit and cash on account stay applied.
    assert in_xero == ("VOIDED", "DELETED", Decimal("1000.00")), in_xero
    assert not problems, f"after crashes {where} every step and reruns: {problems}"


def test_a_document_left_posting_past_the_idempotency_window_is_found_not_sent_again(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator]
) -> None:
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator)
    firm.connect("UK")
    rows = every_step_night()
    firm.night({"UK": rows})

    def drop_every_write(inner: XeroApi, method: str, path: str, options: dict[str, Any]) -> XeroReply:
        if method != "GET":  # saved in Xero, then the answer lost, on the first try and on every retry
            firm.xero.inject("drop_after", entity=inner.entity)
        return inner.call(method, path, **options)

    dropped = firm.post("UK", connector=HookedConnector(firm.app.connector, drop_every_write))

    assert dropped.status is PostingStatus.MORE and "looks it up" in dropped.message, dropped
    left = {doc for doc, state in states(firm, "UK").items() if state is State.POSTING}
    assert left == {"clients|C1", "clients|C2"}, left
    firm.clock.advance(XERO_IDEMPOTENCY_WINDOW + 60)  # Xero has forgotten the Idempotency-Key
    sent = len(firm.xero.log.records())

    rerun = firm.post("UK")

    assert rerun.status is PostingStatus.DONE and rerun.found_after_unknown == 2, rerun
    again = [r for r in firm.xero.log.records()[sent:] if r.path == "/Contacts" and r.method != "GET"]
    assert not again, "the rerun looked the contacts up in Xero instead of sending them again"
    assert_posted_once(firm, "UK", rows)
    with firm.uow.for_entity("UK") as work:
        c1 = work.documents.get_many([DocKey("clients", "C1")])[DocKey("clients", "C1")]
    assert "found in Xero after an unknown outcome" in c1.reason


# -- Xero's errors and limits ------------------------------------------------------------------------------------


def busy_night(entity: str, clients: int, mappings: Rows, currency: str, vat_code: str, office: str) -> Rows:
    """Many calls: each client's bill gets a credit note and its own allocation (one call each). No VAT:
    `vat_code` is a zero or no-tax code of the entity's."""
    parts: list[Rows] = [mappings]
    for n in range(1, clients + 1):
        cid, bill = f"{entity}C{n}", f"{entity}B{n}"
        parts.append({"clients": [client_row(cid, f"Client {entity} {n}", currency)]})
        parts.append(bill_rows(bill, cid, [("100.00", "0.00", "4000", vat_code, office, "LIT")], currency=currency))
        note: Rows = {
            "credit_notes": [{"credit_note_id": f"{entity}N{n}", "credit_note_number": f"CN-{entity}N{n}",
                              "client_id": cid, "related_bill_id": bill, "date": "2026-11-10", "currency": currency,
                              "exchange_rate": "1", "total": "10.00"}],
            "credit_note_lines": [{"credit_note_id": f"{entity}N{n}", "line_no": 1, "description": "Discount",
                                   "nominal_code": "4000", "vat_code": vat_code, "net": "10.00", "vat": "0.00"}],
            "allocations": [{"allocation_id": f"{entity}A{n}", "source_type": "credit_note",
                             "source_id": f"{entity}N{n}", "bill_id": bill, "date": "2026-11-21",
                             "currency": currency, "amount": "10.00"}],
        }  # fmt: skip
        parts.append(note)
    return merge(*parts)


def three_busy_nights(clients: int) -> dict[str, Rows]:
    zero = {"vat_codes": [{"vat_code": "Z", "description": "Zero", "treatment": "rated", "rate": "0"}],
            "map_vat": [{"vat_code": "Z", "xero_tax_type": "ZERORATEDOUTPUT"}]}  # fmt: skip
    return {
        "UK": busy_night("UK", clients, uk_mappings(), "GBP", "Z", "LON"),
        "IE": busy_night("IE", clients, merge(ie_mappings(), zero), "EUR", "Z", "DUB"),
        "US": busy_night("US", clients, us_mappings(), "USD", "N", "NYC"),
    }


def post_at_once(
    firm: Firm, entities: Sequence[str], before: Callable[[str], None] | None = None, **options: Any
) -> dict[str, list[PostingOutcome]]:
    """Each entity posted on its own thread, as the host runs queue messages for several entities at once."""
    results: dict[str, list[PostingOutcome]] = {}
    failures: list[BaseException] = []

    def run(entity: str) -> None:
        try:
            if before is not None:
                before(entity)
            runs = [firm.post(entity, **options)]
            while runs[-1].status is PostingStatus.MORE and len(runs) < 5:
                runs.append(firm.post(entity, **options))
            results[entity] = runs
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(entity,)) for entity in entities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return results


def spend_the_minute(firm: Firm, entity: str, leave: int = 3) -> None:
    """Another instance of the app reads the organisation (a reconciliation) until Xero's minute is nearly gone."""
    headers = {"Authorization": f"Bearer {firm.xero.token(entity)}", "Accept": "application/json",
               "xero-tenant-id": firm.xero.tenant(entity).tenant_id}  # fmt: skip
    with requests.Session() as session:
        for _ in range(3 * PER_MINUTE):
            reply = session.get(f"{firm.xero.accounting_url}/Organisation", headers=headers, timeout=10)
            if reply.status_code == 429 or int(reply.headers.get("X-MinLimit-Remaining", PER_MINUTE)) <= leave:
                return


def test_a_429_storm_on_several_organisations_at_once_posts_everything_once_within_the_limits(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator]
) -> None:
    # Xero's minute lasts 6 s here. Another instance has spent most of each organisation's minute, and this
    # instance's pacer cannot know it: the organisations' own limit (60 a minute) answers 429 with Retry-After.
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator, time_scale=1 / 10,
                     waits_for_retry_after=True)  # fmt: skip
    accepted = CallsAccepted(firm.xero.limits)
    nights = three_busy_nights(clients=20)
    firm.night(nights)
    firm.connect("UK", "IE", "US")

    results = post_at_once(firm, ["UK", "IE", "US"], before=lambda entity: spend_the_minute(firm, entity))

    counts = firm.xero.counts()
    for entity, rows in nights.items():
        runs = results[entity]
        assert runs[-1].status is PostingStatus.DONE, runs[-1]
        assert counts[firm.xero.tenant(entity).tenant_id].throttled > 0, f"{entity} met no 429: no storm"
        assert all(run.usage.failed_throttled == 0 for run in runs), [run.usage for run in runs]
        with firm.uow.for_entity(entity) as work:
            assert work.usage.for_day(datetime.now(UTC).date()).failed_throttled == 0
        assert_posted_once(firm, entity, rows)
    assert_within_limits(firm.xero, accepted, ["UK", "IE", "US"])


def test_server_errors_timeouts_and_dropped_connections_on_every_other_call_still_post_everything_once(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator]
) -> None:
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator)
    accepted = CallsAccepted(firm.xero.limits)
    nights = three_busy_nights(clients=4)
    nights["UK"] = merge(nights["UK"], uk_night())
    nights["IE"] = merge(nights["IE"], {k: v for k, v in ie_night().items() if k not in ie_mappings()})
    firm.night(nights)
    firm.connect("UK", "IE", "US")
    # A connector that gives up on an answer after 0.5 s, so that a held call is the poster's own time-out.
    original = firm.app.connector
    impatient = HttpXeroConnector(original.accounting_url, original.identity, firm.app.clock,
                                  minute_seconds=60 * firm.clock.time_scale, timeout=0.5)  # fmt: skip
    faults = ["500", "503", "timeout", "drop_after"]
    calls: dict[str, int] = {}
    injected: dict[str, list[str]] = {}
    lock = threading.Lock()

    def every_other(inner: XeroApi, method: str, path: str, options: dict[str, Any]) -> XeroReply:
        with lock:
            n = calls[inner.entity] = calls.get(inner.entity, 0) + 1
            # Calls 2, 4, 6, ... fail, each kind in turn; the retry of each (3, 5, 7, ...) goes through.
            kind = faults[(n // 2 - 1) % len(faults)] if n % 2 == 0 else None
            if kind:
                injected.setdefault(inner.entity, []).append(kind)
        if kind:
            firm.xero.inject(kind, entity=inner.entity, seconds=1.0 if kind == "timeout" else 0.0)  # type: ignore[arg-type]
        return inner.call(method, path, **options)

    results = post_at_once(firm, ["UK", "IE", "US"], connector=HookedConnector(impatient, every_other))

    for entity, rows in nights.items():
        runs = results[entity]
        assert [run.status for run in runs] == [PostingStatus.DONE], runs
        assert runs[0].usage.failed_throttled == 0
        assert set(injected[entity]) == set(faults), injected
        not_posted = frozenset({"clients|C5", "clients|C6", "bills|B5"}) if entity == "UK" else frozenset()
        assert_posted_once(firm, entity, rows, not_posted)
        rejected = {doc for doc, state in states(firm, entity).items() if state is State.REJECTED}
        assert not rejected, rejected
    assert_within_limits(firm.xero, accepted, ["UK", "IE", "US"])


@pytest.mark.parametrize("fault", ["503", "timeout"])
def test_a_failure_on_the_first_call_of_a_run_is_retried_not_taken_for_a_broken_connection(
    fault: str,
    tmp_path: Path,
    storage_connection: str,
    unique_name: str,
    make_xero_emulator: Callable[..., Emulator],
) -> None:
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator)
    rows = uk_night()
    firm.night({"UK": rows})
    firm.connect("UK")
    # The run's first call to Xero (the binding's check: GET /Organisation) meets a passing failure.
    firm.xero.inject(fault, entity="UK", seconds=0.2 if fault == "timeout" else 0.0)  # type: ignore[arg-type]

    outcome = firm.post("UK")

    with firm.uow.for_entity("UK") as work:
        issues = work.issues.open()
    assert IssueKind.CONNECTION_BROKEN not in {issue.kind for issue in issues}, issues
    if outcome.status is PostingStatus.MORE:  # handed over to the next run rather than retried at once
        assert outcome.requeue_after is not None, outcome
        outcome = firm.post("UK")
    assert outcome.status is PostingStatus.DONE, outcome
    assert_posted_once(firm, "UK", rows, frozenset({"clients|C5", "clients|C6", "bills|B5"}))


def test_a_spent_day_stops_the_entity_until_xeros_window_resets_and_nothing_is_rejected(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator]
) -> None:
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator)
    rows = uk_night()
    firm.night({"UK": rows})
    firm.connect("UK")
    # The day's calls are spent (a smaller tier, another instance's reads): Xero answers the next one 429 day.
    firm.xero.set_day_limit("UK", firm.xero.counts()[firm.xero.tenant("UK").tenant_id].calls)
    uk_books = books(firm.xero, "UK")

    stopped = firm.post("UK")

    assert stopped.status is PostingStatus.STOPPED, stopped
    with firm.uow.for_entity("UK") as work:
        issues = work.issues.open()
    assert [issue.kind for issue in issues] == [IssueKind.DAY_LIMIT], issues
    [issue] = issues
    now = datetime.now(UTC)
    assert issue.until is not None and now < issue.until <= now + timedelta(days=1, minutes=5), issue
    assert f"{issue.until:%Y-%m-%d %H:%M}" in issue.message, issue.message
    wait = (issue.until - datetime.now(UTC)).total_seconds()
    assert stopped.requeue_after is not None and abs(stopped.requeue_after - wait) < 60, stopped.requeue_after
    assert books(firm.xero, "UK") == uk_books
    assert not {doc for doc, state in states(firm, "UK").items() if state is State.REJECTED}

    firm.clock.advance(24 * 3600)  # Xero's day window resets, with the organisation's whole day again
    firm.xero.set_day_limit("UK", 5000)
    after = firm.post("UK")
    assert after.status is PostingStatus.DONE, after
    with firm.uow.for_entity("UK") as work:
        assert work.issues.open() == []
    assert_posted_once(firm, "UK", rows, frozenset({"clients|C5", "clients|C6", "bills|B5"}))


def test_a_low_day_limit_stops_the_entity_with_the_reserve_kept_and_nothing_rejected(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator]
) -> None:
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator)
    rows = uk_night()
    firm.night({"UK": rows})
    firm.connect("UK")
    firm.xero.set_day_limit("UK", 150)  # Xero's Starter tier, nearly spent: less than the 200 kept in reserve

    stopped = firm.post("UK")

    assert stopped.status is PostingStatus.STOPPED, stopped
    with firm.uow.for_entity("UK") as work:
        [issue] = work.issues.open()
    assert issue.kind is IssueKind.DAY_LIMIT and "reserve" in issue.message, issue
    assert stopped.requeue_after is not None, "the entity is queued again for when the window resets"
    found = states(firm, "UK")
    assert not {doc for doc, state in found.items() if state in {State.REJECTED, State.POSTING}}, found
    tenant_id = firm.xero.tenant("UK").tenant_id
    assert firm.xero.counts()[tenant_id].by_status.get(429, 0) == 0, "the reserve is kept: Xero never refused"
