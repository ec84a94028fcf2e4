"""The demo PMS: a deterministic practice database, its query files, write-back statements and config."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from cynare.agent.demo_pms.generator import build_demo_pms, create_demo_pms

__all__ = ["EXAMPLE_CONFIG", "QUERIES", "build_demo_pms", "create_demo_pms", "example_config_path"]

_HERE = Path(str(resources.files(__package__)))
QUERIES = _HERE / "queries"
EXAMPLE_CONFIG = _HERE / "cynare-agent.example.toml"


def example_config_path() -> Path:
    """The demo PMS's configuration: its query files, write-back statements and storage settings."""
    return EXAMPLE_CONFIG
