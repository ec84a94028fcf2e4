"""Read the app's settings (environment variables) and hand entrypoints their use cases, bound to real adapters.

Every setting the code reads is read here, and `local.settings.json.example` lists exactly these.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from functools import partial
from time import sleep
from typing import TYPE_CHECKING

from cynare.adapters.blob_inbox import INBOUND, BlobInbox, blob_service
from cynare.adapters.tables.connection import StorageSettings
from cynare.adapters.work_queue import StorageWorkQueue
from cynare.domain.money import KNOWN_CURRENCIES
from cynare.errors import SettingsError
from cynare.service_layer.audit import AuditLog
from cynare.service_layer.connect import bind_entity
from cynare.service_layer.import_batch import ImportOutcome
from cynare.service_layer.import_extracts import Progress, import_extracts
from cynare.service_layer.posting.run import PostingOutcome, post_to_xero
from cynare.service_layer.posting.sender import Budget
from cynare.service_layer.reconciliation.ports import HistoryRepository, ReportStore
from cynare.service_layer.reconciliation.run import (
    Channels,
    ReconcileOutcome,
    Renderers,
    ReportSettings,
    WaitingPayments,
    reconcile,
)
from cynare.service_layer.sync_entity import SyncOutcome, sync_entity
from cynare.service_layer.unit_of_work import CashDirection, EntitySettings, UnitOfWork
from cynare.service_layer.xero_port import (
    Binding,
    ConnectionKind,
    EntityIssue,
    IssueKind,
    PosterLock,
    WritebackOutbox,
)

if TYPE_CHECKING:
    from cynare.adapters.xero.connector import HttpXeroConnector

SETTINGS = (
    "CYNARE_STORAGE_CONNECTION",
    "CYNARE_STORAGE_ACCOUNT",
    "CYNARE_TABLE_PREFIX",
    "CYNARE_INBOUND_CONTAINER",
    "CYNARE_IMPORT_SCHEDULE",  # read by the Functions host from the timer's %...% binding
    "CYNARE_IMPORT_LOCAL_TIME",
    "CYNARE_TIME_ZONE",
    "CYNARE_ENTITIES",
    "CYNARE_TOKEN_KEY",  # seals the Xero connections' secrets in the warehouse; Key Vault supplies it in Azure
    "CYNARE_XERO_URL",  # empty for Xero itself; the local Xero's address on a developer's machine
    "CYNARE_XERO_TIME_SCALE",  # the local Xero's time scale: real seconds per Xero second
    "CYNARE_XERO_DAY_LIMIT",  # 5000, or 1000 on Xero's Starter tier
    "CYNARE_XERO_DAY_RESERVE",  # calls a day kept for the reconciliation's reads
    "CYNARE_SYNC_SCHEDULE",  # read by the Functions host from the sync timer's %...% binding
    "CYNARE_RECONCILE_SCHEDULE",  # read by the Functions host from the reconciliation timer's %...% binding
    "CYNARE_FIRM_NAME",  # as the report names the firm
    "CYNARE_REPORT_MAILBOX",  # the mailbox the report is sent from (Graph sendMail)
    "CYNARE_REPORT_RECIPIENTS",  # who gets the whole report, comma-separated
    "CYNARE_REPORT_ENTITY_RECIPIENTS",  # JSON: who gets each entity's own part, e.g. {"IE": ["ie@firm.example"]}
    "CYNARE_RECONCILE_TOLERANCES",  # per currency, the largest difference taken as exchange, e.g. EUR=0.02
    "CYNARE_STATUS_URL",  # the firm's status page, linked from the report and the Teams card
    "CYNARE_GRAPH_URL",  # empty for Microsoft Graph itself; the local stand-in's address on a developer's machine
    "CYNARE_GRAPH_TENANT_ID",  # with the client id and secret: an app registration instead of the managed identity
    "CYNARE_GRAPH_CLIENT_ID",
    "CYNARE_GRAPH_CLIENT_SECRET",
    "CYNARE_TEAMS_WEBHOOK_URL",  # the Workflows webhook the Teams card is posted to; a secret (Key Vault in Azure)
    "CYNARE_PAGES_DEV_SIGN_IN",  # "on": the pages' development sign-in, on a developer's machine only (refused in Azure)
    "CYNARE_XERO_CLIENT_ID",  # the firm's Xero web app, which the connect page connects organisations with
    "CYNARE_XERO_CLIENT_SECRET",  # its client secret: Key Vault in Azure; never shown or logged
    "CYNARE_PAGES_URL",  # the pages' public address (https://<app>.azurewebsites.net): Xero's redirect URI is under it
)
log = logging.getLogger(__name__)
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
ENTITIES_EXAMPLE = '{"UK": {"base_currency": "GBP", "currencies": ["GBP", "EUR", "USD"], "sources": ["pms-1"]}}'


@dataclass(frozen=True, slots=True)
class AppSettings:
    storage: StorageSettings
    local_run_time: time
    time_zone: str
    inbound_container: str = INBOUND
    entities: Mapping[str, EntitySettings] = field(default_factory=dict)
    token_key: str = field(default="", repr=False)
    xero_url: str = ""
    xero_time_scale: float = 1.0
    budget: Budget = field(default_factory=Budget)
    report: ReportSettings = field(default_factory=ReportSettings)
    delivery: DeliverySettings = field(default_factory=lambda: DeliverySettings())

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> AppSettings:
        try:
            local_time = time.fromisoformat(environ.get("CYNARE_IMPORT_LOCAL_TIME", "01:30"))
        except ValueError:
            raise SettingsError("CYNARE_IMPORT_LOCAL_TIME must be a time such as 01:30") from None
        return cls(
            storage=StorageSettings(
                connection_string=environ.get("CYNARE_STORAGE_CONNECTION", ""),
                account_name=environ.get("CYNARE_STORAGE_ACCOUNT", ""),
                table_prefix=environ.get("CYNARE_TABLE_PREFIX", "cynare"),
            ),
            local_run_time=local_time,
            time_zone=environ.get("CYNARE_TIME_ZONE", "Europe/London"),
            inbound_container=environ.get("CYNARE_INBOUND_CONTAINER", INBOUND),
            entities=parse_entities(environ.get("CYNARE_ENTITIES", "")),
            token_key=environ.get("CYNARE_TOKEN_KEY", ""),
            xero_url=environ.get("CYNARE_XERO_URL", ""),
            xero_time_scale=_number(environ, "CYNARE_XERO_TIME_SCALE", 1.0),
            budget=Budget(
                day_limit=int(_number(environ, "CYNARE_XERO_DAY_LIMIT", 5000)),
                day_reserve=int(_number(environ, "CYNARE_XERO_DAY_RESERVE", 200)),
                time_scale=_number(environ, "CYNARE_XERO_TIME_SCALE", 1.0),
            ),
            report=report_settings(environ),
            delivery=DeliverySettings(
                mailbox=environ.get("CYNARE_REPORT_MAILBOX", "").strip(),
                graph_url=environ.get("CYNARE_GRAPH_URL", "").strip(),
                graph_tenant_id=environ.get("CYNARE_GRAPH_TENANT_ID", "").strip(),
                graph_client_id=environ.get("CYNARE_GRAPH_CLIENT_ID", "").strip(),
                graph_client_secret=environ.get("CYNARE_GRAPH_CLIENT_SECRET", "").strip(),
                teams_webhook_url=environ.get("CYNARE_TEAMS_WEBHOOK_URL", "").strip(),
            ),
        )


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """Where the report goes. The client secret and the webhook URL are secrets: never in a repr."""

    mailbox: str = ""
    graph_url: str = ""
    graph_tenant_id: str = ""
    graph_client_id: str = ""
    graph_client_secret: str = field(default="", repr=False)
    teams_webhook_url: str = field(default="", repr=False)


def report_settings(environ: Mapping[str, str]) -> ReportSettings:
    recipients = _addresses(environ.get("CYNARE_REPORT_RECIPIENTS", ""), "CYNARE_REPORT_RECIPIENTS")
    by_entity: dict[str, tuple[str, ...]] = {}
    text = environ.get("CYNARE_REPORT_ENTITY_RECIPIENTS", "").strip()
    if text:
        try:
            raw = json.loads(text)
            by_entity = {str(code): _addresses(",".join(map(str, people)), f"CYNARE_REPORT_ENTITY_RECIPIENTS {code}")
                         for code, people in raw.items()}  # fmt: skip
        except (ValueError, AttributeError, TypeError):
            raise SettingsError(
                'CYNARE_REPORT_ENTITY_RECIPIENTS is not valid: write it as JSON, e.g. {"IE": ["ie-finance@firm.example"]}'
            ) from None
    return ReportSettings(
        firm=environ.get("CYNARE_FIRM_NAME", "").strip() or "the firm",
        recipients=recipients,
        entity_recipients=by_entity,
        tolerances=parse_tolerances(environ.get("CYNARE_RECONCILE_TOLERANCES", "")),
        status_url=environ.get("CYNARE_STATUS_URL", "").strip(),
    )


def _addresses(text: str, setting: str) -> tuple[str, ...]:
    addresses = tuple(a.strip() for a in text.replace(";", ",").split(",") if a.strip())
    for address in addresses:
        if not _EMAIL.fullmatch(address):
            raise SettingsError(f"{setting}: {address!r} is not an email address")
    return addresses


def parse_tolerances(text: str) -> dict[str, Decimal]:
    """CYNARE_RECONCILE_TOLERANCES: `EUR=0.02,USD=0.02`; a currency not named has none (every cent counts)."""
    tolerances: dict[str, Decimal] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        currency, _, amount = part.partition("=")
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            value = Decimal(-1)
        if currency.strip() not in KNOWN_CURRENCIES or not value.is_finite() or value < 0:
            raise SettingsError(
                f"CYNARE_RECONCILE_TOLERANCES: {part!r} must be a currency code and an amount, e.g. EUR=0.02"
            )
        tolerances[currency.strip()] = value
    return tolerances


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)  # a setting, not money
    except ValueError:
        raise SettingsError(f"{name} must be a number, e.g. {default:g}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be greater than zero")
    return value


def parse_entities(text: str) -> dict[str, EntitySettings]:
    """CYNARE_ENTITIES: each entity's base currency, the currencies its Xero organisation has, and its PMS sources."""
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
        for code, item in raw.items():
            if item.get("receipts_from", "pms") not in {"pms", "xero"}:
                raise SettingsError(
                    f'CYNARE_ENTITIES: {code}\'s receipts_from must be "pms" (receipts entered in the PMS are '
                    'posted to Xero) or "xero" (receipts recorded in Xero from the bank feed flow back to the PMS)'
                )
        entities = {
            code: EntitySettings(code, str(item["base_currency"]), frozenset(map(str, item["currencies"])),
                                 frozenset(map(str, item["sources"])),
                                 CashDirection(item.get("receipts_from", "pms")),
                                 int(item["day_limit"]) if "day_limit" in item else None)
            for code, item in raw.items()
        }  # fmt: skip
    except (ValueError, TypeError, KeyError, AttributeError):
        raise SettingsError(f"CYNARE_ENTITIES is not valid: write it as JSON, e.g. {ENTITIES_EXAMPLE}") from None
    for settings in entities.values():
        unknown = sorted((settings.currencies | {settings.base_currency}) - KNOWN_CURRENCIES)
        if unknown:
            raise SettingsError(
                f"CYNARE_ENTITIES: {settings.entity} names unknown currency code(s) {', '.join(unknown)}"
            )
        if not settings.sources:
            raise SettingsError(
                f"CYNARE_ENTITIES: {settings.entity} declares no source system (the agent's source_system)"
            )
        if settings.base_currency not in settings.currencies:
            raise SettingsError(f"CYNARE_ENTITIES: {settings.entity}'s currencies must include its base currency")
    return entities


