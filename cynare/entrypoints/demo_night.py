"""The demo's night, step by step: what starts, what runs in the Functions app, what people do in Xero.

`DemoNight.start(...)` starts Azurite, the local Xero and the Functions app on `LocalHost`, with the
app settings in the environment; `run()` carries out the night (and the second night) and hands what
happened to cynare.entrypoints.demo_report, which prints it, writes night.json and says whether
every check passed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape

from cynare.entrypoints.demo import DELETED_ALLOCATION, TIME_SCALE, demo_entities, environment, utc_now

if TYPE_CHECKING:
    from cynare.adapters.azurite import Azurite
    from cynare.agent.api import RunReport
    from cynare.bootstrap import App
    from cynare.entrypoints.local_host import HostReport, LocalHost
    from cynare.sandbox.xero.emulator import Emulator

T = TypeVar("T")

TIME_ZONE = "Europe/London"
# A receipt matched from UK's bank feed on one of its posted bills, and an invoice voided by hand in US's
# organisation; a run with fewer entities does both in its first entity.
BANK_FEED_ENTITY = "UK"
VOID_ENTITY = "US"
HEARTBEAT_SECONDS = 30.0
MAX_SYNCS = 10  # a sync writes at most 5,000 items per entity: the first night's postings take a few
CONNECTED_BY = "cynare demo"
REPORT_MAILBOX = "cynare-reports@demo-firm.example"
_FUNCTION_LOGGERS = ("cynare.entrypoints.import_timer", "cynare.entrypoints.xero_functions",
                     "cynare.entrypoints.report_functions")  # fmt: skip
_HOST_LOGGER = "cynare.entrypoints.local_host"


class NightSetupError(Exception):
    """Something the demo needs is missing (Azurite, Xero's spec): said in words, nothing left running."""


@dataclass
class WrittenBack:
    """The write-back documents, read before the agent applies them, and what the agent applied."""

    documents: Counter[str] = field(default_factory=Counter)  # per entity
    items: dict[str, Counter[str]] = field(default_factory=dict)  # per entity: items by kind
    applied: Counter[str] = field(default_factory=Counter)  # per entity: items the agent applied


@dataclass
class NightRecord:
    """What the demo did and saw, for the report and night.json."""

    started: datetime
    entities: list[str]
    nights: int = 0
    agent_runs: list[RunReport] = field(default_factory=list)
    written_back: WrittenBack = field(default_factory=WrittenBack)
    by_hand: list[str] = field(default_factory=list)  # what was done in Xero by hand, in words
    problems: list[str] = field(default_factory=list)  # what went wrong on the way, in words
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase
    deleted_allocation: dict[str, str] = field(default_factory=dict)  # what became of DELETED_ALLOCATION
    report_files: dict[str, Path] = field(default_factory=dict)  # the reconciliation's files, copied out


@dataclass
class DemoNight:
    console: Console
    work: Path
    entities: list[str]
    second_night: bool
    azurite: Azurite
    xero: Emulator
    host: LocalHost
    record: NightRecord = field(init=False)
    config: Path = field(init=False)  # the agent's configuration, beside the demo PMS

    def __post_init__(self) -> None:
        self.record = NightRecord(utc_now(), list(self.entities))
        self.config = self.work / "pms" / "cynare-agent.toml"

    @classmethod
    @contextlib.contextmanager
    def start(
        cls,
        console: Console,
        work: Path,
        entities: list[str],
        *,
        second_night: bool,
        stoppers: list[Callable[[], None]],
    ) -> Iterator[DemoNight]:
        """Azurite, the local Xero and the Functions app, each also put in `stoppers` for an interrupted run."""
        from cynare.adapters.azurite import Azurite, AzuriteNotInstalled
        from cynare.entrypoints.local_host import LocalHost, load_app
        from cynare.sandbox.xero.contract import WHERE_TO_GET, spec_path
        from cynare.sandbox.xero.emulator import Emulator

        if not spec_path().exists():
            raise NightSetupError(f"the local Xero checks every call against Xero's spec: {WHERE_TO_GET}")
        with contextlib.ExitStack() as stack:
            # Each is stopped by the stack even when interrupted while it starts.
            azurite = Azurite()
            stack.callback(azurite.stop)
            stoppers.append(azurite.stop)
            try:
                azurite.start()
            except AzuriteNotInstalled as error:
                raise NightSetupError(str(error)) from None
            console.print(f"Azurite (in memory): blob http://127.0.0.1:{azurite.blob_port}, queue "
                          f"http://127.0.0.1:{azurite.queue_port}, table http://127.0.0.1:{azurite.table_port}")  # fmt: skip
            xero = Emulator(time_scale=TIME_SCALE, validate=True)
            stack.callback(xero.stop)
            stoppers.append(xero.stop)
            xero.start()
            console.print(f"local Xero at {xero.url} (time scale 1/60: a Xero minute lasts a second; every call "
                          "checked against Xero's OpenAPI spec)")  # fmt: skip
            from cynare.sandbox.graph.testing import running_graph
            from cynare.sandbox.teams.testing import serve_teams_stand_in

            graph = stack.enter_context(running_graph(work, mailbox=REPORT_MAILBOX))
            teams = stack.enter_context(serve_teams_stand_in(work))
            console.print(f"local Microsoft Graph at {graph.url} (mail captured in {graph.mail_dir}); local Teams "
                          f"webhook (cards captured in {work / 'teams'})")  # fmt: skip
            settings = night_settings(azurite.connection_string, xero.url, entities)
            settings.update(graph.settings())
            settings["CYNARE_TEAMS_WEBHOOK_URL"] = teams.webhook_url
            stack.enter_context(environment(settings))
            root = Path(__file__).resolve().parents[2]
            host = stack.enter_context(LocalHost(load_app(root), settings, root / "host.json"))
            console.print(f"the Functions app (function_app.py) on the local host: {', '.join(sorted(host.functions))}")
            yield cls(console, work, entities, second_night, azurite, xero, host)

    # The nights -----------------------------------------------------------------------------------

    def run(self) -> int:
        from cynare.entrypoints import demo_report

        self._phase("demo PMS", self._build_pms)
        if self._agent("On premises: cynare-agent run --full (extract and upload)", full=True):
            app = self._app()
            self._phase("connect", lambda: self._connect(app))
            if self._night(1, app) and self.second_night:
                self.console.rule("Next day, in the PMS: a row is deleted")
                _delete_allocation(self.config.parent / "demo-pms.sqlite", DELETED_ALLOCATION)
                self.console.print(f"allocation {DELETED_ALLOCATION} deleted from the PMS (its row is simply gone)")
                if self._agent("On premises: cynare-agent run (extract and upload)", full=False):
                    self._night(2, app)
                    self._deleted_allocation_in_xero(app)
            self._phase("reconcile", lambda: self._reconcile(app))
        return demo_report.finish(self)

    def _reconcile(self, app: App) -> None:
        """The morning's reconciliation timer; its report is copied out of Blob Storage into `report/`."""
        from cynare.service_layer.reconciliation.run import SUMMARY

        self.console.rule("Morning in the Functions app: reconcile (the PMS debtors against each Xero organisation)")
        with self._echo():
            fired = self.host.fire("reconcile")
        if not fired.ok:
            self.record.problems.append(f"reconcile failed: {fired.error}")
            return
        day = utc_now().date()
        folder = self.work / "report"
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("reconciliation.html", f"reconciliation-{day}.xlsx", "trend.png", "teams-card.json",
                     "delivery.json", SUMMARY):  # fmt: skip
            content = app.reports.load(day, name)
            if content is not None:
                (folder / name).write_bytes(content)
                self.record.report_files[name] = folder / name
        self.record.report_files["email"] = max((self.work / "mail").glob("*.eml"), default=folder / "no email")
        self.record.report_files["Teams card"] = max((self.work / "teams").glob("*.json"), default=folder / "no card")

    def _night(self, night: int, app: App) -> bool:
        """One night in the Functions app, then the agent's write-back; False when it could not go on."""
        self.record.nights = night
        if not self._phase(f"night {night}: import and posting", lambda: self._import_and_post(night)):
            return False
        if night == 1:
            self._phase("by hand in Xero", lambda: self._by_hand(app))
        self._phase(f"night {night}: sync", lambda: self._sync(night, app))
        title = "On premises: cynare-agent run (its write-back brings Xero's ids and receipts into the PMS)"
        if not self._agent(title, full=False, night=night):
            return False
        self._show_pms()
        return True

    def _phase(self, name: str, step: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return step()
        finally:
            self.record.phases[name] = round(self.record.phases.get(name, 0.0) + time.perf_counter() - started, 1)

    def _app(self) -> App:
        from cynare.bootstrap import AppSettings, bootstrap

        return bootstrap(AppSettings.from_env())

    # On premises ----------------------------------------------------------------------------------

    def _build_pms(self) -> None:
        from cynare.agent.demo_pms import write_demo_workspace

        self.console.rule("On premises: the demo PMS")
        folder = self.config.parent
        # Azurite starts empty each time, so the office side starts afresh too (PMS, agent state, batches).
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        database = folder / "demo-pms.sqlite"
        started = time.perf_counter()
        config = write_demo_workspace(database)
        if config != self.config:
            raise AssertionError(f"the demo PMS's configuration is {config}, not {self.config}")
        _agent_entities(config, self.entities)
        self.console.print(f"demo PMS at {database} ({time.perf_counter() - started:.1f} s); "
                           f"agent configuration {config}; entities {', '.join(self.entities)}")  # fmt: skip

    def _agent(self, title: str, *, full: bool, night: int = 0) -> bool:
        """`cynare-agent run`: extract and upload; with `night`, the write-back of that night is applied too."""
        from cynare.agent.api import run_agent
        from cynare.agent.errors import AgentError

        self.console.rule(title)
        started = time.perf_counter()
        try:
            report = run_agent(self.config, full=full, writeback=bool(night))
        except AgentError as error:
            self.record.problems.append(f"the agent stopped: {error}")
            self.console.print(
                f"[bold red]The agent stopped:[/] {escape(str(error))} (its log: {self.config.parent / 'logs'})"
            )
            return False
        finally:
            _detach_agent_log()
            self.record.phases["agent"] = round(self.record.phases.get("agent", 0.0) + time.perf_counter() - started, 1)
        self.record.agent_runs.append(report)
        for extracted in report.extracted:
            batch = f" {extracted.batch_id} ({extracted.rows:,} rows)" if extracted.batch_id else ""
            self.console.print(f"{extracted.entity}: {extracted.note}{batch}", highlight=False, markup=False)
        for uploaded in report.uploaded:
            self.console.print(f"{uploaded.entity} batch {uploaded.batch_id}: {uploaded.note} ({uploaded.uploaded} "
                               f"file(s) sent, {uploaded.skipped} already there)", highlight=False, markup=False)  # fmt: skip
        for applied in report.written_back:
            self.record.written_back.applied[applied.entity] += applied.items
            self.console.print(f"{applied.entity} write-back {applied.writeback_id}: {applied.items:,} item(s) "
                               f"{applied.note}", highlight=False, markup=False)  # fmt: skip
        for problem in report.problems:
            self.record.problems.append(f"the agent's write-back: {problem}")
            self.console.print(f"[red]problem:[/] {escape(problem)}", highlight=False)
        self.console.print(f"agent run in {time.perf_counter() - started:.1f} s")
        return not report.problems

    def _show_pms(self) -> None:
        """What the PMS now knows from Xero: ids against its documents, receipts taken in Xero."""
        with contextlib.closing(sqlite3.connect(self.config.parent / "demo-pms.sqlite")) as db:
            links = db.execute(
                "SELECT entity, status, COUNT(*) FROM xero_links GROUP BY entity, status ORDER BY entity, status"
            ).fetchall()
            receipts = db.execute(
                "SELECT r.entity, r.receipt_id, r.amount, r.currency, a.bill_id FROM receipts AS r "
                "JOIN receipt_allocations AS a ON a.receipt_id = r.receipt_id WHERE r.origin = 'xero' "
                "ORDER BY r.entity, r.receipt_id"
            ).fetchall()
        for entity, status, count in links:
            self.console.print(
                f"PMS: {count:,} {entity} document(s) now carry Xero's answer '{status}'", highlight=False
            )
        for entity, receipt_id, amount, currency, bill_id in receipts:
            self.console.print(f"PMS: {entity} receipt {receipt_id} of {amount} {currency} on bill {bill_id}, "
                               "taken in Xero (not extracted again)", highlight=False, markup=False)  # fmt: skip

    # Connecting -----------------------------------------------------------------------------------

    def _connect(self, app: App) -> None:
        self.console.rule("Each entity connected to its own Xero organisation")
        self.console.print("what `cynare connect ENTITY --client-id ID` does, with the local Xero's custom connection "
                           "for each entity and a CYNARE_TOKEN_KEY made for this run:", highlight=False, markup=False)  # fmt: skip
        for entity in self.entities:
            client = self.xero.client_for(entity)
            binding = app.connect_custom(entity, client.client_id, client.client_secret, CONNECTED_BY)
            self.console.print(f"{entity} is bound to {binding.organisation_name} ({binding.base_currency}, tenant "
                               f"{binding.tenant_id}) through custom connection {client.client_id}",
                               highlight=False, markup=False)  # fmt: skip

    # In the Functions app -------------------------------------------------------------------------

    def _import_and_post(self, night: int) -> bool:
        self.console.rule(f"Night {night} in the Functions app: import_extracts, then the xero-post queue")
        # The import timer goes ahead only at the firm's local run time: make it now.
        os.environ["CYNARE_IMPORT_LOCAL_TIME"] = datetime.now(ZoneInfo(TIME_ZONE)).strftime("%H:%M")
        with self._echo() as started:
            fired = self.host.fire("import_extracts")
            self.console.print(f"  import_extracts {'ran' if fired.ok else 'FAILED'} in {fired.elapsed:.1f} s")
            if not fired.ok:
                self.record.problems.append(f"import_extracts failed: {fired.error}")
                return False
            with self._heartbeat(started):
                drained = self.host.drain()
        self._drained(drained, time.perf_counter() - started)
        return True

    def _drained(self, report: HostReport, seconds: float) -> None:
        runs = [run for run in report.runs if run.message_id is not None]
        self.console.print(f"  queues drained in {seconds:.0f} s: {len(runs)} run(s) "
                           f"({', '.join(f'{n} {c}' for n, c in sorted(report.handled.items())) or 'none'}); "
                           f"{report.stop_reason}", highlight=False, markup=False)  # fmt: skip
        for run in report.failures:
            self.record.problems.append(f"{run.function} failed: {run.error}")
        for item in report.poisoned:
            self.record.problems.append(f"a message of {item.queue} was set aside: {item.reason}")
        if report.idle is False:
            self.record.problems.append(f"the queues did not drain: {report.stop_reason}")

    def _sync(self, night: int, app: App) -> None:
        self.console.rule(f"Night {night} in the Functions app: sync_from_xero")
        with self._echo():
            for firing in range(1, MAX_SYNCS + 1):
                fired = self.host.fire("sync_from_xero")
                if not fired.ok:
                    self.record.problems.append(f"sync_from_xero failed: {fired.error}")
                    break
                if not _outbox_waiting(app, self.entities):
                    break
                self.console.print(f"  items still wait for a write-back document: firing it again ({firing + 1})")
            else:
                self.record.problems.append(f"items still waited for a write-back after {MAX_SYNCS} syncs")
        self._read_writebacks(app)

    def _read_writebacks(self, app: App) -> None:
        """The write-back documents waiting for the agent, by kind of item (read before the agent takes them)."""
        from azure.core.exceptions import ResourceNotFoundError

        from cynare.adapters.blob_inbox import blob_service
        from cynare.extract.writeback import WRITEBACK_CONTAINER, WritebackDocument

        written = self.record.written_back
        container = blob_service(app.settings.storage).get_container_client(WRITEBACK_CONTAINER)
        with contextlib.suppress(ResourceNotFoundError):  # no document written yet: no container
            for blob in container.list_blobs():
                document = WritebackDocument.parse(container.download_blob(blob.name).readall())
                written.documents[document.entity] += 1
                kinds = written.items.setdefault(document.entity, Counter())
                kinds.update(item.kind for item in document.items)
                self.console.print(f"  write-back {blob.name}: " + ", ".join(
                    f"{count:,} {kind}" for kind, count in sorted(Counter(i.kind for i in document.items).items())
                ), highlight=False, markup=False)  # fmt: skip

    @contextlib.contextmanager
    def _heartbeat(self, started: float) -> Iterator[None]:
        """Every HEARTBEAT_SECONDS while the queue drains, the Xero calls so far: one posting run takes minutes."""
        tenants = {self.xero.tenant(entity).tenant_id: entity for entity in self.entities}
        before = {tenant: counts.calls for tenant, counts in self.xero.counts().items()}
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(HEARTBEAT_SECONDS):
                calls = {tenants[t]: c.calls - before.get(t, 0) for t, c in self.xero.counts().items() if t in tenants}
                said = ", ".join(f"{entity} {count:,}" for entity, count in sorted(calls.items()) if count)
                self.console.print(f"  [{time.perf_counter() - started:5.0f} s] posting: Xero calls so far: "
                                   f"{said or 'none'}", highlight=False, markup=False)  # fmt: skip

        beating = threading.Thread(target=beat, name="demo-heartbeat", daemon=True)
        beating.start()
        try:
            yield
        finally:
            stop.set()
            beating.join()

    @contextlib.contextmanager
    def _echo(self) -> Iterator[float]:
        """Each function's own log line on the console while it runs: posting takes minutes."""
        started = time.perf_counter()
        handler = _Echo(self.console, started)
        loggers = [logging.getLogger(name) for name in (*_FUNCTION_LOGGERS, _HOST_LOGGER)]
        for logger in loggers:
            logger.addHandler(handler)
        try:
            yield started
        finally:
            for logger in loggers:
                logger.removeHandler(handler)

    # In Xero, by hand -----------------------------------------------------------------------------

    def _by_hand(self, app: App) -> None:
        self.console.rule("In Xero, by hand: what people do there between two syncs")
        today = utc_now().date()
        chosen: list[str] = []
        feed_entity = BANK_FEED_ENTITY if BANK_FEED_ENTITY in self.entities else self.entities[0]
        found = _untouched_bill(app, self.xero, feed_entity, avoid=chosen)
        if found is None:
            self.record.problems.append(f"no open bill of {feed_entity} in Xero to receive from the bank feed")
        else:
            invoice_id, number, amount, currency, bill = found
            chosen.append(invoice_id)
            payment = self.xero.receive_from_bank_feed(feed_entity, invoice_id, amount, today)
            self._did(f"{feed_entity}: a bank-feed receipt of {amount} {currency} matched to invoice {number} "
                      f"(bill {bill}; payment {payment})")  # fmt: skip
        void_entity = VOID_ENTITY if VOID_ENTITY in self.entities else self.entities[0]
        found = _untouched_bill(app, self.xero, void_entity, avoid=chosen)
        if found is None:
            self.record.problems.append(f"no open bill of {void_entity} in Xero to void")
        else:
            invoice_id, number, amount, currency, bill = found
            self.xero.void_invoice(void_entity, invoice_id)
            self._did(f"{void_entity}: invoice {number} of {amount} {currency} voided (bill {bill}; invoice "
                      f"{invoice_id}): the sync reads payments and credits, not invoices, so the PMS is not told")  # fmt: skip

    def _did(self, what: str) -> None:
        self.record.by_hand.append(what)
        self.console.print(what, highlight=False, markup=False)

    def _deleted_allocation_in_xero(self, app: App) -> None:
        """What became of the allocation deleted in the PMS: its cancellation, and the allocation in Xero."""
        from cynare.domain.documents import Cancellation, DocKey
        from cynare.domain.lifecycle import State

        entity = "UK"
        if entity not in self.entities:
            return
        allocation = DocKey("allocations", DELETED_ALLOCATION)
        with app.uow.for_entity(entity) as work:
            found = work.documents.get_many([allocation]).get(allocation)
            cancellations = [
                stored for state in State for stored in work.documents.in_state(state, "cancellations")
                if isinstance(stored.document.body, Cancellation) and stored.document.body.target == allocation
            ]  # fmt: skip
        if found is None:
            return
        in_xero = "not in Xero"
        if found.xero_id:
            with self.xero.lock:
                record = self.xero.tenant(entity).allocations.get(found.xero_id.lower())
            in_xero = "not found" if record is None else ("deleted" if record.is_deleted else "still applied")
        facts = {"the allocation in the warehouse": f"{found.state.value}: {found.reason}", "in Xero": in_xero}
        for stored in cancellations:
            facts["its cancellation"] = f"{stored.state.value}: {stored.reason}"
        self.record.deleted_allocation = facts
        self.console.rule(f"What became of allocation {DELETED_ALLOCATION}")
        for what, said in facts.items():
            self.console.print(f"{what}: {said}", highlight=False, markup=False)


class _Echo(logging.Handler):
    """Prints the functions' INFO lines and the host's warnings, with the seconds since the step began."""

    def __init__(self, console: Console, started: float) -> None:
        super().__init__(logging.INFO)
        self._console = console
        self._started = started

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == _HOST_LOGGER and record.levelno < logging.WARNING:
            return
        try:
            text = _said(record)
        except Exception:  # a line that cannot be formatted is not worth stopping the night for
            self.handleError(record)
            return
        if record.exc_info and record.exc_info[1] is not None:
            text += f": {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        self._console.print(f"  [{time.perf_counter() - self._started:5.0f} s] {text}", highlight=False, markup=False)


def _said(record: logging.LogRecord) -> str:
    from cynare.service_layer.sync_from_xero import SyncOutcome

    args = record.args if isinstance(record.args, tuple) else ()
    outcome = args[1] if len(args) == 2 else None
    if isinstance(outcome, SyncOutcome):
        written = ", ".join(f"{count:,} {kind}" for kind, count in sorted(outcome.counts.items())) or "nothing"
        found = ", ".join(f"{count:,} {kind}" for kind, count in sorted(outcome.found.items())) or "nothing new"
        line = (f"sync_from_xero {outcome.entity}: found in Xero {found}; write-back "
                f"{outcome.writeback_id or 'none'} ({written}); {outcome.calls} Xero calls")  # fmt: skip
        return line + "".join(f"; problem: {problem}" for problem in outcome.problems)
    return record.getMessage()


def night_settings(connection_string: str, xero_url: str, entities: list[str]) -> dict[str, str]:
    """The app settings of the night (local.settings.json's names), pointed at this run's Azurite and Xero."""
    from cynare.adapters.secrets_box import SecretsBox

    return {
        "AzureWebJobsStorage": connection_string,  # the queue triggers' connection
        "CYNARE_STORAGE_CONNECTION": connection_string,
        "CYNARE_STORAGE_ACCOUNT": "",
        "CYNARE_TABLE_PREFIX": "demo",
        "CYNARE_INBOUND_CONTAINER": "inbound",
        "CYNARE_IMPORT_SCHEDULE": "0 30 0,1 * * *",
        "CYNARE_IMPORT_LOCAL_TIME": datetime.now(ZoneInfo(TIME_ZONE)).strftime("%H:%M"),
        "CYNARE_TIME_ZONE": TIME_ZONE,
        "CYNARE_ENTITIES": demo_entities(entities),
        "CYNARE_TOKEN_KEY": SecretsBox.new_key_text(),  # made for this run, gone with it
        "CYNARE_XERO_URL": xero_url,
        "CYNARE_XERO_TIME_SCALE": repr(TIME_SCALE),
        "CYNARE_XERO_DAY_LIMIT": "5000",
        "CYNARE_XERO_DAY_RESERVE": "200",
        "CYNARE_SYNC_SCHEDULE": "0 0 5 * * *",
        "CYNARE_RECONCILE_SCHEDULE": "0 30 5 * * *",
        "CYNARE_FIRM_NAME": "Demo & Partners LLP",
        "CYNARE_REPORT_RECIPIENTS": "finance@demo-firm.example",
        "CYNARE_REPORT_ENTITY_RECIPIENTS": "",
        "CYNARE_RECONCILE_TOLERANCES": "EUR=0.02,USD=0.02",
        "CYNARE_STATUS_URL": "",
        "CYNARE_AGENT_STORAGE_CONNECTION": connection_string,  # the agent's own setting (cynare-agent.toml)
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "",  # a night on this machine sends no telemetry anywhere
    }


def _agent_entities(config: Path, entities: list[str]) -> None:
    """The agent's configuration limited to the entities of this run."""
    text = config.read_text(encoding="utf-8")
    every = 'entities = ["UK", "IE", "US"]'
    if every not in text:
        raise AssertionError(f"{config} does not list the demo's entities as {every}")
    chosen = "entities = [" + ", ".join(f'"{entity}"' for entity in entities) + "]"
    config.write_text(text.replace(every, chosen), encoding="utf-8")


def _detach_agent_log() -> None:
    """The agent's log file handler is its run's: later lines (the Functions') go to the demo's own log."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_cynare_agent", False)]:
        root.removeHandler(handler)
        handler.close()


def _delete_allocation(database: Path, allocation_id: str) -> None:
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.execute("DELETE FROM allocations WHERE allocation_id = ?", (allocation_id,))


def _outbox_waiting(app: App, entities: list[str]) -> bool:
    for entity in entities:
        with app.uow.for_entity(entity) as work:
            if work.outbox.pending(1):
                return True
    return False


def _untouched_bill(
    app: App, xero: Emulator, entity: str, avoid: list[str]
) -> tuple[str, str, Decimal, str, str] | None:
    """A PMS bill posted to Xero, in base currency, with nothing paid or credited on it yet.

    Answers (invoice id, invoice number, amount due, currency, PMS bill id). Planted examples (an X
    after the prefix) are left alone: each shows a rule of its own.
    """
    from cynare.domain.lifecycle import State

    with xero.lock:
        tenant = xero.tenant(entity)
        candidates = [
            (invoice.invoice_id, invoice.number, invoice.amount_due, invoice.currency_code)
            for invoice in tenant.invoices.values()
            if invoice.type == "ACCREC" and invoice.status == "AUTHORISED" and invoice.amount_due > 0
            and not invoice.amount_paid and not invoice.amount_credited
            and invoice.currency_code == tenant.base_currency and invoice.invoice_id not in avoid
        ]  # fmt: skip
    with app.uow.for_entity(entity) as work:
        for invoice_id, number, amount, currency in candidates:
            key = work.xero_ids.key_for("bills", invoice_id)
            if key is None or "X-" in key.firm_id:
                continue
            stored = work.documents.get_many([key]).get(key)
            if stored is not None and stored.state is State.POSTED:
                return invoice_id, number, amount, currency, key.firm_id
    return None
