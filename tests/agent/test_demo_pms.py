"""The demo PMS: deterministic, varied, valid for the cloud's own validation, with every rule planted once."""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from cynare.agent.bootstrap import build_extractor, open_state
from cynare.agent.demo_pms import QUERIES
from cynare.agent.demo_pms.examples import EXAMPLES
from cynare.agent.demo_pms.generator import build_demo_pms
from cynare.agent.extract import Silent
from cynare.extract.batch import FolderBatch, validate_batch
from cynare.extract.datasets import DATASETS
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
        assert one("SELECT COUNT(*) FROM clients WHERE archived_on IS NOT NULL") > 0
        assert (
            one("SELECT COUNT(*) FROM bills b JOIN entities e USING (entity) WHERE b.currency <> e.base_currency") > 0
        )
        assert one("SELECT COUNT(DISTINCT vat_code) FROM bill_lines") >= 5
        assert one("SELECT COUNT(DISTINCT office) FROM bill_lines") == 5  # LON MAN DUB NYC, and LDS unmapped
        for table in ("credit_notes", "credit_note_lines", "write_offs", "returned_receipts", "returned_allocations",
                      "unallocated_receipts", "allocations", "voids", "bill_line_units"):  # fmt: skip
            assert one(f"SELECT COUNT(*) FROM {table}") > 0, table
        # part payments: a bill with more than one receipt, or a receipt for less than the bill
        assert (
            one("SELECT COUNT(*) FROM (SELECT bill_id FROM receipt_allocations GROUP BY bill_id HAVING COUNT(*) > 1)")
            > 0
        )
        assert one("SELECT COUNT(*) FROM allocations WHERE source_type = 'unallocated_receipt'") > 0
        # lines billed by the hour and fixed-amount lines; quantity x unit price is the net, to the cent
        lines = one("SELECT COUNT(*) FROM bill_lines")
        units = db.execute(
            "SELECT u.quantity, u.unit_price, l.net FROM bill_line_units u JOIN bill_lines l USING (bill_id, line_no) "
            "UNION ALL SELECT quantity, unit_price, net FROM credit_note_lines WHERE quantity IS NOT NULL"
        ).fetchall()
        assert 0 < len(units) < lines
        cent = Decimal("0.01")
        for quantity, unit_price, net in units:
            assert (Decimal(quantity) * Decimal(unit_price)).quantize(cent, ROUND_HALF_UP) == Decimal(net)
        # a credit note's lines add up to it
        assert (
            one(
                "SELECT COUNT(*) FROM credit_notes c WHERE CAST(ROUND(CAST(total AS REAL) * 100) AS INTEGER) <> (SELECT "
                "SUM(CAST(ROUND((CAST(net AS REAL) + CAST(vat AS REAL)) * 100) AS INTEGER)) FROM credit_note_lines l "
                "WHERE l.credit_note_id = c.credit_note_id)"
            )
            == 0
        )


def test_the_workspace_has_one_query_file_per_dataset(workspace: Workspace) -> None:
    names = {path.stem for path in (workspace.folder / "queries").glob("*.sql")}
    assert names == {path.stem for path in QUERIES.glob("*.sql")}
    assert names == set(DATASETS) - {"identity_links"}
    for path in QUERIES.glob("*.sql"):
        sql = path.read_text(encoding="utf-8")
        assert ":entity" in sql, path.name
        comments = "\n".join(line for line in sql.splitlines() if line.lstrip().startswith("--"))
        assert ":" + "as_at" not in comments and ":since" not in comments, f"{path.name}: a parameter in a comment"


