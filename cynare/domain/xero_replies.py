"""Reading Xero's answers: each element of a batch, totals Xero rounded otherwise, refusals for a person.

Pure, no I/O. Replies are parsed JSON with amounts as Decimal (the HTTP layer parses numbers so).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cynare.domain.money import Money

_EMPTY_ID = "00000000-0000-0000-0000-000000000000"  # Xero's id on an element it did not save

# Per collection: the id field and the field that names the element as we sent it.
_FIELDS: dict[str, tuple[str, str]] = {
    "Contacts": ("ContactID", "ContactNumber"),
    "Invoices": ("InvoiceID", "InvoiceNumber"),
    "CreditNotes": ("CreditNoteID", "CreditNoteNumber"),
    "Payments": ("PaymentID", "Reference"),
    "BatchPayments": ("BatchPaymentID", "Reference"),
    "BankTransactions": ("BankTransactionID", "Reference"),
    "Allocations": ("AllocationID", ""),
}


@dataclass(frozen=True, slots=True)
class ElementOutcome:
    """One element of a batch reply: saved or not, its Xero id, the number it was sent with, Xero's words."""

    ok: bool
    xero_id: str
    number: str
    messages: tuple[str, ...]
    warnings: tuple[str, ...]


def element_outcomes(body: Mapping[str, Any], collection: str) -> list[ElementOutcome]:
    """Each element of a batch sent with summarizeErrors=false, in the order sent."""
    if collection not in _FIELDS:
        raise ValueError(f"unknown Xero collection {collection!r}; expected one of {', '.join(_FIELDS)}")
    elements = body.get(collection)
    if not isinstance(elements, list):
        raise ValueError(f"Xero's reply has no {collection!r} list")
    return [_outcome(element, collection) for element in elements]


def _outcome(element: Mapping[str, Any], collection: str) -> ElementOutcome:
    id_field, number_field = _FIELDS[collection]
    if collection == "BankTransactions" and element.get("Type") == "RECEIVE-OVERPAYMENT":
        # Allocations later address the Overpayment, not the bank transaction that created it.
        id_field = "OverpaymentID"
    messages = _texts(element.get("ValidationErrors"))
    status = str(element.get("StatusAttributeString") or "")
    ok = status in ("OK", "WARNING") if status else not messages
    xero_id = str(element.get(id_field) or "")
    return ElementOutcome(
        ok=ok,
        xero_id="" if xero_id == _EMPTY_ID else xero_id,
        number=str(element.get(number_field) or "") if number_field else "",
        messages=messages,
        warnings=_texts(element.get("Warnings")),
    )


def _texts(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(str(item["Message"]) for item in raw if isinstance(item, Mapping) and item.get("Message"))


def total_mismatch(sent_total: Money, reply_element: Mapping[str, Any]) -> str | None:
    """A warning when Xero's Total is not the PMS total (Xero rounds tax on each line), else None."""
    raw = reply_element.get("Total")
    try:
        total = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return f"Xero gave no readable total ({raw!r}) to check against the PMS total {sent_total}"
    if total == sent_total.amount:
        return None
    name = reply_element.get("InvoiceNumber") or reply_element.get("CreditNoteNumber") or reply_element.get("Reference")
    which = f" of {name}" if name else ""
    difference = total - sent_total.amount
    return (f"Xero's total{which} is {total} {sent_total.currency}, not the PMS total {sent_total} "
            f"({difference:+} {sent_total.currency}): Xero works tax out on each line and rounds it; "
            "check the document's VAT in Xero")  # fmt: skip


# Xero's words for refusals a person must fix (the local emulator quotes the same, in its messages.py).
LOCK_DATE = "The document date cannot be before the period lock date"
CONTACT_ARCHIVED = "This contact has been archived. Archived contacts cannot be used on new documents."
NOT_SUBSCRIBED = "Organisation is not subscribed to currency"
INVOICE_NUMBER_TAKEN = "Invoice # must be unique."
CREDIT_NOTE_NUMBER_TAKEN = "Credit Note # must be unique."
PAYMENT_EXCEEDS = "Payment amount exceeds the amount outstanding on this document"
PAYMENT_BATCH_DELETE = (
    "Payments that are part of a batch payment cannot be deleted individually. Delete the batch payment."
)
PAYMENT_RECONCILED_DELETE = "This payment has been reconciled and cannot be deleted"
BATCH_RECONCILED_DELETE = "This batch payment has been reconciled and cannot be deleted"
VOID_WITH_PAYMENTS = "Invoice cannot be voided as it has payments or credit notes allocated to it."
HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."
ALLOCATION_TOO_LARGE = "cannot be allocated as amount is greater than"

GENERIC_ACTION = "fix the document in the PMS or in Xero, then retry"

# (how the message starts or what it contains, the action to take); the first match wins per message.
_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("prefix", LOCK_DATE,
     "the date is before the organisation's lock date: change the lock date in Xero or the document's date "
     "in the PMS, then retry"),
    ("equals", CONTACT_ARCHIVED,
     "the client's contact is archived in Xero: restore the contact in Xero, then retry"),
    ("prefix", NOT_SUBSCRIBED,
     "the organisation does not have the document's currency: add the currency in Xero, then retry"),
    ("equals", INVOICE_NUMBER_TAKEN,
     "the invoice number is already used in Xero (numbers of voided and deleted invoices stay taken): "
     "renumber the bill in the PMS, then retry"),
    ("equals", CREDIT_NOTE_NUMBER_TAKEN,
     "the credit note number is already used in Xero (numbers of voided and deleted credit notes stay "
     "taken): renumber the credit note in the PMS, then retry"),
    ("equals", PAYMENT_EXCEEDS,
     "the payment is more than the bill still owes in Xero: compare the bill's payments and credits in "
     "Xero with the PMS and remove what should not be there, then retry"),
    ("equals", PAYMENT_BATCH_DELETE,
     "the payment is part of a batch payment in Xero: delete the batch payment in Xero and enter again "
     "the payments that stand, then retry"),
    ("equals", PAYMENT_RECONCILED_DELETE,
     "the payment is reconciled in Xero: unreconcile it in Xero, then retry"),
    ("equals", BATCH_RECONCILED_DELETE,
     "the batch payment is reconciled in Xero: unreconcile it in Xero, then retry"),
    ("equals", VOID_WITH_PAYMENTS, "remove the payments and credits in Xero first, then retry"),
    ("equals", HAS_PAYMENTS, "remove the payments and credits in Xero first, then retry"),
    ("contains", ALLOCATION_TOO_LARGE,
     "the credit or the bill has less left in Xero than the PMS applies: compare both in Xero with the "
     "PMS and remove what should not be there, then retry"),
)  # fmt: skip


def refusal_action(messages: Iterable[str]) -> str:
    """What a person does about Xero's refusal: one action per distinct cause, the generic one otherwise."""
    if isinstance(messages, str):  # one message given as it is
        messages = (messages,)
    actions: list[str] = []
    for message in messages:
        action = _action(message.strip())
        if action is not None and action not in actions:
            actions.append(action)
    return "; ".join(actions) if actions else GENERIC_ACTION


def _action(message: str) -> str | None:
    for how, text, action in _ACTIONS:
        if (
            (how == "equals" and message == text)
            or (how == "prefix" and message.startswith(text))
            or (how == "contains" and text in message)
        ):
            return action
    return None
