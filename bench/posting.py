"""Posting benchmark: a night's bills and receipts posted with `post_to_xero`, one entity and then five at once.

Against the local Xero served from a child process (rate limits on, spec validation off, as benchmarks
run it) and Azurite started here, through the app's own adapters: table unit of work, blob poster
lease, storage queue, and the HTTP connector with its pacer per organisation.

The documents: per client five bills (one to three lines, tracked by office and department); an
even-numbered client's three receipts pay bills 0+1, 2 and 3, an odd-numbered client's two pay 0+1+2
and 3, so two receipts in five pay several bills (Xero batch payments), and bill 4 stays open. They are
written `ready` straight into the warehouse with their mappings, as an import leaves them. Phase 1
posts one entity; phase 2 posts five entities at once, one thread each (as the Functions host runs
queue messages), each to its own organisation in a five-organisation books file. An entity is posted
again while the outcome says there is more, as its queue message would be.

What the default measures: `--scale 0.4`, per entity 800 clients, 4,000 bills, 2,000 receipts and
3,200 allocations (10,000 documents, 6,800 of them sent as Xero records), in 7 to 10 minutes on the
2-core development machine, depending on its other load. `--scale 1` is the full night of 10,000 bills
and 5,000 receipts per entity (2,000 clients, 8,000 allocations, 25,000 documents), more than twice as
long there: the five entities' posting does not keep Xero's pace on 2 cores (docs/benchmarks.md,
Posting).

The time scale: Xero's limits are per organisation, so five organisations at 60 calls a minute ask the
emulator for 5 requests per scaled second. The bench probes the emulator's capacity first (PUT
/Invoices of 50, best of 1, 2 and 4 client threads, as bench/xero_emulator.py does) and refuses a
scale that would ask more than half of it. Within that rule it posts at Xero's own pace (1) unless
`--time-scale` asks for a faster Xero: a shorter minute does not make a call cost us less, so a
compressed run would measure the compression, not whether posting keeps up with Xero's real limits.

Printed against their targets: calls per 1,000 documents (a document here is one that becomes one
Xero record: a client, a bill or a receipt; a receipt's allocations travel inside its payment); the
share of each organisation's minute budget used while it had a backlog (calls started in each whole
scaled minute from the start of its posting to its last call, over 60, from the calls' start times);
the speed-up of five entities over one; bytes read from Xero per document; duplicates in Xero (each
PMS document's records counted in the emulator's books); 429s that ended in a failure. Also where
each posting thread's time went (warehouse reads and writes by operation, the poster lease, waiting
for Xero's limits, calls in flight, the run's in-memory lookups, the rest) and the CPU each process
used, to show what limits the speed-up on 2 cores.
Usage: python bench/posting.py [--scale 0.4] [--time-scale 1] [--probe-seconds 4]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from xero_emulator import _measure as measure_capacity  # the capacity bench's own probe, run here

from cynare.adapters.azurite import Azurite
from cynare.adapters.secrets_box import SecretsBox
from cynare.adapters.xero.auth import XeroIdentity
from cynare.adapters.xero.connector import HttpXeroConnector
from cynare.adapters.xero.pacer import Pacer
from cynare.bootstrap import App, AppSettings, bootstrap
from cynare.domain.documents import Address, Bill, Client, DocKey, Document, Line, Receipt, ReceiptAllocation, Tracking
from cynare.domain.lifecycle import Stamp, State, StoredDocument, arrive
from cynare.domain.money import Money
from cynare.sandbox.xero import books_file
from cynare.sandbox.xero.cli import tune_gc_for_serving
from cynare.sandbox.xero.emulator import Emulator
from cynare.service_layer.posting.ledger import Ledger
from cynare.service_layer.posting.run import PostingOutcome, PostingStatus, post_to_xero
from cynare.service_layer.unit_of_work import EntityWork, UnitOfWork
from cynare.service_layer.xero_port import PosterLock

SOURCE = "bench-pms"
PER_MINUTE = 60  # Xero's calls a minute per organisation
BATCH = 50  # Xero's most elements per call: the floor is one call per 50 documents
ENTITIES = ("PA", "PB", "PC", "PD", "PE")
CALLS_TARGET = 22.0  # per 1,000 documents
SHARE_TARGET = 0.90
SPEEDUP_TARGET = 4.5
EMULATOR_SHARE = 0.5  # of its measured capacity, at most (docs/benchmarks.md)
CORES = os.cpu_count() or 1
_OFFICES = {"LON": "London", "MAN": "Manchester", "LEE": "Leeds"}
_DEPARTMENTS = {"LIT": "Litigation", "CORP": "Corporate", "PROP": "Property", "PRIV": "Private Client"}
_NOMINALS = {"4000": "200", "4010": "201", "4020": "260"}
_FIRST = ("Abbott", "Baker", "Carter", "Dalton", "Ellis", "Fraser", "Gould", "Hughes", "Irwin", "Jones")
_REPOSITORIES = ("batches", "documents", "reference", "identities", "xero_ids", "rejections", "connection",
                 "issues", "usage", "outbox", "cursors")  # fmt: skip
_WRITES = frozenset({"save", "save_tracked", "store", "store_snapshot", "put", "add", "raise_issue", "clear",
                     "bind", "unbind", "save_credentials", "claim_refresh", "remove", "set", "record"})  # fmt: skip


# -- the night's documents ---------------------------------------------------------------------------------


@dataclass
class Night:
    """One entity's ready documents, and what each PMS document must become in Xero (to count its records)."""

    documents: list[StoredDocument]
    clients: list[str]  # ContactNumber
    bills: list[str]  # InvoiceNumber
    receipts: list[str]  # Reference of the payment or batch payment
    allocations: list[tuple[str, str]]  # (Reference, InvoiceNumber) of each payment

    @property
    def sent(self) -> int:
        """Documents that each become one Xero record (one element of a batch call)."""
        return len(self.clients) + len(self.bills) + len(self.receipts)


