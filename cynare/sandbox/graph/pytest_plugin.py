"""Reusable pytest fixtures for the Graph stand-in.

Use from the root conftest.py with `pytest_plugins = ["cynare.sandbox.graph.pytest_plugin"]`, or
import the fixtures into a folder's conftest.py. Fixtures:

- `graph`: a `testing.RunningGraph` (url, tenant id, client id and secret, mailbox, admin client, the
  stand-in itself) writing its .eml files under the test's temporary folder; stopped after the test.
- `make_graph`: a factory for more, with other options (`mailbox=`, `permissions=`, `token_lifetime=`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from cynare.sandbox.graph.testing import RunningGraph, running_graph


@pytest.fixture
def make_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RunningGraph]]:
    with ExitStack() as stack:

        def make(**options: Any) -> RunningGraph:
            options.setdefault("out", tmp_path_factory.mktemp("graph-out"))
            return stack.enter_context(running_graph(**options))

        yield make


@pytest.fixture
def graph(make_graph: Callable[..., RunningGraph]) -> RunningGraph:
    return make_graph()
