"""The SQL source: any SQLAlchemy database URL and one query file per dataset.

A query file selects the dataset's columns (renaming the PMS's own with AS) and may select a
`watermark` column (a last-modified time or an increasing id). Its parameters: `:entity`, `:since`
(the highest watermark of the last committed batch, NULL for a full extract) and `:as_at` (the
extract date). Rows stream from the server in partitions, so memory does not grow with the table.

A wrong database URL (a plain path, a driver not installed, a SQLite file that is not there) is
refused before connecting, in one sentence naming the setting: SQLAlchemy would otherwise raise
a traceback, or quietly create an empty SQLite file and extract nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Final

from sqlalchemy import URL, Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from cynare.agent.config import ConfigError
from cynare.agent.errors import AgentError, ExtractInputError, SourceBusy
from cynare.agent.sources import DatasetStream
from cynare.agent.sqltext import parameters_for
from cynare.extract.datasets import DATASETS

# Words the drivers use when the database is locked or busy (SQLite, SQL Server, PostgreSQL).
_BUSY = ("database is locked", "database is busy", "deadlock", "lock request time out", "timeout expired",
         "could not obtain lock", "lock timeout")  # fmt: skip
_PARTITION = 5_000
# The pip package that provides a driver's Python module, where the two names differ.
_PACKAGES: Final = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary", "MySQLdb": "mysqlclient"}
_URL_EXAMPLES: Final = (
    "e.g. sqlite:///C:/PMS/practice.sqlite for a SQLite file, or "
    "mssql+pyodbc://user:password@server/database?driver=ODBC+Driver+18+for+SQL+Server for SQL Server"
)


def check_database_url(url: str, setting: str) -> URL:
    """The parsed URL, or a ConfigError naming `setting` and the fix. Never quotes the URL (a password)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        hint = ""
        if "://" not in url and Path(url).is_file():  # a file path, which holds no secret to hide
            hint = f"; for this SQLite file write sqlite:///{Path(url).resolve().as_posix()}"
        raise ConfigError(
            f"{setting}: the PMS database address is not a database URL (a URL starts with the kind of database, "
            f"{_URL_EXAMPLES}){hint}"
        ) from None
    try:
        dialect = parsed.get_dialect()
        dialect.import_dbapi()
    except NoSuchModuleError:
        raise ConfigError(
            f"{setting}: {parsed.drivername!r} is not a kind of database the agent knows; {_URL_EXAMPLES}"
        ) from None
    except ImportError as exc:
        module = (exc.name or parsed.get_driver_name()).split(".")[0]
        package = _PACKAGES.get(module, module)
        odbc = "; SQL Server also needs Microsoft's ODBC Driver 18 for SQL Server" if module == "pyodbc" else ""
        raise ConfigError(
            f"{setting}: the database driver for {parsed.drivername} is not installed (Python module {module}): "
            f'install it into the agent\'s Python with: "{sys.executable}" -m pip install "{package}"{odbc}'
        ) from None
    if parsed.get_backend_name() == "sqlite":
        _require_sqlite_file(parsed, setting)
    return parsed


def _require_sqlite_file(url: URL, setting: str) -> None:
    # SQLite creates a missing file on connect: the agent would extract an empty PMS without a word.
    database = url.database or ""
    if url.query.get("uri") in ("true", "1") and database.startswith("file:"):
        database = database.removeprefix("file:").split("?")[0]
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return
    path = Path(database)
    if path.is_file():
        return
    relative = (
        "" if path.is_absolute()
        else f" (a relative path is taken from the folder the agent was started in, {Path.cwd()}: write the full path)"
    )  # fmt: skip
    raise ConfigError(
        f"{setting}: the SQLite database file {path.absolute()} does not exist{relative}; check the path in the URL "
        "(the agent never creates the PMS database)"
    )


def open_engine(url: str, setting: str, **options: Any) -> Engine:
    return create_engine(check_database_url(url, setting), **options)


def is_busy(exc: BaseException) -> bool:
    message = str(getattr(exc, "orig", exc)).lower()
    return any(word in message for word in _BUSY)


def describe_database_error(exc: DBAPIError) -> str:
    # The driver's own message, without SQLAlchemy's echo of the statement and parameters.
    return str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__


