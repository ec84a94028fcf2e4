"""Sync from Xero: what people did in an entity's organisation, brought back to its PMS as one write-back document.

    outcome = sync_from_xero(work, xero, outbox, cursors, writeback, clock)

For one entity the sync

1. reads what changed in the organisation since the last sync (`If-Modified-Since`, one cursor per
   resource, pages of 1,000): Payments (sales invoice payments), CreditNotes and Overpayments (their
   allocations). Only records on the firm's own bills count: an invoice entered in Xero directly is
   left to the reconciliation;
2. turns what was done in Xero, not by Cynare Link, into write-back items: `xero_receipt`,
   `xero_allocation`, `payment_deleted`. What the poster itself did (its payments, batch payments,
   allocations, write-off credit notes and the payments it deleted for a returned receipt) is known
   from the Xero ids it indexed and from the PMS's own documents, and is never reported back;
3. puts the items in the outbox under keys that make a replay harmless, and only then moves each
   cursor to the newest `UpdatedDateUTC` it read (a crash re-reads rather than loses);
4. writes ONE write-back document from everything pending in the outbox (the poster's `posted` and
   `rejected` items included) and then removes those items. The document's id is derived from its
   items, so a crash between the write and the removal writes the same document again, which the
   agent recognises as the same version.

`docs/writeback-format.md` ("Where the items come from") describes the reads and the rules.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter, ValidationError

from cynare.domain.documents import Allocation, DocKey, Receipt, ReceiptAllocation, ReturnedReceipt, WriteOff
from cynare.domain.lifecycle import State
from cynare.extract.writeback import Item, PaymentDeleted, WritebackDocument, XeroAllocation, XeroReceipt
from cynare.service_layer.unit_of_work import EntityWork
from cynare.service_layer.xero_port import (
    CursorRepository,
    OutboxItem,
    OutboxRepository,
    Problem,
    WritebackOutbox,
    XeroApi,
    XeroCallFailed,
)
from cynare.service_layer.xero_records import items_of, part_of, text_of

log = logging.getLogger(__name__)

PAGE_SIZE = 1000  # Xero's largest page
OUTBOX_LIMIT = 5000  # items in one write-back document; the rest wait for the next sync
# A cursor held back for a record left for the next sync sits just before that record.
_HOLD_STEP = timedelta(milliseconds=1)
_ITEM = TypeAdapter[Item](Item)
# The PMS still knows of a returned receipt in these states (a cancelled return was withdrawn).
_RETURN_STATES = (State.RECEIVED, State.READY, State.WAITING, State.POSTING, State.POSTED, State.REJECTED)


@dataclass(frozen=True, slots=True)
class Resource:
    """One Xero list the sync reads, with the cursor that says how far it has read it."""

    cursor: str  # the cursor's name, as CursorRepository keeps it
    path: str
    collection: str  # the list's key in Xero's reply
    where: str  # only the sales side concerns the PMS


PAYMENTS = Resource("Payments", "/Payments", "Payments", 'PaymentType=="ACCRECPAYMENT"')
CREDIT_NOTES = Resource("CreditNotes", "/CreditNotes", "CreditNotes", 'Type=="ACCRECCREDIT"')
OVERPAYMENTS = Resource("Overpayments", "/Overpayments", "Overpayments", 'Type=="RECEIVE-OVERPAYMENT"')
RESOURCES = (PAYMENTS, CREDIT_NOTES, OVERPAYMENTS)


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    entity: str
    counts: dict[str, int]  # items of the write-back document written, by kind (posted and rejected included)
    found: dict[str, int]  # items this sync found in Xero, by kind
    writeback_id: str | None  # None when nothing was pending
    version: str | None  # the document's version (SHA-256 of its content)
    calls: int  # calls to Xero this sync made
    bytes_read: int
    deferred: tuple[str, ...] = ()  # records left for the next sync, each with why
    problems: tuple[str, ...] = ()  # what could not be reported, for a person


# --- Xero's JSON -----------------------------------------------------------------------------------

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def xero_datetime(value: Any) -> datetime | None:
    """An aware UTC time from a Microsoft JSON date (`/Date(1552404447003+0000)/`) or ISO 8601 text."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = _MS_DATE.match(text)
    if match:
        # The milliseconds are UTC already; the offset only says which wall time was meant.
        return _EPOCH + timedelta(milliseconds=int(match.group(1)))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Xero writes UpdatedDateUTC without an offset in ISO form: it is UTC.
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def xero_date(value: Any) -> date | None:
    """A calendar date from a Microsoft JSON date or ISO text ("2026-11-24" or "2026-11-24T00:00:00")."""
    if isinstance(value, str) and len(value) == 10 and value[:1] != "/":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    moment = xero_datetime(value)
    return moment.date() if moment else None


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, float):
        return None  # a float has already lost the exact amount: the caller's JSON was not parsed as Decimal
    try:
        return Decimal(str(value)) if value is not None and not isinstance(value, bool) else None
    except InvalidOperation:
        return None


