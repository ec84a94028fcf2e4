"""The Xero adapter against the local emulator: an in-memory ConnectionRepository, clients for each
entity, and a check after every test that no secret the emulator issued reached a log record."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from cynare.adapters.xero.auth import TokenKeeper, XeroIdentity
from cynare.adapters.xero.http import XeroHttpApi
from cynare.adapters.xero.pacer import Pacer
from cynare.sandbox.xero.emulator import Emulator
from cynare.service_layer.xero_port import Binding, ConnectionKind, Credentials

_etags = itertools.count(1)


class MemoryConnections:
    """A ConnectionRepository in memory, with the warehouse's rules (docs/warehouse.md): ETag-guarded
    saves, a refresh claim until a time that changes the row's ETag, and a save that ends the claim."""

    def __init__(self, binding: Binding | None = None, credentials: Credentials | None = None) -> None:
        self._lock = threading.Lock()
        self._binding = binding
        self._credentials = replace(credentials, etag=f"e{next(_etags)}") if credentials else None
        self._claim_until: datetime | None = None
        self.saves: list[Credentials] = []
        self.claims = 0
        self.reads = 0

    def binding(self) -> Binding | None:
        return self._binding

    def bind(self, binding: Binding) -> None:
        self._binding = binding

    def unbind(self) -> None:
        self._binding = None

    def credentials(self) -> Credentials | None:
        with self._lock:
            self.reads += 1
            return self._credentials

    def stored(self) -> Credentials:
        """What is stored now (tests: there must be something)."""
        found = self.credentials()
        assert found is not None
        return found

    def save_credentials(self, credentials: Credentials) -> bool:
        with self._lock:
            stored = self._credentials.etag if self._credentials else ""
            if credentials.etag != stored:
                return False
            self._credentials = replace(credentials, etag=f"e{next(_etags)}")
            self._claim_until = None  # as in the warehouse: saving replaces the row and ends the claim
            self.saves.append(self._credentials)
            return True

    def claim_refresh(self, until: datetime, now: datetime) -> bool:
        with self._lock:
            if self._credentials is None or (self._claim_until is not None and self._claim_until > now):
                return False
            self._claim_until = until
            # As in the warehouse, a claim is a write to the row: its ETag changes.
            self._credentials = replace(self._credentials, etag=f"e{next(_etags)}")
            self.claims += 1
            return True


def binding_for(
    em: Emulator, entity: str, kind: ConnectionKind = ConnectionKind.CUSTOM, client_id: str = ""
) -> Binding:
    tenant = em.tenant(entity)
    return Binding(
        entity=entity,
        tenant_id=tenant.tenant_id,
        organisation_name=tenant.name,
        base_currency=tenant.base_currency,
        kind=kind,
        client_id=client_id or em.client_for(entity).client_id,
        bound_at=datetime(2026, 5, 1, tzinfo=UTC),
        bound_by="implementer@example.com",
    )


@dataclass
class Entity:
    """One entity wired up as the cloud side wires it: repository, token keeper, pacer, client."""

    binding: Binding
    connections: MemoryConnections
    keeper: TokenKeeper
    pacer: Pacer
    api: XeroHttpApi


def wire(
    em: Emulator,
    entity: str,
    *,
    timeout: float = 10.0,
    pacer: Pacer | None = None,
    credentials: Credentials | None = None,
    tenant_id: str | None = None,
) -> Entity:
    """An entity on its custom connection: only the client secret is stored at first."""
    binding = binding_for(em, entity)
    connections = MemoryConnections(
        binding, credentials or Credentials(client_secret=em.client_for(entity).client_secret)
    )
    keeper = TokenKeeper(binding, connections, XeroIdentity.local(em.url, timeout=10), em.clock.now)
    pacer = pacer or Pacer()
    api = XeroHttpApi(
        entity, tenant_id or binding.tenant_id, em.accounting_url, keeper.access_token, pacer=pacer, timeout=timeout
    )
    return Entity(binding, connections, keeper, pacer, api)


def issued_secrets(em: Emulator) -> set[str]:
    """Every client secret, access token and refresh token the emulator knows of."""
    found = {client.client_secret for client in em.clients.values()}
    found.update(em.identity._access)
    found.update(em.identity._refresh)
    return found


def assert_no_secret(text: str, em: Emulator) -> None:
    leaked = [s for s in issued_secrets(em) if s and s in text]
    assert not leaked, f"a secret appeared in: {text!r}"


@pytest.fixture
def make_xero_emulator(make_xero_emulator: Callable[..., Emulator]) -> Iterator[Callable[..., Emulator]]:
    """The plugin's factory, remembering each emulator so that the logs can be checked against it."""
    made: list[Emulator] = []

    def make(**options: Any) -> Emulator:
        em = make_xero_emulator(**options)
        made.append(em)
        return em

    make.made = made  # type: ignore[attr-defined]
    yield make


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture, make_xero_emulator: Callable[..., Emulator]) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    text = "\n".join(formatter.format(r) for r in records)  # tracebacks included
    for em in make_xero_emulator.made:  # type: ignore[attr-defined]
        assert_no_secret(text, em)
