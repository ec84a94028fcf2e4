"""Attempts whose outcome is unknown are settled by looking in Xero before anything is sent again.

A document left `posting` (a timeout, a dropped connection, a crash after the call) may be in Xero
or not. Xero keeps an Idempotency-Key only 6 minutes, so the next run does not resend blindly: it
finds the document by what Cynare Link put on it (ContactNumber, InvoiceNumber, CreditNoteNumber,
the payment's Reference, the allocation's bill, amount and date). Found: posted with that id. Not
found: ready, and sent afresh in this same run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from cynare.domain import xero_requests as requests
from cynare.domain.documents import Allocation, Cancellation, DocKey, ReceiptAllocation, WriteOff
from cynare.domain.lifecycle import State, StoredDocument, sent_version, superseded
from cynare.service_layer.posting.ledger import NotThere, Outcome, Posted, Progressed
from cynare.service_layer.posting.sender import Refused
from cynare.service_layer.posting.steps import Run, allocate_write_offs, allocation_source

OR_TERMS = 25  # terms per `where`, keeping the query string short
NOT_FOUND = NotThere("looked up in Xero after an unknown outcome: not there, sent again")


def settle_unknown(run: Run) -> int:
    """Look up every document left `posting`; returns how many were found in Xero."""
    posting = list(run.ledger.work.documents.in_state(State.POSTING))
    run.ledger.remember(posting)
    by_dataset: dict[str, list[StoredDocument]] = {}
    for stored in posting:
        by_dataset.setdefault(stored.document.key.dataset, []).append(stored)
    results: list[tuple[StoredDocument, Outcome]] = []
    results += _by_number(run, by_dataset.get("clients", []), "/Contacts", "Contacts", "ContactNumber", "ContactID",
                          lambda b: b.client_id)  # fmt: skip
    results += _by_number(run, by_dataset.get("bills", []), "/Invoices", "Invoices", "InvoiceNumber", "InvoiceID",
                          lambda b: b.number)  # fmt: skip
    results += _by_number(run, by_dataset.get("credit_notes", []), "/CreditNotes", "CreditNotes", "CreditNoteNumber",
                          "CreditNoteID", lambda b: b.number)  # fmt: skip
    new_write_offs = [s for s in by_dataset.get("write_offs", []) if not s.xero_id]
    found_write_offs = _by_number(run, new_write_offs, "/CreditNotes", "CreditNotes", "CreditNoteNumber",
                                  "CreditNoteID", lambda b: f"WO-{b.write_off_id}")  # fmt: skip
    results += [(s, Progressed(o.xero_id, "credit note found in Xero; to be allocated")) if isinstance(o, Posted)
                else (s, o) for s, o in found_write_offs]  # fmt: skip
    results += [(s, o) for s in by_dataset.get("write_offs", []) if s.xero_id
                if isinstance(o := _write_off_allocated(run, s), Posted)]  # fmt: skip
    results += _payments(run, by_dataset.get("receipts", []), by_dataset.get("receipt_allocations", []))
    results += _by_reference(run, by_dataset.get("unallocated_receipts", []))
    results += [(s, _allocation(run, s)) for s in by_dataset.get("allocations", [])]
    results += [(s, _deleted_or_voided(run, s)) for s in by_dataset.get("returned_receipts", [])]
    results += [(s, _deleted_or_voided(run, s)) for s in by_dataset.get("cancellations", [])]
    _record(run, results)
    # Write-offs whose credit note is in Xero: their allocation is the one call left.
    allocate_write_offs(run, [s.document.key for s in by_dataset.get("write_offs", [])])
    return sum(1 for _, outcome in results if isinstance(outcome, Posted | Progressed))


def _record(run: Run, results: Sequence[tuple[StoredDocument, Outcome]]) -> None:
    now = run.clock()
    plain: list[tuple[StoredDocument, Outcome]] = []
    for stored, outcome in results:
        if isinstance(outcome, Posted) and sent_version(stored) != stored.document.version:
            # A newer version arrived while the attempt was in flight: Xero has the older one; send the newer.
            run.ledger.remember(run.ledger.work.documents.save_tracked(
                [superseded(stored, outcome.xero_id, sent_version(stored), now)])[0])  # fmt: skip
        else:
            plain.append((stored, outcome))
    run.ledger.finish(plain)


def _quote(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


def _where_in(field: str, values: Iterable[str]) -> Iterable[str]:
    listed = sorted(set(values))
    for start in range(0, len(listed), OR_TERMS):
        yield " OR ".join(f"{field}=={_quote(v)}" for v in listed[start : start + OR_TERMS])


def _find(run: Run, path: str, collection: str, where: str, extra: dict[str, str] | None = None) -> list[Any]:
    params = {"where": where, **(extra or {})}
    try:
        return list(run.sender.read(path, params).body.get(collection) or [])
    except Refused:
        return []


def _by_number(
    run: Run, documents: Sequence[StoredDocument], path: str, collection: str, field: str, id_field: str, number: Any
) -> list[tuple[StoredDocument, Outcome]]:
    if not documents:
        return []
    wanted = {number(s.document.body): s for s in documents}
    found: dict[str, str] = {}
    for where in _where_in(field, wanted):
        extra = {"includeArchived": "true"} if collection == "Contacts" else {}
        for record in _find(run, path, collection, where, extra):
            if record.get("Status") not in {"DELETED"}:
                found[str(record.get(field))] = str(record.get(id_field))
    return [(s, Posted(found[n], note="found in Xero after an unknown outcome") if n in found else NOT_FOUND)
            for n, s in wanted.items()]  # fmt: skip


def _payments(
    run: Run, receipts: Sequence[StoredDocument], parts: Sequence[StoredDocument]
) -> list[tuple[StoredDocument, Outcome]]:
    """A receipt was sent as a payment or a batch payment with its reference; its allocations with it."""
    receipt_ids = {s.document.body.receipt_id for s in receipts}  # type: ignore[union-attr]
    receipt_ids |= {s.document.body.receipt_id for s in parts}  # type: ignore[union-attr]
    if not receipt_ids:
        return []
    bodies = run.ledger.load([DocKey("receipts", r) for r in receipt_ids])
    references = {requests.payment_reference(b.document.body): r for r in receipt_ids  # type: ignore[arg-type]
                  if (b := bodies.get(DocKey("receipts", r))) is not None}  # fmt: skip
    payments: dict[tuple[str, str], str] = {}  # (receipt id, invoice id) -> payment id
    batch_of: dict[str, str] = {}  # receipt id -> batch payment id
    single_of: dict[str, str] = {}
    for where in _where_in("Reference", references):
        for batch in _find(run, "/BatchPayments", "BatchPayments", where):
            if batch.get("Status") == "DELETED":
                continue
            receipt_id = references.get(str(batch.get("Reference")), "")
            batch_of[receipt_id] = str(batch.get("BatchPaymentID"))
            for payment in batch.get("Payments") or []:
                payments[(receipt_id, str((payment.get("Invoice") or {}).get("InvoiceID")))] = str(payment["PaymentID"])
        for payment in _find(run, "/Payments", "Payments", where):
            if payment.get("Status") == "DELETED" or payment.get("BatchPaymentID"):
                continue
            receipt_id = references.get(str(payment.get("Reference")), "")
            invoice_id = str((payment.get("Invoice") or {}).get("InvoiceID"))
            payments.setdefault((receipt_id, invoice_id), str(payment["PaymentID"]))
            single_of.setdefault(receipt_id, str(payment["PaymentID"]))
    results: list[tuple[StoredDocument, Outcome]] = []
    for stored in receipts:
        receipt_id = stored.document.body.receipt_id  # type: ignore[union-attr]
        xero_id = batch_of.get(receipt_id) or single_of.get(receipt_id)
        results.append(
            (stored, Posted(xero_id, note="found in Xero after an unknown outcome") if xero_id else NOT_FOUND)
        )
    for stored in parts:
        body = stored.document.body
        assert isinstance(body, ReceiptAllocation)
        payment_id = payments.get((body.receipt_id, run.invoice_id(body.bill_id)))
        results.append((stored, Posted(payment_id, note="found in Xero after an unknown outcome") if payment_id
                        else NOT_FOUND))  # fmt: skip
    return results


def _by_reference(run: Run, documents: Sequence[StoredDocument]) -> list[tuple[StoredDocument, Outcome]]:
    if not documents:
        return []
    wanted = {requests.payment_reference(s.document.body): s for s in documents}  # type: ignore[arg-type]
    found: dict[str, str] = {}
    for where in _where_in("Reference", wanted):
        for record in _find(run, "/BankTransactions", "BankTransactions", f'Type=="RECEIVE-OVERPAYMENT" AND ({where})'):
            if record.get("Status") != "DELETED" and record.get("OverpaymentID"):
                found[str(record.get("Reference"))] = str(record["OverpaymentID"])
    return [(s, Posted(found[r], note="found in Xero after an unknown outcome") if r in found else NOT_FOUND)
            for r, s in wanted.items()]  # fmt: skip


def _allocation(run: Run, stored: StoredDocument) -> Outcome:
    body = stored.document.body
    assert isinstance(body, Allocation)
    resource, path = allocation_source(run, stored)
    found = _allocation_to(_find_one(run, path, resource), run.invoice_id(body.bill_id), body.amount.amount)
    return Posted(found, note="found in Xero after an unknown outcome") if found else NOT_FOUND


def _write_off_allocated(run: Run, stored: StoredDocument) -> Outcome:
    """A write-off whose credit note is in Xero: done if its allocation to the bill is there too."""
    body = stored.document.body
    assert isinstance(body, WriteOff)
    record = _find_one(run, f"/CreditNotes/{stored.xero_id}", "CreditNotes")
    if _allocation_to(record, run.invoice_id(body.bill_id), body.amount.amount):
        return Posted(stored.xero_id, note="allocated to its bill; found in Xero after an unknown outcome")
    return NOT_FOUND


def _allocation_to(record: dict[str, Any] | None, invoice_id: str, amount: Decimal) -> str:
    """The id of the credit's live allocation of `amount` to the invoice; "" when there is none."""
    for allocation in (record or {}).get("Allocations") or []:
        if (str((allocation.get("Invoice") or {}).get("InvoiceID")) == invoice_id
                and Decimal(str(allocation.get("Amount"))) == amount
                and not allocation.get("IsDeleted")):  # fmt: skip
            return str(allocation.get("AllocationID"))
    return ""


