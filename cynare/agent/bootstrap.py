"""Wire the real adapters to the use cases from a configuration: the only place that does."""

from __future__ import annotations

import socket
import sqlite3
from contextlib import closing
from pathlib import Path

from cynare.agent.blob_store import ContainerStore, open_container
from cynare.agent.config import AgentConfig, ConfigError, ExportFilesSource, SqlSource
from cynare.agent.credentials import uses_connection_string
from cynare.agent.extract import Extractor, Identity, Progress
from cynare.agent.retry import Backoff
from cynare.agent.sources import Source
from cynare.agent.state import AgentState
from cynare.agent.upload import BatchUploader
from cynare.agent.writeback import Applier, WritebackRunner


def state_path(config: AgentConfig) -> Path:
    return config.work_folder / "state.sqlite"


def open_state(config: AgentConfig) -> AgentState:
    return AgentState(state_path(config))


def scratch_state(config: AgentConfig, folder: Path) -> AgentState:
    """A throwaway copy of the state in `folder`: a dry run moves its watermarks, never the real ones."""
    copy = folder / "state.sqlite"
    source = state_path(config)
    if source.is_file():
        # SQLite's backup API copies a consistent snapshot, even while a run writes the original.
        original = closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True))
        with original as reading, closing(sqlite3.connect(copy)) as target:
            reading.backup(target)
    return AgentState(copy)


def build_source(config: AgentConfig) -> Source:
    source = config.source
    if isinstance(source, SqlSource):
        from cynare.agent.sources.sql import SqlSource as SqlAdapter

        return SqlAdapter(
            config.source_url(),
            config.resolve(source.queries),
            source.datasets,
            isolation_level=source.isolation_level,
            busy_timeout_seconds=source.busy_wait_seconds,
            url_setting=config.source_url_setting(),
        )
    assert isinstance(source, ExportFilesSource)
    from cynare.agent.sources.export_files import ExportFilesSource as ExportAdapter

    return ExportAdapter(source, config.resolve(source.folder))


def build_extractor(
    config: AgentConfig, state: AgentState, progress: Progress, *, batches: Path | None = None
) -> Extractor:
    """`batches`: where batches are written (default the work folder's; a scratch folder for a dry run)."""
    retries = config.source.busy_retries if isinstance(config.source, SqlSource) else 0
    wait = config.source.busy_wait_seconds if isinstance(config.source, SqlSource) else 0.0
    identity = Identity(config.agent.firm, config.agent.source_system, config.agent.pms_product)
    return Extractor(
        build_source(config), state, identity, batches or config.work_folder / "batches",
        busy_retries=retries, busy_wait_seconds=wait, progress=progress,
    )  # fmt: skip


def backoff(config: AgentConfig) -> Backoff:
    return Backoff(config.storage.retries, config.storage.backoff_seconds)


def inbound(config: AgentConfig) -> ContainerStore:
    store = open_container(config, "inbound")
    if uses_connection_string(config, "inbound"):
        store.ensure_exists()  # the local emulator starts empty; in Azure the deployment creates it
    return store


def writeback_inbox(config: AgentConfig) -> ContainerStore:
    store = open_container(config, "writeback")
    if uses_connection_string(config, "writeback"):  # a SAS may not even ask whether its container exists
        store.ensure_exists()
    return store


def build_uploader(config: AgentConfig, state: AgentState, progress: Progress | None = None) -> BatchUploader:
    return BatchUploader(inbound(config), state, backoff(config), progress)


def build_applier(config: AgentConfig) -> Applier:
    if config.writeback.mode == "csv":
        from cynare.agent.writeback_csv import CsvApplier

        return CsvApplier(config.resolve(config.writeback.csv_folder))
    from cynare.agent.sources.sql import check_database_url
    from cynare.agent.writeback_sql import SqlApplier

    source = config.source
    if not isinstance(source, SqlSource):
        raise ConfigError('writeback.mode = "sql" needs a SQL source; with export files use mode = "csv"')
    retries = source.busy_retries
    url = config.source_url()
    check_database_url(url, config.source_url_setting())  # one plain sentence, not a driver's traceback
    return SqlApplier(url, config.writeback.sql, Backoff(retries, 1.0))


def build_writeback(config: AgentConfig, state: AgentState) -> WritebackRunner:
    return WritebackRunner(
        writeback_inbox(config), inbound(config), build_applier(config), state, backoff(config),
        agent_name=f"cynare-agent@{socket.gethostname()}",
    )  # fmt: skip
