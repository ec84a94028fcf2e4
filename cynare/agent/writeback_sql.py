"""Applier: a write-back document through configured, parameterised SQL statements, in ONE transaction.

Each item kind has its list of statements; an item's fields are their parameters (`:pms_bill_id`,
`:amount`...), with `:entity`, `:writeback_id`, `:version`, `:applied_at` and `:items`. Before an
item's statements run, its kind's `targets` query must find the item's PMS document in the
document's entity: a document of one entity never changes another's rows, and an item whose
document is not there rolls the whole document back. The optional `already_applied` query and
`mark_applied` statement keep the PMS's own record of applied documents (entity, id and version)
in the same transaction, so a document is applied once even if the agent's state were lost.
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
from cynare.agent.sqltext import parameter_names, parameters_for, unknown_parameters
from cynare.extract.writeback import ITEM_KINDS, Item, Posted, Rejected, WritebackDocument

log = logging.getLogger(__name__)


def statement_problems(settings: WritebackSql) -> list[str]:
    """What `check` reports about the configured statements (warnings)."""
    problems = [
        f"writeback.sql.{section}: unknown item kind {kind!r} (known: {', '.join(ITEM_KINDS)})"
        for section, kinds in (("statements", settings.statements), ("targets", settings.targets))
        for kind in kinds
        if kind not in ITEM_KINDS
    ]
    problems += [
        f"writeback.sql.statements: no statements for item kind {kind!r}; give [] to ignore it on purpose"
        for kind in ITEM_KINDS
        if kind not in settings.statements
    ]
    problems += [
        f"writeback.sql.targets: no query for item kind {kind!r}: the agent cannot make sure that the PMS document "
        "an item names belongs to the write-back's entity before applying it; give a query that returns a row "
        "when it does (see docs/writeback-format.md)"
        for kind in ITEM_KINDS
        if settings.statements.get(kind) and kind not in settings.targets
    ]
    for where, sql in _configured_sql(settings):
        if "entity" not in parameter_names(sql):
            problems.append(
                f"{where} does not use :entity, so it may read or change another entity's rows; add "
                "`entity = :entity` to its WHERE clause (or reach the row through a table that has the entity)"
            )
    for option, record in (("already_applied", settings.already_applied), ("mark_applied", settings.mark_applied)):
        if record and "version" not in parameter_names(record):
            problems.append(
                f"writeback.sql.{option} does not use :version: a corrected document (same id, new content) would be "
                "taken as already applied; key the record on entity, writeback_id and version"
            )
    return problems


def _configured_sql(settings: WritebackSql) -> list[tuple[str, str]]:
    texts = [
        (f"writeback.sql.{name}", sql)
        for name, sql in (("already_applied", settings.already_applied), ("mark_applied", settings.mark_applied))
        if sql
    ]
    texts += [(f"writeback.sql.targets.{kind}", sql) for kind, sql in settings.targets.items()]
    texts += [
        (f"writeback.sql.statements.{kind} statement {index}", sql)
        for kind, statements in settings.statements.items()
        for index, sql in enumerate(statements, start=1)
    ]
    return texts


def _target_of(item: Item) -> str:
    """The PMS document an item names, for a message."""
    if isinstance(item, Posted | Rejected):
        return f"{item.dataset} {item.pms_id}"
    names = [f"bill {item.pms_bill_id}"]
    receipt = getattr(item, "pms_receipt_id", None)
    if receipt:
        names.append(f"receipt {receipt}")
    return " with ".join(names)


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
                f"write-back {document.entity}/{document.writeback_id}: no statements configured for item kind(s) "
                f"{', '.join(missing)} "
                "(writeback.sql.statements); nothing was applied"
            )
        return self._backoff.call(lambda: self._apply_once(document, applied_at), "apply write-back", (SourceBusy,))

    def _apply_once(self, document: WritebackDocument, applied_at: datetime) -> bool:
        common = {
            "entity": document.entity,
            "writeback_id": document.writeback_id,
            "version": document.version,
            "applied_at": applied_at.isoformat(timespec="seconds"),
            "items": len(document.items),
        }
        name = f"write-back {document.entity}/{document.writeback_id}"
        where = name
        try:
            with self._engine.begin() as connection:
                if self._settings.already_applied:
                    where = f"{name} already_applied"
                    self._check_parameters(self._settings.already_applied, common, where)
                    if self._run(connection, self._settings.already_applied, common).first():
                        return False
                for number, item in enumerate(document.items, start=1):
                    values = {**common, **item.parameters()}
                    target = self._settings.targets.get(item.kind)
                    if target:
                        where = f"{name} item {number} ({item.kind}) target"
                        self._check_parameters(target, values, where)
                        if self._run(connection, target, values).first() is None:
                            raise WritebackError(
                                f"{name} item {number} ({item.kind}): {_target_of(item)} is not a document of entity "
                                f"{document.entity} in the PMS (writeback.sql.targets.{item.kind} found no row); "
                                "nothing of the document was applied, and it waits for a corrected version"
                            )
                    for index, sql in enumerate(self._settings.statements[item.kind], start=1):
                        where = f"{name} item {number} ({item.kind}) statement {index}"
                        self._check_parameters(sql, values, where)
                        self._run(connection, sql, values)
                if self._settings.mark_applied:
                    where = f"{name} mark_applied"
                    self._check_parameters(self._settings.mark_applied, common, where)
                    self._run(connection, self._settings.mark_applied, common)
        except DBAPIError as exc:
            if is_busy(exc):
                raise SourceBusy(f"{where}: the PMS database is locked or busy") from None
            raise WritebackError(
                f"{where}: the database refused it: {describe_database_error(exc)}; nothing of the document was applied"
            ) from None
        log.info("applied %s (%d items, version %s)", name, len(document.items), document.version[:12])
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
