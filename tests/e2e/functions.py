"""Call the registered Functions in process, as the Functions host would."""

from __future__ import annotations

import functools
import importlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from cynare.entrypoints.demo import DEMO_ENTITIES
from cynare.service_layer.unit_of_work import UnitOfWork

# The demo firm's entities, fed by the demo PMS and by the test batches' source.
TEST_ENTITIES = json.dumps(
    {
        code: {**settings, "sources": [*settings["sources"], "pms-a"]}
        for code, settings in json.loads(DEMO_ENTITIES).items()
    }
)


@functools.cache
def registered_functions() -> dict[str, Any]:
    # The app builds its function list once: a second get_functions() on one app refuses the same names.
    app = importlib.import_module("function_app").app
    return {fn.get_function_name(): fn.get_user_function() for fn in app.get_functions()}


def function_named(name: str) -> Any:
    return registered_functions()[name]


def run_now(monkeypatch: pytest.MonkeyPatch, storage_connection: str, unique_name: str) -> None:
    """Point the app at Azurite with tables and a container of this test's own, and run at this minute."""
    monkeypatch.setenv("CYNARE_STORAGE_CONNECTION", storage_connection)
    monkeypatch.setenv("CYNARE_TABLE_PREFIX", unique_name)
    monkeypatch.setenv("CYNARE_INBOUND_CONTAINER", f"{unique_name}in")
    monkeypatch.setenv("CYNARE_TIME_ZONE", "UTC")
    monkeypatch.setenv("CYNARE_IMPORT_LOCAL_TIME", datetime.now(UTC).strftime("%H:%M"))
    monkeypatch.setenv("CYNARE_ENTITIES", TEST_ENTITIES)


def warehouse_of_this_test() -> UnitOfWork:
    """The unit of work over the tables `run_now` pointed the app at."""
    from cynare.bootstrap import AppSettings, unit_of_work

    return unit_of_work(AppSettings.from_env())
