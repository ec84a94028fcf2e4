"""Storage credentials are read in one place; a malformed one is refused in one line that names the
setting and the shape expected, and no message, log line or run record ever shows any part of it."""

from __future__ import annotations

import importlib.util
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas
from typer.testing import CliRunner

from cynare.adapters.azurite import ACCOUNT, KEY
from cynare.agent.bootstrap import open_state
from cynare.agent.cli import app
from cynare.agent.config import ConfigError
from cynare.agent.credentials import connection_string, container_sas_url
from tests.agent.tiny_pms import TinyPms, build_tiny_pms, standard_rows

runner = CliRunner()
SIGNATURE = "Zm9yZ2VkLXNpZ25hdHVyZS1ub3QtcmVhbA%3D%3D"
TOKEN = f"sv=2025-01-05&sr=c&sp=c&se=2030-01-01T00%3A00%3A00Z&sig={SIGNATURE}"
SAS_SHAPE = "expected the container's SAS URL as the Azure portal's Generate SAS page gives it"
SECRET_MARKERS = ("sig=", "AccountKey=", SIGNATURE, KEY[:20], "pw-s3cret")


# 1. The parser: a SAS URL, or a bare token and the account's address; a connection string.


def test_a_sas_url_is_taken_as_it_is() -> None:
    url = f"https://acct.blob.core.windows.net/inbound?{TOKEN}"
    assert container_sas_url(url, "storage.inbound_sas_url", None, "inbound") == url


@pytest.mark.parametrize("token", [f"?{TOKEN}", TOKEN], ids=["with its ?", "without"])
def test_a_bare_token_is_joined_to_the_account_and_the_container(token: str) -> None:
    url = container_sas_url(token, "s", "https://acct.blob.core.windows.net/", "inbound")
    assert url == f"https://acct.blob.core.windows.net/inbound?{TOKEN}"


