from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cynare.adapters.azurite import KEY
from cynare.adapters.tables.connection import StorageSettings
from cynare.bootstrap import SETTINGS, AppSettings
from cynare.errors import SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_storage_settings_never_show_a_key() -> None:
    settings = StorageSettings(connection_string=f"AccountName=a;AccountKey={KEY};")
    assert KEY not in repr(settings)
    assert KEY not in str(settings)


def test_azure_endpoints_come_from_the_account_name() -> None:
    settings = StorageSettings(account_name="cynarefirm")
    assert settings.service_url("table") == "https://cynarefirm.table.core.windows.net"
    assert settings.service_url("blob") == "https://cynarefirm.blob.core.windows.net"


def test_unconfigured_storage_says_what_to_set() -> None:
    with pytest.raises(ValueError, match="CYNARE_STORAGE_CONNECTION or CYNARE_STORAGE_ACCOUNT"):
        StorageSettings().service_url("table")


def test_app_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CYNARE_STORAGE_ACCOUNT", "cynarefirm")
    monkeypatch.delenv("CYNARE_STORAGE_CONNECTION", raising=False)
    monkeypatch.setenv("CYNARE_IMPORT_LOCAL_TIME", "02:15")
    settings = AppSettings.from_env()
    assert settings.storage.account_name == "cynarefirm"
    assert (settings.local_run_time.hour, settings.local_run_time.minute) == (2, 15)
    assert settings.time_zone == "Europe/London"


def test_entities_give_each_organisations_currencies() -> None:
    settings = AppSettings.from_env(
        {"CYNARE_ENTITIES": '{"UK": {"base_currency": "GBP", "currencies": ["GBP", "EUR"], "sources": ["pms-a"]}}'}
    )
    assert settings.entities["UK"].currencies == frozenset({"GBP", "EUR"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("UK=GBP", "CYNARE_ENTITIES is not valid: write it as JSON"),
        ('{"UK": {"currencies": ["GBP"]}}', "CYNARE_ENTITIES is not valid"),
        (
            '{"UK": {"base_currency": "GBP", "currencies": ["GBP", "EURO"], "sources": ["pms-a"]}}',
            "unknown currency code(s) EURO",
        ),
        (
            '{"UK": {"base_currency": "GBP", "currencies": ["EUR"], "sources": ["pms-a"]}}',
            "must include its base currency",
        ),
        ('{"UK": {"base_currency": "GBP", "currencies": ["GBP"], "sources": []}}', "UK declares no source system"),
    ],
)
def test_malformed_entities_name_the_setting(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        AppSettings.from_env({"CYNARE_ENTITIES": text})


def test_the_example_settings_list_every_setting_the_code_reads_and_nothing_else() -> None:
    example = json.loads((ROOT / "local.settings.json.example").read_text(encoding="utf-8"))["Values"]
    host_settings = {"FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage"}
    assert set(example) - host_settings == set(SETTINGS)
    code = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "cynare").rglob("*.py")
                     if "agent" not in path.parts and "sandbox" not in path.parts)  # fmt: skip
    code += (ROOT / "function_app.py").read_text(encoding="utf-8")
    read = set(re.findall(r"\b(CYNARE_[A-Z_]+)\b", code)) - {"CYNARE_AGENT_STORAGE_CONNECTION", "CYNARE_AGENT_CONFIG"}
    assert read == set(SETTINGS)
