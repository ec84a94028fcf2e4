"""The Teams stand-in for the Workflows webhook adapter's tests, with a clock the tests move."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cynare.sandbox.teams.testing import Served, serve_teams_stand_in
from tests.sandbox_teams.conftest import FixedClock


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def teams(tmp_path, clock) -> Iterator[Served]:
    with serve_teams_stand_in(tmp_path, clock=clock) as served:
        yield served
