"""One step per dataset, in posting order: what each document becomes in Xero and how its answer is read.

Batches of at most 50 go with `summarizeErrors=false`, so each element answers for itself: its
Xero id, or Xero's messages (recorded with the action a person takes), or a warning kept beside
the id. Every write carries an Idempotency-Key made of the entity, the operation and each
document's key and version (cynare.domain.idempotency).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cynare.domain import xero_requests as requests
from cynare.domain.documents import (
    Allocation,
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
from cynare.domain.holds import Hold, HoldKind, MappingBook
from cynare.domain.idempotency import idempotency_key
from cynare.domain.lifecycle import State, StoredDocument, attempt_number
from cynare.domain.xero_replies import ElementOutcome, element_outcomes, refusal_action, total_mismatch
from cynare.service_layer.posting.contacts import Conflict, ContactBook, Found, XeroContact
from cynare.service_layer.posting.ledger import Ledger, Outcome, Posted, Progressed, Refusal
from cynare.service_layer.posting.sender import Refused, Sender

BATCH = 50  # Xero's most per request
BATCHED = {"summarizeErrors": "false"}
WITH_UNIT_DP = {"summarizeErrors": "false", "unitdp": "4"}


@dataclass
class Run:
    entity: str
    base_currency: str
    ledger: Ledger
    sender: Sender
    book: MappingBook
    clock: Callable[[], datetime]
    contacts: ContactBook | None = None

    def key(self, operation: str, documents: Sequence[StoredDocument]) -> str:
        return idempotency_key(
            self.entity, operation, [(s.document.key, s.document.version, attempt_number(s)) for s in documents]
        )

    def contact_id(self, client_id: str) -> str:
        return self.ledger.xero_id(DocKey("clients", client_id))

    def invoice_id(self, bill_id: str) -> str:
        return self.ledger.xero_id(DocKey("bills", bill_id))


def in_batches(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def refusal(messages: Sequence[str]) -> Refusal:
    said = "; ".join(dict.fromkeys(m.strip().rstrip(".") for m in messages if m.strip()))
    said = said or "Xero refused it without a message"
    return Refusal(f"Xero refused it: {said}. {refusal_action(messages)}")


def send_batch(
    run: Run,
    documents: Sequence[StoredDocument],
    elements: Sequence[dict[str, Any]],
    *,
    method: str,
    path: str,
    collection: str,
    operation: str,
    params: dict[str, str] = BATCHED,
    read: Callable[[StoredDocument, ElementOutcome, dict[str, Any]], Outcome] | None = None,
) -> None:
    """Send up to 50 elements as one call and record each document's outcome from its own element."""
    started = run.ledger.begin(documents)
    if not started:
        return
    kept = {s.document.key for s in started}
    pairs = [(s, e) for s, e in zip(documents, elements, strict=True) if s.document.key in kept]
    started_by_key = {s.document.key: s for s in started}
    body = requests.batch_of(collection, [element for _, element in pairs])
    try:
        reply = run.sender.write(method, path, body, run.key(operation, started), params)
    except Refused as refused:
        run.ledger.finish([(started_by_key[s.document.key], refusal(refused.messages)) for s, _ in pairs])
        return
    outcomes = element_outcomes(reply.body, collection)
    raw = reply.body.get(collection) or []
    results: list[tuple[StoredDocument, Outcome]] = []
    for index, ((stored, _), outcome) in enumerate(zip(pairs, outcomes, strict=True)):
        current = started_by_key[stored.document.key]
        element = raw[index] if index < len(raw) else {}
        if not outcome.ok:
            results.append((current, refusal(outcome.messages)))
        elif read is not None:
            results.append((current, read(current, outcome, element)))
        else:
            results.append((current, Posted(outcome.xero_id, outcome.number, "; ".join(outcome.warnings))))
    run.ledger.finish(results)


def sendable(
    run: Run, documents: Sequence[StoredDocument], going_with: frozenset[DocKey] = frozenset()
) -> list[StoredDocument]:
    """Documents whose every dependency is in Xero (or goes in the same call); the others wait, saying on what."""
    ready: list[StoredDocument] = []
    judged: list[tuple[StoredDocument, tuple[Hold, ...]]] = []
    for stored in documents:
        holds = tuple(h for h in run.ledger.dependency_holds(stored)
                      if not (h.kind is HoldKind.NOT_IN_XERO and DocKey.parse(h.subject) in going_with))  # fmt: skip
        if holds or stored.state is State.WAITING:  # a waiting one released now is saved ready first
            judged.append((stored, holds))
        if not holds:
            ready.append(stored)
    run.ledger.hold(judged)
    return ready


