"""Read the app's settings (environment variables) and hand entrypoints their use cases, bound to real adapters.

Every setting the code reads is read here, and `local.settings.json.example` lists exactly these.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from functools import partial

from cynare.adapters.blob_inbox import INBOUND, BlobInbox, blob_service
from cynare.adapters.tables.connection import StorageSettings
from cynare.adapters.work_queue import StorageWorkQueue
from cynare.domain.money import KNOWN_CURRENCIES
from cynare.errors import SettingsError
from cynare.service_layer.import_batch import ImportOutcome
from cynare.service_layer.import_extracts import Progress, import_extracts
from cynare.service_layer.unit_of_work import EntitySettings, UnitOfWork

SETTINGS = (
    "CYNARE_STORAGE_CONNECTION",
    "CYNARE_STORAGE_ACCOUNT",
    "CYNARE_TABLE_PREFIX",
    "CYNARE_INBOUND_CONTAINER",
    "CYNARE_IMPORT_SCHEDULE",  # read by the Functions host from the timer's %...% binding
    "CYNARE_IMPORT_LOCAL_TIME",
    "CYNARE_TIME_ZONE",
    "CYNARE_ENTITIES",
)
ENTITIES_EXAMPLE = '{"UK": {"base_currency": "GBP", "currencies": ["GBP", "EUR", "USD"], "sources": ["pms-1"]}}'


@dataclass(frozen=True, slots=True)
class AppSettings:
    storage: StorageSettings
    local_run_time: time
    time_zone: str
    inbound_container: str = INBOUND
    entities: Mapping[str, EntitySettings] = field(default_factory=dict)

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
        )


def parse_entities(text: str) -> dict[str, EntitySettings]:
    """CYNARE_ENTITIES: each entity's base currency, the currencies its Xero organisation has, and its PMS sources."""
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
        entities = {
            code: EntitySettings(code, str(item["base_currency"]), frozenset(map(str, item["currencies"])),
                                 frozenset(map(str, item["sources"])))
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
    from cynare.adapters.tables.unit_of_work import TableUnitOfWork

    return TableUnitOfWork(settings.storage, settings.entities)


@dataclass(frozen=True, slots=True)
class App:
    """The use cases, bound to their adapters: an entrypoint only translates its trigger into one of these calls."""

    uow: UnitOfWork
    import_extracts: Callable[[Progress | None], list[ImportOutcome]]
    queue: StorageWorkQueue


def bootstrap(settings: AppSettings) -> App:
    inbox = BlobInbox(blob_service(settings.storage), settings.inbound_container).ensure()
    uow = unit_of_work(settings)
    queue = StorageWorkQueue(settings.storage)
    clock: Callable[[], datetime] = partial(datetime.now, UTC)

    def run_import(progress: Progress | None = None) -> list[ImportOutcome]:
        return import_extracts(inbox, uow, queue, clock, progress)

    return App(uow=uow, import_extracts=run_import, queue=queue)
