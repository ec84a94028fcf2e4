"""Bank transactions, and the overpayments that RECEIVE-OVERPAYMENT transactions create."""

from __future__ import annotations

from typing import Any

from cynare.sandbox.xero import documents, messages, query, render
from cynare.sandbox.xero.call import Call, run_batch
from cynare.sandbox.xero.errors import not_found, refused
from cynare.sandbox.xero.state import BankTransaction, Overpayment

TYPES = ("RECEIVE", "SPEND", "RECEIVE-OVERPAYMENT")


def _create(call: Call, el: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    tenant = call.tenant
    errors: list[str] = []
    kind = str(el.get("Type") or "")
    if kind not in TYPES:
        errors.append(f"Bank transaction Type must be one of {', '.join(TYPES)}")
    overpaying = kind == "RECEIVE-OVERPAYMENT"
    given = el.get("BankAccount")
    raw_bank: dict[str, Any] = given if isinstance(given, dict) else {}
    bank = None
    if raw_bank.get("AccountID"):
        bank = tenant.account_by_id(str(raw_bank["AccountID"]))
    elif raw_bank.get("Code"):
        bank = tenant.account_by_code(str(raw_bank["Code"]))
    if bank is None or bank.type != "BANK":
        errors.append("A valid BankAccount must be specified")
    contact = documents.resolve_contact(tenant, el.get("Contact"), call.now, errors)
    when = documents.read_date(el.get("Date"), "Date", errors) or call.today
    documents.check_lock(tenant, when, errors)
    currency, rate = documents.resolve_currency(tenant, el, errors)
    lat = documents.read_line_amount_types(el, errors, "NoTax" if overpaying else "Exclusive")
    raw_lines = el.get("LineItems")
    if overpaying:
        if lat != "NoTax":
            errors.append(messages.OVERPAYMENT_NO_TAX)
        if not isinstance(raw_lines, list) or len(raw_lines) != 1:
            errors.append(messages.OVERPAYMENT_ONE_LINE)
    # An overpayment line needs no account: Xero posts it to accounts receivable.
    lines = documents.read_lines(tenant, raw_lines, lat, 2, errors, need_account=not overpaying)
    if not lines:
        errors.append(messages.NO_LINE_ITEMS)
    if errors or contact is None or bank is None:
        return None, errors
    fields = documents.document_fields(
        contact, when, "AUTHORISED", lat, currency, rate, lines, call.now, el.get("Reference")
    )
    transaction = BankTransaction(
        **fields,
        bank_transaction_id=documents.new_id(),
        type=kind,
        bank_account_code=bank.code,
        is_reconciled=bool(el.get("IsReconciled")),
    )
    tenant.contacts.setdefault(contact.contact_id, contact)
    if overpaying:
        overpayment = Overpayment(
            **fields,
            overpayment_id=documents.new_id(),
            bank_transaction_id=transaction.bank_transaction_id,
        )
        tenant.overpayments[overpayment.overpayment_id] = overpayment
        transaction.overpayment_id = overpayment.overpayment_id
        tenant.note(
            overpayment.overpayment_id, "Created", f"Overpayment of {overpayment.total} received.", call.now, call.user
        )
    tenant.bank_transactions[transaction.bank_transaction_id] = transaction
    tenant.note(transaction.bank_transaction_id, "Created", f"{kind} of {transaction.total}.", call.now, call.user)
    return render.bank_transaction(tenant, transaction), []


def create(call: Call) -> dict[str, Any]:
    elements = call.elements("BankTransactions")
    return run_batch(call, "BankTransactions", "HasErrors", elements, lambda el: _create(call, el))


def update_or_create(call: Call) -> dict[str, Any]:
    def process(el: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
        if el.get("BankTransactionID"):
            return None, _update_errors(call, str(el["BankTransactionID"]))
        return _create(call, el)

    return run_batch(call, "BankTransactions", "HasErrors", call.elements("BankTransactions"), process)


def _transaction(call: Call, key: str) -> BankTransaction:
    found = call.tenant.bank_transactions.get(key.lower())
    if found is None:
        raise not_found()
    return found


def _update_errors(call: Call, key: str) -> list[str]:
    found = call.tenant.bank_transactions.get(key.lower())
    if found is None:
        return [messages.not_found("Bank transaction", key)]
    if found.overpayment_id:
        return [messages.BANK_TRANSACTION_NOT_EDITABLE]
    return ["The emulator does not edit bank transactions"]


def update_one(call: Call) -> dict[str, Any]:
    transaction = _transaction(call, call.params["BankTransactionID"])
    raise refused(
        _update_errors(call, transaction.bank_transaction_id), {"BankTransactionID": transaction.bank_transaction_id}
    )


def get_transaction(call: Call) -> dict[str, Any]:
    found = _transaction(call, call.params["BankTransactionID"])
    return {"BankTransactions": [render.bank_transaction(call.tenant, found)]}


def get_transactions(call: Call) -> dict[str, Any]:
    return query.listing(
        call,
        "BankTransactions",
        call.tenant.bank_transactions.values(),
        lambda b: b.updated,
        lambda b: render.bank_transaction(call.tenant, b),
    )


def get_overpayment(call: Call) -> dict[str, Any]:
    found = call.tenant.overpayments.get(call.params["OverpaymentID"].lower())
    if found is None:
        raise not_found()
    return {"Overpayments": [render.overpayment(call.tenant, found)]}


def get_overpayments(call: Call) -> dict[str, Any]:
    return query.listing(
        call,
        "Overpayments",
        call.tenant.overpayments.values(),
        lambda o: o.updated,
        lambda o: render.overpayment(call.tenant, o),
    )