def unit_of_work(settings: AppSettings) -> UnitOfWork:
    from cynare.adapters.secrets_box import SecretsBox
    from cynare.adapters.tables.unit_of_work import TableUnitOfWork

    box = SecretsBox.from_setting(settings.token_key) if settings.token_key else None
    return TableUnitOfWork(settings.storage, settings.entities, box)


@dataclass(frozen=True, slots=True)
class App:
    """The use cases, bound to their adapters: an entrypoint only translates its trigger into one of these calls."""

    settings: AppSettings
    uow: UnitOfWork
    import_extracts: Callable[[Progress | None], list[ImportOutcome]]
    queue: StorageWorkQueue
    clock: Callable[[], datetime]
    connector: HttpXeroConnector
    lock: PosterLock
    writeback: WritebackOutbox
    waiting_payments: WaitingPayments
    history: HistoryRepository
    reports: ReportStore
    channels: Channels
    render: Renderers
    audit: AuditLog

    def post_to_xero(self, entity: str) -> PostingOutcome:
        return post_to_xero(entity, self.uow, self.connector, self.lock, self.queue, self.clock, sleep,
                            self.settings.budget)  # fmt: skip

    def sync_from_xero(self, entity: str) -> SyncOutcome:
        return sync_entity(entity, self.uow, self.connector, self.writeback, self.clock)

    def sync_all(self) -> list[SyncOutcome]:
        """Every entity's sync; one that fails is logged and the others still run."""
        outcomes = []
        for entity in self.uow.entities():
            try:
                outcomes.append(self.sync_from_xero(entity))
            except Exception:
                log.exception(
                    "sync_from_xero failed for %s; the other entities go on", entity, extra={"entity": entity}
                )
        return outcomes

    def queue_all(self, reason: str) -> list[str]:
        for entity in self.uow.entities():
            self.queue.announce(entity, reason)
        return self.uow.entities()

    def poisoned(self, entity: str, message: str) -> None:
        with self.uow.for_entity(entity) as work:
            work.issues.raise_issue(EntityIssue(entity, IssueKind.POISONED, message, self.clock()))

    def reconcile(self) -> ReconcileOutcome:
        return reconcile(self.uow, self.connector, self.waiting_payments, self.history, self.reports, self.channels,
                         self.render, self.settings.report, self.clock, sleep)  # fmt: skip

    def connect_custom(self, entity: str, client_id: str, client_secret: str, by: str) -> Binding:
        seen, credentials = self.connector.discover_custom(entity, client_id, client_secret)
        with self.uow.for_entity(entity) as work:
            return bind_entity(work, seen, ConnectionKind.CUSTOM, client_id, credentials, self.clock, by)


