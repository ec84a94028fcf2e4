"""A small SQLite PMS written by the test, with its query files: bills and lines read whole (no watermark)."""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cynare.agent.extract import EntityOutcome, Extractor, Identity
from cynare.agent.sources.sql import SqlSource
from cynare.agent.state import AgentState

AS_AT = date(2026, 11, 25)

_SCHEMA = """
CREATE TABLE clients (entity TEXT, client_id TEXT, name TEXT, currency TEXT);
CREATE TABLE bills (entity TEXT, bill_id TEXT, client_id TEXT, bill_date TEXT, total TEXT, modified_at TEXT);
CREATE TABLE bill_lines (bill_id TEXT, line_no INTEGER, narrative TEXT, net TEXT, vat TEXT);
CREATE TABLE voids (entity TEXT, kind TEXT, document_id TEXT, voided_on TEXT, reason TEXT);
CREATE TABLE balances (entity TEXT, client_id TEXT, currency TEXT, balance TEXT);
CREATE TABLE nominals (entity TEXT, code TEXT, account TEXT);
"""

QUERIES = {
    "clients": """SELECT client_id, name, currency AS default_currency, 'active' AS status
FROM clients WHERE entity = :entity ORDER BY client_id""",
    "bills": """SELECT bill_id, bill_id AS bill_number, client_id, bill_date AS date, bill_date AS due_date,
       'GBP' AS currency, 1 AS exchange_rate, total
FROM bills WHERE entity = :entity ORDER BY bill_id""",
    "bill_lines": """SELECT l.bill_id, l.line_no, l.narrative AS description, '4000' AS nominal_code, 'S' AS vat_code,
       l.net, l.vat
FROM bill_lines AS l JOIN bills AS b ON b.bill_id = l.bill_id
WHERE b.entity = :entity ORDER BY l.bill_id, l.line_no""",
    "debtors": """SELECT client_id, currency, balance, :as_at AS as_at FROM balances WHERE entity = :entity
ORDER BY client_id""",
    "map_nominal": "SELECT code AS nominal_code, account AS xero_account_code FROM nominals WHERE entity = :entity",
}
# The PMS's own record of voided documents: optional, so not written unless a test asks.
CANCELLATIONS = """SELECT kind, document_id, voided_on AS date, reason FROM voids WHERE entity = :entity"""
# Bills with a last-modified column: the watermark way.
BILLS_WITH_WATERMARK = """SELECT bill_id, bill_id AS bill_number, client_id, bill_date AS date, bill_date AS due_date,
       'GBP' AS currency, 1 AS exchange_rate, total, modified_at AS watermark
FROM bills WHERE entity = :entity AND (:since IS NULL OR modified_at > :since) ORDER BY bill_id"""


@dataclass
class SmallPms:
    folder: Path

    @property
    def database(self) -> Path:
        return self.folder / "pms.sqlite"

    @property
    def queries(self) -> Path:
        return self.folder / "queries"

    @property
    def batches(self) -> Path:
        return self.folder / "batches"

    def sql(self, statement: str, *parameters: object) -> None:
        with sqlite3.connect(self.database) as db:
            db.execute(statement, parameters)
        db.close()

    def add_bill(self, bill_id: str, *lines: tuple[str, str], client: str = "C1", modified_at: str = "1") -> None:
        """A bill with lines of (net, vat); its total is their sum."""
        total = sum(float(net) + float(vat) for net, vat in lines)
        self.sql("INSERT INTO bills VALUES ('UK', ?, ?, '2026-11-20', ?, ?)", bill_id, client, f"{total:.2f}",
                 modified_at)  # fmt: skip
        for number, (net, vat) in enumerate(lines, start=1):
            self.sql("INSERT INTO bill_lines VALUES (?, ?, ?, ?, ?)", bill_id, number, f"Work {number}", net, vat)

    def delete_bill(self, bill_id: str) -> None:
        self.sql("DELETE FROM bill_lines WHERE bill_id = ?", bill_id)
        self.sql("DELETE FROM bills WHERE bill_id = ?", bill_id)

    def write_query(self, dataset: str, sql: str) -> None:
        (self.queries / f"{dataset}.sql").write_text(sql, encoding="utf-8")

    def extractor(self, state: AgentState | None = None) -> Extractor:
        source = SqlSource(f"sqlite:///{self.database}", self.queries, None)
        return Extractor(
            source, state or AgentState(self.folder / "state.sqlite"), Identity("firm", "pms-1", "Small PMS 1"),
            self.batches,
        )  # fmt: skip

    def rows(self, outcome: EntityOutcome, dataset: str) -> list[dict[str, str]]:
        """The rows of a dataset in the outcome's batch; none when the file was left out."""
        assert outcome.batch_id is not None
        path = self.batches / outcome.entity / outcome.batch_id / f"{dataset}.csv"
        if not path.is_file():
            return []
        with path.open(encoding="utf-8", newline="") as stream:
            return list(csv.DictReader(stream))


def small_pms(folder: Path) -> SmallPms:
    pms = SmallPms(folder)
    pms.queries.mkdir(parents=True)
    with sqlite3.connect(pms.database) as db:
        db.executescript(_SCHEMA)
        db.execute("INSERT INTO clients VALUES ('UK', 'C1', 'Acme Ltd', 'GBP'), ('UK', 'C2', 'Bell plc', 'GBP')")
        db.execute("INSERT INTO balances VALUES ('UK', 'C1', 'GBP', '360.00')")
        db.execute("INSERT INTO nominals VALUES ('UK', '4000', '200')")
    db.close()
    for dataset, sql in QUERIES.items():
        pms.write_query(dataset, sql)
    pms.add_bill("B1", ("100.00", "20.00"))
    pms.add_bill("B2", ("50.00", "10.00"), ("150.00", "30.00"))
    pms.add_bill("B3", ("25.00", "5.00"))
    return pms
