"""Reconciliation benchmark: 100,000 clients compared and reported, and what a second day reads from Xero.

Part 1, compare and render. Three entities' books are built in memory as the reconcile use case hands them
to the domain (`Sides`): UK 50,000 clients (GBP, one in five in EUR), IE 30,000 (EUR, one in five in
GBP), US 20,000 (USD). Per client: a debtors balance, three bills posted to Xero, the receipts that
paid them (bill 0 in full; on even clients half of bill 1; one client in ten pays both in one receipt, a
Xero batch payment), a credit note on one client in 25, and on Xero's side the matching invoices
(AmountDue), credit notes (RemainingCredit), payments and the contact. One client in 100 is put out of
balance, the causes taken in turn: a held bill, a bill Xero rejected, an invoice whose amount was changed in
Xero, an invoice entered only in Xero, a receipt taken in Xero waiting for the write-back, an unexplained
penny (no tolerances are set, so a penny stays unexplained); one planted client in ten has an unexplained
penny besides its cause. Timed: `compare()` per entity and `control_check()`, building the
`ReconciliationReport` (30 days of history), and `render_report(report, "trend-chart")` (HTML email, XLSX
workbook, PNG chart, Teams card: each part timed inside it). Peak memory: the process's peak resident set
(`resource.getrusage(...).ru_maxrss`: interpreter, libraries, the books, the comparison and the rendered
report), then the Python heap that comparing and rendering themselves allocate (tracemalloc's peak, in a
second, untimed run of the same steps: tracemalloc slows Python down several times). Checked: per
currency, explanations plus unexplained parts (summed over the clients) equal the PMS total less the Xero
total, and equal what was planted; the clients out of balance found are exactly those planted, each with
the planted causes and amounts; the control accounts balance.

Part 2, Xero's reads on a second day. The local Xero runs in this process on a clock moved by hand
(`ManualClock`), validation off, rate limits on. One organisation is seeded directly in the emulator's
state (not through the API: at 60 calls a minute 100,000 clients' records would take hours to post): N
contacts (one in five billed in EUR), three invoices each, and their payments (bill 0 paid, half of bill 1
on even contacts), stamped
(UpdatedDateUTC) over the 90 days before, in creation order. `refresh_ledger` reads it through the real
HTTP adapter (`XeroHttpApi`, the token keeper on the custom connection, `PatientXero`) with a pacer that
keeps Xero's 60 calls a minute on the emulator's clock and waits by moving that clock, so Xero's limits hold
and no real time is spent waiting. Day one is the full read. Then 1% of the records change as a person in
Xero changes them (the emulator's own actions, which stamp what they touch): a bank-feed receipt on 0.75%
of the invoices (the invoice and a new payment), 0.25% of the open invoices voided, 1% of the contacts
edited; the clock moves a day on (past the cursors' 5-minute margin) and day two reads again. Printed per
day: `refresh_ledger`'s calls and bytes read (XeroApi.usage), the records read and those sent again, and
apart the day's other reads (the binding check, the control account); the pages the changed records fill
(ceil(changed / 1,000) per resource); the verdict against "calls at most the changed pages plus 6".
Checked: day two read exactly the records that changed, and the cached ledger then agrees with the
organisation's books. The emulator renders its whole list for every page it serves, so a full read costs
it N x pages: N (default 20,000) is what keeps day one near a minute on 2 cores (day two does not depend on
it).

Targets are printed with their verdicts, never asserted: the bench exits 1 only when a figure is wrong.
About 80 s on a quiet 2-core machine.

Usage: python bench/reconcile.py [--clients 100000] [--xero-contacts 20000] [--skip-memory]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import resource
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cynare.adapters.xero.auth import TokenKeeper, XeroIdentity, check_binding
from cynare.adapters.xero.http import XeroHttpApi
from cynare.adapters.xero.pacer import Pacer
from cynare.domain.lifecycle import State
from cynare.domain.reconciliation import (
    Cause,
    ClientDifference,
    ControlFigures,
    CurrencyReconciliation,
    DayFigure,
    EntityReconciliation,
    PmsDocument,
    ReconciliationReport,
    Sides,
    Status,
    XeroContact,
    XeroEntry,
    XeroKind,
    compare,
    control_check,
)
from cynare.presentation.reconciliation import render as render_module
from cynare.presentation.reconciliation.render import render_report
from cynare.sandbox.xero.clock import ManualClock
from cynare.sandbox.xero.documents import new_id
from cynare.sandbox.xero.emulator import Emulator
from cynare.sandbox.xero.state import Contact, Invoice, Line, Payment, Tenant
from cynare.service_layer.reconciliation.patient import PatientXero
from cynare.service_layer.reconciliation.run import RenderedReport
from cynare.service_layer.reconciliation.xero_ledger import PAGE_SIZE, LedgerRefresh, read_control, refresh_ledger
from cynare.service_layer.xero_port import Binding, ConnectionKind, Credentials

SECONDS_TARGET = 10.0  # compare and render, all three entities
MEMORY_TARGET = 1024**3  # bytes
HANDFUL = 6  # calls per entity beyond the changed pages
DAY = date(2026, 11, 30)
MADE_AT = datetime(2026, 11, 30, 6, 15, tzinfo=UTC)
FIRM = "Harper & Vale LLP"
CHART_ID = "trend-chart"
HISTORY_DAYS = 30
CENT = Decimal("0.01")
ONE = Decimal(1)


@dataclass(frozen=True)
class EntitySpec:
    code: str
    organisation: str
    base: str
    other: str  # one client in five bills in this currency
    rate: Decimal  # Xero's CurrencyRate for `other`: units of it per unit of base
    share: float  # of the firm's clients


ENTITIES = (
    EntitySpec("UK", "Harper & Vale (UK) Ltd", "GBP", "EUR", Decimal("1.17"), 0.5),
    EntitySpec("IE", "Harper & Vale Ireland DAC", "EUR", "GBP", Decimal("0.855"), 0.3),
    EntitySpec("US", "Harper & Vale US Inc", "USD", "", ONE, 0.2),
)
_SURNAMES = ("Abbott", "Baker", "Carter", "Dalton", "Ellis", "Fraser", "Gould", "Hughes", "Irwin", "Jones")
PLANTED_KINDS = ("held bill", "rejected bill", "amount changed in Xero", "invoice only in Xero",
                 "receipt in Xero waiting for write-back", "unexplained penny")  # fmt: skip


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def megabytes(size: float) -> str:
    return f"{size / 1024**2:,.0f} MB"


def rss_now() -> int:
    """The process's resident set now, in bytes (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def rss_peak() -> int:
    """The process's peak resident set so far, in bytes (ru_maxrss is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- part 1: the books -------------------------------------------------------------------------------------


def _id(kind: int, entity: int, n: int) -> str:
    """A UUID-shaped id (Xero's ids are 36 characters), unique per kind, entity and number."""
    return f"{kind:08x}-{entity:04x}-4000-8000-{n:012x}"


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@dataclass
class Planted:
    """What one out-of-balance client must show: its difference, each cause's amount, the unexplained part."""

    currency: str
    causes: defaultdict[Cause, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    unexplained: Decimal = Decimal(0)

    @property
    def difference(self) -> Decimal:
        return sum(self.causes.values(), Decimal(0)) + self.unexplained


@dataclass
class Books:
    """One entity's two sides as the use case hands them to compare(), and what was planted in them."""

    spec: EntitySpec
    sides: Sides
    control: ControlFigures
    planted: dict[tuple[str, str], Planted]
    kinds: Counter[str]
    documents: int
    entries: int


def entity_books(index: int, spec: EntitySpec, clients: int) -> Books:
    debtors: dict[tuple[str, str], Decimal] = {}
    names: dict[str, str] = {}
    documents: list[PmsDocument] = []
    entries: list[XeroEntry] = []
    contacts: dict[str, XeroContact] = {}
    contact_clients: dict[str, str] = {}
    waiting: set[str] = set()
    planted: dict[tuple[str, str], Planted] = {}
    kinds: Counter[str] = Counter()
    posted, held, rejected = State.POSTED, State.WAITING, State.REJECTED
    invoice, credit, payment = XeroKind.INVOICE, XeroKind.CREDIT_NOTE, XeroKind.PAYMENT
    out_of_balance = 0
    for n in range(clients):
        client = f"C{n:06d}"
        currency = spec.other if spec.other and n % 5 == 4 else spec.base
        rate = spec.rate if currency != spec.base else ONE
        contact = _id(1, index, n)
        names[client] = f"{_SURNAMES[n % 10]} {n} Ltd"
        contacts[contact] = XeroContact(contact, names[client], client)
        contact_clients[contact] = client
        balance = 0  # cents, as the PMS's debtors list will show it
        bill_totals = [10_000 + (n * 7919 + b * 104_729) % 900_000 for b in range(3)]
        invoice_ids = [_id(2, index, n * 4 + b) for b in range(3)]
        open_cents = list(bill_totals)
        pays = [(0, bill_totals[0])] + ([(1, bill_totals[1] // 2)] if n % 2 == 0 else [])
        for b, total in enumerate(bill_totals):
            documents.append(PmsDocument(f"bill B{n:06d}{b}", "bills", client, currency, _money(total), posted, "",
                                         frozenset((invoice_ids[b],))))  # fmt: skip
            balance += total
        batch = n % 20 in (2, 14)  # even clients (two receipts), in either currency: one in ten
        batch_id = _id(4, index, n) if batch else ""
        receipts = [pays] if batch else [[paid] for paid in pays]
        for r, paid in enumerate(receipts):
            amount = sum(cents for _, cents in paid)
            payment_ids = [_id(3, index, n * 4 + b) for b, _ in paid]
            ids = frozenset((batch_id,)) if batch else frozenset(payment_ids)
            receipt = f"R{n:06d}{r}"
            documents.append(PmsDocument(f"receipt {receipt}", "receipts", client, currency, -_money(amount), posted,
                                         "", ids, f"receipts/{receipt}"))  # fmt: skip
            balance -= amount
            for (b, cents), payment_id in zip(paid, payment_ids, strict=True):
                open_cents[b] -= cents
                entries.append(XeroEntry(payment_id, payment, contact, currency, f"RCPT {receipt}", -_money(cents),
                                         Decimal(0), True, rate, group_id=batch_id, document_id=invoice_ids[b]))  # fmt: skip
        if n % 25 == 11:  # a credit note, posted, still open in Xero
            cents = 5_000 + n % 20_000
            credit_id = _id(5, index, n)
            documents.append(PmsDocument(f"credit note CN{n:06d}", "credit_notes", client, currency, -_money(cents),
                                         posted, "", frozenset((credit_id,))))  # fmt: skip
            entries.append(XeroEntry(credit_id, credit, contact, currency, f"CN-{n:06d}", -_money(cents),
                                     -_money(cents), True, rate))  # fmt: skip
            balance -= cents
        xero_totals = list(bill_totals)
        extra_penny = 0
        if n % 100 == 37:  # out of balance: one cause in turn, and a penny besides on one in ten
            kind = PLANTED_KINDS[out_of_balance % len(PLANTED_KINDS)]
            kinds[kind] += 1
            mark = Planted(currency)
            planted[(client, currency)] = mark
            amount = 1_000 + (n * 31) % 9_000  # below every bill (at least 100.00), so a part of bill 2 too
            if kind in ("held bill", "rejected bill"):
                state, reason, cause = ((held, "no account mapping for matter type LIT", Cause.NOT_POSTED)
                                        if kind == "held bill" else
                                        (rejected, "Account code '999' is not a valid code for this document.",
                                         Cause.REJECTED))  # fmt: skip
                documents.append(PmsDocument(f"bill B{n:06d}9", "bills", client, currency, _money(amount), state,
                                             reason))  # fmt: skip
                balance += amount
                mark.causes[cause] += _money(amount)
            elif kind == "amount changed in Xero":  # bill 2 (unpaid) lowered in Xero
                xero_totals[2] -= amount
                open_cents[2] -= amount
                mark.causes[Cause.AMOUNT_DIFFERS] += _money(amount)
            elif kind == "invoice only in Xero":
                entries.append(XeroEntry(_id(6, index, n), invoice, contact, currency, f"INV-X{n:06d}",
                                         _money(amount), _money(amount), True, rate))  # fmt: skip
                mark.causes[Cause.ONLY_IN_XERO] -= _money(amount)
            elif kind == "receipt in Xero waiting for write-back":  # a bank-feed receipt on bill 2
                payment_id = _id(7, index, n)
                entries.append(XeroEntry(payment_id, payment, contact, currency, "Bank feed", -_money(amount),
                                         Decimal(0), True, rate, document_id=invoice_ids[2]))  # fmt: skip
                waiting.add(payment_id)
                open_cents[2] -= amount
                mark.causes[Cause.RECEIPT_NOT_WRITTEN_BACK] += _money(amount)
            if kind == "unexplained penny" or out_of_balance % 10 == 9:  # the PMS's list a penny higher
                extra_penny = 1
                mark.unexplained += CENT
            out_of_balance += 1
        for b in range(3):
            entries.append(XeroEntry(invoice_ids[b], invoice, contact, currency, f"INV-{n:06d}{b}",
                                     _money(xero_totals[b]), _money(open_cents[b]), True, rate))  # fmt: skip
        debtors[(client, currency)] = _money(balance + extra_penny)
    sides = Sides(debtors, names, documents, entries, contacts, contact_clients, frozenset(waiting), {})
    trial_balance = Decimal(0)  # Xero's debtors control account: its open items, each at its own rate
    for entry in entries:
        if entry.live and entry.open:
            trial_balance += (entry.open if entry.currency == spec.base else entry.open / entry.rate).quantize(CENT)
    control = ControlFigures("610 Accounts Receivable", trial_balance, DAY)
    return Books(spec, sides, control, planted, kinds, len(documents), len(entries))


# -- part 1: compare and render ----------------------------------------------------------------------------


@dataclass
class Timings:
    steps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - began


@contextmanager
def timed_parts(timings: Timings) -> Iterator[None]:
    """Time each part render_report is made of, by wrapping the names render.py calls."""
    names = ("trend_chart_png", "reconciliation_email", "reconciliation_workbook", "reconciliation_card")
    originals = {name: getattr(render_module, name) for name in names}

    def wrapped(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any) -> Any:
            with timings.step(f"  render: {name}"):
                return function(*args)

        return timed

    for name, function in originals.items():
        setattr(render_module, name, wrapped(name, function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(render_module, name, function)


def history(entity: str, today: CurrencyReconciliation) -> tuple[DayFigure, ...]:
    """29 earlier days rising to today's figure, then today's, as the History table gives them."""
    days = []
    for back in range(HISTORY_DAYS - 1, 0, -1):
        share = Decimal(HISTORY_DAYS - back) / HISTORY_DAYS
        difference = (today.difference * share).quantize(CENT)
        days.append(DayFigure(entity, today.currency, DAY - timedelta(days=back), difference,
                              (today.unexplained * share).quantize(CENT), Status.UNEXPLAINED))  # fmt: skip
    days.append(DayFigure(entity, today.currency, DAY, today.difference, today.unexplained, today.status))
    return tuple(days)


@dataclass
class Reconciled:
    report: ReconciliationReport
    rendered: RenderedReport


def compare_and_render(books: list[Books], timings: Timings) -> Reconciled:
    results = []
    for book in books:
        with timings.step(f"compare(): {book.spec.code}"):
            currencies = compare(book.sides)
        with timings.step("control_check()"):
            check = control_check(book.control, book.sides.entries, book.spec.base, Decimal(0))
        results.append(EntityReconciliation(book.spec.code, book.spec.organisation, book.spec.base, DAY,
                                            currencies, check))  # fmt: skip
    with timings.step("ReconciliationReport with 30 days of history"):
        trend = {(r.entity, c.currency): history(r.entity, c) for r in results for c in r.currencies}
        report = ReconciliationReport(FIRM, DAY, MADE_AT, tuple(results), trend, "http://127.0.0.1:7071/status")
    timings.steps.setdefault("render_report()", 0.0)  # listed before its parts
    with timings.step("render_report()"), timed_parts(timings):
        rendered = render_report(report, CHART_ID)
    return Reconciled(report, rendered)


def check_figures(books: list[Books], report: ReconciliationReport) -> list[str]:
    """What is wrong in the report against the books and what was planted in them (nothing, if right)."""
    wrong: list[str] = []
    for book, result in zip(books, report.entities, strict=True):
        entity = book.spec.code
        planted_by_currency: dict[str, Decimal] = defaultdict(Decimal)
        for mark in book.planted.values():
            planted_by_currency[mark.currency] += mark.difference
        found: dict[tuple[str, str], ClientDifference] = {}
        for currency in result.currencies:
            explained = sum((e.amount for c in currency.clients for e in c.explanations), Decimal(0))
            unexplained = sum((c.pms - c.xero - sum((e.amount for e in c.explanations), Decimal(0))
                               for c in currency.clients), Decimal(0))  # fmt: skip
            difference = currency.pms_total - currency.xero_total
            if explained + unexplained != difference:
                wrong.append(f"{entity} {currency.currency}: explained {explained} + unexplained {unexplained} "
                             f"!= difference {difference}")  # fmt: skip
            if difference != planted_by_currency[currency.currency]:
                wrong.append(f"{entity} {currency.currency}: difference {difference}, planted "
                             f"{planted_by_currency[currency.currency]}")  # fmt: skip
            for line in currency.clients:
                found[(line.client_id, currency.currency)] = line
        if set(found) != set(book.planted):
            missing, extra = set(book.planted) - set(found), set(found) - set(book.planted)
            wrong.append(f"{entity}: {len(found)} clients out of balance found, {len(book.planted)} planted "
                         f"(missed {sorted(missing)[:3]}, not planted {sorted(extra)[:3]})")  # fmt: skip
        for key, mark in book.planted.items():
            client = found.get(key)
            if client is None:
                continue
            causes: defaultdict[Cause, Decimal] = defaultdict(Decimal)
            for explanation in client.explanations:
                causes[explanation.cause] += explanation.amount
            if causes != mark.causes or client.unexplained != mark.unexplained:
                wrong.append(f"{entity} {key}: found {dict(causes)} and {client.unexplained} unexplained, planted "
                             f"{dict(mark.causes)} and {mark.unexplained}")  # fmt: skip
        if result.control is None or result.control.difference:
            wrong.append(f"{entity}: control account off by {result.control and result.control.difference}")
    return wrong


def part_one(clients: int, skip_memory: bool) -> tuple[dict[str, bool], bool]:
    print(f"part 1: compare and render, {clients:,} clients over {len(ENTITIES)} entities", flush=True)
    baseline = rss_now()
    began = time.perf_counter()
    books = []
    for index, spec in enumerate(ENTITIES):
        count = round(clients * spec.share)
        books.append(entity_books(index, spec, count))
        print(f"  {spec.code}: {count:,} clients ({spec.base}" + (f", {spec.other}" if spec.other else "")
              + f"): {books[-1].documents:,} PMS documents, {books[-1].entries:,} Xero records, "
              f"{len(books[-1].planted):,} clients out of balance planted", flush=True)  # fmt: skip
    built = rss_now()
    print(f"  books built in {time.perf_counter() - began:.1f} s; resident set {megabytes(baseline)} before, "
          f"{megabytes(built)} with the books", flush=True)  # fmt: skip
    planted_kinds: Counter[str] = sum((b.kinds for b in books), Counter())
    print("  planted causes: " + ", ".join(f"{kind} {planted_kinds[kind]}" for kind in PLANTED_KINDS)
          + f" (and a penny besides on {sum(1 for b in books for m in b.planted.values() if m.unexplained and len(m.causes))})")  # fmt: skip

    gc_seconds = [0.0]
    gc_started = [0.0]

    def gc_timer(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_seconds[0] += time.perf_counter() - gc_started[0]

    timings = Timings()
    gc.callbacks.append(gc_timer)
    began = time.perf_counter()
    reconciled = compare_and_render(books, timings)
    total = time.perf_counter() - began
    gc.callbacks.remove(gc_timer)
    peak = rss_peak()
    rendered = reconciled.rendered
    print("  seconds per step (one run, no tracemalloc):")
    for name, seconds in timings.steps.items():
        print(f"    {name:<45} {seconds:6.2f} s")
    print(f"    {'total':<45} {total:6.2f} s (of which the garbage collector {gc_seconds[0]:.2f} s)")
    print(f"  rendered: HTML {len(rendered.html) / 1024**2:.1f} MB, XLSX {len(rendered.workbook) / 1024**2:.1f} MB, "
          f"PNG {len(rendered.chart_png or b'') / 1024:.0f} KB, Teams card {len(str(rendered.card)) / 1024:.0f} KB")  # fmt: skip
    print(f"  resident set after: {megabytes(rss_now())}; the process's peak (ru_maxrss: interpreter, libraries, "
          f"the books, comparing and rendering): {megabytes(peak)}", flush=True)  # fmt: skip

    report = reconciled.report
    heap_peak = None
    if not skip_memory:
        del reconciled, rendered
        gc.collect()
        tracemalloc.start()
        began = time.perf_counter()
        again = compare_and_render(books, Timings())
        traced = time.perf_counter() - began
        heap_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  Python heap allocated by comparing and rendering (tracemalloc peak, a second run, "
              f"{traced:.1f} s under tracemalloc): {megabytes(heap_peak)}")  # fmt: skip
        del again

    wrong = check_figures(books, report)
    results = {"compare and render in at most 10 s": total <= SECONDS_TARGET,
               "peak memory at most 1 GB": peak <= MEMORY_TARGET}  # fmt: skip
    print("  targets:")
    print(f"    compare and render: {total:.2f} s (at most {SECONDS_TARGET:g} s): "
          f"{verdict(results['compare and render in at most 10 s'])}")  # fmt: skip
    print(f"    peak memory: {megabytes(peak)} resident, the whole process (at most {megabytes(MEMORY_TARGET)}): "
          f"{verdict(results['peak memory at most 1 GB'])}" + (f"; of it the Python heap comparing and rendering "
          f"allocate: {megabytes(heap_peak)}" if heap_peak is not None else ""))  # fmt: skip
    planted = sum(len(b.planted) for b in books)
    found = sum(1 for e in report.entities for c in e.currencies for line in c.clients if line.difference)
    print(f"  figures: {planted:,} clients out of balance planted, {found:,} found; " + ("every check passed: explained + unexplained "
          "= difference per currency, the clients found are those planted, each cause's amounts as planted"
          if not wrong else f"{len(wrong)} WRONG:"))  # fmt: skip
    for line in wrong[:20]:
        print(f"    {line}")
    return results, not wrong


# -- part 2: Xero's reads on a second day ------------------------------------------------------------------


class OneConnection:
    """The entity's connection in memory (the warehouse's rules: an ETag-guarded save, a refresh claim)."""

    def __init__(self, binding: Binding, credentials: Credentials) -> None:
        self._binding: Binding | None = binding
        self._credentials = replace(credentials, etag="e0")
        self._saves = 0

    def binding(self) -> Binding | None:
        return self._binding

    def bind(self, binding: Binding) -> None:
        self._binding = binding

    def unbind(self) -> None:
        self._binding = None

    def credentials(self) -> Credentials | None:
        return self._credentials

    def save_credentials(self, credentials: Credentials) -> bool:
        if credentials.etag != self._credentials.etag:
            return False
        self._saves += 1
        self._credentials = replace(credentials, etag=f"e{self._saves}")
        return True

    def claim_refresh(self, until: datetime, now: datetime) -> bool:
        return True


class LedgerInMemory:
    """The cached Xero ledger (XeroLedgerRepository): upserts by kind and id, contacts by id."""

    def __init__(self) -> None:
        self.rows: dict[tuple[XeroKind, str], XeroEntry] = {}
        self.contact_rows: dict[str, XeroContact] = {}

    def entries(self) -> Iterator[XeroEntry]:
        yield from list(self.rows.values())

    def contacts(self) -> dict[str, XeroContact]:
        return dict(self.contact_rows)

    def save_entries(self, entries: Sequence[XeroEntry]) -> None:
        self.rows.update({(entry.kind, entry.xero_id): entry for entry in entries})

    def save_contacts(self, contacts: Sequence[XeroContact]) -> None:
        self.contact_rows.update({contact.contact_id: contact for contact in contacts})


class Cursors:
    def __init__(self) -> None:
        self.at: dict[str, datetime] = {}

    def get(self, name: str) -> datetime | None:
        return self.at.get(name)

    def set(self, name: str, at: datetime) -> None:
        self.at[name] = at


class TimedApp:
    """The emulator's WSGI app, adding up the time it spends answering (to tell its time from ours)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seconds = 0.0

    def __call__(self, environ: Any, start_response: Any) -> Any:
        began = time.perf_counter()
        try:
            return list(self.app(environ, start_response))
        finally:
            self.seconds += time.perf_counter() - began

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)


def other_currency(tenant: Tenant) -> str:
    return next((c for c in tenant.currencies if c != tenant.base_currency), tenant.base_currency)


def seed(tenant: Tenant, contacts: int, first: datetime, last: datetime) -> None:
    """N contacts, three invoices each and their payments, straight into the organisation's books."""
    records = contacts * 6  # an upper bound of the records stamped, so the stamps stay before `last`
    step = (last - first) / records
    stamp = first
    other = other_currency(tenant)
    rate = tenant.rates.get(other, ONE)
    for n in range(contacts):
        stamp += step
        contact_id = new_id()
        tenant.contacts[contact_id] = Contact(contact_id, f"{_SURNAMES[n % 10]} {n} Ltd", stamp,
                                              contact_number=f"C{n:06d}", is_customer=True)  # fmt: skip
        currency, currency_rate = (other, rate) if n % 5 == 4 else (tenant.base_currency, ONE)
        for b in range(3):
            stamp += step
            invoice_id = new_id()
            total = _money(10_000 + (n * 7919 + b * 104_729) % 900_000)
            on = date(2026, 8, 1) + timedelta(days=(n + 30 * b) % 90)
            number = f"INV-{n:06d}{b}"
            line = Line(new_id(), "Professional fees", ONE, total, "200", "NONE", total, Decimal(0))
            invoice = Invoice(contact_id, on, "AUTHORISED", "NoTax", currency, currency_rate, [line], total,
                              Decimal(0), total, stamp, f"B{n:06d}{b}", invoice_id, "ACCREC", number,
                              on + timedelta(days=30))  # fmt: skip
            tenant.invoices[invoice_id] = invoice
            tenant.invoice_numbers.add(number)
            paid = total if b == 0 else (total / 2).quantize(CENT) if b == 1 and n % 2 == 0 else None
            if paid is None:
                continue
            stamp += step
            payment_id = new_id()
            tenant.payments[payment_id] = Payment(payment_id, invoice_id, "090", on + timedelta(days=14), paid,
                                                  currency_rate, stamp, f"R{n:06d}{b}",
                                                  bank_amount=(paid / currency_rate).quantize(CENT))  # fmt: skip
            invoice.amount_paid += paid
            invoice.payment_ids.append(payment_id)
            invoice.updated = stamp
            if invoice.amount_due <= 0:
                invoice.status, invoice.fully_paid_on = "PAID", on + timedelta(days=14)
        if (n + 1) % 5_000 == 0 or n + 1 == contacts:
            print(f"    seeded {n + 1:,} contacts, {len(tenant.invoices):,} invoices, "
                  f"{len(tenant.payments):,} payments", flush=True)  # fmt: skip


def change_one_percent(em: Emulator, entity: str, contacts: int) -> None:
    """What people do in Xero in a day, through the emulator's own actions (each stamps what it touches):
    a bank-feed receipt on 0.75% of the invoices, 0.25% voided, 1% of the contacts edited."""
    tenant = em.tenant(entity)
    by_contact: dict[str, list[Invoice]] = defaultdict(list)
    for invoice in tenant.invoices.values():
        by_contact[invoice.contact_id].append(invoice)
    people = list(tenant.contacts.values())
    invoices = len(tenant.invoices)
    receipts, voids, edits = round(invoices * 0.0075), round(invoices * 0.0025), round(contacts * 0.01)
    for i in range(receipts):  # bill 2 of a contact (never paid): half of it received
        bill = by_contact[people[(i * len(people)) // receipts].contact_id][2]
        em.receive_from_bank_feed(entity, bill.invoice_id, (bill.amount_due / 2).quantize(CENT))
    odd = [c for n, c in enumerate(people) if n % 2 == 1]
    for i in range(voids):  # bill 1 of an odd-numbered contact (never paid)
        em.void_invoice(entity, by_contact[odd[(i * len(odd)) // voids].contact_id][1].invoice_id)
    for i in range(edits):
        person = people[(i * len(people)) // edits]
        em.edit_contact(entity, person.contact_id, EmailAddress=f"accounts{i}@client.example")


@dataclass
class Day:
    label: str
    refresh: LedgerRefresh
    calls: int
    bytes_read: int
    wall: float
    emulator: float
    xero_minutes: float
    other_calls: int = 0  # the day's other reads: the binding check on connecting, the control account


def read_day(label: str, xero: PatientXero, api: XeroHttpApi, binding: Binding, app: TimedApp, clock: ManualClock,
             ledger: LedgerInMemory, cursors: Cursors) -> Day:  # fmt: skip
    """One day's reads as reconcile_entity makes them: the binding check on connecting, the ledger's
    refresh (measured), and the debtors control account off the trial balance."""
    first = api.usage.calls
    check_binding(api, binding)
    calls, read, served = api.usage.calls, api.usage.bytes_read, app.seconds
    began, xero_began = time.perf_counter(), clock.seconds()
    refresh = refresh_ledger(ledger, cursors, xero, clock.now())
    wall = time.perf_counter() - began
    day = Day(label, refresh, api.usage.calls - calls, api.usage.bytes_read - read, wall, app.seconds - served,
              (clock.seconds() - xero_began) / 60)  # fmt: skip
    read_control(xero, clock.now().date())
    day.other_calls = api.usage.calls - first - day.calls
    return day


def changed_since(tenant: Tenant, cursors: Cursors) -> dict[str, int]:
    """Per resource, the records stamped after its cursor: what day two must read."""

    def after(name: str, stamps: Iterator[datetime]) -> int:
        cursor = cursors.get(f"reconcile:{name}")
        return sum(1 for stamp in stamps if cursor is None or stamp > cursor)

    return {
        "Contacts": after("Contacts", (c.updated for c in tenant.contacts.values())),
        "Invoices": after("Invoices", (i.updated for i in tenant.invoices.values() if i.type == "ACCREC")),
        "CreditNotes": after("CreditNotes", (n.updated for n in tenant.credit_notes.values())),
        "Overpayments": after("Overpayments", (o.updated for o in tenant.overpayments.values())),
        "Payments": after("Payments", (p.updated for p in tenant.payments.values())),
    }


def ledger_disagrees(tenant: Tenant, ledger: LedgerInMemory) -> list[str]:
    """Where the cached ledger, after the reads, differs from the organisation's books (nothing, if right)."""
    wrong = []
    held = {(entry.kind, entry.xero_id): entry for entry in ledger.entries()}
    for invoice in tenant.invoices.values():
        entry = held.get((XeroKind.INVOICE, invoice.invoice_id))
        live = invoice.status in ("AUTHORISED", "PAID")
        if entry is None or entry.live != live or (live and entry.open != invoice.amount_due):
            wrong.append(f"invoice {invoice.number}: {invoice.status} {invoice.amount_due} in Xero, held {entry}")
    payments = {key for key in held if key[0] is XeroKind.PAYMENT}
    if payments != {(XeroKind.PAYMENT, payment_id) for payment_id in tenant.payments}:
        wrong.append(f"{len(payments):,} payments held, {len(tenant.payments):,} in Xero")
    contacts = ledger.contacts()
    if contacts.keys() != tenant.contacts.keys():
        wrong.append(f"{len(contacts):,} contacts held, {len(tenant.contacts):,} in Xero")
    return wrong


def part_two(contacts: int) -> tuple[dict[str, bool], bool]:
    entity = "UK"
    start = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # day one's reconciliation
    clock = ManualClock(start)
    em = Emulator(clock=clock, validate=False)
    app = TimedApp(em.app)
    em.app = app  # type: ignore[assignment]  # served through the timer (start() serves em.app)
    tenant = em.tenant(entity)
    print(f"part 2: Xero's reads on a second day, one organisation ({tenant.name}, base {tenant.base_currency}) of "
          f"N = {contacts:,} contacts (one in five billed in {other_currency(tenant)}); "
          "the emulator in this process, validation off (as benchmarks run it), rate limits on, its clock moved by hand", flush=True)  # fmt: skip
    began = time.perf_counter()
    seed(tenant, contacts, start - timedelta(days=90), start - timedelta(hours=1))
    records = len(tenant.contacts) + len(tenant.invoices) + len(tenant.payments)
    print(f"  seeded directly in its state in {time.perf_counter() - began:.1f} s: {records:,} records", flush=True)
    url = em.start()
    try:
        client = em.client_for(entity)
        binding = Binding(entity, tenant.tenant_id, tenant.name, tenant.base_currency, ConnectionKind.CUSTOM,
                          client.client_id, start - timedelta(days=200), "bench")  # fmt: skip
        keeper = TokenKeeper(binding, OneConnection(binding, Credentials(client_secret=client.client_secret)),
                             XeroIdentity.local(url), clock.now, clock.advance)  # fmt: skip
        # Xero's 60 a minute kept on the emulator's clock; waiting moves that clock instead of sleeping.
        pacer = Pacer(clock=clock.seconds, sleep=clock.advance)
        api = XeroHttpApi(entity, tenant.tenant_id, em.accounting_url, keeper.access_token, pacer=pacer)
        xero = PatientXero(api, clock.advance)
        ledger, cursors = LedgerInMemory(), Cursors()

        print("  day one: the first read, everything", flush=True)
        one = read_day("day one", xero, api, binding, app, clock, ledger, cursors)
        report_day(one)

        clock.advance(timedelta(hours=20))  # the day's work in Xero, well after day one's read
        began = time.perf_counter()
        change_one_percent(em, entity, contacts)
        changed = changed_since(tenant, cursors)
        print(f"  during the day, in Xero, in {time.perf_counter() - began:.1f} s: "
              + ", ".join(f"{name} {count:,}" for name, count in changed.items())
              + f" records changed ({sum(changed.values()) / records:.2%} of {records:,})", flush=True)  # fmt: skip
        clock.advance(timedelta(hours=4))  # day two's reconciliation: 4 hours after the changes, past the margin
        print("  day two: what changed since day one's cursors", flush=True)
        two = read_day("day two", xero, api, binding, app, clock, ledger, cursors)
        report_day(two)
        disagree = ledger_disagrees(tenant, ledger)
    finally:
        em.stop()

    pages = {name: math.ceil(count / PAGE_SIZE) for name, count in changed.items()}
    allowed = sum(pages.values()) + HANDFUL
    fresh_right = dict(two.refresh.read) == changed and not disagree
    calls_met = two.calls <= allowed
    results = {"day two's calls at most the changed pages + 6": calls_met}
    print("  targets:")
    print("    pages the changed records fill: " + ", ".join(f"{n} {p}" for n, p in pages.items())
          + f" = {sum(pages.values())}; day two's calls {two.calls} (at most {sum(pages.values())} + {HANDFUL} = "
          f"{allowed}): {verdict(calls_met)}; with the day's other reads, {two.calls + two.other_calls} calls")  # fmt: skip
    print(f"    day two read {two.refresh.records:,} changed records, {sum(changed.values()):,} changed in Xero "
          f"(each resource's count the same: {dict(two.refresh.read) == changed}); sent again, already held: "
          f"{sum(two.refresh.again.values()):,}; bytes read {two.bytes_read / 1024:,.0f} KB against day one's "
          f"{one.bytes_read / 1024**2:,.1f} MB ({two.bytes_read / one.bytes_read:.2%})")  # fmt: skip
    print("    the cached ledger after day two against the organisation's books (every invoice's status and AmountDue, "
          "every payment, every contact): " + ("the same" if not disagree else f"{len(disagree)} WRONG:"))  # fmt: skip
    for line in disagree[:10]:
        print(f"      {line}")
    return results, fresh_right


def report_day(day: Day) -> None:
    refresh = day.refresh
    print(f"    {day.calls} calls, {day.bytes_read / 1024**2:,.2f} MB read ({day.bytes_read / max(day.calls, 1) / 1024:,.0f} "
          f"KB a call); records read: " + ", ".join(f"{n} {c:,}" for n, c in refresh.read.items())
          + f"; sent again, already held: {sum(refresh.again.values()):,}")  # fmt: skip
    print(
        f"    besides, {day.other_calls} calls on that day: the binding check on connecting (GET /Organisation) and "
        "the debtors control account (GET /Accounts, GET /Reports/TrialBalance)"
    )
    print(f"    {day.wall:.1f} s here ({day.emulator:.1f} s of it the emulator answering, the rest our side: HTTP, "
          f"JSON, mapping, the ledger); {day.xero_minutes:.1f} minutes of Xero's clock at 60 calls a minute", flush=True)  # fmt: skip


# -- main ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100_000, help="part 1: the firm's clients, all entities")
    parser.add_argument("--xero-contacts", type=int, default=20_000, help="part 2: the organisation's contacts (N)")
    parser.add_argument("--skip-memory", action="store_true", help="part 1: no second run under tracemalloc")
    args = parser.parse_args()
    began = time.perf_counter()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores",
          flush=True)  # fmt: skip
    results, compared_right = part_one(args.clients, args.skip_memory)
    read_results, read_right = part_two(args.xero_contacts)
    results |= read_results
    print(f"met: {', '.join(k for k, v in results.items() if v) or 'none'}; "
          f"not met: {', '.join(k for k, v in results.items() if not v) or 'none'}")  # fmt: skip
    print(f"figures: the reconciliation's {'right' if compared_right else 'WRONG'}, day two's reads "
          f"{'right' if read_right else 'WRONG'}; the bench took {time.perf_counter() - began:.0f} s; "
          f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    if not (compared_right and read_right):  # wrong figures only: targets are printed, never asserted
        sys.exit(1)


if __name__ == "__main__":
    main()