# -- clients ---------------------------------------------------------------------------------------------


def post_clients(run: Run, documents: Sequence[StoredDocument]) -> None:
    creates: list[tuple[StoredDocument, dict[str, Any]]] = []
    updates: list[tuple[StoredDocument, dict[str, Any]]] = []
    settled: list[tuple[StoredDocument, Outcome]] = []
    for stored in documents:
        client = stored.document.body
        assert isinstance(client, Client)
        if stored.xero_id:
            updates.append((stored, {"ContactID": stored.xero_id, **requests.contact(client)}))
            continue
        if run.contacts is None:
            run.contacts = ContactBook(run.sender)
        match = run.contacts.match(client)
        if isinstance(match, Found) and match.adopt:
            updates.append((stored, {"ContactID": match.contact_id, "ContactNumber": client.client_id}))
        elif isinstance(match, Found):
            settled.append((stored, Posted(match.contact_id, note=match.how)))
        elif isinstance(match, Conflict):
            settled.append((stored, Refusal(f"conflict with a contact in Xero: {match.reason}")))
        else:
            creates.append((stored, {**requests.contact(client), "Name": match.name}))
    if settled:
        started = {s.document.key: s for s in run.ledger.begin([s for s, _ in settled])}
        run.ledger.finish([(started[s.document.key], o) for s, o in settled if s.document.key in started])
    for batch in in_batches(creates):
        send_batch(run, [s for s, _ in batch], [e for _, e in batch], method="PUT", path="/Contacts",
                   collection="Contacts", operation="contacts-create", read=_remember_contact(run))  # fmt: skip
    for batch in in_batches(updates):
        send_batch(run, [s for s, _ in batch], [e for _, e in batch], method="POST", path="/Contacts",
                   collection="Contacts", operation="contacts-update")  # fmt: skip


def _remember_contact(run: Run) -> Callable[[StoredDocument, ElementOutcome, dict[str, Any]], Outcome]:
    def read(stored: StoredDocument, outcome: ElementOutcome, element: dict[str, Any]) -> Outcome:
        client = stored.document.body
        assert isinstance(client, Client)
        if run.contacts is not None:  # a later client of the same name in this run meets it
            run.contacts.add(XeroContact(outcome.xero_id, client.client_id, client.name, client.email or "", False))
        return Posted(outcome.xero_id, note="; ".join(outcome.warnings))

    return read


# -- bills, credit notes, write-offs --------------------------------------------------------------------


def post_bills(run: Run, documents: Sequence[StoredDocument]) -> None:
    _post_invoice_like(run, documents, "/Invoices", "Invoices", "invoices", "InvoiceID", _bill_element)


def post_credit_notes(run: Run, documents: Sequence[StoredDocument]) -> None:
    _post_invoice_like(run, documents, "/CreditNotes", "CreditNotes", "credit-notes", "CreditNoteID", _credit_element)


def _bill_element(run: Run, stored: StoredDocument) -> dict[str, Any]:
    bill = stored.document.body
    assert isinstance(bill, Bill)
    return requests.invoice(bill, run.book, run.contact_id(bill.client_id), run.base_currency)


def _credit_element(run: Run, stored: StoredDocument) -> dict[str, Any]:
    note = stored.document.body
    assert isinstance(note, CreditNote)
    return requests.credit_note(note, run.book, run.contact_id(note.client_id), run.base_currency)


