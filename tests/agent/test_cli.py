"""The command line: init, check (with its warnings), run end to end on Azurite, status, logs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from typer.testing import CliRunner

from cynare.agent.cli import app
from cynare.agent.config import load_config
from tests.agent.conftest import ENV, Workspace

runner = CliRunner()


def test_init_writes_a_template_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    result = runner.invoke(app, ["init", str(path)])
    assert result.exit_code == 0, result.output
    config = load_config(path)
    assert config.storage.inbound_sas_url_env == "CYNARE_AGENT_INBOUND_SAS"
    assert runner.invoke(app, ["init", str(path)]).exit_code == 1  # never overwrites by surprise


def test_check_warns_about_a_plain_text_secret_without_printing_it(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    storage_workspace.edit_config(
        'connection_string_env = "CYNARE_AGENT_STORAGE_CONNECTION"', f'connection_string = "{storage_connection}"'
    )
    result = runner.invoke(app, ["check", "--config", str(storage_workspace.config_path)])
    assert result.exit_code == 0, result.output
    assert "warning: storage.connection_string is a secret written in plain text" in result.output
    assert "use connection_string_env (an environment variable) instead" in result.output
    assert "ok: PMS source reachable; every dataset's columns are right" in result.output
    assert "AccountKey" not in result.output and storage_connection not in result.output


def test_check_names_an_unset_environment_variable(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    result = runner.invoke(app, ["check", "--config", str(workspace.config_path)])
    assert result.exit_code == 1
    assert (
        f"problem: storage.connection_string_env names the environment variable {ENV}, which is not set"
        in result.output
    )


def test_check_reports_a_broken_query_file(storage_workspace: Workspace) -> None:
    query = storage_workspace.folder / "queries" / "clients.sql"
    query.write_text(query.read_text(encoding="utf-8").replace("name,", "name AS client_name,"), encoding="utf-8")
    result = runner.invoke(app, ["check", "--config", str(storage_workspace.config_path)])
    assert result.exit_code == 1
    assert "column 'client_name' is not a column of clients.csv (did you mean 'name'?)" in " ".join(
        result.output.split()
    )


def test_a_missing_configuration_says_how_to_make_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["extract", "--config", str(tmp_path / "none.toml")])
    assert result.exit_code == 1
    assert "cynare-agent init" in " ".join(result.output.split())


def test_run_end_to_end_then_again_uploads_nothing(storage_workspace: Workspace, storage_connection: str) -> None:
    config_path = str(storage_workspace.config_path)
    first = runner.invoke(app, ["run", "--config", config_path, "--as-at", "2026-11-25"])
    assert first.exit_code == 0, first.output
    assert len(re.findall(r": uploaded \(\d+ sent, 0 already there\)", first.output)) == 3
    config = load_config(storage_workspace.config_path)
    service = BlobServiceClient.from_connection_string(storage_connection)
    manifests = [b.name for b in service.get_container_client(config.storage.inbound_container).list_blobs()
                 if b.name.endswith("manifest.json")]  # fmt: skip
    assert sorted(name.split("/")[0] for name in manifests) == ["IE", "UK", "US"]

    second = runner.invoke(app, ["run", "--config", config_path, "--as-at", "2026-11-25"])
    assert second.exit_code == 0, second.output
    assert "upload: no batches waiting" in second.output
    assert second.output.count("no changes since the last batch") == 3

    status = runner.invoke(app, ["status", "--config", config_path])
    assert status.exit_code == 0
    assert "batches waiting to upload: 0" in status.output and "write-backs waiting to apply: 0" in status.output
    logs = list((config.work_folder / "logs").glob("cynare-agent-*.log"))
    assert len(logs) == 1
    text = logs[0].read_text(encoding="utf-8")
    assert "run started" in text and "uploaded batch UK/" in text
    assert "AccountKey" not in text


def test_run_agent_from_python(storage_workspace: Workspace) -> None:
    from datetime import date

    from cynare.agent.api import run_agent

    report = run_agent(storage_workspace.config_path, as_at=date(2026, 11, 25))
    assert [outcome.entity for outcome in report.uploaded] == ["UK", "IE", "US"]
    assert all(outcome.note == "uploaded" for outcome in report.uploaded) and report.problems == []
    again = run_agent(storage_workspace.config_path, as_at=date(2026, 11, 25))
    assert again.uploaded == [] and {o.note for o in again.extracted} == {"no changes since the last batch"}


def test_a_second_agent_on_the_same_work_folder_stops_and_changes_nothing(workspace: Workspace) -> None:
    from cynare.agent.run_lock import run_lock

    config = load_config(workspace.config_path)
    with run_lock(config.work_folder):
        result = runner.invoke(app, ["extract", "--config", str(workspace.config_path), "--as-at", "2026-11-25"])
    assert result.exit_code == 1
    assert "another cynare-agent is running with the work folder" in result.output
    assert not (config.work_folder / "batches").exists()
