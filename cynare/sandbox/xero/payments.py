"""Payments: of invoices, and refunds of credit notes and overpayments; delete by `Status: DELETED`.

A payment is checked in full (`prepare`) before anything is saved (`commit`), so that a batch payment
can check all its payments first and save none when one is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cynare.sandbox.xero import documents, fx, invoices, messages, query, refunds, render_payments
from cynare.sandbox.xero.call import Call, run_batch
from cynare.sandbox.xero.errors import not_found, refused
from cynare.sandbox.xero.money import ZERO_CENTS, cents, to_decimal
from cynare.sandbox.xero.settlement import settle_invoice
from cynare.sandbox.xero.state import Account, CreditNote, Invoice, Payment, Tenant

Target = Invoice | refunds.Credit


@dataclass
class Draft:
    """A payment that passed every check and is not saved yet."""

    target: Target
    account: Account
    amount: Decimal
    when: date
    rate: Decimal
    bank_amount: Decimal
    reference: str | None
    reconciled: bool


def payable_account(tenant: Tenant, raw: Any) -> Account | None:
    if not isinstance(raw, dict):
        return None
    account = None
    if raw.get("AccountID"):
        account = tenant.account_by_id(str(raw["AccountID"]))
    elif raw.get("Code"):
        account = tenant.account_by_code(str(raw["Code"]))
    if account is None or account.status != "ACTIVE":
        return None
    return account if account.type == "BANK" or account.enable_payments else None


def find_target(tenant: Tenant, el: dict[str, Any]) -> tuple[Target | None, list[str]]:
    named = [key for key in ("Invoice", "CreditNote", "Overpayment") if isinstance(el.get(key), dict)]
    if len(named) > 1:
        return None, [messages.PAYMENT_ONE_DOCUMENT]
    if named and named[0] != "Invoice":
        return refunds.find(tenant, el)
    raw_invoice = el.get("Invoice") if named else None
    invoice = invoices.find(tenant, raw_invoice) if isinstance(raw_invoice, dict) else None
    if invoice is None:
        return None, [messages.not_found("Invoice", str((raw_invoice or {}).get("InvoiceID", "")))]
    return invoice, []


def outstanding(target: Target) -> Decimal:
    return target.amount_due if isinstance(target, Invoice) else target.remaining_credit


def target_id(target: Target) -> str:
    if isinstance(target, Invoice):
        return target.invoice_id
    return target.credit_note_id if isinstance(target, CreditNote) else target.overpayment_id


def prepare(
    call: Call,
    el: dict[str, Any],
    account: Account | None = None,
    when: date | None = None,
    pending: dict[str, Decimal] | None = None,
) -> tuple[Draft | None, list[str]]:
    """Check one payment element. A batch passes its own `account` and `when`, and in `pending` what its
    earlier payments already take from each document."""
    tenant = call.tenant
    errors: list[str] = []
    target, missing = find_target(tenant, el)
    if target is None:
        return None, missing
    if account is None:
        account = payable_account(tenant, el.get("Account"))
        if account is None:
            errors.append(messages.PAYMENT_ACCOUNT_INVALID)
    amount = to_decimal(el.get("Amount"))
    if when is None:
        when = documents.read_date(el.get("Date"), "Date", errors) or call.today
    taken = (pending or {}).get(target_id(target), ZERO_CENTS)
    if target.status != "AUTHORISED":
        errors.append(messages.NOT_AUTHORISED_FOR_PAYMENT)
    elif amount is None or amount <= 0:
        errors.append(messages.AMOUNT_POSITIVE)
    elif cents(amount) > outstanding(target) - taken:
        errors.append(messages.PAYMENT_EXCEEDS)
    documents.check_lock(tenant, when, errors)
    rate = fx.payment_rate(tenant, target.currency_code, el.get("CurrencyRate"), errors)
    if account is not None:
        fx.check_bank(tenant, account, target.currency_code, errors)
    if errors or amount is None or account is None:
        return None, errors
    amount = cents(amount)
    reference = el.get("Reference")
    return Draft(
        target=target,
        account=account,
        amount=amount,
        when=when,
        rate=rate,
        bank_amount=fx.bank_amount(tenant, account, target.currency_code, amount, rate),
        reference=str(reference) if reference is not None else None,
        reconciled=bool(el.get("IsReconciled")),
    ), []


def commit(call: Call, draft: Draft, batch_payment_id: str | None = None, reconciled: bool = False) -> Payment:
    tenant = call.tenant
    target = draft.target
    if isinstance(target, Invoice):
        kind = "ACCRECPAYMENT" if target.type == "ACCREC" else "ACCPAYPAYMENT"
    else:
        kind = refunds.payment_type(target)
    payment = Payment(
        payment_id=documents.new_id(),
        invoice_id=target.invoice_id if isinstance(target, Invoice) else "",
        account_code=draft.account.code,
        date=draft.when,
        amount=draft.amount,
        currency_rate=draft.rate,
        updated=call.now,
        reference=draft.reference,
        batch_payment_id=batch_payment_id,
        is_reconciled=reconciled or draft.reconciled,
        payment_type=kind,
        bank_amount=draft.bank_amount,
    )
    tenant.payments[payment.payment_id] = payment
    if not isinstance(target, Invoice):
        refunds.apply(call, payment, target)
        return payment
    target.amount_paid += payment.amount
    target.payment_ids.append(payment.payment_id)
    settle_invoice(target, draft.when, call.now)
    payer = render_payments.contact_name(tenant, target.contact_id)
    detail = f"Payment received from {payer} on {draft.when} for {payment.amount}."
    tenant.note(target.invoice_id, "Payment Received", detail, call.now, call.user)
    tenant.note(payment.payment_id, "Created", detail, call.now, call.user)
    return payment


def record(
    call: Call, el: dict[str, Any], batch_payment_id: str | None = None, reconciled: bool = False
) -> tuple[Payment | None, list[str]]:
    """Check and save one payment; the shared path of the API and of receipts entered in Xero."""
    draft, errors = prepare(call, el)
    if draft is None:
        return None, errors
    return commit(call, draft, batch_payment_id, reconciled), []


def _create(call: Call, el: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    payment, errors = record(call, el)
    return (render_payments.payment(call.tenant, payment), []) if payment else (None, errors)


def create_many(call: Call) -> dict[str, Any]:
    return run_batch(call, "Payments", "HasValidationErrors", call.elements("Payments"), lambda el: _create(call, el))


def create_one(call: Call) -> dict[str, Any]:
    """`POST /Payments` takes one bare Payment."""
    body = call.body if isinstance(call.body, dict) else {}
    element = body["Payments"][0] if isinstance(body.get("Payments"), list) and body["Payments"] else body
    return run_batch(call, "Payments", "HasValidationErrors", [element], lambda el: _create(call, el))


def _by_path(call: Call) -> Payment:
    payment = call.tenant.payments.get(call.params["PaymentID"].lower())
    if payment is None:
        raise not_found()
    return payment


def delete_errors(tenant: Tenant, payment: Payment) -> list[str]:
    if payment.status == "DELETED":
        return [messages.PAYMENT_ALREADY_DELETED]
    if payment.batch_payment_id:
        return [messages.PAYMENT_BATCH_DELETE]
    if payment.is_reconciled:
        return [messages.PAYMENT_RECONCILED_DELETE]
    errors: list[str] = []
    documents.check_lock(tenant, payment.date, errors)
    return errors


def delete(call: Call) -> dict[str, Any]:
    payment = _by_path(call)
    body = call.body if isinstance(call.body, dict) else {}
    element = body["Payments"][0] if isinstance(body.get("Payments"), list) and body["Payments"] else body
    if element.get("Status") != "DELETED":
        raise refused([messages.PAYMENT_STATUS_ONLY], {"PaymentID": payment.payment_id})
    errors = delete_errors(call.tenant, payment)
    if errors:
        raise refused(errors, {"PaymentID": payment.payment_id, "Status": "DELETED"})
    remove(call, payment)
    return {"Payments": [render_payments.payment(call.tenant, payment)]}


def remove(call: Call, payment: Payment) -> None:
    """A deleted payment gives its document back what it took (PAID returns to AUTHORISED)."""
    tenant = call.tenant
    payment.status = "DELETED"
    payment.updated = call.now
    credit = refunds.credit_of(tenant, payment)
    if credit is not None:
        refunds.unapply(call, payment, credit)
        return
    invoice = tenant.invoices[payment.invoice_id]
    invoice.amount_paid -= payment.amount
    settle_invoice(invoice, call.today, call.now)
    detail = f"Payment of {payment.amount} on {payment.date} deleted."
    tenant.note(invoice.invoice_id, "Payment Deleted", detail, call.now, call.user)
    tenant.note(payment.payment_id, "Deleted", detail, call.now, call.user)


def get_one(call: Call) -> dict[str, Any]:
    return {"Payments": [render_payments.payment(call.tenant, _by_path(call))]}


def get_many(call: Call) -> dict[str, Any]:
    return query.listing(
        call,
        "Payments",
        call.tenant.payments.values(),
        lambda p: p.updated,
        lambda p: render_payments.payment(call.tenant, p),
    )