def _post_invoice_like(
    run: Run,
    documents: Sequence[StoredDocument],
    path: str,
    collection: str,
    operation: str,
    id_field: str,
    build: Callable[[Run, StoredDocument], dict[str, Any]],
) -> None:
    def read(stored: StoredDocument, outcome: ElementOutcome, element: dict[str, Any]) -> Outcome:
        body = stored.document.body
        total = getattr(body, "total", None)
        notes = [*outcome.warnings]
        if total is not None and (mismatch := total_mismatch(total, element)):
            notes.append(mismatch)
        return Posted(outcome.xero_id, outcome.number, "; ".join(notes))

    new = [s for s in documents if not s.xero_id]
    changed = [s for s in documents if s.xero_id]
    for batch in in_batches(new):
        send_batch(run, batch, [build(run, s) for s in batch], method="PUT", path=path, collection=collection,
                   operation=f"{operation}-create", params=WITH_UNIT_DP, read=read)  # fmt: skip
    for batch in in_batches(changed):
        elements = [{id_field: s.xero_id, **build(run, s)} for s in batch]
        send_batch(run, batch, elements, method="POST", path=path, collection=collection,
                   operation=f"{operation}-update", params=WITH_UNIT_DP, read=read)  # fmt: skip


def post_write_offs(run: Run, documents: Sequence[StoredDocument]) -> None:
    """A write-off is a credit note to the bad-debt account (one batch call), then its allocation to the bill."""

    def read(stored: StoredDocument, outcome: ElementOutcome, element: dict[str, Any]) -> Outcome:
        return Progressed(outcome.xero_id, f"credit note {outcome.number} in Xero; to be allocated to its bill")

    def build(stored: StoredDocument) -> dict[str, Any]:
        body = stored.document.body
        assert isinstance(body, WriteOff)
        return requests.write_off_credit_note(body, run.book, run.contact_id(body.client_id), run.base_currency)

    new = [s for s in documents if not s.xero_id]
    for batch in in_batches(new):
        send_batch(run, batch, [build(s) for s in batch], method="PUT", path="/CreditNotes", collection="CreditNotes",
                   operation="write-offs-create", params=WITH_UNIT_DP, read=read)  # fmt: skip
    allocate_write_offs(run, [s.document.key for s in documents])


def allocate_write_offs(run: Run, keys: Sequence[DocKey]) -> None:
    """The second call of each write-off whose credit note is in Xero and not yet allocated."""
    for stored in run.ledger.load(keys).values():
        if stored.state is not State.POSTING or not stored.xero_id:
            continue
        body = stored.document.body
        assert isinstance(body, WriteOff)
        element = requests.allocation(body.amount, run.invoice_id(body.bill_id), body.date)
        _allocate(run, stored, f"/CreditNotes/{stored.xero_id}/Allocations", element, "write-off-allocate",
                  keep_id=stored.xero_id)  # fmt: skip


def _allocate(
    run: Run, stored: StoredDocument, path: str, body: dict[str, Any], operation: str, keep_id: str = ""
) -> None:
    """One allocation call for a document already `posting`; its outcome recorded."""
    try:
        reply = run.sender.write("PUT", path, body, run.key(operation, [stored]), BATCHED)
    except Refused as refused:
        run.ledger.finish([(stored, refusal(refused.messages))])
        return
    outcome = element_outcomes(reply.body, "Allocations")[0]
    result: Outcome = (
        Posted(keep_id or outcome.xero_id, note="allocated to its bill") if outcome.ok else refusal(outcome.messages)
    )
    run.ledger.finish([(stored, result)])


# -- receipts ---------------------------------------------------------------------------------------------


def bills_reopened_by(run: Run, returns: Sequence[StoredDocument]) -> frozenset[str]:
    """The bills the ready returned receipts will reopen (the bills of their receipts' allocations)."""
    bills: set[str] = set()
    for stored in returns:
        body = stored.document.body
        assert isinstance(body, ReturnedReceipt)
        named = {part.bill_id for part in body.parts}
        for child in run.ledger.work.documents.children("receipt_allocations", body.receipt_id):
            allocated = child.document.body
            assert isinstance(allocated, ReceiptAllocation)
            if not named or allocated.bill_id in named:
                bills.add(allocated.bill_id)
    return frozenset(bills)


