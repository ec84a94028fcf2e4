from __future__ import annotations

import pytest

from cynare.adapters.azurite import KEY
from cynare.adapters.tables.connection import StorageSettings
from cynare.bootstrap import AppSettings


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