# --- what the warehouse knows ----------------------------------------------------------------------


class _Known:
    """What is ours: the Xero ids the poster indexed and the PMS documents in flight, each looked up once."""

    def __init__(self, work: EntityWork) -> None:
        self._work = work
        self._keys: dict[tuple[str, str], DocKey | None] = {}
        self._returns: set[tuple[str, str | None]] | None = None
        self._flight: tuple[set[str], set[str], set[str]] | None = None

    def key(self, dataset: str, xero_id: str) -> DocKey | None:
        if not xero_id:
            return None
        found = (dataset, xero_id)
        if found not in self._keys:
            self._keys[found] = self._work.xero_ids.key_for(dataset, xero_id)
        return self._keys[found]

    def returned_in_pms(self, receipt_id: str, bill_id: str) -> bool:
        """The PMS itself returned this receipt (whole, or its part on this bill): the poster deletes its payment."""
        if self._returns is None:
            self._returns = set()
            for state in _RETURN_STATES:
                for stored in self._work.documents.in_state(state, "returned_receipts"):
                    body = stored.document.body
                    if isinstance(body, ReturnedReceipt):
                        parts: list[str | None] = [part.bill_id for part in body.parts] or [None]
                        self._returns.update((body.receipt_id, bill) for bill in parts)
        return (receipt_id, None) in self._returns or (receipt_id, bill_id) in self._returns

    def _in_flight(self) -> tuple[set[str], set[str], set[str]]:
        """Bills and clients with a payment or an allocation the poster has sent without knowing its outcome."""
        if self._flight is None:
            paying_bills: set[str] = set()
            paying_clients: set[str] = set()
            crediting_bills: set[str] = set()
            documents = self._work.documents
            for stored in documents.in_state(State.POSTING, "receipt_allocations"):
                if isinstance(stored.document.body, ReceiptAllocation):
                    paying_bills.add(stored.document.body.bill_id)
            for stored in documents.in_state(State.POSTING, "receipts"):
                if isinstance(stored.document.body, Receipt):
                    paying_clients.add(stored.document.body.client_id)
            for dataset in ("allocations", "write_offs"):
                for stored in documents.in_state(State.POSTING, dataset):
                    if isinstance(stored.document.body, Allocation | WriteOff):
                        crediting_bills.add(stored.document.body.bill_id)
            self._flight = (paying_bills, paying_clients, crediting_bills)
        return self._flight

    def payment_in_flight(self, bill_id: str, contact_id: str) -> bool:
        paying_bills, paying_clients, _ = self._in_flight()
        if bill_id in paying_bills:
            return True
        client = self.key("clients", contact_id) if paying_clients else None
        return client is not None and client.firm_id in paying_clients

    def allocation_in_flight(self, bill_id: str) -> bool:
        return bill_id in self._in_flight()[2]

    def stored_state(self, key: DocKey) -> tuple[State, str] | None:
        stored = self._work.documents.get_many([key]).get(key)
        return (stored.state, stored.xero_id) if stored else None

    def bill_currency(self, bill: DocKey) -> str:
        stored = self._work.documents.get_many([bill]).get(bill)
        total = getattr(stored.document.body, "total", None) if stored else None
        return str(getattr(total, "currency", "")) if total is not None else ""


# --- reading Xero ----------------------------------------------------------------------------------