def post_receipts(
    run: Run,
    receipts: Sequence[StoredDocument],
    allocations: Sequence[StoredDocument],
    defer_bills: frozenset[str] = frozenset(),
    returning: frozenset[str] = frozenset(),
) -> None:
    """A receipt for one bill is a payment; for several, one batch payment (one line on the bank statement).

    An allocation that arrives after its receipt is in Xero goes as a payment of its own, with the
    receipt's reference.
    """
    if defer_bills:
        deferred = {a.document.body.receipt_id for a in allocations  # type: ignore[union-attr]
                    if a.document.body.bill_id in defer_bills  # type: ignore[union-attr]
                    and a.document.body.receipt_id not in returning}  # type: ignore[union-attr]  # fmt: skip
        receipts = [r for r in receipts if r.document.body.receipt_id not in deferred]  # type: ignore[union-attr]
        allocations = [a for a in allocations if a.document.body.receipt_id not in deferred]  # type: ignore[union-attr]
    receipts = sendable(run, receipts)
    by_receipt: dict[str, list[StoredDocument]] = {}
    for stored in sendable(run, allocations, going_with=frozenset(r.document.key for r in receipts)):
        body = stored.document.body
        assert isinstance(body, ReceiptAllocation)
        by_receipt.setdefault(body.receipt_id, []).append(stored)
    singles: list[tuple[StoredDocument, StoredDocument | None, dict[str, Any]]] = []
    batches: list[tuple[StoredDocument, list[StoredDocument], dict[str, Any]]] = []
    for receipt in receipts:
        body = receipt.document.body
        assert isinstance(body, Receipt)
        parts = by_receipt.pop(body.receipt_id, [])
        account = run.book.bank[body.bank_account]
        if len(parts) == 1:
            part = parts[0].document.body
            assert isinstance(part, ReceiptAllocation)
            singles.append(
                (
                    receipt,
                    parts[0],
                    requests.payment(body, part, run.invoice_id(part.bill_id), account, run.base_currency),
                )
            )
        elif parts:
            pairs = [(a, run.invoice_id(a.bill_id)) for a in _allocations(parts)]
            batches.append((receipt, parts, requests.batch_payment(body, pairs, account, run.base_currency)))
    # Allocations whose receipt is already in Xero: a payment each, with the receipt's reference.
    for receipt_id, parts in by_receipt.items():
        parent = run.ledger.load([DocKey("receipts", receipt_id)]).get(DocKey("receipts", receipt_id))
        if parent is None or parent.state is not State.POSTED:
            continue
        body = parent.document.body
        assert isinstance(body, Receipt)
        for part_doc in parts:
            part = part_doc.document.body
            assert isinstance(part, ReceiptAllocation)
            element = requests.payment(
                body, part, run.invoice_id(part.bill_id), run.book.bank[body.bank_account], run.base_currency
            )
            singles.append((part_doc, None, element))
    for chunk in in_batches(singles):
        _send_payments(run, chunk)
    for chunk in in_batches(batches):
        _send_batch_payments(run, chunk)


def _allocations(parts: Sequence[StoredDocument]) -> list[ReceiptAllocation]:
    bodies = [p.document.body for p in parts]
    assert all(isinstance(b, ReceiptAllocation) for b in bodies)
    return bodies  # type: ignore[return-value]


def _send_payments(run: Run, chunk: Sequence[tuple[StoredDocument, StoredDocument | None, dict[str, Any]]]) -> None:
    documents = [d for first, second, _ in chunk for d in (first, second) if d is not None]
    started = {s.document.key: s for s in run.ledger.begin(documents)}
    sent = [(f, s, e) for f, s, e in chunk if f.document.key in started and (s is None or s.document.key in started)]
    if not sent:
        return
    body = requests.batch_of("Payments", [e for _, _, e in sent])
    try:
        reply = run.sender.write("PUT", "/Payments", body, run.key("payments", list(started.values())), BATCHED)
    except Refused as refused:
        run.ledger.finish([(s, refusal(refused.messages)) for s in started.values()])
        return
    results: list[tuple[StoredDocument, Outcome]] = []
    for (first, second, _), outcome in zip(sent, element_outcomes(reply.body, "Payments"), strict=True):
        for stored in (first, second):
            if stored is None:
                continue
            current = started[stored.document.key]
            results.append((current, Posted(outcome.xero_id) if outcome.ok else refusal(outcome.messages)))
    run.ledger.finish(results)


