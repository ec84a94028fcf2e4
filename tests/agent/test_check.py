"""`check`: every query of every entity, a few rows each held to the rules; codes the mappings lack;
missing query files; storage credentials proved by a probe that leaves nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas
from typer.testing import CliRunner

from cynare.adapters.azurite import ACCOUNT, KEY
from cynare.agent.check import Finding, check_source
from cynare.agent.check_rows import SAMPLE_ROWS
from cynare.agent.check_storage import PROBE_FOLDER
from cynare.agent.cli import app
from tests.agent.tiny_pms import TinyPms, bill_line, build_tiny_pms, mapping, receipt, standard_rows

runner = CliRunner()
HELD = "documents using it will be held until it is mapped"


def _lines(findings: list[Finding], level: str) -> list[str]:
    return [finding.message for finding in findings if finding.level == level]


def test_a_clean_pms_is_ok_for_every_entity(tmp_path: Path) -> None:
    pms = build_tiny_pms(tmp_path, standard_rows())
    findings = check_source(pms.config())
    assert _lines(findings, "problem") == [] and _lines(findings, "warning") == []
    assert "PMS source reachable; every dataset's columns are right" in _lines(findings, "ok")[0]
    assert "UK, IE, US" in _lines(findings, "ok")[0]


def test_every_entity_is_read_and_a_broken_rule_names_entity_dataset_row_key_column_and_rule(tmp_path: Path) -> None:
    rows = standard_rows()
    rows["receipts"][3] = receipt("IE", 2, amount="-5")  # IE's second receipt: row 3 of receipts.csv
    rows["receipts"][4] = receipt("US", 1, date="20/11/2026")
    pms = build_tiny_pms(tmp_path, rows)
    problems = _lines(check_source(pms.config()), "problem")
    query = pms.queries / "receipts.sql"
    assert len(problems) == 2
    assert problems[0].startswith(
        f"entity IE, dataset receipts, query file {query}: receipts.csv row 3 (receipt_id R2), column 'amount': "
    )
    assert "greater than 0" in problems[0]  # the import's own wording of the rule
    assert problems[1] == (
        f"entity US, dataset receipts, query file {query}: receipts.csv row 2 (receipt_id R1), column 'date': "
        "'20/11/2026' is not a date in the form YYYY-MM-DD"
    )


def test_a_rule_of_the_whole_row_is_reported_against_its_column(tmp_path: Path) -> None:
    rows = standard_rows()
    rows["receipts"][0] = receipt("UK", 1, amount="10.001")
    pms = build_tiny_pms(tmp_path, rows)
    problems = _lines(check_source(pms.config()), "problem")
    assert problems == [
        f"entity UK, dataset receipts, query file {pms.queries / 'receipts.sql'}: receipts.csv row 2 "
        "(receipt_id R1), column 'amount': 10.001 has more decimal places than GBP allows"
    ]


def test_documents_are_sampled_and_mappings_read_whole(tmp_path: Path) -> None:
    rows = standard_rows(["UK"])
    # a broken receipt after the sample is not read; a mapping row far down is
    rows["receipts"] = [receipt("UK", n) for n in range(1, SAMPLE_ROWS + 5)] + [receipt("UK", 99, amount="x")]
    rows["map_nominal"] = [mapping("map_nominal", "UK", f"N{n}") for n in range(40)] + [
        mapping("map_nominal", "UK", "4000")
    ]
    pms = build_tiny_pms(tmp_path, rows, entities=["UK"])
    findings = check_source(pms.config())
    assert _lines(findings, "problem") == [] and _lines(findings, "warning") == []


def test_codes_the_mappings_lack_and_mappings_without_a_xero_code_are_warnings(tmp_path: Path) -> None:
    rows = standard_rows(["UK"])
    rows["bill_lines"] = [bill_line("UK", 1), bill_line("UK", 2, nominal_code="4999", vat_code="Z")]
    rows["receipts"] = [receipt("UK", 1), receipt("UK", 2, bank_account="BANK9")]
    rows["map_nominal"] = [mapping("map_nominal", "UK", "4000"), mapping("map_nominal", "UK", "4010", None)]
    pms = build_tiny_pms(tmp_path, rows, entities=["UK"])
    findings = check_source(pms.config())
    assert _lines(findings, "problem") == []
    assert sorted(_lines(findings, "warning")) == sorted(
        [
            f"entity UK: nominal_code 4999 is used by bill_lines.csv row 3 (bill_id B2, line_no 1) but is not in "
            f"map_nominal.csv; {HELD}",
            f"entity UK: vat_code Z is used by bill_lines.csv row 3 (bill_id B2, line_no 1) but is not in "
            f"map_vat.csv; {HELD}",
            f"entity UK: bank_account BANK9 is used by receipts.csv row 3 (receipt_id R2) but is not in "
            f"map_bank.csv; {HELD}",
            f"entity UK, map_nominal.csv row 3 (nominal_code 4010): xero_account_code is empty; {HELD}",
        ]
    )


def test_a_mapping_not_extracted_at_all_is_one_warning(tmp_path: Path) -> None:
    rows = standard_rows(["UK"])
    del rows["map_bank"]
    pms = build_tiny_pms(tmp_path, rows, entities=["UK"])
    warnings = _lines(check_source(pms.config()), "warning")
    assert warnings == [
        "entity UK: bank_account BANK1 is used by receipts.csv row 2 (receipt_id R1), but map_bank is not "
        f"extracted (no query file for it, or not in source.datasets); {HELD}"
    ]


def test_a_query_file_missing_for_a_listed_dataset_is_a_problem(tmp_path: Path) -> None:
    pms = build_tiny_pms(tmp_path, standard_rows())
    pms.edit_config('queries = "queries"', 'queries = "queries"\ndatasets = ["receipts", "clients"]')
    problems = _lines(check_source(pms.config()), "problem")
    assert problems == [f"source.datasets lists clients, but its query file {pms.queries / 'clients.sql'} is missing"]


def test_a_missing_queries_folder_or_one_without_query_files_is_a_problem(tmp_path: Path) -> None:
    pms = build_tiny_pms(tmp_path, standard_rows())
    pms.edit_config('queries = "queries"', 'queries = "no-such-folder"')
    assert _lines(check_source(pms.config()), "problem") == [
        f"source.queries: the queries folder {tmp_path / 'no-such-folder'} does not exist"
    ]
    (tmp_path / "no-such-folder").mkdir()
    (tmp_path / "no-such-folder" / "bill.sql").write_text("SELECT 1", encoding="utf-8")
    findings = check_source(pms.config())
    assert _lines(findings, "problem")[0].startswith(
        f"source.queries: the folder {tmp_path / 'no-such-folder'} has no query file named after a dataset"
    )
    assert _lines(findings, "warning")[0].startswith(
        f"query file {tmp_path / 'no-such-folder' / 'bill.sql'} is not named after a dataset, so it is never read"
    )


# Storage: each credential proved by a probe blob, nothing left behind where the credential may delete.


def _storage_pms(tmp_path: Path, storage_connection: str, name: str, monkeypatch: pytest.MonkeyPatch) -> TinyPms:
    monkeypatch.setenv("CYNARE_TEST_STORAGE", storage_connection)
    pms = build_tiny_pms(tmp_path, standard_rows(), storage_env="CYNARE_TEST_STORAGE")
    pms.edit_config('inbound_container = "inbound"', f'inbound_container = "{name}in"')
    pms.edit_config('writeback_container = "writeback"', f'writeback_container = "{name}wb"')
    pms.edit_config('mode = "off"', 'mode = "csv"')
    return pms


def _blobs(storage_connection: str, container: str) -> list[str]:
    client = BlobServiceClient.from_connection_string(storage_connection).get_container_client(container)
    return sorted(blob.name for blob in client.list_blobs())


def _sas(storage_connection: str, container: str, permission: ContainerSasPermissions) -> str:
    client = BlobServiceClient.from_connection_string(storage_connection).get_container_client(container)
    if not client.exists():
        client.create_container()
    expiry = datetime.now(UTC) + timedelta(hours=1)
    token = generate_container_sas(ACCOUNT, container, account_key=KEY, permission=permission, expiry=expiry)
    return f"{client.url}?{token}"


@pytest.mark.azurite
def test_check_proves_storage_and_leaves_nothing_behind(
    tmp_path: Path, storage_connection: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pms = _storage_pms(tmp_path, storage_connection, unique_name, monkeypatch)
    result = runner.invoke(app, ["check", "--config", str(pms.config_path)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert (
        f"ok: storage container {unique_name}in: the credential can create blobs (probe created and deleted)" in output
    )
    assert f"ok: storage container {unique_name}wb: the credential can list, read and delete blobs" in output
    assert _blobs(storage_connection, f"{unique_name}in") == []
    assert _blobs(storage_connection, f"{unique_name}wb") == []


@pytest.mark.azurite
def test_least_privilege_sas_pass_and_a_create_only_probe_is_named(
    tmp_path: Path, storage_connection: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pms = _storage_pms(tmp_path, storage_connection, unique_name, monkeypatch)
    monkeypatch.setenv(
        "CYNARE_TEST_IN", _sas(storage_connection, f"{unique_name}in", ContainerSasPermissions(create=True))
    )
    monkeypatch.setenv(
        "CYNARE_TEST_WB",
        _sas(storage_connection, f"{unique_name}wb", ContainerSasPermissions(read=True, list=True, delete=True)),
    )
    pms.edit_config(
        'connection_string_env = "CYNARE_TEST_STORAGE"',
        'inbound_sas_url_env = "CYNARE_TEST_IN"\nwriteback_sas_url_env = "CYNARE_TEST_WB"',
    )
    result = runner.invoke(app, ["check", "--config", str(pms.config_path)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    left = _blobs(storage_connection, f"{unique_name}in")
    assert len(left) == 1 and left[0].startswith(f"{PROBE_FOLDER}/")
    assert f"the empty probe blob {left[0]} was left there: Cynare Link ignores it" in output
    assert f"ok: storage container {unique_name}wb: the credential can list, read and delete blobs" in output
    assert _blobs(storage_connection, f"{unique_name}wb") == []
    assert "sig=" not in result.output


@pytest.mark.azurite
def test_a_writeback_credential_without_its_permissions_is_a_problem(
    tmp_path: Path, storage_connection: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pms = _storage_pms(tmp_path, storage_connection, unique_name, monkeypatch)
    monkeypatch.setenv(
        "CYNARE_TEST_WB", _sas(storage_connection, f"{unique_name}wb", ContainerSasPermissions(read=True))
    )
    pms.edit_config('writeback_container = "', 'writeback_sas_url_env = "CYNARE_TEST_WB"\nwriteback_container = "')
    result = runner.invoke(app, ["check", "--config", str(pms.config_path)])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert f"problem: storage container {unique_name}wb: the credential may not list" in output
    assert "which write-back needs (read, list and delete)" in output
    assert "sig=" not in result.output


def test_check_reads_every_entity_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = standard_rows()
    rows["receipts"][5] = receipt("US", 2, currency="POUNDS")
    pms = build_tiny_pms(tmp_path, rows)
    monkeypatch.setattr("cynare.agent.check_storage.check_storage", lambda config: [])
    monkeypatch.setenv("X", "unused")
    result = runner.invoke(app, ["check", "--config", str(pms.config_path)])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert (
        "problem: entity US, dataset receipts" in output
        and "receipts.csv row 3 (receipt_id R2), column 'currency'" in output
    )


def test_check_says_whether_storage_goes_through_a_proxy_and_never_shows_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cynare.agent.check_storage import proxy_finding

    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert proxy_finding().message == "proxy: none set (HTTPS_PROXY), storage is reached directly"
    monkeypatch.setenv("HTTPS_PROXY", "http://svc-cynare:Pa55word@proxy.firm.local:8080")
    monkeypatch.setenv("NO_PROXY", "pmssql,localhost")
    finding = proxy_finding()
    assert finding.message == (
        "proxy: storage is reached through http://proxy.firm.local:8080 (HTTPS_PROXY), "
        "except for pmssql,localhost (NO_PROXY)"
    )
    assert "Pa55word" not in finding.message and "svc-cynare" not in finding.message
