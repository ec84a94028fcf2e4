"""The demo PMS: deterministic, varied, and valid for the cloud's own validation."""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from cynare.agent.bootstrap import build_extractor
from cynare.agent.demo_pms.generator import build_demo_pms
from cynare.agent.extract import Silent
from cynare.extract.batch import FolderBatch, validate_batch
from tests.agent.conftest import AS_AT, Workspace


def _content_hash(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return hashlib.sha256("\n".join(db.iterdump()).encode()).hexdigest()


def test_same_scale_and_seed_give_the_same_database(tmp_path: Path, demo_template: Path) -> None:
    again = build_demo_pms(tmp_path / "again.sqlite", scale=1, seed=7)
    other = build_demo_pms(tmp_path / "other.sqlite", scale=1, seed=8)
    assert _content_hash(again.path) == _content_hash(demo_template)
    assert _content_hash(other.path) != _content_hash(demo_template)


def test_the_sample_firm_has_what_the_issue_asks_for(demo_template: Path) -> None:
    with sqlite3.connect(demo_template) as db:

        def one(sql: str) -> int:
            return int(db.execute(sql).fetchone()[0])

        assert one("SELECT COUNT(*) FROM clients") >= 2000
        assert one("SELECT COUNT(DISTINCT entity) FROM bills") == 3
        assert one("SELECT COUNT(*) FROM clients WHERE archived = 1") > 0
        assert (
            one("SELECT COUNT(*) FROM bills b JOIN entities e USING (entity) WHERE b.currency <> e.base_currency") > 0
        )
        assert one("SELECT COUNT(DISTINCT vat_code) FROM bill_lines") >= 5
        assert one("SELECT COUNT(DISTINCT office) FROM bill_lines") == 4
        for table in ("credit_notes", "write_offs", "returned_receipts", "unallocated_receipts", "allocations"):
            assert one(f"SELECT COUNT(*) FROM {table}") > 0, table
        # part payments: a bill with more than one receipt, or a receipt for less than the bill
        assert (
            one("SELECT COUNT(*) FROM (SELECT bill_id FROM receipt_allocations GROUP BY bill_id HAVING COUNT(*) > 1)")
            > 0
        )
        assert one("SELECT COUNT(*) FROM allocations WHERE source_type = 'unallocated_receipt'") > 0


def _read(folder: Path, dataset: str) -> list[dict[str, str]]:
    with (folder / f"{dataset}.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_every_entity_passes_the_cloud_validation_and_debtors_agree(workspace: Workspace) -> None:
    config = workspace.config()
    state = workspace.state()
    outcomes = build_extractor(config, state, Silent()).run(config.agent.entities, as_at=AS_AT)
    assert [outcome.entity for outcome in outcomes] == ["UK", "IE", "US"]
    for outcome in outcomes:
        assert outcome.batch_id is not None
        folder = config.work_folder / "batches" / outcome.entity / outcome.batch_id
        validated = validate_batch(FolderBatch(folder))
        assert validated.rejections == []
        counts = validated.counts()
        assert counts["bills"][0] > 500 and counts["map_entity"][0] == 1
        # the debtors control agrees with the transactions of the batch, per client and currency
        expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for row in _read(folder, "bills"):
            expected[row["client_id"], row["currency"]] += Decimal(row["total"])
        for dataset, column, sign in (("credit_notes", "total", -1), ("write_offs", "amount", -1),
                                      ("receipts", "amount", -1), ("unallocated_receipts", "amount", -1)):  # fmt: skip
            for row in _read(folder, dataset):
                expected[row["client_id"], row["currency"]] += sign * Decimal(row[column])
        receipts = {row["receipt_id"]: row for row in _read(folder, "receipts")}
        for row in _read(folder, "returned_receipts"):
            receipt = receipts[row["receipt_id"]]
            expected[receipt["client_id"], receipt["currency"]] += Decimal(receipt["amount"])
        debtors = {(row["client_id"], row["currency"]): Decimal(row["balance"]) for row in _read(folder, "debtors")}
        assert debtors == dict(expected)
        assert {row["as_at"] for row in _read(folder, "debtors")} == {AS_AT.isoformat()}
    state.close()


def test_the_mappings_name_what_the_local_xero_has(demo_template: Path) -> None:
    seed = pytest.importorskip("cynare.sandbox.xero.seed")
    tenants = {tenant.entity_code: tenant for tenant in seed.fresh_tenants().values()}
    with sqlite3.connect(demo_template) as db:
        for entity, tenant_id, name, currency in db.execute(
            "SELECT entity, xero_tenant_id, xero_organisation_name, base_currency FROM entities"
        ):
            tenant = tenants[entity]
            assert (tenant_id, name, currency) == (tenant.tenant_id, tenant.name, tenant.base_currency)
            accounts = {account.code: account for account in tenant.accounts}
            tax_rates = {rate.tax_type: rate.rate for rate in tenant.tax_rates}
            for code, rate, tax_type in db.execute(
                "SELECT vat_code, rate, xero_tax_type FROM vat_codes WHERE entity = ?", (entity,)
            ):
                assert Decimal(rate) == tax_rates[tax_type], (entity, code)
            for (code,) in db.execute("SELECT xero_account_code FROM nominals WHERE entity = ?", (entity,)):
                assert code in accounts
            for code, bank_currency in db.execute(
                "SELECT xero_account_code, currency FROM bank_accounts WHERE entity = ?", (entity,)
            ):
                assert accounts[code].type == "BANK" and accounts[code].currency_code == bank_currency
            options = {(c.name, o.name) for c in tenant.tracking for o in c.options}
            for category, option in db.execute(
                "SELECT xero_category, xero_option FROM tracking WHERE entity = ?", (entity,)
            ):
                assert (category, option) in options