def _document(entity: str, dataset: str, firm_id: str, body: Any, rows: int = 1) -> Document:
    return Document(entity, DocKey(dataset, firm_id), SOURCE, firm_id, body, rows)


def night_for(entity: str, clients: int, now: datetime) -> Night:
    """Five bills a client and two or three receipts (the pattern is in the module's docstring)."""
    stamp = Stamp("bench-night", SOURCE, 1)
    night = Night([], [], [], [], [])
    docs: list[Document] = []
    offices, departments, nominals = list(_OFFICES), list(_DEPARTMENTS), list(_NOMINALS)
    year = date(2026, 1, 5)
    for number in range(clients):
        client_id = f"C{number:06d}"
        name = f"{_FIRST[number % len(_FIRST)]} {number} Holdings Ltd"
        address = Address(f"{number % 300 + 1} High Street", None, "London", None, "EC1A 1BB", "GB")
        docs.append(_document(entity, "clients", client_id,
                              Client(client_id, name, "GBP", f"accounts{number}@example.com", address)))  # fmt: skip
        night.clients.append(client_id)
        bills: list[tuple[str, str, Money, date]] = []
        for index in range(5):
            bill_id = f"B{number * 5 + index:07d}"
            day = year + timedelta(days=(number + index * 7) % 280)
            lines = []
            for line_no in range(1, 2 + (number + index) % 3):
                # Nets in multiples of 5p, so that 20% VAT is exact and Xero's total is the PMS's.
                net = Money(Decimal(10_000 + (number * 37 + index * 11 + line_no * 5) % 200_000) * 5 / 100, "GBP")
                tracking = (Tracking("office", offices[number % 3]), Tracking("department", departments[index % 4]))
                lines.append(Line(line_no, f"Professional fees: matter {number}-{index}, work to date",
                                  nominals[line_no % 3], "S", net, Money(net.amount / 5, "GBP"),
                                  tracking=tracking))  # fmt: skip
            total = Money(sum((line.net.amount + line.vat.amount for line in lines), Decimal(0)), "GBP")
            number_text = f"INV-{number * 5 + index:07d}"
            bill = Bill(bill_id, number_text, client_id, day, day + timedelta(days=30), Decimal(1), total,
                        tuple(lines), f"Matter {number}-{index}")  # fmt: skip
            docs.append(_document(entity, "bills", bill_id, bill, rows=1 + len(lines)))
            night.bills.append(number_text)
            bills.append((bill_id, number_text, total, day))
        paying = ((0, 1), (2,), (3,)) if number % 2 == 0 else ((0, 1, 2), (3,))
        for index, paid in enumerate(paying):
            receipt_id = f"R{number:06d}-{index}"
            day = max(bills[i][3] for i in paid) + timedelta(days=20)
            amount = Money(sum((bills[i][2].amount for i in paid), Decimal(0)), "GBP")
            docs.append(_document(entity, "receipts", receipt_id,
                                  Receipt(receipt_id, client_id, day, Decimal(1), amount, "BANK1")))  # fmt: skip
            night.receipts.append(receipt_id)
            for i in paid:
                bill_id, number_text, total, _ = bills[i]
                docs.append(_document(entity, "receipt_allocations", f"{receipt_id}|{bill_id}",
                                      ReceiptAllocation(receipt_id, bill_id, total)))  # fmt: skip
                night.allocations.append((receipt_id, number_text))
    night.documents = [stored for doc in docs if (stored := arrive(None, doc, (), stamp, now)) is not None]
    assert all(stored.state is State.READY for stored in night.documents)
    return night


