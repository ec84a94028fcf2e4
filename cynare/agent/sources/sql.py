"""The SQL source: any SQLAlchemy database URL and one query file per dataset.

A query file selects the dataset's columns (renaming the PMS's own with AS) and may select a
`watermark` column (a last-modified time or an increasing id). Its parameters: `:entity`, `:since`
(the highest watermark of the last committed batch, NULL for a full extract) and `:as_at` (the
extract date). Rows stream from the server in partitions, so memory does not grow with the table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from cynare.agent.errors import AgentError, ExtractInputError, SourceBusy
from cynare.agent.sources import DatasetStream
from cynare.agent.sqltext import parameters_for
from cynare.extract.datasets import DATASETS

# Words the drivers use when the database is locked or busy (SQLite, SQL Server, PostgreSQL).
_BUSY = ("database is locked", "database is busy", "deadlock", "lock request time out", "timeout expired",
         "could not obtain lock", "lock timeout")  # fmt: skip
_PARTITION = 5_000


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
        if not path.is_file():
            return None
        sql = path.read_text(encoding="utf-8")
        values = {"entity": self._entity, "since": since, "as_at": as_at.isoformat()}
        parameters = parameters_for(sql, values)
        origin = f"query file {path}"
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
        return DatasetStream(origin, list(result.keys()), self._rows(result, origin))

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
        busy_timeout_seconds: float = 2.0,
    ) -> None:  # fmt: skip
        self._queries = queries
        # Not configured: every dataset that has a query file, in the registry's order.
        self._datasets = (
            list(datasets) if datasets is not None else [n for n in DATASETS if (queries / f"{n}.sql").is_file()]
        )
        options: dict[str, Any] = {}
        if url.startswith("sqlite"):
            options["connect_args"] = {"timeout": busy_timeout_seconds}
        if isolation_level:
            options["isolation_level"] = isolation_level
        self._engine: Engine = create_engine(url, **options)

    def datasets(self) -> Sequence[str]:
        return self._datasets

    @contextmanager
    def session(self, entity: str) -> Iterator[SqlSession]:
        try:
            connection = self._engine.connect()
        except OperationalError as exc:
            if is_busy(exc):
                raise SourceBusy(f"the PMS database is locked or busy ({describe_database_error(exc)})") from None
            raise AgentError(f"cannot connect to the PMS database: {describe_database_error(exc)}") from None
        try:
            with connection.begin():
                yield SqlSession(connection, self._queries, entity)
        finally:
            connection.close()

    def check(self, entity: str | None = None) -> list[str]:
        problems = [
            f"no query file {self._queries / (name + '.sql')} for dataset {name}"
            for name in self._datasets
            if not (self._queries / f"{name}.sql").is_file()
        ]
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError as exc:
            problems.append(f"cannot connect to the PMS database: {describe_database_error(exc)}")
        return problems

    def dispose(self) -> None:
        self._engine.dispose()
