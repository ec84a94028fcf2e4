"""Wire the real adapters to the use cases from a configuration: the only place that does."""

from __future__ import annotations

import socket
from pathlib import Path

from cynare.agent.blob_store import ContainerStore, open_container
from cynare.agent.config import AgentConfig, ExportFilesSource, SqlSource
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
        )
    assert isinstance(source, ExportFilesSource)
    from cynare.agent.sources.export_files import ExportFilesSource as ExportAdapter

    return ExportAdapter(source, config.resolve(source.folder))


def build_extractor(config: AgentConfig, state: AgentState, progress: Progress) -> Extractor:
    retries = config.source.busy_retries if isinstance(config.source, SqlSource) else 0
    wait = config.source.busy_wait_seconds if isinstance(config.source, SqlSource) else 0.0
    identity = Identity(config.agent.firm, config.agent.source_system, config.agent.pms_product)
    return Extractor(
        build_source(config), state, identity, config.work_folder / "batches",
        busy_retries=retries, busy_wait_seconds=wait, progress=progress,
    )  # fmt: skip


def backoff(config: AgentConfig) -> Backoff:
    return Backoff(config.storage.retries, config.storage.backoff_seconds)


def inbound(config: AgentConfig) -> ContainerStore:
    store = open_container(config, "inbound")
    if config.storage.connection_string or config.storage.connection_string_env:
        store.ensure_exists()  # the local emulator starts empty; in Azure the deployment creates it
    return store


def writeback_inbox(config: AgentConfig) -> ContainerStore:
    store = open_container(config, "writeback")
    if config.storage.connection_string or config.storage.connection_string_env:
        store.ensure_exists()
    return store


def build_uploader(config: AgentConfig, state: AgentState, progress: Progress | None = None) -> BatchUploader:
    return BatchUploader(inbound(config), state, backoff(config), progress)


def build_applier(config: AgentConfig) -> Applier:
    if config.writeback.mode == "csv":
        from cynare.agent.writeback_csv import CsvApplier

        return CsvApplier(config.resolve(config.writeback.csv_folder))
    from cynare.agent.writeback_sql import SqlApplier

    source = config.source
    retries = source.busy_retries if isinstance(source, SqlSource) else 3
    return SqlApplier(config.source_url(), config.writeback.sql, Backoff(retries, 1.0))


def build_writeback(config: AgentConfig, state: AgentState) -> WritebackRunner:
    return WritebackRunner(
        writeback_inbox(config), inbound(config), build_applier(config), state, backoff(config),
        agent_name=f"cynare-agent@{socket.gethostname()}",
    )  # fmt: skip