def bootstrap(settings: AppSettings) -> App:
    from cynare.adapters.poster_lock import BlobPosterLock
    from cynare.adapters.report_blobs import BlobReportStore
    from cynare.adapters.tables.audit import TableAuditLog
    from cynare.adapters.tables.connection import open_tables
    from cynare.adapters.tables.history import TableHistory
    from cynare.adapters.writeback_blobs import BlobWritebackOutbox, payments_not_in_pms
    from cynare.adapters.xero.connector import HttpXeroConnector
    from cynare.presentation.reconciliation.render import RENDERERS

    inbox = BlobInbox(blob_service(settings.storage), settings.inbound_container).ensure()
    uow = unit_of_work(settings)
    queue = StorageWorkQueue(settings.storage)
    clock: Callable[[], datetime] = partial(datetime.now, UTC)

    def run_import(progress: Progress | None = None) -> list[ImportOutcome]:
        return import_extracts(inbox, uow, queue, clock, progress)

    writeback = BlobWritebackOutbox(settings.storage)
    tables = open_tables(settings.storage, create=False)  # made by the unit of work
    return App(
        settings=settings,
        uow=uow,
        import_extracts=run_import,
        queue=queue,
        clock=clock,
        connector=HttpXeroConnector.for_url(settings.xero_url, clock, settings.xero_time_scale),
        lock=BlobPosterLock(settings.storage),
        writeback=writeback,
        waiting_payments=partial(payments_not_in_pms, writeback),
        history=TableHistory(tables["History"]),
        audit=TableAuditLog(tables["Audit"]),
        reports=BlobReportStore(settings.storage),
        channels=channels(settings.delivery),
        render=RENDERERS,
    )


def channels(delivery: DeliverySettings) -> Channels:
    """The report's two channels, each only when its settings are there (a missing one is reported as such)."""
    from cynare.adapters.graph_mail import graph_mail_sender
    from cynare.adapters.teams_webhook import TeamsWebhookPoster

    mail = None
    if delivery.mailbox:
        mail = graph_mail_sender(
            delivery.mailbox,
            graph_url=delivery.graph_url or None,
            tenant_id=delivery.graph_tenant_id or None,
            client_id=delivery.graph_client_id or None,
            client_secret=delivery.graph_client_secret or None,
        )
    teams = TeamsWebhookPoster(delivery.teams_webhook_url) if delivery.teams_webhook_url else None
    return Channels(mail, teams)