def test_an_account_sas_url_is_joined_to_the_container() -> None:
    url = container_sas_url(f"https://acct.blob.core.windows.net/?{TOKEN}", "s", None, "writeback")
    assert url == f"https://acct.blob.core.windows.net/writeback?{TOKEN}"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (f"?{TOKEN}", "this is a SAS token without the storage address; give the whole SAS URL, or set "
                      "storage.account_url"),
        (f"https//acct.blob.core.windows.net/inbound?{TOKEN}", "not a SAS URL (it does not start with https://"),
        (f"https://?{TOKEN}", "not a SAS URL (it does not start with https:// and an address)"),
        (f"https://acct.blob.core.windows.net:port/inbound?{TOKEN}", "not a SAS URL (its address cannot be read)"),
        ("https://acct.blob.core.windows.net/inbound?sv=2025-01-05&sr=c&sp=c&si", "the SAS has no signature"),
        (f"https://acct.blob.core.windows.net/inbound#{TOKEN}", "not a SAS URL (it has a # part)"),
        (f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={KEY}",
         "this is a storage connection string, not a SAS"),
    ],
    ids=["token without account_url", "no colon", "no host", "bad port", "cut short", "fragment", "connection string"],
)  # fmt: skip
def test_a_malformed_sas_is_refused_without_quoting_it(value: str, reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        container_sas_url(value, "storage.inbound_sas_url_env (the environment variable SAS)", None, "inbound")
    message = str(raised.value)
    assert message.startswith(f"storage.inbound_sas_url_env (the environment variable SAS): {reason}")
    assert SAS_SHAPE in message or "connection string" in reason
    assert not any(marker in message for marker in SECRET_MARKERS) and "acct" not in message


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (f"AccountName=acct;AccountKey={KEY[:-5]}", "the connection string's AccountKey is not an account key"),
        ("AccountName=acct;the key", "not a connection string (a part is not Name=value)"),
        (f"DefaultEndpointsProtocol=https;AccountKey={KEY}", "the connection string has no AccountName or BlobEndpoint"),
        ("AccountName=acct;EndpointSuffix=core.windows.net", "has no AccountKey or SharedAccessSignature"),
        ("", "has no AccountName"),
    ],
    ids=["key cut short", "no name", "no account", "no key", "empty"],
)  # fmt: skip
def test_a_malformed_connection_string_is_refused_without_quoting_it(value: str, reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        connection_string(value, "storage.connection_string")
    message = str(raised.value)
    assert message.startswith("storage.connection_string: ") and reason in message
    assert not any(marker in message for marker in SECRET_MARKERS) and "acct" not in message


def test_good_connection_strings_pass() -> None:
    for value in ("UseDevelopmentStorage=true", f"DefaultEndpointsProtocol=https;AccountName=a;AccountKey={KEY};"):
        assert connection_string(value, "s") == value


# 2. Every command, with each configuration mistake: one line naming the setting, no secret anywhere.


def _missing_driver(module: str) -> str:
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed")
    return {"pyodbc": "mssql+pyodbc://agent:pw-s3cret@pms/Practice?driver=ODBC+Driver+18+for+SQL+Server",
            "psycopg": "postgresql+psycopg://agent:pw-s3cret@pms/practice"}[module]  # fmt: skip


SAS = (
    "storage.inbound_sas_url_env (the environment variable CYNARE_TEST_INBOUND_SAS): ",
    "storage.writeback_sas_url_env (the environment variable CYNARE_TEST_WRITEBACK_SAS): ",
)
CONNECTION = ("storage.connection_string_env (the environment variable CYNARE_TEST_STORAGE): ",)
SOURCE = ("source.url: ",)
MISTAKES = {
    # name: (inbound SAS, writeback SAS, connection string (None: Azurite's), driver, settings named, reason given)
    "SAS token with its ?": (f"?{TOKEN}", f"?{TOKEN}", None, None, SAS,
                             "this is a SAS token without the storage address; give the whole SAS URL"),
    "malformed SAS URL": (f"https//acct.blob.core.windows.net/inbound?{TOKEN}",
                          f"https:/acct.blob.core.windows.net/writeback?{TOKEN}", None, None, SAS,
                          "not a SAS URL (it does not start with https:// and an address)"),
    "malformed connection string": (None, None, f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={KEY[:-5]}",
                                    None, CONNECTION, "the connection string's AccountKey is not an account key"),
    "SAS URL as connection string": (None, None, f"https://acct.blob.core.windows.net/?{TOKEN}", None, CONNECTION,
                                     "the connection string has no AccountName or BlobEndpoint"),
    "pyodbc missing": (None, None, None, "pyodbc", SOURCE, "the database driver for mssql+pyodbc is not installed"),
    "psycopg missing": (None, None, None, "psycopg", SOURCE,
                        "the database driver for postgresql+psycopg is not installed"),
}  # fmt: skip
COMMANDS = ("check", "extract", "upload", "writeback", "run", "status")


def _workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storage_connection: str, unique_name: str, mistake: str
) -> TinyPms:
    inbound_sas, writeback_sas, connection, driver = MISTAKES[mistake][:4]
    pms = build_tiny_pms(tmp_path, standard_rows(), storage_env="CYNARE_TEST_STORAGE")
    pms.edit_config('inbound_container = "inbound"', f'inbound_container = "{unique_name}in"')
    pms.edit_config('writeback_container = "writeback"', f'writeback_container = "{unique_name}wb"')
    monkeypatch.setenv("CYNARE_TEST_STORAGE", connection or storage_connection)
    if inbound_sas is not None:
        pms.edit_config('connection_string_env = "CYNARE_TEST_STORAGE"', 'inbound_sas_url_env = "CYNARE_TEST_INBOUND_SAS"\n'
                        'writeback_sas_url_env = "CYNARE_TEST_WRITEBACK_SAS"')  # fmt: skip
        monkeypatch.setenv("CYNARE_TEST_INBOUND_SAS", inbound_sas)
        monkeypatch.setenv("CYNARE_TEST_WRITEBACK_SAS", writeback_sas or "")
    pms.edit_config('mode = "off"', 'mode = "sql"' if driver else 'mode = "csv"')
    if driver:
        pms.edit_config('url = "sqlite:///{config_dir}/pms.sqlite"', f'url = "{_missing_driver(driver)}"')
    return pms