def _reference() -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """The mappings as the import stores them (keyed as the extract's reference datasets are)."""
    tracking = [(f"office|{code}", {"xero_category": "Office", "xero_option": name}) for code, name in _OFFICES.items()]
    tracking += [(f"department|{code}", {"xero_category": "Department", "xero_option": name})
                 for code, name in _DEPARTMENTS.items()]  # fmt: skip
    nominal = [(code, {"nominal_code": code, "xero_account_code": account}) for code, account in _NOMINALS.items()]
    return {
        "vat_codes": [("S", {"vat_code": "S", "description": "Standard", "treatment": "rated", "rate": "20"})],
        "map_nominal": nominal,
        "map_vat": [("S", {"vat_code": "S", "xero_tax_type": "OUTPUT2"})],
        "map_tracking": tracking,
        "map_bank": [("BANK1", {"bank_account": "BANK1", "xero_account_code": "090"})],
    }


def store_night(uow: UnitOfWork, entity: str, night: Night) -> None:
    with uow.for_entity(entity) as work:
        for dataset, rows in _reference().items():
            work.reference.store(dataset, rows)
        for start in range(0, len(night.documents), 2_000):
            _, lost = work.documents.save_tracked(night.documents[start : start + 2_000])
            assert not lost, lost


# -- the local Xero in a child process ---------------------------------------------------------------------


def books_for(entities: Iterable[str]) -> dict[str, Any]:
    """A books file of one organisation per entity, each with the sample UK organisation's settings."""
    sample = json.loads(books_file.SAMPLE.read_text())["organisations"][0]
    settings = {k: v for k, v in sample.items() if k not in {"tenant_id", "short_code", "connection"}}
    organisations = [{**settings, "entity": entity, "name": f"Bench Legal {entity} LLP",
                      "legal_name": f"Bench Legal {entity} LLP", "contacts": [], "invoices": []}
                     for entity in entities]  # fmt: skip
    return {"format": books_file.FORMAT, "organisations": organisations}


def _census(emulator: Emulator) -> dict[str, Any]:
    """Per organisation: the 429s the emulator answered, and each PMS document's records by what we put on them."""
    found: dict[str, Any] = {}
    counts = emulator.counts()
    with emulator.lock:
        for tenant in emulator.tenants.values():
            # Every record counts, whatever its status: a duplicate voided or deleted later was still made.
            numbers = {i.invoice_id: i.number for i in tenant.invoices.values()}
            payments = list(tenant.payments.values())
            receipts = Counter(b.reference for b in tenant.batch_payments.values())
            receipts.update(p.reference for p in payments if not p.batch_payment_id)
            tally = counts.get(tenant.tenant_id)
            found[tenant.entity_code] = {
                "contacts": Counter(c.contact_number for c in tenant.contacts.values()),
                "invoices": Counter(i.number for i in tenant.invoices.values()),
                "receipts": receipts,
                "allocations": Counter((p.reference, numbers.get(p.invoice_id, "")) for p in payments),
                "throttled": tally.throttled if tally else 0,
            }
    return found


def _serve(books: dict[str, Any], time_scale: float, ports: Any, stop: Any, results: Any) -> None:
    # Spec validation off and the serving collector settings, as bench/xero_emulator.py runs it.
    emulator = Emulator(time_scale=time_scale, books=books)
    tune_gc_for_serving()
    emulator.start()
    ports.put(emulator.url)
    stop.wait()
    emulator.stop()
    results.put(_census(emulator))


