"""Use case: bind an entity to the Xero organisation its connection reaches, after checking it is the right one.

Nothing in an extract chooses an organisation. The binding is made here, once, by a person who
connects the entity: the organisation's base currency must be the entity's (CYNARE_ENTITIES), and
its name the one the PMS gives for the entity (the `organisation` dataset), when it gives one.
Every posting run then checks the binding before its first call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cynare.errors import CynareError
from cynare.service_layer.unit_of_work import EntityWork
from cynare.service_layer.xero_port import Binding, ConnectionKind, Credentials


class ConnectRefused(CynareError):
    """The organisation reached is not the entity's: nothing was saved."""


@dataclass(frozen=True, slots=True)
class OrganisationSeen:
    """What the connection reaches, as Xero describes it."""

    tenant_id: str
    name: str
    base_currency: str


def refusal(work: EntityWork, seen: OrganisationSeen) -> str:
    """Why `seen` must not be bound to the entity (what to do included), or "" when it may."""
    entity = work.entity
    settings = work.settings
    if settings is None:
        return f"{entity} is not an entity of this firm: declare it in CYNARE_ENTITIES first"
    problems = []
    if seen.base_currency != settings.base_currency:
        problems.append(
            f"its base currency is {seen.base_currency}, and {entity}'s is {settings.base_currency} (CYNARE_ENTITIES)"
        )
    named = (work.reference.rows("organisation").get(entity) or {}).get("organisation_name")
    if named and named.strip().casefold() != seen.name.strip().casefold():
        problems.append(f"it is named {seen.name!r}, and the PMS names {entity}'s organisation {named!r}")
    if problems:
        return (
            f"the connection reaches {seen.name!r} (tenant {seen.tenant_id}), which is not {entity}'s organisation: "
            + "; ".join(problems)
            + ". Connect the right organisation, or correct the entity's settings; nothing was saved."
        )
    current = work.connection.binding()
    if current is not None and current.tenant_id != seen.tenant_id:
        return (
            f"{entity} is bound to {current.organisation_name!r} (tenant {current.tenant_id}); disconnect it first "
            "(on the connect page) if it really moves to another organisation"
        )
    return ""


def bind_entity(
    work: EntityWork,
    seen: OrganisationSeen,
    kind: ConnectionKind,
    client_id: str,
    credentials: Credentials,
    clock: Callable[[], datetime],
    by: str,
) -> Binding:
    entity = work.entity
    refused = refusal(work, seen)
    if refused:
        raise ConnectRefused(refused)
    binding = Binding(entity, seen.tenant_id, seen.name, seen.base_currency, kind, client_id, clock(), by)
    stored = work.connection.credentials()
    saved = work.connection.save_credentials(_with_etag(credentials, stored.etag if stored else ""))
    if not saved:
        raise ConnectRefused(f"{entity}'s connection was changed by someone else at the same time: run it again")
    work.connection.bind(binding)
    return binding


def _with_etag(credentials: Credentials, etag: str) -> Credentials:
    import dataclasses

    return dataclasses.replace(credentials, etag=etag)
