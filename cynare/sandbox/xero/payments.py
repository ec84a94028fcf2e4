"""Payments against invoices: batch create, delete through `Status: DELETED`, reads."""

from __future__ import annotations

from typing import Any

from cynare.sandbox.xero import documents, invoices, messages, query, render
from cynare.sandbox.xero.call import Call, run_batch
from cynare.sandbox.xero.errors import not_found, refused
from cynare.sandbox.xero.money import cents, places, to_decimal
from cynare.sandbox.xero.settlement import settle_invoice
from cynare.sandbox.xero.state import Account, Payment, Tenant


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


def record(
    call: Call, el: dict[str, Any], batch_payment_id: str | None = None, reconciled: bool = False
) -> tuple[Payment | None, list[str]]:
    """Check and save one payment; the shared path of the API and of receipts entered in Xero."""
    tenant = call.tenant
    errors: list[str] = []
    raw_invoice = el.get("Invoice")
    invoice = invoices.find(tenant, raw_invoice) if isinstance(raw_invoice, dict) else None
    if invoice is None:
        if isinstance(el.get("CreditNote"), dict) or isinstance(el.get("Overpayment"), dict):
            return None, ["The emulator takes payments against invoices only"]
        return None, [messages.not_found("Invoice", str((raw_invoice or {}).get("InvoiceID", "")))]
    account = payable_account(tenant, el.get("Account"))
    if account is None:
        errors.append(messages.PAYMENT_ACCOUNT_INVALID)
    amount = to_decimal(el.get("Amount"))
    when = documents.read_date(el.get("Date"), "Date", errors) or call.today
    if invoice.status != "AUTHORISED":
        errors.append(messages.NOT_AUTHORISED_FOR_PAYMENT)
    elif amount is None or amount <= 0:
        errors.append(messages.AMOUNT_POSITIVE)
    elif cents(amount) > invoice.amount_due:
        errors.append(messages.PAYMENT_EXCEEDS)
    documents.check_lock(tenant, when, errors)
    rate = to_decimal(el.get("CurrencyRate"))
    if errors or amount is None or account is None:
        return None, errors
    if invoice.currency_code == tenant.base_currency:
        rate = None
    payment = Payment(
        payment_id=documents.new_id(),
        invoice_id=invoice.invoice_id,
        account_code=account.code,
        date=when,
        amount=cents(amount),
        currency_rate=places(rate, 6) if rate else invoice.currency_rate,
        updated=call.now,
        reference=el.get("Reference"),
        batch_payment_id=batch_payment_id,
        is_reconciled=reconciled or bool(el.get("IsReconciled")),
        payment_type="ACCRECPAYMENT" if invoice.type == "ACCREC" else "ACCPAYPAYMENT",
    )
    tenant.payments[payment.payment_id] = payment
    invoice.amount_paid += payment.amount
    invoice.payment_ids.append(payment.payment_id)
    settle_invoice(invoice, when, call.now)
    detail = f"Payment received from {render.contact_ref(tenant, invoice.contact_id).get('Name')} on {when} for {payment.amount}."
    tenant.note(invoice.invoice_id, "Payment Received", detail, call.now, call.user)
    tenant.note(payment.payment_id, "Created", detail, call.now, call.user)
    return payment, []


def _create(call: Call, el: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    payment, errors = record(call, el)
    return (render.payment(call.tenant, payment), []) if payment else (None, errors)


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
        raise refused(["Payments can only be changed by setting Status to DELETED"], {"PaymentID": payment.payment_id})
    errors = delete_errors(call.tenant, payment)
    if errors:
        raise refused(errors, {"PaymentID": payment.payment_id, "Status": "DELETED"})
    remove(call, payment)
    return {"Payments": [render.payment(call.tenant, payment)]}


def remove(call: Call, payment: Payment) -> None:
    """A deleted payment gives the invoice back its amount due (PAID returns to AUTHORISED)."""
    tenant = call.tenant
    invoice = tenant.invoices[payment.invoice_id]
    payment.status = "DELETED"
    payment.updated = call.now
    invoice.amount_paid -= payment.amount
    settle_invoice(invoice, call.today, call.now)
    detail = f"Payment of {payment.amount} on {payment.date} deleted."
    tenant.note(invoice.invoice_id, "Payment Deleted", detail, call.now, call.user)
    tenant.note(payment.payment_id, "Deleted", detail, call.now, call.user)


def get_one(call: Call) -> dict[str, Any]:
    return {"Payments": [render.payment(call.tenant, _by_path(call))]}


def get_many(call: Call) -> dict[str, Any]:
    return query.listing(
        call, "Payments", call.tenant.payments.values(), lambda p: p.updated, lambda p: render.payment(call.tenant, p)
    )