def _find_one(run: Run, path: str, collection: str) -> dict[str, Any] | None:
    try:
        records = run.sender.read(path).body.get(collection) or []
    except Refused:
        return None
    return records[0] if records else None


def _deleted_or_voided(run: Run, stored: StoredDocument) -> Outcome:
    """A returned receipt or a cancellation: done when its target is deleted or voided in Xero."""
    body = stored.document.body
    if isinstance(body, Cancellation):
        target = run.ledger.load([body.target]).get(body.target)
        if target is None or not target.xero_id:
            return NOT_FOUND
        if body.target.dataset == "allocations":
            resource, path = allocation_source(run, target)
            source = _find_one(run, path, resource)
            live = {
                str(a.get("AllocationID")) for a in (source or {}).get("Allocations") or [] if not a.get("IsDeleted")
            }
            if source is not None and target.xero_id not in live:
                run.ledger.cancel_target(
                    target, f"cancelled in the PMS on {body.date} ({body.reason}); removed in Xero"
                )
                return Posted(target.xero_id, note="found removed in Xero after an unknown outcome")
            return NOT_FOUND
        path, collection = _record_path(body.target.dataset, target.xero_id)
        record = _find_one(run, path, collection)
        if record is not None and record.get("Status") in {"VOIDED", "DELETED"}:
            run.ledger.cancel_target(target, f"cancelled in the PMS on {body.date} ({body.reason}); voided in Xero")
            return Posted(target.xero_id, note="found voided in Xero after an unknown outcome")
        return NOT_FOUND
    receipt_id = getattr(body, "receipt_id", "")
    receipt = run.ledger.load([DocKey("receipts", receipt_id)]).get(DocKey("receipts", receipt_id))
    if receipt is None or not receipt.xero_id:
        return NOT_FOUND
    for path, collection in (("/BatchPayments/", "BatchPayments"), ("/Payments/", "Payments")):
        record = _find_one(run, path + receipt.xero_id, collection)
        if record is not None:
            deleted = record.get("Status") == "DELETED"
            return (
                Posted(receipt.xero_id, note="found deleted in Xero after an unknown outcome") if deleted else NOT_FOUND
            )
    return NOT_FOUND


def _record_path(dataset: str, xero_id: str) -> tuple[str, str]:
    if dataset == "bills":
        return f"/Invoices/{xero_id}", "Invoices"
    if dataset in {"credit_notes", "write_offs"}:
        return f"/CreditNotes/{xero_id}", "CreditNotes"
    return f"/Payments/{xero_id}", "Payments"
