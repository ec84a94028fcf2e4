"""The demo PMS: a deterministic practice database, its query files, write-back statements and config."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from cynare.agent.demo_pms.generator import build_demo_pms, create_demo_pms

__all__ = [
    "EXAMPLE_CONFIG",
    "QUERIES",
    "build_demo_pms",
    "create_demo_pms",
    "example_config_path",
    "write_demo_workspace",
]

_HERE = Path(str(resources.files(__package__)))
QUERIES = _HERE / "queries"
EXAMPLE_CONFIG = _HERE / "cynare-agent.example.toml"


def example_config_path() -> Path:
    """The demo PMS's configuration template: its query files, write-back statements and storage settings."""
    return EXAMPLE_CONFIG


def write_demo_workspace(database: Path, *, scale: int = 1, seed: int = 7, build: bool = True) -> Path:
    """Build the demo PMS at `database`, with the configuration and query files beside it; return the config."""
    if build:
        create_demo_pms(database, scale=scale, seed=seed)
    folder = database.parent
    config = folder / "cynare-agent.toml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("demo-pms.sqlite", database.name)
    config.write_text(text, encoding="utf-8")
    queries = folder / "queries"
    queries.mkdir(exist_ok=True)
    for query in sorted(QUERIES.glob("*.sql")):
        (queries / query.name).write_text(query.read_text(encoding="utf-8"), encoding="utf-8")
    return config
