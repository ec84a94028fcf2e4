"""Batch payments: several invoices paid as one bank line (`PUT`/`GET /BatchPayments`) and their deletion.

A batch carries the bank Account, the Date and a Reference for all its payments; each payment names
an Invoice and an Amount and passes the same checks as `PUT /Payments`. A batch is saved whole or not
at all. Its payments cannot be deleted one by one; deleting the batch (`POST /BatchPayments` with
`{"BatchPaymentID", "Status": "DELETED"}`, or `POST /BatchPayments/{id}` with `{"Status": "DELETED"}`)
deletes them all and gives each invoice its amount due back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from cynare.sandbox.xero import documents, messages, payments, query, render_payments
from cynare.sandbox.xero.call import Call, run_batch
from cynare.sandbox.xero.errors import not_found, refused
from cynare.sandbox.xero.money import ZERO_CENTS
from cynare.sandbox.xero.state import Account, BatchPayment

_TYPES = {"ACCREC": "RECBATCH", "ACCPAY": "PAYBATCH"}


def _text(raw: Any) -> str | None:
    return str(raw) if raw not in (None, "") else None


def _drafts(
    call: Call, account: Account, when: date, raw_payments: list[Any]
) -> tuple[list[payments.Draft], list[str]]:
    errors: list[str] = []
    drafts: list[payments.Draft] = []
    pending: dict[str, Decimal] = {}
    for raw in raw_payments:
        if not isinstance(raw, dict) or not isinstance(raw.get("Invoice"), dict):
            errors.append(messages.BATCH_INVOICES_ONLY)
            continue
        draft, found = payments.prepare(call, raw, account, when, pending)
        errors.extend(found)
        if draft is not None:
            drafts.append(draft)
            key = payments.target_id(draft.target)
            pending[key] = pending.get(key, ZERO_CENTS) + draft.amount
    if len({d.target.type for d in drafts}) > 1:
        errors.append(messages.BATCH_MIXED_TYPES)
    return drafts, list(dict.fromkeys(errors))


def record(call: Call, el: dict[str, Any]) -> tuple[BatchPayment | None, list[str]]:
    """Check a whole batch, then save it and its payments; the API's path and a person's in Xero."""
    tenant = call.tenant
    errors: list[str] = []
    account = payments.payable_account(tenant, el.get("Account"))
    if account is None:
        errors.append(messages.PAYMENT_ACCOUNT_INVALID)
    when = documents.read_date(el.get("Date"), "Date", errors) or call.today
    raw_payments = el.get("Payments")
    if not isinstance(raw_payments, list) or not raw_payments:
        errors.append(messages.BATCH_NO_PAYMENTS)
    if errors or account is None or not isinstance(raw_payments, list):
        return None, errors
    drafts, errors = _drafts(call, account, when, raw_payments)
    if errors:
        return None, errors
    invoice_type = drafts[0].target.type
    batch = BatchPayment(
        batch_payment_id=documents.new_id(),
        account_code=account.code,
        date=when,
        type=_TYPES.get(invoice_type, "RECBATCH"),
        updated=call.now,
        reference=_text(el.get("Reference")),
        details=_text(el.get("Details")),
        narrative=_text(el.get("Narrative")),
    )
    tenant.batch_payments[batch.batch_payment_id] = batch
    for draft in drafts:
        draft.reference = draft.reference or batch.reference
        batch.payment_ids.append(payments.commit(call, draft, batch.batch_payment_id).payment_id)
    detail = f"Batch payment of {len(drafts)} payments on {when}."
    tenant.note(batch.batch_payment_id, "Created", detail, call.now, call.user)
    return batch, []


def _create(call: Call, el: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    batch, errors = record(call, el)
    return (render_payments.batch_payment(call.tenant, batch), []) if batch else (None, errors)


def create(call: Call) -> dict[str, Any]:
    elements = call.elements("BatchPayments")
    return run_batch(call, "BatchPayments", "HasValidationErrors", elements, lambda el: _create(call, el))


def _delete(call: Call, batch: BatchPayment, element: dict[str, Any]) -> dict[str, Any]:
    shown = {"BatchPaymentID": batch.batch_payment_id, "Status": element.get("Status")}
    if element.get("Status") != "DELETED":
        raise refused([messages.BATCH_STATUS_ONLY], shown)
    errors: list[str] = []
    if batch.status == "DELETED":
        errors.append(messages.BATCH_ALREADY_DELETED)
    elif batch.is_reconciled:
        errors.append(messages.BATCH_RECONCILED_DELETE)
    else:
        documents.check_lock(call.tenant, batch.date, errors)
    if errors:
        raise refused(errors, shown)
    for payment_id in batch.payment_ids:
        payment = call.tenant.payments[payment_id]
        if payment.status != "DELETED":
            payments.remove(call, payment)
    batch.status = "DELETED"
    batch.updated = call.now
    call.tenant.note(batch.batch_payment_id, "Deleted", "Batch payment deleted.", call.now, call.user)
    return {"BatchPayments": [render_payments.batch_payment(call.tenant, batch)]}


def _element(call: Call) -> dict[str, Any]:
    body = call.body if isinstance(call.body, dict) else {}
    listed = body.get("BatchPayments")
    if isinstance(listed, list) and listed and isinstance(listed[0], dict):
        return listed[0]
    return body


def delete_by_body(call: Call) -> dict[str, Any]:
    """`POST /BatchPayments` with `{"BatchPaymentID": ..., "Status": "DELETED"}`."""
    element = _element(call)
    key = str(element.get("BatchPaymentID") or "")
    if not key:
        raise refused([messages.BATCH_ID_REQUIRED], element)
    batch = call.tenant.batch_payments.get(key.lower())
    if batch is None:
        raise refused([messages.not_found("Batch payment", key)], element)
    return _delete(call, batch, element)


def _by_path(call: Call) -> BatchPayment:
    batch = call.tenant.batch_payments.get(call.params["BatchPaymentID"].lower())
    if batch is None:
        raise not_found()
    return batch


def delete_by_path(call: Call) -> dict[str, Any]:
    """`POST /BatchPayments/{BatchPaymentID}` with `{"Status": "DELETED"}`."""
    return _delete(call, _by_path(call), _element(call))


def get_one(call: Call) -> dict[str, Any]:
    return {"BatchPayments": [render_payments.batch_payment(call.tenant, _by_path(call))]}


def get_many(call: Call) -> dict[str, Any]:
    return query.listing(
        call,
        "BatchPayments",
        call.tenant.batch_payments.values(),
        lambda b: b.updated,
        lambda b: render_payments.batch_payment(call.tenant, b),
    )