class ServedXero:
    """The local Xero in a child process, limits on; `census()` stops it and answers what its books hold."""

    def __init__(self, books: dict[str, Any], time_scale: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._ports, self._results = context.Queue(), context.Queue()
        self._stop = context.Event()
        self.process = context.Process(target=_serve, args=(books, time_scale, self._ports, self._stop, self._results),
                                       daemon=True)  # fmt: skip
        self.process.start()
        self.url: str = self._ports.get(timeout=60)

    def census(self) -> dict[str, Any]:
        self._stop.set()
        found: dict[str, Any] = self._results.get(timeout=120)
        self.process.join(timeout=30)
        return found


# -- where the time goes ------------------------------------------------------------------------------------


@dataclass
class Spent:
    """Seconds of one entity's posting thread, by what it was doing."""

    warehouse_read: float = 0.0
    warehouse_write: float = 0.0
    lock: float = 0.0  # taking and giving back the poster lease
    xero_wait: float = 0.0  # for a slot under Xero's limits (the pacer), and backing off after a 429
    xero_call: float = 0.0  # a call in flight: request sent until the reply is read
    lookups: float = 0.0  # the run's lookups of documents it already holds (Ledger.load less its reads)
    total: float = 0.0
    operations: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # seconds per method
    called: Counter[str] = field(default_factory=Counter)  # calls per repository method

    @property
    def rest(self) -> float:
        """Our other Python work (bodies, JSON, decisions), and with five threads waiting for the interpreter."""
        known = self.warehouse_read + self.warehouse_write + self.lock + self.xero_wait + self.xero_call
        return max(0.0, self.total - known - self.lookups)

    @classmethod
    def summed(cls, spent: Iterable[Spent]) -> Spent:
        total = cls()
        for one in spent:
            for name in ("warehouse_read", "warehouse_write", "lock", "xero_wait", "xero_call", "lookups", "total"):
                setattr(total, name, getattr(total, name) + getattr(one, name))
            for name, seconds in one.operations.items():
                total.operations[name] += seconds
            total.called.update(one.called)
        return total


_thread = threading.local()


def _spent() -> Spent | None:
    return getattr(_thread, "spent", None)


def _add(what: str, seconds: float, operation: str = "") -> None:
    spent = _spent()
    if spent is not None:
        setattr(spent, what, getattr(spent, what) + seconds)
        if operation:
            spent.operations[operation] += seconds


def _timed_iteration(items: Iterator[Any], what: str, operation: str) -> Iterator[Any]:
    # A query yields lazily: each page's read and decode is timed as it is pulled.
    while True:
        started = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            _add(what, time.perf_counter() - started, operation)
            return
        _add(what, time.perf_counter() - started, operation)
        yield item


class _Timed:
    """A repository whose every call is timed as a warehouse read or write."""

    def __init__(self, inner: Any, name: str) -> None:
        self._inner = inner
        self._name = name

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute
        what = "warehouse_write" if name in _WRITES else "warehouse_read"
        operation = f"{self._name}.{name}"

        def timed(*args: Any, **kwargs: Any) -> Any:
            spent = _spent()
            if spent is not None:
                spent.called[operation] += 1
            started = time.perf_counter()
            try:
                result = attribute(*args, **kwargs)
            finally:
                _add(what, time.perf_counter() - started, operation)
            return _timed_iteration(result, what, operation) if isinstance(result, Iterator) else result

        return timed


class TimedUnitOfWork:
    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner

    def entities(self) -> list[str]:
        return self._inner.entities()

    @contextmanager
    def for_entity(self, entity: str) -> Iterator[EntityWork]:
        with self._inner.for_entity(entity) as work:
            timed: dict[str, Any] = {name: _Timed(getattr(work, name), name) for name in _REPOSITORIES}
            yield dataclasses.replace(work, **timed)


class TimedLock:
    def __init__(self, inner: PosterLock) -> None:
        self._inner = inner

    @contextmanager
    def hold(self, entity: str) -> Iterator[bool]:
        with ExitStack() as stack:
            started = time.perf_counter()
            held = stack.enter_context(self._inner.hold(entity))
            _add("lock", time.perf_counter() - started)
            try:
                yield held
            finally:
                started = time.perf_counter()
                stack.close()
                _add("lock", time.perf_counter() - started)


class TimedPacer(Pacer):
    """The connector's pacer, noting when each call started and how long it waited for its slot."""

    def __init__(self, minute_seconds: float) -> None:
        super().__init__(minute_seconds=minute_seconds)
        self.starts: list[float] = []

    @contextmanager
    def slot(self) -> Iterator[None]:
        asked = time.perf_counter()
        with super().slot():
            started = time.perf_counter()
            self.starts.append(started)
            _add("xero_wait", started - asked)
            try:
                yield
            finally:
                _add("xero_call", time.perf_counter() - started)


class TimedConnector(HttpXeroConnector):
    """`HttpXeroConnector.for_url` for the local Xero, with a timed pacer per organisation."""

    def __init__(self, xero_url: str, clock: Callable[[], datetime], time_scale: float) -> None:
        base = xero_url.rstrip("/")
        super().__init__(f"{base}/api.xro/2.0", XeroIdentity.local(base), clock, minute_seconds=60.0 * time_scale)
        self.minute_seconds = 60.0 * time_scale
        self.timed: dict[str, TimedPacer] = {}
        self._timed_lock = threading.Lock()

    def pacer(self, tenant_id: str) -> Pacer:
        with self._timed_lock:
            if tenant_id not in self.timed:
                self.timed[tenant_id] = TimedPacer(self.minute_seconds)
            return self.timed[tenant_id]


def time_ledger_lookups() -> None:
    """Time the run's lookups of the documents it holds in memory, apart from the warehouse reads they make.

    Timing only: the method is wrapped, not changed. It is timed because it costs more as the run knows
    more documents (docs/benchmarks.md, Posting).
    """
    original = Ledger.load

    @functools.wraps(original)
    def load(self: Ledger, keys: Iterable[DocKey]) -> dict[DocKey, StoredDocument]:
        spent = _spent()
        read_before = spent.warehouse_read if spent is not None else 0.0
        started = time.perf_counter()
        try:
            return original(self, keys)
        finally:
            if spent is not None:
                spent.lookups += time.perf_counter() - started - (spent.warehouse_read - read_before)

    Ledger.load = load  # type: ignore[method-assign]


def _timed_sleep(seconds: float) -> None:
    # The sender's back-off after a 429 or a failure: waiting for Xero too.
    started = time.perf_counter()
    time.sleep(seconds)
    _add("xero_wait", time.perf_counter() - started)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used (all cores), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _processes(xero_pid: int) -> dict[str, int]:
    """This process, the Xero emulator child and Azurite (our child running node)."""
    found = {"poster (this process)": os.getpid(), "Azurite": 0, "Xero emulator": xero_pid}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == os.getpid() and b"azurite" in command:
            found["Azurite"] = int(entry.name)
    return {name: pid for name, pid in found.items() if pid}


# -- posting ------------------------------------------------------------------------------------------------


@dataclass
class Posted:
    """One entity posted until done."""

    entity: str
    began: float
    ended: float = 0.0
    runs: list[PostingOutcome] = field(default_factory=list)
    spent: Spent = field(default_factory=Spent)

    @property
    def calls(self) -> int:
        return sum(run.usage.calls for run in self.runs)

    @property
    def bytes_read(self) -> int:
        return sum(run.usage.bytes_read for run in self.runs)

    @property
    def throttled(self) -> int:
        return sum(run.usage.throttled for run in self.runs)

    @property
    def failed_on_429(self) -> int:
        """429s the sender gave up on: counted as failed by the sender, or a run handed over on them."""
        handed_over = sum(1 for run in self.runs if run.status is PostingStatus.MORE and "429" in run.message)
        return sum(run.usage.failed_throttled for run in self.runs) + handed_over

    @property
    def outcomes(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for run in self.runs:
            for (_, outcome), documents in run.tally.items():
                total[outcome] += documents
        return total


def post_until_done(entity: str, app: App, uow: TimedUnitOfWork, connector: TimedConnector, lock: TimedLock,
                    start: threading.Barrier) -> Posted:  # fmt: skip
    """Post the entity, and post it again while the outcome says there is more, as its queue message would."""
    start.wait()
    posted = Posted(entity, time.perf_counter())
    _thread.spent = posted.spent
    try:
        while True:
            outcome = post_to_xero(entity, uow, connector, lock, app.queue, app.clock, _timed_sleep,
                                   app.settings.budget)  # fmt: skip
            posted.runs.append(outcome)
            if outcome.status is PostingStatus.BUSY:
                time.sleep(1.0)
            elif outcome.status is PostingStatus.MORE:
                _timed_sleep(min(outcome.requeue_after or 0.0, 60.0))
            else:
                break
    finally:
        posted.ended = time.perf_counter()
        posted.spent.total = posted.ended - posted.began
        _thread.spent = None
    return posted


@dataclass
class Phase:
    label: str
    nights: dict[str, Night]
    posted: dict[str, Posted]
    census: dict[str, Any]
    starts: dict[str, list[float]]  # entity -> its calls' start times
    wall: float
    cpu: dict[str, float]  # process -> CPU seconds while posting

    @property
    def sent(self) -> int:
        return sum(night.sent for night in self.nights.values())

    @property
    def documents(self) -> int:
        return sum(len(night.documents) for night in self.nights.values())

    @property
    def calls(self) -> int:
        return sum(posted.calls for posted in self.posted.values())


def run_phase(label: str, entities: tuple[str, ...], clients: int, azurite: Azurite, time_scale: float) -> Phase:
    # Each phase has its own tables: a phase is measured against a warehouse holding its own night only.
    declared = {e: {"base_currency": "GBP", "currencies": ["GBP"], "sources": [SOURCE]} for e in entities}
    settings = AppSettings.from_env({"CYNARE_STORAGE_CONNECTION": azurite.connection_string,
                                     "CYNARE_TABLE_PREFIX": f"bench{len(entities)}",
                                     "CYNARE_ENTITIES": json.dumps(declared),
                                     "CYNARE_TOKEN_KEY": SecretsBox.new_key_text()})  # fmt: skip
    app = bootstrap(settings)
    started = time.perf_counter()
    now = datetime.now(UTC)
    nights = {}
    for entity in entities:
        nights[entity] = night_for(entity, clients, now)
        store_night(app.uow, entity, nights[entity])
    print(f"  {sum(len(n.documents) for n in nights.values()):,} ready documents written to the warehouse in "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    books = books_for(entities)
    organisations, connections = books_file.load(books).build()
    xero = ServedXero(books, time_scale)
    try:
        connector = TimedConnector(xero.url, app.clock, time_scale)
        tenants = {}
        for tenant in organisations.values():
            client = next(c for c in connections.values() if c.custom_tenant_id == tenant.tenant_id)
            dataclasses.replace(app, connector=connector).connect_custom(
                tenant.entity_code, client.client_id, client.client_secret, "bench"
            )
            tenants[tenant.entity_code] = tenant.tenant_id
        for pacer in connector.timed.values():
            pacer.starts.clear()  # connecting is done once in an entity's life, not every night
        uow, lock = TimedUnitOfWork(app.uow), TimedLock(app.lock)
        pids = _processes(xero.process.pid or 0)
        cpu_before = {name: _cpu_seconds(pid) for name, pid in pids.items()}
        machine_before = _machine_busy_seconds()
        barrier = threading.Barrier(len(entities))
        posted: dict[str, Posted] = {}
        failures: list[BaseException] = []

        def post(entity: str) -> None:
            try:
                posted[entity] = post_until_done(entity, app, uow, connector, lock, barrier)
            except BaseException as error:  # reported once every thread has ended
                failures.append(error)

        threads = [threading.Thread(target=post, args=(entity,), name=f"post-{entity}") for entity in entities]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        cpu = {name: _cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        # Other people's processes on a shared machine take cores from these three: shown beside them.
        cpu["other processes"] = max(0.0, _machine_busy_seconds() - machine_before - sum(cpu.values()))
        if failures:
            raise failures[0]
    finally:
        census = xero.census()
    starts = {entity: list(connector.timed[tenants[entity]].starts) for entity in entities}
    return Phase(label, nights, dict(sorted(posted.items())), census, starts, wall, cpu)


# -- figures ------------------------------------------------------------------------------------------------


def budget_share(began: float, starts: list[float], window: float) -> tuple[float | None, int]:
    """Calls started in each whole scaled minute from the start of posting to the last call, over 60 a minute."""
    if not starts:
        return None, 0
    minutes = int((max(starts) - began) // window)
    if minutes == 0:
        return None, 0
    used = sum(1 for at in starts if began <= at < began + minutes * window)
    return used / (PER_MINUTE * minutes), minutes


def in_xero(night: Night, census: dict[str, Any]) -> tuple[int, int]:
    """Xero records beyond one per PMS document, and PMS documents with no record, in one organisation."""
    extra = missing = 0
    for expected, found in ((night.clients, census["contacts"]), (night.bills, census["invoices"]),
                            (night.receipts, census["receipts"]), (night.allocations, census["allocations"])):  # fmt: skip
        wanted = Counter(expected)
        extra += sum(max(0, count - wanted.get(key, 0)) for key, count in found.items())
        missing += sum(1 for key in wanted if found.get(key, 0) == 0)
    return extra, missing


def _seconds(part: float, whole: float) -> str:
    return f"{part:.1f} s ({part / whole:.0%})" if whole else f"{part:.1f} s"


def report_phase(phase: Phase, window: float) -> list[float]:
    """Print the phase's own figures; answers each organisation's share of its minute budget."""
    print(f"{phase.label}: {phase.documents:,} documents ({phase.sent:,} sent as Xero records), {phase.calls} calls, "
          f"in {phase.wall:.1f} s ({phase.sent / phase.wall:.0f} documents/s)")  # fmt: skip
    shares = []
    for entity, posted in phase.posted.items():
        share, minutes = budget_share(posted.began, phase.starts[entity], window)
        if share is not None:
            shares.append(share)
        outcomes = ", ".join(f"{n:,} {what}" for what, n in sorted(posted.outcomes.items()))
        used = f"{share:.1%} over {minutes} whole minute(s)" if share is not None else "n/a (under a minute)"
        print(f"  {entity}: {len(posted.runs)} run(s) ({', '.join(r.status.value for r in posted.runs)}), "
              f"{posted.calls} calls in {posted.spent.total:.1f} s; {outcomes}; minute budget used {used}")  # fmt: skip
    spent = Spent.summed(p.spent for p in phase.posted.values())
    threads = "thread's" if len(phase.posted) == 1 else f"{len(phase.posted)} threads'"
    parts = (("warehouse reads", spent.warehouse_read), ("warehouse writes", spent.warehouse_write),
             ("poster lease", spent.lock), ("waiting for Xero's limits", spent.xero_wait),
             ("calls in flight", spent.xero_call), ("lookups in the run's memory (Ledger.load)", spent.lookups),
             ("the rest of our Python", spent.rest))  # fmt: skip
    print(
        f"  where the posting {threads} {spent.total:.1f} s went: "
        + "; ".join(f"{name} {_seconds(seconds, spent.total)}" for name, seconds in parts)
    )
    top = ", ".join(f"{name} {seconds:.1f} s ({spent.called[name]:,} calls)"
                    for name, seconds in sorted(spent.operations.items(), key=lambda item: -item[1])[:5])  # fmt: skip
    print(f"  warehouse operations taking longest: {top}")
    per_call = (spent.total - spent.xero_wait) / phase.calls if phase.calls else 0.0
    allowed = window / PER_MINUTE
    print(f"  our side per call, all but waiting for Xero's limits: {per_call * 1000:.0f} ms per entity "
          f"(the minute budget allows a call every {allowed * 1000:.0f} ms)")  # fmt: skip
    if per_call > allowed:
        ours = spent.total - spent.xero_wait
        print(f"  limited by our side, not by Xero: of its time, warehouse writes {spent.warehouse_write / ours:.0%}, "
              f"in-memory lookups {spent.lookups / ours:.0%}, warehouse reads {spent.warehouse_read / ours:.0%}, "
              f"calls in flight {spent.xero_call / ours:.0%}")  # fmt: skip
    else:
        print("  limited by Xero's minute budget: our side keeps up")
    cpu = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in phase.cpu.items())
    print(f"  CPU while posting (seconds): {cpu}; the machine's {CORES} cores were "
          f"{sum(phase.cpu.values()) / (CORES * phase.wall):.0%} busy; this process used "
          f"{phase.cpu['poster (this process)'] / phase.wall:.0%} of one core, Azurite "
          f"{phase.cpu.get('Azurite', 0.0) / phase.wall:.0%}")  # fmt: skip
    return shares


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _stop_on_term(signum: int, frame: object) -> None:
    # A terminated run still stops Azurite and the emulator it started (context managers run on SystemExit).
    sys.exit(128 + signum)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.4, help="documents per entity; 1 = 10,000 bills")
    parser.add_argument("--time-scale", type=float, default=1.0, help="real seconds per Xero second (1: Xero's pace)")
    parser.add_argument("--probe-seconds", type=float, default=4.0, help="each of the capacity probe's three runs")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop_on_term)
    clients = max(2, round(2_000 * args.scale / 2) * 2)  # even: the receipts' pattern repeats every two clients
    time_ledger_lookups()

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {CORES} cores", flush=True)
    runs = [measure_capacity(threads, args.probe_seconds) for threads in (1, 2, 4)]
    sound = [r for r in runs if not r.failures and r.stored == len(r.latencies) * BATCH]
    if not sound:
        raise SystemExit("the emulator's capacity probe failed: no figure, no time scale")
    capacity = max(r.rate for r in sound)
    fastest = len(ENTITIES) / (EMULATOR_SHARE * capacity)  # five organisations ask 5 requests per scaled second
    demand = len(ENTITIES) / args.time_scale
    print(f"emulator capacity (probe: PUT /Invoices of {BATCH}, best of 1, 2 and 4 client threads): "
          f"{capacity:.0f} requests/s")  # fmt: skip
    print(f"time scale {args.time_scale:g} (a Xero minute lasts {60 * args.time_scale:g} s): five organisations at "
          f"{PER_MINUTE} calls a minute ask the emulator for at most {demand:.1f} requests/s, {demand / capacity:.1%} "
          f"of its capacity; at most {EMULATOR_SHARE:.0%} is allowed, so any scale from {fastest:.3f} would do")  # fmt: skip
    if args.time_scale == 1:
        print("  Xero's own pace: the minute-budget and speed-up figures are against Xero's real limits")
    if demand > EMULATOR_SHARE * capacity:
        raise SystemExit(f"time scale {args.time_scale:g} would ask more than half the emulator's capacity")
    window = 60.0 * args.time_scale

    with Azurite() as azurite:
        print(f"phase 1: one entity, {clients:,} clients", flush=True)
        one = run_phase("one entity", ENTITIES[:1], clients, azurite, args.time_scale)
        one_shares = report_phase(one, window)
        print(f"phase 2: five entities at once, {clients:,} clients each", flush=True)
        five = run_phase("five entities", ENTITIES, clients, azurite, args.time_scale)
        five_shares = report_phase(five, window)

    results: dict[str, bool] = {}
    print("targets")
    per_thousand = {phase.label: phase.calls / phase.sent * 1000 for phase in (one, five)}
    results["calls per 1,000 documents"] = max(per_thousand.values()) <= CALLS_TARGET
    print(
        "  calls per 1,000 documents: "
        + ", ".join(f"{k} {v:.2f}" for k, v in per_thousand.items())
        + f" (floor {1000 / BATCH:.0f}, at most {CALLS_TARGET:g}): {verdict(results['calls per 1,000 documents'])}"
    )
    lowest = {phase.label: min(shares) for phase, shares in ((one, one_shares), (five, five_shares)) if shares}
    results["minute budget used"] = bool(lowest) and min(lowest.values()) >= SHARE_TARGET
    print("  minute budget used while there was a backlog, lowest organisation: "
          + (", ".join(f"{k} {v:.1%}" for k, v in lowest.items()) or "n/a (no whole minute)")
          + f" (at least {SHARE_TARGET:.0%}): {verdict(results['minute budget used'])}")  # fmt: skip
    speedup = (five.sent / five.wall) / (one.sent / one.wall)
    results["speed-up"] = speedup >= SPEEDUP_TARGET
    print(f"  speed-up of five entities over one: {speedup:.2f} (at least {SPEEDUP_TARGET}): "
          f"{verdict(results['speed-up'])}")  # fmt: skip
    extra = missing = 0
    for phase in (one, five):
        for entity, night in phase.nights.items():
            more, absent = in_xero(night, phase.census[entity])
            extra, missing = extra + more, missing + absent
    results["duplicates"] = extra == 0
    print(f"  duplicates in Xero: {extra} (must be 0): {verdict(extra == 0)}; PMS documents not in Xero: {missing}")
    failed = sum(p.failed_on_429 for phase in (one, five) for p in phase.posted.values())
    answered = ", ".join(f"{phase.label} {sum(p.throttled for p in phase.posted.values())}" for phase in (one, five))
    seen = sum(c["throttled"] for phase in (one, five) for c in phase.census.values())
    results["429s ended in a failure"] = failed == 0
    print(f"  429s that ended in a failure: {failed} (must be 0): {verdict(failed == 0)}; 429s answered and retried: "
          f"{answered} (the emulator counted {seen})")  # fmt: skip
    read = {phase.label: sum(p.bytes_read for p in phase.posted.values()) / phase.sent for phase in (one, five)}
    print("  bytes read from Xero per document: " + ", ".join(f"{k} {v:,.0f}" for k, v in read.items())
          + " (no target)")  # fmt: skip
    print(f"met: {', '.join(k for k, v in results.items() if v) or 'none'}; "
          f"not met: {', '.join(k for k, v in results.items() if not v) or 'none'}")  # fmt: skip
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
