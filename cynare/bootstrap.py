"""Wire the real adapters from the app's settings (environment variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import time

from cynare.adapters.blob_inbox import INBOUND, BlobInbox, blob_service
from cynare.adapters.tables.connection import StorageSettings
from cynare.adapters.tables.warehouse import TableWarehouse
from cynare.adapters.work_queue import StorageWorkQueue


@dataclass(frozen=True, slots=True)
class AppSettings:
    storage: StorageSettings
    local_run_time: time
    time_zone: str
    inbound_container: str = INBOUND

    @classmethod
    def from_env(cls) -> AppSettings:
        return cls(
            storage=StorageSettings(
                connection_string=os.environ.get("CYNARE_STORAGE_CONNECTION", ""),
                account_name=os.environ.get("CYNARE_STORAGE_ACCOUNT", ""),
                table_prefix=os.environ.get("CYNARE_TABLE_PREFIX", "cynare"),
            ),
            local_run_time=time.fromisoformat(os.environ.get("CYNARE_IMPORT_LOCAL_TIME", "01:30")),
            time_zone=os.environ.get("CYNARE_TIME_ZONE", "Europe/London"),
            inbound_container=os.environ.get("CYNARE_INBOUND_CONTAINER", INBOUND),
        )


@dataclass(frozen=True, slots=True)
class CloudPorts:
    inbox: BlobInbox
    warehouse: TableWarehouse
    queue: StorageWorkQueue


def cloud_ports(settings: StorageSettings, inbound_container: str = INBOUND) -> CloudPorts:
    return CloudPorts(
        inbox=BlobInbox(blob_service(settings), inbound_container).ensure(),
        warehouse=TableWarehouse(settings),
        queue=StorageWorkQueue(settings),
    )
