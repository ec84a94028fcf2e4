"""How the agent fails: one entity at a time, in one line that names the place, recorded in `status`.

Also `--version` and `--dry-run`, which send and record nothing.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from typer.testing import CliRunner

from cynare.agent.bootstrap import build_extractor, open_state
from cynare.agent.cli import agent_version, app
from cynare.agent.errors import ExtractInputError, StorageError
from cynare.agent.extract import Silent
from cynare.agent.retry import Backoff
from cynare.agent.upload import BatchUploader
from cynare.extract.datasets import FORMAT_VERSION
from tests.agent.tiny_pms import TinyPms, build_tiny_pms, receipt, standard_rows

runner = CliRunner()
AS_AT = "2026-11-25"


def _invoke(pms: TinyPms, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--config", str(pms.config_path)])
    return result.exit_code, " ".join(result.output.split())


def _broken_uk(tmp_path: Path) -> TinyPms:
    rows = standard_rows()
    rows["receipts"][1] = receipt("UK", 2, amount="1.234,50")  # UK's second receipt: row 3 of receipts.csv
    return build_tiny_pms(tmp_path, rows)


def _last_run(pms: TinyPms) -> tuple[str | None, str | None]:
    state = open_state(pms.config())
    try:
        run = state.last_runs(1)[0]
        return run.outcome, run.message
    finally:
        state.close()


# 1. One entity's failure does not stop the others.


def test_one_entity_failing_does_not_stop_the_others_and_names_the_place(tmp_path: Path) -> None:
    pms = _broken_uk(tmp_path)
    code, output = _invoke(pms, "extract", "--as-at", AS_AT)
    assert code == 1
    place = (
        f"entity UK, dataset receipts, query file {pms.queries / 'receipts.sql'}: receipts.csv row 3 "
        "(receipt_id R2), column 'amount': '1.234,50' is not a decimal number"
    )
    assert f"extract UK: failed: {place}" in output
    assert "extract IE: new batch" in output and "extract US: new batch" in output
    assert "1 failure(s), each on its own line above; the other entities and steps went on. log:" in output
    batches = pms.config().work_folder / "batches"
    assert sorted(p.name for p in batches.iterdir()) == ["IE", "UK", "US"]
    assert not any((batches / "UK").iterdir()) and any((batches / "IE").iterdir())
    outcome, message = _last_run(pms)
    assert outcome == "failed" and message is not None and message.startswith(f"extract UK: {place}")


def test_the_first_data_row_is_row_2_as_in_the_csv_file(tmp_path: Path) -> None:
    rows = standard_rows(["UK"])
    rows["receipts"][0] = receipt("UK", 1, client_id=None)
    pms = build_tiny_pms(tmp_path, rows, entities=["UK"])
    extractor = build_extractor(pms.config(), open_state(pms.config()), Silent())
    with pytest.raises(ExtractInputError) as raised:
        extractor.extract_entity("UK", as_at=extractor.clock().date(), full=False)
    assert str(raised.value) == (
        f"entity UK, dataset receipts, query file {pms.queries / 'receipts.sql'}: receipts.csv row 2 (receipt_id R1), "
        "column 'client_id': a value is required"
    )


class _Store:
    """An in-memory inbound container that refuses one entity's blobs."""

    def __init__(self, refuse: str) -> None:
        self.blobs: dict[str, str] = {}
        self.refuse = refuse

    def sha256_of(self, blob: str) -> str | None:
        return self.blobs.get(blob)

    def _put(self, blob: str, sha256: str) -> None:
        if blob.startswith(f"{self.refuse}/"):
            raise StorageError(f"upload inbound/{blob}: AuthorizationPermissionMismatch (HTTP 403)")
        self.blobs[blob] = sha256

    def upload_file(self, blob: str, path: Path, sha256: str) -> None:
        self._put(blob, sha256)

    def upload_bytes(self, blob: str, data: bytes, sha256: str) -> None:
        self._put(blob, sha256)


