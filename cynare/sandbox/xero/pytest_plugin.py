"""Reusable pytest fixtures for the Xero emulator.

Use from any test folder with `pytest_plugins = ["cynare.sandbox.xero.pytest_plugin"]` in its
conftest.py. Fixtures:

- `xero_spec`: Xero's OpenAPI spec, loaded once per session (skips the test when it is missing).
- `xero_emulator`: a fresh emulator on a free loopback port, contract validation on; the test fails at
  teardown if any request or response broke the spec. Stopped after the test.
- `make_xero_emulator`: a factory for emulators with another clock or time scale or other organisations
  (`books=` a books file's path or its parsed JSON, see books_file.py), same checks.
  Each emulator's snapshot folder is a fresh pytest temporary folder; its admin token is
  `emulator.admin_token` (`emulator.admin_headers` for requests).
- `xero_admin`: a `testing.SandboxAdmin` for `xero_emulator`'s /_sandbox/ surface, token included.
- `xero_accounting`: a factory `(entity="UK", timeout=None, scope=None) -> AccountingApi` (xero-python, no
  retries; `scope` asks for a token with only those scopes, e.g. "accounting.contacts.read").
- `xero_api`: the UK entity's AccountingApi.
- `xero_token`: a factory `(entity) -> access token` by client credentials.
- `xero_tenant_ids`: `{"UK": ..., "IE": ..., "US": ...}`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cynare.sandbox.xero import seed
from cynare.sandbox.xero.contract import WHERE_TO_GET, load_spec, spec_path
from cynare.sandbox.xero.emulator import Emulator


@pytest.fixture(scope="session")
def xero_spec() -> Any:
    path = spec_path()
    if not path.is_file():
        pytest.skip(f"{WHERE_TO_GET} (looked at {path})")
    return load_spec(path)


@pytest.fixture
def make_xero_emulator(xero_spec: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Emulator]]:
    made: list[Emulator] = []

    def make(**options: Any) -> Emulator:
        options.setdefault("validate", True)
        if "snapshot_dir" not in options:
            options["snapshot_dir"] = tmp_path_factory.mktemp("xero-snapshots")
        emulator = Emulator(**options)
        emulator.start()
        made.append(emulator)
        return emulator

    yield make
    for emulator in made:
        emulator.stop()
    broken = [v for emulator in made for v in emulator.violations]
    assert not broken, "calls broke Xero's OpenAPI contract:\n" + "\n".join(broken)


@pytest.fixture
def xero_emulator(make_xero_emulator: Callable[..., Emulator]) -> Emulator:
    return make_xero_emulator()


@pytest.fixture
def xero_token(xero_emulator: Emulator) -> Callable[[str], str]:
    return xero_emulator.token


@pytest.fixture
def xero_accounting(xero_emulator: Emulator) -> Callable[..., Any]:
    from cynare.sandbox.xero.testing import sdk_client

    def make(entity: str = "UK", timeout: float | None = None, scope: str | None = None) -> Any:
        return sdk_client(xero_emulator, entity, timeout, scope)

    return make


@pytest.fixture
def xero_admin(xero_emulator: Emulator) -> Iterator[Any]:
    from cynare.sandbox.xero.testing import SandboxAdmin

    admin = SandboxAdmin(xero_emulator)
    yield admin
    admin.close()


@pytest.fixture
def xero_api(xero_accounting: Callable[..., Any]) -> Any:
    return xero_accounting("UK")


@pytest.fixture
def xero_tenant_ids() -> dict[str, str]:
    return dict(seed.TENANT_IDS)
