"""A tiny PMS for the agent's failure tests: one SQLite table and one query file per dataset.

Tables take their columns from the extract registry, so the PMS follows the contract; each test
gives only the rows it needs, per entity, and a query file reads a dataset as its table holds it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cynare.agent.config import AgentConfig, load_config
from cynare.extract.datasets import DATASETS

ENTITIES = ("UK", "IE", "US")
Rows = Mapping[str, Sequence[Mapping[str, Any]]]  # dataset -> rows (column -> value), each with its entity


@dataclass
class TinyPms:
    folder: Path
    config_path: Path
    database: Path

    @property
    def queries(self) -> Path:
        return self.folder / "queries"

    def config(self) -> AgentConfig:
        return load_config(self.config_path)

    def edit_config(self, old: str, new: str) -> None:
        text = self.config_path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in the configuration"
        self.config_path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def set(self, dataset: str, entity: str, key: Mapping[str, Any], **values: Any) -> None:
        where = " AND ".join(f'"{column}" = ?' for column in key)
        assignments = ", ".join(f'"{column}" = ?' for column in values)
        with sqlite3.connect(self.database) as db:
            db.execute(
                f"UPDATE {dataset} SET {assignments} WHERE entity = ? AND {where}",
                (*values.values(), entity, *key.values()),
            )


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def build_tiny_pms(folder: Path, rows: Rows, *, entities: Sequence[str] = ENTITIES, storage_env: str = "X") -> TinyPms:
    database = folder / "pms.sqlite"
    queries = folder / "queries"
    queries.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(database) as db:
        for name, dataset_rows in rows.items():
            columns = DATASETS[name].columns
            names = ["entity", *columns]
            db.execute(f"CREATE TABLE {name} ({_quoted(names)})")
            marks = ", ".join("?" * len(names))
            for row in dataset_rows:
                db.execute(f"INSERT INTO {name} ({_quoted(names)}) VALUES ({marks})", [row.get(c) for c in names])
            (queries / f"{name}.sql").write_text(
                f"SELECT {_quoted(columns)} FROM {name} WHERE entity = :entity ORDER BY rowid\n", encoding="utf-8"
            )
    config = folder / "cynare-agent.toml"
    quoted = ", ".join(f'"{entity}"' for entity in entities)
    config.write_text(
        f"""[agent]
firm = "tiny-firm"
source_system = "tiny-pms"
pms_product = "Tiny PMS"
entities = [{quoted}]
work_folder = "work"

[source]
kind = "sql"
url = "sqlite:///{{config_dir}}/pms.sqlite"
queries = "queries"
busy_retries = 0

[storage]
connection_string_env = "{storage_env}"
inbound_container = "inbound"
writeback_container = "writeback"
retries = 0
backoff_seconds = 0

[writeback]
mode = "off"
csv_folder = "writeback"
""",
        encoding="utf-8",
    )
    return TinyPms(folder, config, database)


def receipt(entity: str, number: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "entity": entity, "receipt_id": f"R{number}", "client_id": "C1", "date": "2026-11-20", "currency": "GBP",
        "exchange_rate": "1", "amount": "120.00", "bank_account": "BANK1",
    }  # fmt: skip
    return row | values


def bill(entity: str, number: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "entity": entity, "bill_id": f"B{number}", "bill_number": f"INV{number}", "client_id": "C1",
        "date": "2026-11-20", "due_date": "2026-12-20", "currency": "GBP", "exchange_rate": "1", "total": "120.00",
    }  # fmt: skip
    return row | values


def bill_line(entity: str, number: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "entity": entity, "bill_id": f"B{number}", "line_no": 1, "description": "Advice", "nominal_code": "4000",
        "vat_code": "S", "net": "100.00", "vat": "20.00",
    }  # fmt: skip
    return row | values


def mapping(dataset: str, entity: str, code: str, xero: str | None = "200") -> dict[str, Any]:
    key = DATASETS[dataset].key[0]
    xero_column = next(column for column in DATASETS[dataset].columns if column.startswith("xero_"))
    return {"entity": entity, key: code, xero_column: xero}


def standard_rows(entities: Sequence[str] = ENTITIES) -> dict[str, list[dict[str, Any]]]:
    """Two receipts and a bill with one line per entity, every code mapped: seven rows per entity."""
    return {
        "receipts": [receipt(entity, n) for entity in entities for n in (1, 2)],
        "bills": [bill(entity, 1) for entity in entities],
        "bill_lines": [bill_line(entity, 1) for entity in entities],
        "map_nominal": [mapping("map_nominal", entity, "4000") for entity in entities],
        "map_vat": [mapping("map_vat", entity, "S", "OUTPUT2") for entity in entities],
        "map_bank": [mapping("map_bank", entity, "BANK1", "090") for entity in entities],
    }