@dataclass
class _Read:
    """What one resource's read found, and how far its cursor may move."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # outbox key -> item
    newest: datetime | None = None
    held: datetime | None = None  # the earliest record left for the next sync
    deferred: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def defer(self, updated: datetime | None, what: str) -> None:
        self.deferred.append(what)
        if updated is not None and (self.held is None or updated < self.held):
            self.held = updated

    def next_cursor(self, since: datetime | None) -> datetime | None:
        """The newest time read, or just before the earliest record left for later; None: do not move."""
        at = self.newest
        if self.held is not None:
            before = self.held - _HOLD_STEP
            at = before if at is None or before < at else at
        if at is None or (since is not None and at <= since):
            return None
        return at


def _records(xero: XeroApi, resource: Resource, since: datetime | None) -> Iterator[Mapping[str, Any]]:
    """Every record of the list changed since `since`, a page of 1,000 at a time."""
    page = 1
    while True:
        params = {"where": resource.where, "page": str(page), "pageSize": str(PAGE_SIZE)}
        reply = xero.call("GET", resource.path, params=params, if_modified_since=since)
        body = reply.body if reply.status != 304 and isinstance(reply.body, Mapping) else {}
        records = items_of(body, resource.collection)
        yield from records
        if len(records) < PAGE_SIZE:
            return
        page += 1


def _fresh(record: Mapping[str, Any], read: _Read, seen_through: datetime | None) -> tuple[bool, datetime | None]:
    """Whether the record is new to this cursor; notes the newest time read.

    If-Modified-Since is to the second, and a record changed in the cursor's own second comes back
    again: one at or before the cursor (to the millisecond) was read by the last sync.
    """
    updated = xero_datetime(record.get("UpdatedDateUTC"))
    if updated is not None and seen_through is not None and updated <= seen_through:
        return False, updated
    if updated is not None and (read.newest is None or updated > read.newest):
        read.newest = updated
    return True, updated


class _Sync:
    def __init__(self, work: EntityWork, xero: XeroApi, outbox: OutboxRepository) -> None:
        self.work = work
        self.xero = xero
        self.outbox = outbox
        self.known = _Known(work)
        self._pending_keys: set[str] | None = None

    # Payments ---------------------------------------------------------------------------------

    def payments(self, since: datetime | None, seen_through: datetime | None) -> _Read:
        read = _Read()
        for payment in _records(self.xero, PAYMENTS, since):
            fresh, updated = _fresh(payment, read, seen_through)
            if fresh and payment.get("PaymentType") == "ACCRECPAYMENT":
                self._payment(payment, updated, seen_through, read)
        return read

    def _payment(
        self, payment: Mapping[str, Any], updated: datetime | None, seen_through: datetime | None, read: _Read
    ) -> None:
        payment_id = text_of(payment, "PaymentID")
        invoice = part_of(payment, "Invoice")
        bill = self.known.key("bills", text_of(invoice, "InvoiceID"))
        if bill is None or not payment_id:
            return  # not on a PMS bill: the reconciliation's business
        batch_id = text_of(payment, "BatchPaymentID")
        deleted = payment.get("Status") == "DELETED"
        ours = (
            self.known.key("receipt_allocations", payment_id)
            or self.known.key("receipts", payment_id)
            or self.known.key("receipts", batch_id)
        )
        if ours is not None:
            if deleted:
                self._our_payment_deleted(payment, ours, bill, updated, read)
            return
        if not deleted:
            contact = text_of(part_of(invoice, "Contact"), "ContactID")
            if self.known.payment_in_flight(bill.firm_id, contact):
                read.defer(
                    updated, f"payment {payment_id} on bill {bill.firm_id}: a receipt of the PMS is being posted"
                )
                return
            self._xero_receipt(payment, invoice, bill, read)
        elif self._reported_before(payment_id, seen_through):
            self._deleted(payment, None, bill, read)

    def _xero_receipt(self, payment: Mapping[str, Any], invoice: Mapping[str, Any], bill: DocKey, read: _Read) -> None:
        payment_id = text_of(payment, "PaymentID")
        currency = text_of(invoice, "CurrencyCode") or self.known.bill_currency(bill)
        try:
            # model_validate: a missing date or amount (None) is refused by the model, with its reason.
            item = XeroReceipt.model_validate(
                {
                    "xero_payment_id": payment_id,
                    "pms_bill_id": bill.firm_id,
                    "date": xero_date(payment.get("Date")),
                    "currency": currency,
                    "amount": _amount(payment.get("Amount")),
                    "xero_bank_account_code": text_of(part_of(payment, "Account"), "Code"),
                    "reference": text_of(payment, "Reference") or None,
                }
            )
        except ValidationError as exc:
            read.problems.append(f"payment {payment_id} on bill {bill.firm_id} cannot be reported: {_why(exc)}")
            return
        read.items[f"xero_receipt|{payment_id}"] = item.model_dump(mode="json")

    def _our_payment_deleted(
        self, payment: Mapping[str, Any], ours: DocKey, bill: DocKey, updated: datetime | None, read: _Read
    ) -> None:
        payment_id = text_of(payment, "PaymentID")
        receipt_id = ours.firm_id.partition("|")[0] if ours.dataset == "receipt_allocations" else ours.firm_id
        stored = self.known.stored_state(ours)
        if stored is not None:
            state, xero_id = stored
            if state is State.POSTING:
                read.defer(updated, f"payment {payment_id} deleted: receipt {receipt_id} is being posted")
                return
            if state is State.CANCELLED:
                return  # the PMS withdrew the receipt; the poster removed its payment
            if xero_id and xero_id not in (payment_id, text_of(payment, "BatchPaymentID")):
                return  # the poster replaced this payment by another: it deleted this one itself
        if self.known.returned_in_pms(receipt_id, bill.firm_id):
            return  # the PMS's own returned receipt: the poster deleted the payment
        self._deleted(payment, receipt_id, bill, read)

    def _deleted(self, payment: Mapping[str, Any], receipt_id: str | None, bill: DocKey, read: _Read) -> None:
        payment_id = text_of(payment, "PaymentID")
        # A deleted payment's UpdatedDateUTC is when it was deleted.
        on = xero_datetime(payment.get("UpdatedDateUTC"))
        try:
            item = PaymentDeleted.model_validate(
                {
                    "xero_payment_id": payment_id,
                    "pms_receipt_id": receipt_id,
                    "pms_bill_id": bill.firm_id,
                    "date": on.date() if on else xero_date(payment.get("Date")),
                }
            )
        except ValidationError as exc:
            read.problems.append(f"deleted payment {payment_id} cannot be reported: {_why(exc)}")
            return
        read.items[f"payment_deleted|{payment_id}"] = item.model_dump(mode="json")

    def _reported_before(self, payment_id: str, seen_through: datetime | None) -> bool:
        """Whether a payment made in Xero, now deleted, was reported to the PMS (or waits to be).

        It was if the last sync could see it: made at or before that sync's cursor. One History call,
        for deleted payments only; when its creation cannot be told, it is reported (a PMS that never
        recorded the payment has nothing to reverse).
        """
        if self._pending_keys is None:
            self._pending_keys = {item.key for item in self.outbox.pending(OUTBOX_LIMIT)}
        if f"xero_receipt|{payment_id}" in self._pending_keys:
            return True
        if seen_through is None:
            return False  # no sync read payments before this one
        try:
            reply = self.xero.call("GET", f"/Payments/{payment_id}/History")
        except XeroCallFailed as exc:
            if exc.problem is Problem.NOT_FOUND:
                return True
            raise
        body = reply.body if isinstance(reply.body, Mapping) else {}
        times = [xero_datetime(record.get("DateUTC")) for record in items_of(body, "HistoryRecords")]
        made = min((moment for moment in times if moment is not None), default=None)
        return made is None or made <= seen_through

    # CreditNotes and Overpayments -------------------------------------------------------------

    def credits(self, resource: Resource, since: datetime | None, seen_through: datetime | None) -> _Read:
        read = _Read()
        for credit in _records(self.xero, resource, since):
            fresh, updated = _fresh(credit, read, seen_through)
            if fresh:
                self._allocations(resource, credit, updated, read)
        return read

    def _allocations(
        self, resource: Resource, credit: Mapping[str, Any], updated: datetime | None, read: _Read
    ) -> None:
        if resource is CREDIT_NOTES:
            source_kind, credit_id = "credit_note", text_of(credit, "CreditNoteID")
            if self.known.key("write_offs", credit_id) is not None:
                return  # a write-off's credit note: the poster allocated it to its bill
        else:
            source_kind, credit_id = "overpayment", text_of(credit, "OverpaymentID")
        # A credit changed again lists all its allocations again: the PMS upserts them by allocation id.
        for allocation in items_of(credit, "Allocations"):
            if allocation.get("IsDeleted") is True:
                continue  # the format has no item for an allocation taken back; the reconciliation sees it
            invoice = part_of(allocation, "Invoice")
            bill = self.known.key("bills", text_of(invoice, "InvoiceID"))
            allocation_id = text_of(allocation, "AllocationID")
            if bill is None or not allocation_id or self.known.key("allocations", allocation_id) is not None:
                continue
            if self.known.allocation_in_flight(bill.firm_id):
                read.defer(
                    updated,
                    f"allocation {allocation_id} on bill {bill.firm_id}: an allocation of the PMS is being posted",
                )
                continue
            currency = text_of(invoice, "CurrencyCode") or text_of(credit, "CurrencyCode")
            try:
                item = XeroAllocation.model_validate(
                    {
                        "xero_allocation_id": allocation_id,
                        "source_kind": source_kind,
                        "source_xero_id": credit_id,
                        "pms_bill_id": bill.firm_id,
                        "date": xero_date(allocation.get("Date")),
                        "currency": currency,
                        "amount": _amount(allocation.get("Amount")),
                    }
                )
            except ValidationError as exc:
                read.problems.append(
                    f"allocation {allocation_id} on bill {bill.firm_id} cannot be reported: {_why(exc)}"
                )
                continue
            read.items[f"xero_allocation|{allocation_id}"] = item.model_dump(mode="json")


def _why(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in error['loc']) or 'item'}: {error['msg']}" for error in exc.errors())


# --- the write-back document -----------------------------------------------------------------------


def writeback_id_for(items: list[OutboxItem]) -> str:
    """An id derived from the items alone: the same pending items give the same id, whenever written.

    The day of the oldest item, then 20 hex digits of the SHA-256 of the keys and items in order.
    """
    content = [[item.key, item.item] for item in items]
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    first = min(item.at for item in items).astimezone(UTC)
    return f"{first:%Y%m%d}-{digest[:20]}"


def _write_document(
    entity: str, outbox: OutboxRepository, writeback: WritebackOutbox, now: datetime
) -> tuple[WritebackDocument | None, list[str]]:
    pending = sorted(outbox.pending(OUTBOX_LIMIT), key=lambda item: (item.at, item.key))
    chosen: list[OutboxItem] = []
    items: list[Item] = []
    problems: list[str] = []
    for pending_item in pending:
        try:
            items.append(_ITEM.validate_python(pending_item.item))
        except ValidationError as exc:
            # Left in the outbox, so that it is not lost: a person looks at it.
            problems.append(f"write-back item {pending_item.key} is not a valid item and was left out: {_why(exc)}")
            continue
        chosen.append(pending_item)
    if not chosen:
        return None, problems
    document = WritebackDocument(
        writeback_id=writeback_id_for(chosen), entity=entity, created_at=now, items=tuple(items)
    )
    writeback.write(entity, document.writeback_id, document.to_json().decode())
    outbox.remove([item.key for item in chosen])
    return document, problems


# --- the use case ----------------------------------------------------------------------------------


def sync_from_xero(
    work: EntityWork,
    xero: XeroApi,
    outbox: OutboxRepository,
    cursors: CursorRepository,
    writeback: WritebackOutbox,
    clock: Callable[[], datetime],
    *,
    first_sync_from: datetime | None = None,
) -> SyncOutcome:
    """One entity's sync from Xero. `first_sync_from`: where a resource never read before starts
    (e.g. the entity's first posting); None reads it all."""
    if xero.entity != work.entity:
        raise ValueError(f"the Xero organisation of {xero.entity} cannot be synced into entity {work.entity}")
    if first_sync_from is not None and first_sync_from.tzinfo is None:
        raise ValueError("first_sync_from must be an aware UTC time")
    calls_before, bytes_before = xero.usage.calls, xero.usage.bytes_read
    sync = _Sync(work, xero, outbox)
    reads: list[tuple[Resource, datetime | None, _Read]] = []
    for resource in RESOURCES:
        seen_through = cursors.get(resource.cursor)
        since = seen_through or first_sync_from
        if resource is PAYMENTS:
            read = sync.payments(since, seen_through)
        else:
            read = sync.credits(resource, since, seen_through)
        reads.append((resource, seen_through, read))

    now = clock()
    if now.tzinfo is None:
        raise ValueError("the clock must give aware UTC times")
    now = now.astimezone(UTC)
    found_items = {key: item for _, _, read in reads for key, item in read.items.items()}
    if found_items:
        outbox.put([OutboxItem(key, item, now) for key, item in sorted(found_items.items())])
    # Only once the items are safe in the outbox: a crash before this line reads them again.
    for resource, seen_through, read in reads:
        moved = read.next_cursor(seen_through)
        if moved is not None:
            cursors.set(resource.cursor, moved)

    document, unwritten = _write_document(work.entity, outbox, writeback, now)
    deferred = tuple(what for _, _, read in reads for what in read.deferred)
    problems = tuple(what for _, _, read in reads for what in read.problems) + tuple(unwritten)
    for problem in problems:
        log.warning("sync from Xero, entity %s: %s", work.entity, problem)
    return SyncOutcome(
        entity=work.entity,
        counts=dict(Counter(item.kind for item in document.items)) if document else {},
        found=dict(Counter(str(item["kind"]) for item in found_items.values())),
        writeback_id=document.writeback_id if document else None,
        version=document.version if document else None,
        calls=xero.usage.calls - calls_before,
        bytes_read=xero.usage.bytes_read - bytes_before,
        deferred=deferred,
        problems=problems,
    )
