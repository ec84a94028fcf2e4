"""Fixtures for the agent: a small demo PMS built once per worker, copied fresh for each test."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from cynare.agent.bootstrap import open_state
from cynare.agent.config import AgentConfig, load_config
from cynare.agent.demo_pms import write_demo_workspace
from cynare.agent.demo_pms.generator import build_demo_pms

AS_AT = date(2026, 11, 25)
ENV = "CYNARE_AGENT_STORAGE_CONNECTION"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-template") / "demo-pms.sqlite"
    build_demo_pms(path, scale=1, seed=7)
    return path


@dataclass
class Workspace:
    folder: Path
    database: Path
    config_path: Path

    def config(self) -> AgentConfig:
        return load_config(self.config_path)

    def edit_config(self, old: str, new: str) -> None:
        text = self.config_path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in the configuration"
        self.config_path.write_text(text.replace(old, new), encoding="utf-8")

    def state(self):  # type: ignore[no-untyped-def]
        return open_state(self.config())


@pytest.fixture
def workspace(tmp_path: Path, demo_template: Path) -> Workspace:
    database = tmp_path / "demo-pms.sqlite"
    shutil.copyfile(demo_template, database)
    config = write_demo_workspace(database, build=False)
    return Workspace(tmp_path, database, config)


@pytest.fixture
def storage_workspace(
    workspace: Workspace, storage_connection: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    """The demo workspace pointed at Azurite, with containers of its own."""
    monkeypatch.setenv(ENV, storage_connection)
    workspace.edit_config('inbound_container = "inbound"', f'inbound_container = "{unique_name}in"')
    workspace.edit_config('writeback_container = "writeback"', f'writeback_container = "{unique_name}wb"')
    workspace.edit_config("backoff_seconds = 2", "backoff_seconds = 0.01")
    return workspace
