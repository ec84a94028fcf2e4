"""The PMS side of the comparison, read from the warehouse: the debtors snapshot and every document
with what it does to its client's balance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from cynare.domain.documents import (
    Bill,
    Cancellation,
    Client,
    CreditNote,
    DocKey,
    Receipt,
    ReceiptAllocation,
    ReturnedReceipt,
    UnallocatedReceipt,
    WriteOff,
)
from cynare.domain.lifecycle import State, StoredDocument
from cynare.domain.reconciliation import PmsDocument
from cynare.service_layer.unit_of_work import EntityWork

_LABEL = {
    "bills": "bill", "credit_notes": "credit note", "write_offs": "write-off", "receipts": "receipt",
    "returned_receipts": "returned receipt", "unallocated_receipts": "unallocated receipt",
}  # fmt: skip
_READ = (*_LABEL, "receipt_allocations", "clients", "cancellations")


class PmsSide:
    """What the warehouse holds for one entity, shaped for cynare.domain.reconciliation."""

    def __init__(self, stored: Iterable[StoredDocument]) -> None:
        self.by_key: dict[DocKey, StoredDocument] = {}
        self.parts: dict[str, list[StoredDocument]] = defaultdict(list)  # receipt id -> its allocations
        for doc in stored:
            key = doc.document.key
            if key.dataset == "receipt_allocations" and isinstance(doc.document.body, ReceiptAllocation):
                self.parts[doc.document.body.receipt_id].append(doc)
            elif key.dataset in _READ:
                self.by_key[key] = doc

    @classmethod
    def read(cls, work: EntityWork) -> PmsSide:
        return cls(doc for state in State for doc in work.documents.in_state(state))

    def clients(self) -> dict[str, str]:
        return {k.firm_id: s.document.body.name for k, s in self.by_key.items() if isinstance(s.document.body, Client)}

    def contact_clients(self) -> dict[str, str]:
        """Xero contact id -> client id, for the clients posted as contacts."""
        return {s.xero_id: k.firm_id for k, s in self.by_key.items() if k.dataset == "clients" and s.xero_id}

    def documents(self) -> list[PmsDocument]:
        pending = self._pending_cancellations()
        found = []
        for key, stored in self.by_key.items():
            if key.dataset in ("clients", "cancellations") or (document := self._document(key, stored)) is None:
                continue
            if key in pending and document.state is not State.CANCELLED:
                # Cancelled in the PMS, not yet carried out in Xero: the PMS's list no longer counts it.
                document = replace(document, state=State.CANCELLED, reason=pending[key])
            found.append(document)
        return found

    def _pending_cancellations(self) -> dict[DocKey, str]:
        pending = {}
        for stored in self.by_key.values():
            body = stored.document.body
            if isinstance(body, Cancellation) and stored.state not in (State.POSTED, State.CANCELLED):
                why = stored.reason or _holds(stored) or stored.state.value
                pending[body.target] = f"cancelled in the PMS ({body.reason}); in Xero: {why}"
        return pending

    def _document(self, key: DocKey, stored: StoredDocument) -> PmsDocument | None:
        body = stored.document.body
        label = f"{_LABEL[key.dataset]} {key.firm_id}"
        ids = {stored.xero_id} if stored.xero_id else set()
        reason = stored.reason if stored.state in (State.REJECTED, State.CANCELLED) else _holds(stored)
        group = ""
        if isinstance(body, Bill):
            client, money, sign = body.client_id, body.total, 1
        elif isinstance(body, CreditNote):
            client, money, sign = body.client_id, body.total, -1
        elif isinstance(body, WriteOff | UnallocatedReceipt):
            client, money, sign = body.client_id, body.amount, -1
        elif isinstance(body, Receipt):
            client, money, sign, group = body.client_id, body.amount, -1, f"receipts/{key.firm_id}"
            state, reason, part_ids = self._receipt_state(stored, reason)
            ids |= part_ids
            return PmsDocument(label, key.dataset, client, money.currency, sign * money.amount, state, reason,
                               frozenset(ids), group)  # fmt: skip
        elif isinstance(body, ReturnedReceipt):
            receipt = self.by_key.get(DocKey("receipts", body.receipt_id))
            if receipt is None or not isinstance(receipt.document.body, Receipt):
                return None  # its receipt is not in the warehouse: nothing to measure it by
            money = body.amount or receipt.document.body.amount
            client, sign, group = receipt.document.body.client_id, 1, f"receipts/{body.receipt_id}"
        else:
            return None
        return PmsDocument(label, key.dataset, client, money.currency, sign * money.amount, stored.state, reason,
                           frozenset(ids), group)  # fmt: skip

    def _receipt_state(self, receipt: StoredDocument, reason: str) -> tuple[State, str, set[str]]:
        """A posted receipt whose allocation is refused or held takes that allocation's state and reason."""
        ids = {part.xero_id for part in self.parts.get(receipt.document.key.firm_id, ()) if part.xero_id}
        if receipt.state is not State.POSTED:
            return receipt.state, reason, ids
        for part in self.parts.get(receipt.document.key.firm_id, ()):
            if part.state is State.REJECTED:
                return State.REJECTED, f"allocation {part.document.key.firm_id}: {part.reason}", ids
            if part.state not in (State.POSTED, State.CANCELLED):
                return part.state, f"allocation {part.document.key.firm_id}: {_holds(part) or part.state.value}", ids
        return receipt.state, reason, ids


def _holds(stored: StoredDocument) -> str:
    return "; ".join(str(hold) for hold in stored.holds)


def debtors(rows: Mapping[str, Mapping[str, Any]], as_at: date) -> dict[tuple[str, str], Decimal]:
    """The snapshot's balance per (client, currency); the import has checked every row already."""
    balances: dict[tuple[str, str], Decimal] = {}
    for key, row in rows.items():
        try:
            balances[(str(row["client_id"]), str(row["currency"]))] = Decimal(str(row["balance"]))
        except (KeyError, InvalidOperation) as exc:
            raise ValueError(f"the debtors snapshot as at {as_at} has a row {key!r} without a balance: {exc}") from exc
    return balances
