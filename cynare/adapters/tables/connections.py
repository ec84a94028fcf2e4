"""Connections: PK entity; RK "binding" (which Xero organisation) and RK "credentials" (its secrets, sealed).

The binding row is plain: tenant id, organisation name, base currency, connection kind, client id,
when and by whom it was bound. The credentials row seals every secret (client secret, access and
refresh tokens) with the SecretsBox under the context "{entity}|credentials", so a row copied to
another entity does not open; the scopes and expiry times stay plain, for status to show.

Both writes to the credentials row are guarded by its ETag: `save_credentials` (a refreshed token
saved by two workers at once: one wins) and `claim_refresh` (the one worker allowed to refresh until
the claim's time). A claim changes the row's ETag, so the claimant reads the credentials again
after claiming, and saves with that ETag; another worker may have refreshed the token meanwhile.
Saving replaces the whole row, which ends the claim: the refresh it was for is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from cynare.adapters.secrets_box import SecretsBox
from cynare.adapters.tables.keys import check_entity
from cynare.service_layer.xero_port import Binding, ConnectionKind, Credentials

BINDING = "binding"
CREDENTIALS = "credentials"
SEALED = {"client_secret": "ClientSecret", "access_token": "AccessToken", "refresh_token": "RefreshToken"}
CLAIM = "RefreshClaimUntil"


def stored_time(value: Any) -> datetime | None:
    """A time read from a row, as a plain aware datetime (the SDK answers a subclass that keeps the wire text)."""
    if not isinstance(value, datetime):
        return None
    return datetime.combine(value.date(), value.timetz())


class TableConnections:
    def __init__(self, table: TableClient, entity: str, box: SecretsBox) -> None:
        self._table = table
        self._entity = check_entity(entity)
        self._box = box
        self._context = f"{entity}|credentials"

    def binding(self) -> Binding | None:
        row = self._get(BINDING)
        if row is None:
            return None
        bound_at = stored_time(row.get("BoundAt"))
        assert bound_at is not None, "a binding row always has BoundAt"
        return Binding(
            entity=self._entity,
            tenant_id=str(row["TenantId"]),
            organisation_name=str(row.get("OrganisationName", "")),
            base_currency=str(row.get("BaseCurrency", "")),
            kind=ConnectionKind(row["Kind"]),
            client_id=str(row.get("ClientId", "")),
            bound_at=bound_at,
            bound_by=str(row.get("BoundBy", "")),
        )

    def bind(self, binding: Binding) -> None:
        if binding.entity != self._entity:
            raise ValueError(f"a binding for {binding.entity} cannot be stored for {self._entity}")
        row = {
            "PartitionKey": self._entity,
            "RowKey": BINDING,
            "TenantId": binding.tenant_id,
            "OrganisationName": binding.organisation_name,
            "BaseCurrency": binding.base_currency,
            "Kind": binding.kind.value,
            "ClientId": binding.client_id,
            "BoundAt": binding.bound_at,
            "BoundBy": binding.bound_by,
        }
        self._table.upsert_entity(row, mode=UpdateMode.REPLACE)

    def unbind(self) -> None:
        # The secrets first: a crash in between leaves a binding without credentials, which reads as "reconnect".
        self._table.delete_entity(self._entity, CREDENTIALS)
        self._table.delete_entity(self._entity, BINDING)

    def credentials(self) -> Credentials | None:
        row = self._get(CREDENTIALS)
        if row is None:
            return None
        opened = {field: self._box.open(str(row[column]), self._context) for field, column in SEALED.items()}
        scopes = str(row.get("Scopes", ""))
        return Credentials(
            client_secret=opened["client_secret"],
            access_token=opened["access_token"],
            access_expires_at=stored_time(row.get("AccessExpiresAt")),
            refresh_token=opened["refresh_token"],
            refresh_issued_at=stored_time(row.get("RefreshIssuedAt")),
            scopes=tuple(scopes.split()),
            etag=str(row.metadata["etag"]),
        )

    def save_credentials(self, credentials: Credentials) -> bool:
        row: dict[str, Any] = {
            "PartitionKey": self._entity,
            "RowKey": CREDENTIALS,
            **{column: self._box.seal(getattr(credentials, field), self._context) for field, column in SEALED.items()},
            "AccessExpiresAt": credentials.access_expires_at,  # None: no property
            "RefreshIssuedAt": credentials.refresh_issued_at,
            "Scopes": " ".join(credentials.scopes),
        }
        try:
            if credentials.etag:
                self._table.update_entity(row, **_guard(credentials.etag, UpdateMode.REPLACE))
            else:
                self._table.create_entity(row)
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    def claim_refresh(self, until: datetime, now: datetime) -> bool:
        """True for the one worker that set the claim; False while another's runs, or with no credentials stored."""
        row = self._get(CREDENTIALS)
        if row is None:
            return False
        held_until = stored_time(row.get(CLAIM))
        if held_until is not None and held_until > now:
            return False
        claim = {"PartitionKey": self._entity, "RowKey": CREDENTIALS, CLAIM: until}
        try:
            # MERGE touches only the claim; the ETag makes two workers reading the same row race for one write.
            self._table.update_entity(claim, **_guard(str(row.metadata["etag"]), UpdateMode.MERGE))
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    def _get(self, row_key: str) -> Any:
        try:
            return self._table.get_entity(self._entity, row_key)
        except ResourceNotFoundError:
            return None


def _guard(etag: str, mode: UpdateMode) -> Mapping[str, Any]:
    return {"mode": mode, "etag": etag, "match_condition": MatchConditions.IfNotModified}