def test_one_entity_failing_to_upload_does_not_stop_the_others(tmp_path: Path) -> None:
    pms = build_tiny_pms(tmp_path, standard_rows())
    state = open_state(pms.config())
    extractor = build_extractor(pms.config(), state, Silent())
    for entity in ("UK", "IE", "US"):
        extractor.extract_entity(entity, as_at=extractor.clock().date(), full=False)
    pms.set("receipts", "UK", {"receipt_id": "R1"}, amount="130.00")
    extractor.extract_entity("UK", as_at=extractor.clock().date(), full=False)  # a second UK batch, after the first

    store = _Store(refuse="IE")
    outcomes, failures = BatchUploader(store, state, Backoff(0, 0.0)).upload_each()
    assert [(f.entity, "HTTP 403" in str(f.error)) for f in failures] == [("IE", True)]
    assert [(o.entity, o.note) for o in outcomes] == [("UK", "uploaded"), ("US", "uploaded"), ("UK", "uploaded")]
    assert [b.entity for b in state.batches(waiting_only=True)] == ["IE"]

    store.refuse = "UK"
    pms.set("receipts", "UK", {"receipt_id": "R1"}, amount="140.00")
    extractor.extract_entity("UK", as_at=extractor.clock().date(), full=False)
    pms.set("receipts", "UK", {"receipt_id": "R1"}, amount="150.00")
    extractor.extract_entity("UK", as_at=extractor.clock().date(), full=False)
    with pytest.raises(StorageError):  # the plain call still says what stopped it, after trying the others
        BatchUploader(store, state, Backoff(0, 0.0)).upload_waiting()
    assert [b.entity for b in state.batches(waiting_only=True)] == ["UK", "UK"]  # IE went; UK's stay in order
    outcomes, failures = BatchUploader(store, state, Backoff(0, 0.0)).upload_each()
    assert [f.entity for f in failures] == ["UK"] and [o.held for o in outcomes] == [True]


@pytest.mark.azurite
def test_run_goes_on_past_an_entity_that_cannot_upload(
    tmp_path: Path, storage_connection: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CYNARE_TEST_STORAGE", storage_connection)
    pms = build_tiny_pms(tmp_path, standard_rows(), storage_env="CYNARE_TEST_STORAGE")
    pms.edit_config('inbound_container = "inbound"', f'inbound_container = "{unique_name}"')
    assert _invoke(pms, "extract", "--as-at", AS_AT)[0] == 0
    state = open_state(pms.config())
    uk = next(batch for batch in state.batches(waiting_only=True) if batch.entity == "UK")
    state.close()
    container = BlobServiceClient.from_connection_string(storage_connection).get_container_client(unique_name)
    container.create_container()
    container.upload_blob(f"UK/{uk.batch_id}/receipts.csv", b"other content", metadata={"sha256": "0" * 64})

    code, output = _invoke(pms, "run", "--as-at", AS_AT)
    assert code == 1
    assert f"upload UK/{uk.batch_id}: failed: UK/{uk.batch_id}/receipts.csv is already in storage with other" in output
    assert output.count(": uploaded (") == 2
    manifests = sorted(b.name.split("/")[0] for b in container.list_blobs() if b.name.endswith("manifest.json"))
    assert manifests == ["IE", "US"]
    outcome, message = _last_run(pms)
    assert outcome == "failed" and message is not None and message.startswith(f"upload UK/{uk.batch_id}: ")


# 2. A query file missing is a stop, never an empty upload.


def test_a_query_file_missing_for_a_listed_dataset_stops_the_extract(tmp_path: Path) -> None:
    pms = build_tiny_pms(tmp_path, standard_rows())
    pms.edit_config('queries = "queries"', 'queries = "queries"\ndatasets = ["receipts", "clients"]')
    code, output = _invoke(pms, "extract", "--as-at", AS_AT)
    assert code == 1
    missing = f"source.datasets lists clients, but its query file {pms.queries / 'clients.sql'} is missing"
    assert f"extract UK: failed: {missing}" in output and f"extract US: failed: {missing}" in output
    assert not any((pms.config().work_folder / "batches" / "UK").iterdir())


def test_a_queries_folder_without_query_files_stops_the_extract(tmp_path: Path) -> None:
    pms = build_tiny_pms(tmp_path, standard_rows())
    for query in pms.queries.glob("*.sql"):
        query.unlink()
    code, output = _invoke(pms, "extract", "--as-at", AS_AT)
    assert code == 1
    assert f"source.queries: the folder {pms.queries} has no query file named after a dataset" in output


# 3. Wrong database addresses fail in one line naming the setting; a crash is recorded with its traceback.


def _missing_driver() -> str:
    for url, module in (("mssql+pyodbc://agent:pw-s3cret@pms/Practice", "pyodbc"),
                        ("postgresql+psycopg://agent:pw-s3cret@pms/practice", "psycopg")):  # fmt: skip
        if importlib.util.find_spec(module) is None:
            return url
    pytest.skip("every driver this test knows is installed")


@pytest.mark.parametrize("command", ["extract", "run", "check"])
@pytest.mark.parametrize("kind", ["plain path", "missing driver", "missing sqlite file"])
def test_a_wrong_database_address_fails_in_one_line_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, kind: str
) -> None:
    pms = build_tiny_pms(tmp_path, standard_rows())
    if command == "check":  # check stops early on a storage variable not set; run's upload then says so
        monkeypatch.setenv("X", "UseDevelopmentStorage=true")
        monkeypatch.setattr("cynare.agent.check_storage.check_storage", lambda config: [])
    url, expected = {
        "plain path": (str(pms.database), "source.url: the PMS database address is not a database URL"),
        "missing driver": (_missing_driver(), "source.url: the database driver for "),
        "missing sqlite file": (
            "sqlite:///{config_dir}/gone.sqlite",
            f"source.url: the SQLite database file {tmp_path / 'gone.sqlite'} does not exist",
        ),
    }[kind]
    pms.edit_config('url = "sqlite:///{config_dir}/pms.sqlite"', f'url = "{url}"')
    code, output = _invoke(pms, command, *(["--as-at", AS_AT] if command != "check" else []))
    assert code == 1
    assert expected in output
    assert "Traceback" not in output and "pw-s3cret" not in output
    if kind == "plain path":
        assert f"for this SQLite file write sqlite:///{pms.database.as_posix()}" in output
    if kind == "missing driver":
        assert "-m pip install" in output
    assert not (tmp_path / "gone.sqlite").exists()  # never an empty database made by the attempt


