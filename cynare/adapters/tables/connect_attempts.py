"""ConnectAttempts: PK "attempt", RK the attempt's random nonce; one row per connect attempt of the pages.

The PKCE verifier and Xero's tokens are sealed with the SecretsBox under "connect|{nonce}", so a row
copied under another nonce does not open. `take` deletes the row guarded by the ETag it read: of two
requests taking the same attempt at once, one gets it and the other nothing, which is what makes a
state single use.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from cynare.adapters.secrets_box import SecretsBox
from cynare.adapters.tables.connections import stored_time
from cynare.adapters.tables.keys import checked, odata
from cynare.service_layer.connect import OrganisationSeen
from cynare.service_layer.connect_pages import Attempt, Stage
from cynare.service_layer.xero_port import Credentials

PARTITION = "attempt"


class TableConnectAttempts:
    def __init__(self, table: TableClient, box: SecretsBox) -> None:
        self._table = table
        self._box = box

    def put(self, attempt: Attempt) -> None:
        context = _context(attempt.nonce)
        grant = attempt.grant
        row: dict[str, Any] = {
            "PartitionKey": PARTITION,
            "RowKey": checked(attempt.nonce, "attempt"),
            "Person": attempt.person,
            "Stage": attempt.stage.value,
            "ExpiresAt": attempt.expires_at,
            "Entity": attempt.entity,
            "Verifier": self._box.seal(attempt.verifier, context),
            "AccessToken": self._box.seal(grant.access_token, context),
            "RefreshToken": self._box.seal(grant.refresh_token, context),
            "AccessExpiresAt": grant.access_expires_at,
            "RefreshIssuedAt": grant.refresh_issued_at,
            "Scopes": " ".join(grant.scopes),
            "Organisations": json.dumps([[o.tenant_id, o.name, o.base_currency] for o in attempt.organisations]),
        }
        self._table.upsert_entity(row, mode=UpdateMode.REPLACE)

    def get(self, nonce: str) -> Attempt | None:
        row = self._row(nonce)
        return None if row is None else self._attempt(row)

    def take(self, nonce: str) -> Attempt | None:
        row = self._row(nonce)
        if row is None:
            return None
        try:
            self._table.delete_entity(PARTITION, row["RowKey"], etag=str(row.metadata["etag"]),
                                      match_condition=MatchConditions.IfNotModified)  # fmt: skip
        except (ResourceModifiedError, ResourceNotFoundError):
            return None
        return self._attempt(row)

    def purge(self, before: datetime) -> None:
        query = f"PartitionKey eq {odata(PARTITION)} and ExpiresAt lt @before"
        for row in self._table.query_entities(query, parameters={"before": before}, select=["RowKey"]):
            try:
                self._table.delete_entity(PARTITION, row["RowKey"])
            except ResourceNotFoundError:
                continue

    def _row(self, nonce: str) -> Any:
        if not nonce or len(nonce) > 100 or not nonce.replace("-", "").replace("_", "").isalnum():
            return None  # not a nonce these pages made: nothing to look up
        try:
            return self._table.get_entity(PARTITION, nonce)
        except ResourceNotFoundError:
            return None

    def _attempt(self, row: Any) -> Attempt:
        context = _context(str(row["RowKey"]))
        expires_at = stored_time(row.get("ExpiresAt"))
        assert expires_at is not None, "an attempt row always has ExpiresAt"
        organisations = tuple(OrganisationSeen(str(t), str(n), str(c))
                              for t, n, c in json.loads(str(row.get("Organisations") or "[]")))  # fmt: skip
        grant = Credentials(
            access_token=self._box.open(str(row["AccessToken"]), context),
            access_expires_at=stored_time(row.get("AccessExpiresAt")),
            refresh_token=self._box.open(str(row["RefreshToken"]), context),
            refresh_issued_at=stored_time(row.get("RefreshIssuedAt")),
            scopes=tuple(str(row.get("Scopes", "")).split()),
        )
        return Attempt(
            nonce=str(row["RowKey"]),
            person=str(row.get("Person", "")),
            stage=Stage(str(row["Stage"])),
            expires_at=expires_at,
            entity=str(row.get("Entity", "")),
            verifier=self._box.open(str(row["Verifier"]), context),
            grant=grant,
            organisations=organisations,
        )


def _context(nonce: str) -> str:
    return f"connect|{nonce}"