def _read(folder: Path, dataset: str) -> list[dict[str, str]]:
    with (folder / f"{dataset}.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _extract(workspace: Workspace, as_at: date) -> dict[str, Path]:
    """Extract every entity in full as at `as_at`; every batch validates with no rejected row."""
    config = workspace.config()
    state = open_state(config)
    outcomes = build_extractor(config, state, Silent()).run(config.agent.entities, as_at=as_at, full=True)
    state.close()
    assert [outcome.entity for outcome in outcomes] == ["UK", "IE", "US"]
    folders = {}
    for outcome in outcomes:
        assert outcome.batch_id is not None
        folder = config.work_folder / "batches" / outcome.entity / outcome.batch_id
        validated = validate_batch(FolderBatch(folder))
        assert validated.rejections == [], (outcome.entity, validated.rejections[:5])
        assert validated.counts()["organisation"][0] == 1
        folders[outcome.entity] = folder
    return folders


@pytest.mark.parametrize("as_at", [AS_AT, date(2026, 9, 2)], ids=["year-end", "before-the-void"])
def test_every_entity_passes_the_cloud_validation_and_debtors_agree(workspace: Workspace, as_at: date) -> None:
    for entity, folder in _extract(workspace, as_at).items():
        assert len(_read(folder, "bills")) > 300, entity
        # the debtors snapshot agrees with the documents of the batch, per client and currency
        expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        bills = {row["bill_id"]: row for row in _read(folder, "bills")}
        for row in bills.values():
            expected[row["client_id"], row["currency"]] += Decimal(row["total"])
        for row in _read(folder, "cancellations"):
            assert row["kind"] == "bill"
            voided = bills[row["document_id"]]
            expected[voided["client_id"], voided["currency"]] -= Decimal(voided["total"])
        for dataset, column in (("credit_notes", "total"), ("write_offs", "amount"), ("receipts", "amount"),
                                ("unallocated_receipts", "amount")):  # fmt: skip
            for row in _read(folder, dataset):
                expected[row["client_id"], row["currency"]] -= Decimal(row[column])
        receipts = {row["receipt_id"]: row for row in _read(folder, "receipts")}
        for row in _read(folder, "returned_receipts"):
            receipt = receipts[row["receipt_id"]]
            expected[receipt["client_id"], receipt["currency"]] += Decimal(row["amount"] or receipt["amount"])
        debtors = {(row["client_id"], row["currency"]): Decimal(row["balance"]) for row in _read(folder, "debtors")}
        assert debtors == dict(expected), entity
        assert {row["as_at"] for row in _read(folder, "debtors")} == {as_at.isoformat()}
        dates = [row["date"] for dataset in ("bills", "receipts", "allocations") for row in _read(folder, dataset)]
        assert max(dates) <= as_at.isoformat()


def _keys(folder: Path, dataset: str) -> set[str]:
    key = DATASETS[dataset].key
    return {"|".join(row[column] for column in key) for row in _read(folder, dataset)}


def test_every_planted_example_is_in_the_extract_by_its_id(workspace: Workspace) -> None:
    folders = _extract(workspace, AS_AT)
    for example in EXAMPLES:
        folder = folders[example.entity]
        for dataset, key in example.rows:
            assert key in _keys(folder, dataset), (example.shows, dataset, key)
        for dataset, key in example.absent:
            assert key not in _keys(folder, dataset), (example.shows, dataset, key)
    uk = folders["UK"]
    [void] = _read(uk, "cancellations")
    assert (void["kind"], void["document_id"], void["date"]) == ("bill", "BX-VOIDED", "2026-09-03")
    assert "demo example" in void["reason"]
    vat = {row["vat_code"]: row for row in _read(uk, "vat_codes")}
    assert (vat["E"]["treatment"], vat["E"]["rate"], vat["S"]["bad_debt_relief"]) == ("exempt", "", "yes")
    [write_off] = [row for row in _read(uk, "write_offs") if row["write_off_id"] == "WOX-EUR-BAD-DEBT"]
    assert (write_off["currency"], write_off["exchange_rate"], write_off["nominal_code"], write_off["vat_code"]) == (
        "EUR",
        "1.16",
        "8100",
        "S",
    )
    assert {row["bank_account"]: row["xero_account_code"] for row in _read(uk, "map_bank")}["UK-BANK3"] == ""
    clients = {row["client_id"]: row for row in _read(uk, "clients")}
    assert clients["CX-ARCHIVED-LATE"]["archived_on"] == "2026-05-29"
    assert clients["CX-EXAMPLES"]["status"] == "active" and clients["CX-EXAMPLES"]["archived_on"] == ""
    debtors = {row["client_id"]: Decimal(row["balance"]) for row in _read(uk, "debtors")}
    assert debtors["CX-ARCHIVED-PAID"] == 0 and "CX-ARCHIVED-IDLE" not in debtors
    [returned] = [row for row in _read(folders["IE"], "returned_receipts") if row["return_id"] == "RRX-IE-PART"]
    assert (returned["currency"], returned["amount"]) == ("EUR", "615.00")


def test_the_mappings_name_what_the_local_xero_has(demo_template: Path) -> None:
    seed = pytest.importorskip("cynare.sandbox.xero.seed")
    tenants = {tenant.entity_code: tenant for tenant in seed.fresh_tenants().values()}
    with sqlite3.connect(demo_template) as db:
        for entity, name, currency in db.execute("SELECT entity, xero_organisation_name, base_currency FROM entities"):
            tenant = tenants[entity]
            assert (name, currency) == (tenant.name, tenant.base_currency)
            accounts = {account.code: account for account in tenant.accounts}
            tax_rates = {rate.tax_type: rate.rate for rate in tenant.tax_rates}
            for code, rate, tax_type in db.execute(
                "SELECT vat_code, rate, xero_tax_type FROM vat_codes WHERE entity = ?", (entity,)
            ):
                assert Decimal(rate or 0) == tax_rates[tax_type], (entity, code)
            for (code,) in db.execute(
                "SELECT xero_account_code FROM nominals WHERE entity = ? AND xero_account_code IS NOT NULL", (entity,)
            ):
                assert code in accounts
            for code, bank_currency in db.execute(
                "SELECT xero_account_code, currency FROM bank_accounts WHERE entity = ? AND xero_account_code IS NOT NULL",
                (entity,),
            ):
                assert accounts[code].type == "BANK" and accounts[code].currency_code == bank_currency
            options = {(c.name, o.name) for c in tenant.tracking for o in c.options}
            for category, option in db.execute(
                "SELECT xero_category, xero_option FROM tracking WHERE entity = ?", (entity,)
            ):
                assert (category, option) in options
            # exchange rates as Xero's CurrencyRate: units of the bill's currency per one of the base currency
            for bill_currency, rate in db.execute(
                "SELECT DISTINCT currency, fx_rate FROM bills WHERE entity = ? AND currency <> ? AND bill_id LIKE 'B0%'",
                (entity, currency),
            ):
                assert Decimal(rate) == tenant.rates[bill_currency], (entity, bill_currency)


def test_an_allocation_deleted_between_two_runs_is_sent_as_its_cancellation(workspace: Workspace) -> None:
    config = workspace.config()
    state = open_state(config)
    extractor = build_extractor(config, state, Silent())
    assert extractor.extract_entity("UK", as_at=AS_AT, full=False).batch_id
    with sqlite3.connect(workspace.database) as db:
        db.execute("DELETE FROM allocations WHERE allocation_id = 'AX-CREDIT-APPLIED'")
    second = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    state.close()
    assert second.batch_id
    folder = config.work_folder / "batches" / "UK" / second.batch_id
    assert [(row["kind"], row["document_id"]) for row in _read(folder, "cancellations")] == [
        ("allocation", "AX-CREDIT-APPLIED")
    ]
    assert validate_batch(FolderBatch(folder)).rejections == []