def _send_batch_payments(
    run: Run, chunk: Sequence[tuple[StoredDocument, list[StoredDocument], dict[str, Any]]]
) -> None:
    documents = [d for receipt, parts, _ in chunk for d in (receipt, *parts)]
    started = {s.document.key: s for s in run.ledger.begin(documents)}
    sent = [(r, p, e) for r, p, e in chunk if all(d.document.key in started for d in (r, *p))]
    if not sent:
        return
    body = requests.batch_of("BatchPayments", [e for _, _, e in sent])
    try:
        reply = run.sender.write("PUT", "/BatchPayments", body, run.key("batch-payments", list(started.values())),
                                 BATCHED)  # fmt: skip
    except Refused as refused:
        run.ledger.finish([(s, refusal(refused.messages)) for s in started.values()])
        return
    raw = reply.body.get("BatchPayments") or []
    results: list[tuple[StoredDocument, Outcome]] = []
    for index, ((receipt, parts, _), outcome) in enumerate(
        zip(sent, element_outcomes(reply.body, "BatchPayments"), strict=True)
    ):
        if not outcome.ok:
            results += [(started[d.document.key], refusal(outcome.messages)) for d in (receipt, *parts)]
            continue
        payment_ids = {
            str((p.get("Invoice") or {}).get("InvoiceID")): str(p.get("PaymentID"))
            for p in (raw[index].get("Payments") or [])
        }
        results.append((started[receipt.document.key], Posted(outcome.xero_id, note="as one batch payment")))
        for part in parts:
            allocated = part.document.body
            assert isinstance(allocated, ReceiptAllocation)
            payment_id = payment_ids.get(run.invoice_id(allocated.bill_id), "")
            results.append((started[part.document.key], Posted(payment_id, note=f"in batch payment {outcome.xero_id}")))
    run.ledger.finish(results)


# -- returned receipts, unallocated cash, allocations, cancellations ----------------------------------------------


def post_returned_receipts(run: Run, documents: Sequence[StoredDocument]) -> None:
    for stored in documents:
        body = stored.document.body
        assert isinstance(body, ReturnedReceipt)
        targets = _payments_to_delete(run, body)
        if isinstance(targets, Refusal):
            started = run.ledger.begin([stored])
            if started:
                run.ledger.finish([(started[0], targets)])
            continue
        started = run.ledger.begin([stored])
        if not started:
            continue
        current = started[0]
        outcome: Outcome = Posted(targets[-1][1], note="payment deleted in Xero; the bills are open again")
        for path, xero_id in targets:
            try:
                run.sender.write("POST", path, requests.delete_payment(), run.key(f"delete-{xero_id}", [current]))
            except Refused as refused:
                outcome = refusal(refused.messages)
                break
        run.ledger.finish([(current, outcome)])


def _payments_to_delete(run: Run, body: ReturnedReceipt) -> list[tuple[str, str]] | Refusal:
    receipt = run.ledger.load([DocKey("receipts", body.receipt_id)]).get(DocKey("receipts", body.receipt_id))
    if receipt is None or not receipt.xero_id:
        return Refusal(f"receipt {body.receipt_id} is not in Xero, so there is nothing to reverse there")
    if not body.parts:
        return [(_payment_path(run, receipt.xero_id), receipt.xero_id)]
    keys = [DocKey("receipt_allocations", f"{body.receipt_id}|{part.bill_id}") for part in body.parts]
    found = run.ledger.load(keys)
    targets = []
    for key in keys:
        part = found.get(key)
        if part is None or not part.xero_id:
            return Refusal(f"{key} is not in Xero, so there is nothing to reverse there")
        if part.xero_id != receipt.xero_id and _payment_path(run, receipt.xero_id).startswith("/BatchPayments"):
            return Refusal(
                f"the receipt went to Xero as one batch payment, and Xero cannot delete one payment of a batch: "
                f"delete batch payment {receipt.xero_id} in Xero and record the rest of the receipt again, "
                "or return the whole receipt in the PMS"
            )
        targets.append((f"/Payments/{part.xero_id}", part.xero_id))
    return targets


def post_unallocated(run: Run, documents: Sequence[StoredDocument]) -> None:
    def build(stored: StoredDocument) -> dict[str, Any]:
        body = stored.document.body
        assert isinstance(body, UnallocatedReceipt)
        account = run.book.bank[body.bank_account]
        return requests.overpayment(body, run.contact_id(body.client_id), account, run.base_currency)

    for batch in in_batches([s for s in documents if not s.xero_id]):
        send_batch(run, batch, [build(s) for s in batch], method="PUT", path="/BankTransactions",
                   collection="BankTransactions", operation="overpayments-create")  # fmt: skip
    for stored in documents:
        if stored.xero_id:  # changed after it reached Xero: such bank transactions cannot be updated
            started = run.ledger.begin([stored])
            if started:
                reason = ("unallocated cash already in Xero cannot be changed there: reverse it in the PMS with a "
                          "cancellation and record it again")  # fmt: skip
                run.ledger.finish([(started[0], Refusal(reason))])