def test_a_wrong_address_in_an_environment_variable_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pms = build_tiny_pms(tmp_path, standard_rows())
    pms.edit_config('url = "sqlite:///{config_dir}/pms.sqlite"', 'url_env = "CYNARE_TEST_PMS_URL"')
    monkeypatch.setenv("CYNARE_TEST_PMS_URL", f"sqlite:///{tmp_path / 'nothing-here.sqlite'}")
    code, output = _invoke(pms, "extract", "--as-at", AS_AT)
    assert code == 1
    assert "source.url_env (the environment variable CYNARE_TEST_PMS_URL): the SQLite database file" in output
    assert _last_run(pms)[0] == "failed"


def test_an_unexpected_error_is_recorded_as_failed_with_its_traceback_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pms = build_tiny_pms(tmp_path, standard_rows())

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom at https://acct.blob.core.windows.net/inbound?sv=2025-01-05&sig=S3CRETSIG")

    monkeypatch.setattr("cynare.agent.bootstrap.build_extractor", crash)
    code, output = _invoke(pms, "run", "--as-at", AS_AT)
    assert code == 1
    assert "error: the agent stopped on an unexpected error (RuntimeError: boom at" in output
    assert "the log has the details:" in output
    assert "Traceback" not in output and "S3CRETSIG" not in output
    outcome, message = _last_run(pms)
    assert outcome == "failed" and message is not None and "RuntimeError: boom" in message
    assert "S3CRETSIG" not in message
    log = next((pms.config().work_folder / "logs").glob("*.log")).read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in log and "in crash" in log and "S3CRETSIG" not in log


# 4. --version


def test_version_names_the_agent_and_the_extract_format() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"cynare-agent {agent_version()} (writes extract format version {FORMAT_VERSION})"
    assert agent_version()[0].isdigit()


# 5. --dry-run


def _state_rows(pms: TinyPms) -> dict[str, int]:
    path = pms.config().work_folder / "state.sqlite"
    if not path.exists():
        return {}
    with sqlite3.connect(path) as db:
        return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("watermarks", "batches", "runs")}  # fmt: skip


def test_extract_dry_run_shows_what_would_be_sent_and_records_nothing(tmp_path: Path) -> None:
    pms = build_tiny_pms(tmp_path, standard_rows())
    assert _invoke(pms, "extract", "--as-at", AS_AT)[0] == 0  # a real extract first: state to keep intact
    before = _state_rows(pms)
    pms.set("receipts", "UK", {"receipt_id": "R1"}, amount="130.00")

    code, output = _invoke(pms, "extract", "--dry-run", "--as-at", AS_AT)
    assert code == 0, output
    assert "extract UK (dry run): would send a new batch of" in output and "receipts: " in output
    assert "extract IE (dry run): nothing to send: no changes since the last batch" in output
    assert "dry run: nothing was uploaded and nothing recorded; watermarks did not move" in output
    assert _state_rows(pms) == before
    assert len(list((pms.config().work_folder / "batches" / "UK").iterdir())) == 1

    code, output = _invoke(pms, "extract", "--as-at", AS_AT)  # the real run still finds the change
    assert code == 0 and "extract UK: new batch" in output


def test_run_dry_run_skips_upload_and_writeback(tmp_path: Path) -> None:
    pms = build_tiny_pms(tmp_path, standard_rows())
    code, output = _invoke(pms, "run", "--dry-run", "--as-at", AS_AT)
    assert code == 0, output
    assert output.count("(dry run): would send a new batch of 7 rows") == 3
    assert "upload: skipped (dry run); besides the batches above, 0 batch(es) from earlier runs wait" in output
    assert "writeback: skipped (dry run)" in output
    assert _state_rows(pms) == {}
    assert not (pms.config().work_folder / "batches").exists()


def test_a_dry_run_with_a_failing_entity_still_says_so(tmp_path: Path) -> None:
    pms = _broken_uk(tmp_path)
    code, output = _invoke(pms, "extract", "--dry-run", "--as-at", AS_AT)
    assert code == 1
    assert "extract UK: failed: entity UK, dataset receipts" in output
    assert "extract IE (dry run): would send a new batch" in output
    assert _state_rows(pms) == {}