class SqlSession:
    def __init__(self, connection: Connection, queries: Path, entity: str) -> None:
        self._connection = connection
        self._queries = queries
        self._entity = entity

    def read(self, dataset: str, since: Any | None, as_at: date) -> DatasetStream | None:
        path = self._queries / f"{dataset}.sql"
        origin = f"entity {self._entity}, dataset {dataset}, query file {path}"
        if not path.is_file():
            # Never an empty dataset: the cloud would take it as "nothing changed".
            raise ExtractInputError(f"entity {self._entity}, dataset {dataset}: the query file {path} is missing")
        sql = path.read_text(encoding="utf-8")
        values = {"entity": self._entity, "since": since, "as_at": as_at.isoformat()}
        parameters = parameters_for(sql, values)
        try:
            result = self._connection.execution_options(stream_results=True, yield_per=_PARTITION).execute(
                text(sql), parameters
            )
        except DBAPIError as exc:
            if is_busy(exc):
                raise SourceBusy(
                    f"{origin}: the PMS database is locked or busy ({describe_database_error(exc)})"
                ) from None
            raise ExtractInputError(
                f"{origin}: the database refused the query: {describe_database_error(exc)}"
            ) from None
        # Rows are numbered as in the dataset's CSV file and by the import: the header is row 1.
        return DatasetStream(origin, list(result.keys()), self._rows(result, origin), first_row_number=2)

    def _rows(self, result: Any, origin: str) -> Iterator[Sequence[Any]]:
        try:
            for partition in result.partitions():
                yield from partition
        except DBAPIError as exc:
            if is_busy(exc):
                raise SourceBusy(
                    f"{origin}: the PMS database is locked or busy ({describe_database_error(exc)})"
                ) from None
            raise ExtractInputError(f"{origin}: reading rows failed: {describe_database_error(exc)}") from None
        finally:
            result.close()


class SqlSource:
    def __init__(
        self, url: str, queries: Path, datasets: Sequence[str] | None, *, isolation_level: str | None = None,
        busy_timeout_seconds: float = 2.0, url_setting: str = "source.url",
    ) -> None:  # fmt: skip
        self._queries = queries
        self._configured = datasets is not None
        # Not configured: every dataset that has a query file, in the registry's order.
        self._datasets = (
            list(datasets) if datasets is not None else [n for n in DATASETS if (queries / f"{n}.sql").is_file()]
        )
        options: dict[str, Any] = {}
        if url.startswith("sqlite"):
            options["connect_args"] = {"timeout": busy_timeout_seconds}
        if isolation_level:
            options["isolation_level"] = isolation_level
        self._engine: Engine = open_engine(url, url_setting, **options)

    def datasets(self) -> Sequence[str]:
        return self._datasets

    def query_problems(self) -> list[str]:
        """A missing folder or query file is a stop, never an empty upload."""
        if not self._queries.is_dir():
            return [f"source.queries: the queries folder {self._queries} does not exist"]
        if not self._configured and not self._datasets:
            return [
                f"source.queries: the folder {self._queries} has no query file named after a dataset "
                f"(<dataset>.sql, e.g. bills.sql; datasets: {', '.join(DATASETS)})"
            ]
        return [
            f"source.datasets lists {name}, but its query file {self._queries / (name + '.sql')} is missing"
            for name in self._datasets
            if not (self._queries / f"{name}.sql").is_file()
        ]

    @contextmanager
    def session(self, entity: str) -> Iterator[SqlSession]:
        problems = self.query_problems()
        if problems:
            raise ExtractInputError("; ".join(problems))
        try:
            connection = self._engine.connect()
        except DBAPIError as exc:
            if is_busy(exc):
                raise SourceBusy(f"the PMS database is locked or busy ({describe_database_error(exc)})") from None
            raise AgentError(f"cannot connect to the PMS database: {describe_database_error(exc)}") from None
        try:
            with connection.begin():
                yield SqlSession(connection, self._queries, entity)
        finally:
            connection.close()

    def check(self, entity: str | None = None) -> list[str]:
        problems = self.query_problems()
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError as exc:
            problems.append(f"cannot connect to the PMS database: {describe_database_error(exc)}")
        return problems

    def dispose(self) -> None:
        self._engine.dispose()