def post_allocations(run: Run, documents: Sequence[StoredDocument]) -> None:
    for stored in documents:
        body = stored.document.body
        assert isinstance(body, Allocation)
        started = run.ledger.begin([stored])
        if started:
            element = requests.allocation(body.amount, run.invoice_id(body.bill_id), body.date)
            _allocate(run, started[0], allocation_source_path(run, stored), element, "allocate")


def post_cancellations(run: Run, documents: Sequence[StoredDocument]) -> None:
    """Void in Xero what can be voided; what cannot becomes an exception with the action to take."""
    for stored in documents:
        body = stored.document.body
        assert isinstance(body, Cancellation)
        target = run.ledger.load([body.target]).get(body.target)
        started = run.ledger.begin([stored])
        if not started or target is None:
            continue
        current = started[0]
        call = _void_call(run, target)
        if isinstance(call, Refusal):
            run.ledger.finish([(current, call)])
            continue
        method, path, payload = call
        try:
            run.sender.write(method, path, payload, run.key("void", [current]))
        except Refused as refused:
            run.ledger.finish([(current, refusal(refused.messages))])
            continue
        # The target first: a crash between the two leaves the cancellation `posting`, settled by the lookup.
        run.ledger.cancel_target(target, f"cancelled in the PMS on {body.date} ({body.reason}); voided in Xero")
        run.ledger.finish([(current, Posted(target.xero_id, note=f"{body.target} voided in Xero"))])


def _void_call(run: Run, target: StoredDocument) -> tuple[str, str, dict[str, Any] | None] | Refusal:
    dataset, xero_id = target.document.key.dataset, target.xero_id
    if dataset == "bills":
        return "POST", f"/Invoices/{xero_id}", requests.void_invoice(xero_id)
    if dataset in {"credit_notes", "write_offs"}:
        return "POST", f"/CreditNotes/{xero_id}", requests.void_credit_note(xero_id)
    if dataset == "receipts":
        return "POST", _payment_path(run, xero_id), requests.delete_payment()
    if dataset == "allocations":  # un-applied: the credit or cash is free again, the bill owes again
        return "DELETE", f"{allocation_source_path(run, target)}/{xero_id}", None
    return Refusal(
        f"{dataset.replace('_', ' ')} in Xero cannot be reversed through the API: reverse it in Xero by hand, "
        "then skip this cancellation with a note (cynare exceptions skip)"
    )


def allocation_source(run: Run, stored: StoredDocument) -> tuple[str, str]:
    """The credit note or overpayment an allocation applies: its collection and its record's path."""
    body = stored.document.body
    assert isinstance(body, Allocation)
    resource = "CreditNotes" if body.source.dataset == "credit_notes" else "Overpayments"
    return resource, f"/{resource}/{run.ledger.xero_id(body.source)}"


def allocation_source_path(run: Run, stored: StoredDocument) -> str:
    """The Allocations of the credit note or overpayment an allocation applies."""
    return f"{allocation_source(run, stored)[1]}/Allocations"


def _payment_path(run: Run, xero_id: str) -> str:
    """A receipt's Xero id is a batch payment's (several bills) or a payment's (one bill): Xero says which."""
    try:
        run.sender.read(f"/BatchPayments/{xero_id}")
    except Refused:  # 404: not a batch payment
        return f"/Payments/{xero_id}"
    return f"/BatchPayments/{xero_id}"


def leave_cash_to_xero(run: Run, documents: Sequence[StoredDocument]) -> None:
    """An entity whose receipts are recorded in Xero (bank feed): the PMS's own are not posted, and say why."""
    if not documents:
        return
    note = (f"{run.entity}'s receipts are recorded in Xero from the bank feed (receipts_from \"xero\" in "
            "CYNARE_ENTITIES) and written back to the PMS, so the PMS's own are not posted")  # fmt: skip
    run.ledger.settle_outside(documents, "the entity's settings", note)
