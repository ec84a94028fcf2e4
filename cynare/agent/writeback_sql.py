"""Applier: a write-back document through configured, parameterised SQL statements, in ONE transaction.

Each item kind has its list of statements; an item's fields are their parameters (`:pms_bill_id`,
`:amount`...), with `:entity`, `:writeback_id` and `:applied_at`. The optional `already_applied`
query and `mark_applied` statement keep the PMS's own record of applied documents in the same
transaction, so a document is applied once even if the agent's state were lost.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from cynare.agent.config import WritebackSql
from cynare.agent.errors import SourceBusy, WritebackError
from cynare.agent.retry import Backoff
from cynare.agent.sources.sql import describe_database_error, is_busy
from cynare.agent.sqltext import parameters_for, unknown_parameters
from cynare.extract.writeback import ITEM_KINDS, WritebackDocument

log = logging.getLogger(__name__)


def statement_problems(settings: WritebackSql) -> list[str]:
    """What `check` reports about the configured statements."""
    problems = [
        f"writeback.sql.statements: unknown item kind {kind!r} (known: {', '.join(ITEM_KINDS)})"
        for kind in settings.statements
        if kind not in ITEM_KINDS
    ]
    problems += [
        f"writeback.sql.statements: no statements for item kind {kind!r}; give [] to ignore it on purpose"
        for kind in ITEM_KINDS
        if kind not in settings.statements
    ]
    return problems


class SqlApplier:
    def __init__(self, url: str, settings: WritebackSql, backoff: Backoff) -> None:
        self._engine: Engine = create_engine(url, connect_args={"timeout": 2.0} if url.startswith("sqlite") else {})
        self._settings = settings
        self._backoff = backoff

    def apply(self, document: WritebackDocument, applied_at: datetime) -> bool:
        """Apply every item or none; False when the PMS says the document was applied before."""
        missing = sorted({item.kind for item in document.items} - set(self._settings.statements))
        if missing:
            raise WritebackError(
                f"write-back {document.writeback_id}: no statements configured for item kind(s) {', '.join(missing)} "
                "(writeback.sql.statements); nothing was applied"
            )
        return self._backoff.call(lambda: self._apply_once(document, applied_at), "apply write-back", (SourceBusy,))

    def _apply_once(self, document: WritebackDocument, applied_at: datetime) -> bool:
        common = {
            "entity": document.entity,
            "writeback_id": document.writeback_id,
            "applied_at": applied_at.isoformat(timespec="seconds"),
            "items": len(document.items),
        }
        where = f"write-back {document.writeback_id}"
        try:
            with self._engine.begin() as connection:
                if (
                    self._settings.already_applied
                    and self._run(connection, self._settings.already_applied, common).first()
                ):
                    return False
                for number, item in enumerate(document.items, start=1):
                    values = {**common, **item.parameters()}
                    for index, sql in enumerate(self._settings.statements[item.kind], start=1):
                        where = f"write-back {document.writeback_id} item {number} ({item.kind}) statement {index}"
                        self._check_parameters(sql, values, where)
                        self._run(connection, sql, values)
                if self._settings.mark_applied:
                    where = f"write-back {document.writeback_id} mark_applied"
                    self._run(connection, self._settings.mark_applied, common)
        except DBAPIError as exc:
            if is_busy(exc):
                raise SourceBusy(f"{where}: the PMS database is locked or busy") from None
            raise WritebackError(
                f"{where}: the database refused it: {describe_database_error(exc)}; nothing of the document was applied"
            ) from None
        log.info("applied write-back %s (%d items)", document.writeback_id, len(document.items))
        return True

    @staticmethod
    def _check_parameters(sql: str, values: dict[str, Any], where: str) -> None:
        unknown = unknown_parameters(sql, set(values))
        if unknown:
            raise WritebackError(
                f"{where}: parameter(s) {', '.join(':' + name for name in unknown)} are not fields of this item "
                f"(available: {', '.join(':' + name for name in sorted(values))}); nothing was applied"
            )

    @staticmethod
    def _run(connection: Connection, sql: str, values: dict[str, Any]) -> Any:
        return connection.execute(text(sql), parameters_for(sql, values))

    def dispose(self) -> None:
        self._engine.dispose()
