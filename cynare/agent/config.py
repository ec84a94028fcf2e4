"""The agent's TOML configuration, validated with pydantic.

Paths are relative to the configuration file. A secret is given either by the name of the
environment variable that holds it (`*_env`), by a certificate file, or in plain text; `check`
warns about the plain-text kind.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cynare.agent.errors import AgentError
from cynare.extract.datasets import DATASETS


class ConfigError(AgentError):
    """The configuration cannot be used; the message says what to change."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentSection(_Section):
    firm: str = Field(min_length=1)
    source_system: str = Field(min_length=1)
    pms_product: str = Field(min_length=1)
    entities: list[str] = Field(min_length=1)
    work_folder: Path = Path("cynare-agent-data")
    # Uploaded batch folders and daily logs older than this are deleted after each run; 0 keeps everything.
    keep_days: int = Field(default=30, ge=0)


class SqlSource(_Section):
    kind: Literal["sql"] = "sql"
    url: str | None = None
    url_env: str | None = None
    queries: Path = Path("queries")
    datasets: list[str] | None = None  # None: every dataset that has a query file
    # SQL Server: "SNAPSHOT" gives every entity's queries one consistent view of the PMS.
    isolation_level: str | None = None
    busy_retries: int = Field(default=5, ge=0)
    busy_wait_seconds: float = Field(default=2.0, ge=0)

    @model_validator(mode="after")
    def _one_url(self) -> SqlSource:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url or url_env")
        return self


class ExportFile(_Section):
    file: str = Field(min_length=1)  # may contain {entity}
    columns: dict[str, str] = Field(default_factory=dict)  # extract column -> the export's column
    constants: dict[str, str] = Field(default_factory=dict)  # extract column -> fixed value ({as_at}, {entity})


class ExportFilesSource(_Section):
    kind: Literal["export_files"] = "export_files"
    folder: Path
    encoding: str = "utf-8-sig"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    date_format: str = "%Y-%m-%d"
    datasets: dict[str, ExportFile]


class StorageSection(_Section):
    inbound_container: str = "inbound"
    writeback_container: str = "writeback"
    # Safer options first: environment variables or a certificate, never a secret in this file.
    inbound_sas_url_env: str | None = None
    writeback_sas_url_env: str | None = None
    connection_string_env: str | None = None
    account_url: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    certificate_path: Path | None = None
    # Plain-text secrets: accepted, and reported by `check`.
    inbound_sas_url: str | None = None
    writeback_sas_url: str | None = None
    connection_string: str | None = None
    client_secret: str | None = None
    retries: int = Field(default=5, ge=0)
    backoff_seconds: float = Field(default=2.0, ge=0)


class WritebackSql(_Section):
    already_applied: str | None = None
    mark_applied: str | None = None
    # Per item kind, a query returning a row when the item's PMS document belongs to :entity.
    targets: dict[str, str] = Field(default_factory=dict)
    statements: dict[str, list[str]] = Field(default_factory=dict)


class WritebackSection(_Section):
    mode: Literal["sql", "csv", "off"] = "off"
    csv_folder: Path = Path("writeback")
    sql: WritebackSql = Field(default_factory=WritebackSql)


class AgentConfig(_Section):
    agent: AgentSection
    source: SqlSource | ExportFilesSource = Field(discriminator="kind")
    storage: StorageSection = Field(default_factory=StorageSection)
    writeback: WritebackSection = Field(default_factory=WritebackSection)
    path: Path = Path("cynare-agent.toml")

    def resolve(self, relative: Path) -> Path:
        return relative if relative.is_absolute() else (self.path.parent / relative).resolve()

    @property
    def work_folder(self) -> Path:
        return self.resolve(self.agent.work_folder)

    def source_url(self) -> str:
        assert isinstance(self.source, SqlSource)
        if self.source.url is not None:
            return self.source.url.replace("{config_dir}", str(self.path.parent.resolve()))
        return require_env(self.source.url_env or "", "the PMS database URL")

    def source_url_setting(self) -> str:
        """The setting that gives the database URL, for messages (never the URL: it may hold a password)."""
        assert isinstance(self.source, SqlSource)
        if self.source.url is not None:
            return "source.url"
        return f"source.url_env (the environment variable {self.source.url_env})"


def require_env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"{what} is read from the environment variable {name}, which is not set")
    return value


def load_config(path: Path) -> AgentConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no configuration at {path}: run `cynare-agent init {path}` to write one") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    try:
        config = AgentConfig.model_validate({**data, "path": path.resolve()})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from None
    unknown = [name for name in _datasets_of(config) if name not in DATASETS]
    if unknown:
        raise ConfigError(f"{path}: unknown dataset(s) {', '.join(unknown)}; known: {', '.join(DATASETS)}")
    return config


def _datasets_of(config: AgentConfig) -> list[str]:
    if isinstance(config.source, SqlSource):
        return config.source.datasets or []
    return list(config.source.datasets)


def _describe(exc: ValidationError) -> str:
    # Never echo the input: it may be a secret.
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)
