"""Fixtures shared by every ring of tests."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import pytest

from cynare.adapters.azurite import Azurite

# The local Xero's fixtures (xero_emulator, xero_accounting, ...) for every ring of tests.
pytest_plugins = ["cynare.sandbox.xero.pytest_plugin"]

_names = count()


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """One Azurite per test worker, in memory, on free loopback ports; stopped at the end."""
    with Azurite() as running:
        yield running


@pytest.fixture
def storage_connection(azurite: Azurite) -> str:
    return azurite.connection_string


@pytest.fixture
def unique_name() -> str:
    """A fresh lower-case name for a table or container, so tests sharing one Azurite never collide."""
    return f"t{next(_names)}x{id(object()) % 100000}"