def _expected_exit(mistake: str, command: str) -> int:
    driver = MISTAKES[mistake][3] is not None
    if command == "status":
        return 0  # it reports what it cannot reach, and stops on nothing
    if command == "extract":
        return 1 if driver else 0  # extract needs the PMS only
    if command == "upload":
        return 0 if driver else 1  # no batch to send when the PMS cannot be read
    return 1


def _last_run(pms: TinyPms) -> tuple[str | None, str | None]:
    state = open_state(pms.config())
    try:
        runs = state.last_runs(1)
        return (runs[0].outcome, runs[0].message) if runs else (None, None)
    finally:
        state.close()


@pytest.mark.azurite
@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_every_command_fails_in_one_line_naming_the_setting_and_shows_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storage_connection: str, unique_name: str, mistake: str
) -> None:
    pms = _workspace(tmp_path, monkeypatch, storage_connection, unique_name, mistake)
    settings, reason = MISTAKES[mistake][4:]
    driver = MISTAKES[mistake][3] is not None
    for command in COMMANDS:
        result = runner.invoke(app, [command, "--config", str(pms.config_path)])
        output = " ".join(result.output.split())
        where = f"{mistake}, {command}: {output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), where
        assert "Traceback" not in output and "unexpected error" not in output, where
        assert result.exit_code == _expected_exit(mistake, command), where
        assert not any(marker in output for marker in SECRET_MARKERS), where
        touches = {"check", "run"} | ({"extract", "writeback"} if driver else {"upload", "writeback", "status"})
        if command in touches:  # the setting, then what is wrong with it and the shape expected
            assert any(f"{setting}{reason}" in output for setting in settings), where
        if command in ("extract", "upload", "writeback", "run") and result.exit_code:
            outcome, message = _last_run(pms)
            assert outcome == "failed" and message, where
            assert not any(marker in message for marker in SECRET_MARKERS), where
    logs = "".join(path.read_text(encoding="utf-8") for path in (pms.config().work_folder / "logs").glob("*.log"))
    assert not any(marker in logs for marker in SECRET_MARKERS)
    assert "Traceback" not in logs  # every stop was foreseen: none is an unexpected error
    with sqlite3.connect(pms.config().work_folder / "state.sqlite") as db:
        outcomes = [row[0] for row in db.execute("SELECT outcome FROM runs")]
    assert "running" not in outcomes and None not in outcomes


# 3. The portal's SAS token (with its "?") and the account's address: the recommended create-only upload works.


@pytest.mark.azurite
def test_a_bare_create_only_token_with_the_account_url_uploads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, storage_connection: str, unique_name: str
) -> None:
    service = BlobServiceClient.from_connection_string(storage_connection)
    container = service.get_container_client(unique_name)
    container.create_container()
    token = generate_container_sas(
        ACCOUNT, unique_name, account_key=KEY, permission=ContainerSasPermissions(create=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )  # fmt: skip
    pms = build_tiny_pms(tmp_path, standard_rows())
    pms.edit_config('inbound_container = "inbound"', f'inbound_container = "{unique_name}"')
    pms.edit_config(
        'connection_string_env = "X"',
        f'inbound_sas_url_env = "CYNARE_TEST_INBOUND_SAS"\naccount_url = "{service.url.rstrip("/")}"',
    )
    monkeypatch.setenv("CYNARE_TEST_INBOUND_SAS", f"?{token}")
    assert runner.invoke(app, ["extract", "--config", str(pms.config_path)]).exit_code == 0
    result = runner.invoke(app, ["upload", "--config", str(pms.config_path)])
    assert result.exit_code == 0, result.output
    manifests = sorted(b.name.split("/")[0] for b in container.list_blobs() if b.name.endswith("manifest.json"))
    assert manifests == ["IE", "UK", "US"]
