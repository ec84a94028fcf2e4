"""Request bodies for Xero's Accounting API, built from our typed documents and an entity's mappings.

Pure translation, no I/O. Bodies are plain dicts: amounts stay Decimal (the HTTP layer writes them
as JSON numbers) and dates are ISO strings ("YYYY-MM-DD"). Documents reach this module only once
every mapping they use exists (holds are decided earlier), so a missing mapping is a programming
error and raises KeyError naming the code and the entity.

Invoice and credit note lines may carry 4-decimal unit amounts: send those bodies with the query
parameter `unitdp=4` (UNIT_DECIMAL_PLACES), or Xero rounds unit amounts to 2 places.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cynare.domain.documents import (
    Bill,
    Client,
    CreditNote,
    Line,
    Receipt,
    ReceiptAllocation,
    UnallocatedReceipt,
    WriteOff,
)
from cynare.domain.holds import MappingBook
from cynare.domain.money import Money

JsonBody = dict[str, Any]

UNIT_DECIMAL_PLACES = 4  # the `unitdp` query parameter for invoice and credit note requests
REFERENCE_LIMIT = 255  # the longest reference Xero's spec gives (BatchPayment.Reference)
MAX_TRACKING = 2  # Xero takes at most two tracking categories per line
RATE_PLACES = Decimal("0.000001")  # Xero keeps CurrencyRate to 6 places ("max length = [18].[6]")
WRITE_OFF_PREFIX = "WO-"
_NO_TAX = "NONE"


# --- contacts ---------------------------------------------------------------------------------


def contact(client: Client) -> JsonBody:
    """A Contact for a PMS client; IsCustomer is left out (Xero sets it, it cannot be sent)."""
    body: JsonBody = {
        "Name": client.name,
        # The firm-level client id finds the contact again (API-only field, unique per organisation).
        "ContactNumber": client.client_id,
        "DefaultCurrency": client.default_currency,
    }
    if client.email:
        body["EmailAddress"] = client.email
    if client.tax_number:
        body["TaxNumber"] = client.tax_number
    address = client.address
    parts = {
        "AddressLine1": address.line1,
        "AddressLine2": address.line2,
        "City": address.city,
        "Region": address.region,
        "PostalCode": address.postal_code,
        "Country": address.country,
    }
    given = {name: value for name, value in parts.items() if value}
    if given:
        body["Addresses"] = [{"AddressType": "STREET", **given}]
    return body


# --- invoices and credit notes ----------------------------------------------------------------


def invoice(bill: Bill, book: MappingBook, contact_id: str, base_currency: str) -> JsonBody:
    """An AUTHORISED sales invoice (ACCREC) for a PMS bill, numbered as the PMS numbered it."""
    body: JsonBody = {
        "Type": "ACCREC",
        "Status": "AUTHORISED",
        "Contact": {"ContactID": contact_id},
        "InvoiceNumber": bill.number,
        "Date": bill.date.isoformat(),
        "DueDate": bill.due_date.isoformat(),
        "LineAmountTypes": "Exclusive",
        "LineItems": [line_item(line, book) for line in bill.lines],
    }
    if bill.reference:
        body["Reference"] = clip(bill.reference)
    body.update(_currency(bill.total.currency, bill.exchange_rate, base_currency))
    return body


def credit_note(note: CreditNote, book: MappingBook, contact_id: str, base_currency: str) -> JsonBody:
    """An AUTHORISED sales credit note (ACCRECCREDIT); applying it to a bill is a separate allocation."""
    body: JsonBody = {
        "Type": "ACCRECCREDIT",
        "Status": "AUTHORISED",
        "Contact": {"ContactID": contact_id},
        "CreditNoteNumber": note.number,
        "Date": note.date.isoformat(),
        "LineAmountTypes": "Exclusive",
        "LineItems": [line_item(line, book) for line in note.lines],
    }
    if note.reason:
        body["Reference"] = clip(note.reason)
    body.update(_currency(note.total.currency, note.exchange_rate, base_currency))
    return body


def write_off_number(write_off_id: str) -> str:
    """The credit note number of a write-off: made from its id so that a lookup by number finds it
    again after a call whose outcome is unknown (a write-off has no number of its own in the PMS)."""
    return f"{WRITE_OFF_PREFIX}{write_off_id}"


def write_off_credit_note(write_off: WriteOff, book: MappingBook, contact_id: str, base_currency: str) -> JsonBody:
    """A bad-debt write-off as Xero documents it: a credit note coded to the bad-debt account, to be
    allocated to the bill. Its one line carries the net and the VAT relief."""
    account = _mapped(book.nominal, "nominal", write_off.nominal_code, book.entity)
    # No relief means no VAT movement: a rated tax type with a zero VAT would have Xero add tax to the net.
    if write_off.vat_code is None or not write_off.vat.amount:
        tax_type = _NO_TAX
    else:
        tax_type = _mapped(book.vat, "VAT code", write_off.vat_code, book.entity)
    line: JsonBody = {
        "Description": clip(f"Bad debt written off: {write_off.reason}", 4000),
        "Quantity": Decimal(1),
        "UnitAmount": write_off.net.amount,
        "AccountCode": account,
        "TaxType": tax_type,
        "TaxAmount": write_off.vat.amount,
        "LineAmount": write_off.net.amount,
    }
    body: JsonBody = {
        "Type": "ACCRECCREDIT",
        "Status": "AUTHORISED",
        "Contact": {"ContactID": contact_id},
        "CreditNoteNumber": write_off_number(write_off.write_off_id),
        "Reference": clip(f"Write-off of bill {write_off.bill_id}"),
        "Date": write_off.date.isoformat(),
        "LineAmountTypes": "Exclusive",
        "LineItems": [line],
    }
    body.update(_currency(write_off.amount.currency, write_off.exchange_rate, base_currency))
    return body


def line_item(line: Line, book: MappingBook) -> JsonBody:
    """One line, exclusive of tax: the PMS's VAT goes as TaxAmount, its net as LineAmount."""
    if line.quantity is not None and line.unit_price is not None:
        quantity, unit_amount = line.quantity, line.unit_price
    else:  # a line without quantity is one unit at its net
        quantity, unit_amount = Decimal(1), line.net.amount
    item: JsonBody = {
        "Description": line.description,
        "Quantity": quantity,
        "UnitAmount": unit_amount,
        "AccountCode": _mapped(book.nominal, "nominal", line.nominal_code, book.entity),
        "TaxType": _mapped(book.vat, "VAT code", line.vat_code, book.entity),
        "TaxAmount": line.vat.amount,
        "LineAmount": line.net.amount,
    }
    tracking = _tracking(line, book)
    if tracking:
        item["Tracking"] = tracking
    return item


def _tracking(line: Line, book: MappingBook) -> list[JsonBody]:
    chosen: dict[str, str] = {}
    for tag in line.tracking:
        target = book.tracking.get((tag.dimension, tag.value))
        if not target:
            raise KeyError(f"no Xero tracking option mapped for {tag.dimension} {tag.value} ({book.entity})")
        # Mappings are kept as "Category/Option": split at the first "/", so an option may contain one.
        category, _, option = target.partition("/")
        if not category or not option:
            raise KeyError(f"tracking mapping {target!r} for {tag.dimension} {tag.value} ({book.entity}) "
                           "is not 'Category/Option'")  # fmt: skip
        if chosen.setdefault(category, option) != option:
            raise ValueError(f"line {line.line_no} maps two options of the Xero tracking category {category!r} "
                             f"({chosen[category]!r} and {option!r}) in {book.entity}")  # fmt: skip
    if len(chosen) > MAX_TRACKING:
        raise ValueError(f"line {line.line_no} maps to {len(chosen)} Xero tracking categories in {book.entity}; "
                         f"Xero takes at most {MAX_TRACKING} per line")  # fmt: skip
    return [{"Name": category, "Option": option} for category, option in chosen.items()]


# --- allocations ------------------------------------------------------------------------------


def allocation(amount: Money, invoice_id: str, on: date) -> JsonBody:
    """JsonBody of PUT /CreditNotes/{id}/Allocations and PUT /Overpayments/{id}/Allocations."""
    return {"Allocations": [{"Amount": amount.amount, "Invoice": {"InvoiceID": invoice_id}, "Date": on.isoformat()}]}


# --- payments ---------------------------------------------------------------------------------


def payment_reference(receipt: Receipt | UnallocatedReceipt) -> str:
    """The receipt's id, then its PMS reference: deterministic, so a lookup finds the payment again.

    " | " cannot occur inside an id, so `Reference.StartsWith("<id> | ")` or the whole id matches one
    receipt only. The id stays whole; only the PMS reference is cut to fit Xero's limit.
    """
    own_id = receipt.unallocated_id if isinstance(receipt, UnallocatedReceipt) else receipt.receipt_id
    if not receipt.reference:
        return own_id
    return clip(f"{own_id} | {receipt.reference}")


def payment(
    receipt: Receipt, allocation: ReceiptAllocation, invoice_id: str, account_code: str, base_currency: str
) -> JsonBody:
    """One element of PUT /Payments' "Payments": the part of a receipt that pays one bill."""
    _same_receipt(receipt, allocation)
    body: JsonBody = {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": account_code},
        "Amount": allocation.amount.amount,
        "Date": receipt.date.isoformat(),
        "Reference": payment_reference(receipt),
    }
    body.update(_rate(allocation.amount.currency, receipt.exchange_rate, base_currency))
    return body


def batch_payment(
    receipt: Receipt, parts: list[tuple[ReceiptAllocation, str]], account_code: str, base_currency: str
) -> JsonBody:
    """One element of PUT /BatchPayments: one receipt paying several bills as one bank line.

    `parts` pairs each allocation with its bill's InvoiceID. Each payment repeats the reference, so a
    lookup of Payments by reference finds them as well as the batch.
    """
    if not parts:
        raise ValueError(f"receipt {receipt.receipt_id}: a batch payment needs at least one allocation")
    reference = payment_reference(receipt)
    payments: list[JsonBody] = []
    for part, invoice_id in parts:
        _same_receipt(receipt, part)
        element: JsonBody = {"Invoice": {"InvoiceID": invoice_id}, "Amount": part.amount.amount, "Reference": reference}
        # The batch has no rate of its own: each payment carries it, else Xero takes the day rate.
        element.update(_rate(part.amount.currency, receipt.exchange_rate, base_currency))
        payments.append(element)
    return {
        "Account": {"Code": account_code},
        "Date": receipt.date.isoformat(),
        "Reference": reference,
        "Payments": payments,
    }


def overpayment(unallocated: UnallocatedReceipt, contact_id: str, account_code: str, base_currency: str) -> JsonBody:
    """A RECEIVE-OVERPAYMENT bank transaction: cash on account, applied to bills later by allocations."""
    reference = payment_reference(unallocated)
    body: JsonBody = {
        "Type": "RECEIVE-OVERPAYMENT",
        "Contact": {"ContactID": contact_id},
        "BankAccount": {"Code": account_code},
        "Date": unallocated.date.isoformat(),
        "Reference": reference,
        "LineAmountTypes": "NoTax",  # Xero takes overpayments only without tax, on one line
        "LineItems": [{"Description": f"Money on account {reference}", "LineAmount": unallocated.amount.amount}],
    }
    body.update(_currency(unallocated.amount.currency, unallocated.exchange_rate, base_currency))
    return body


# --- reversals --------------------------------------------------------------------------------


def delete_payment() -> JsonBody:
    """JsonBody of POST /Payments/{id}: payments cannot be edited, only deleted."""
    return {"Status": "DELETED"}


def void_invoice(invoice_id: str) -> JsonBody:
    """JsonBody of POST /Invoices/{id}."""
    return {"Invoices": [{"InvoiceID": invoice_id, "Status": "VOIDED"}]}


def void_credit_note(credit_note_id: str) -> JsonBody:
    """JsonBody of POST /CreditNotes/{id}."""
    return {"CreditNotes": [{"CreditNoteID": credit_note_id, "Status": "VOIDED"}]}


def delete_batch_payment(batch_id: str) -> JsonBody:
    """JsonBody of POST /BatchPayments (the spec's BatchPaymentDelete): deletes every payment of the batch."""
    return {"BatchPaymentID": batch_id, "Status": "DELETED"}


# --- wrapping ---------------------------------------------------------------------------------


def batch_of(collection: str, elements: list[JsonBody]) -> JsonBody:
    """A batch request body: {"Contacts": [...]}, {"Invoices": [...]}, ..."""
    return {collection: list(elements)}


# --- shared -----------------------------------------------------------------------------------


def clip(text: str, limit: int = REFERENCE_LIMIT) -> str:
    """`text` cut to `limit` characters, marked with "..." when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def currency_rate(exchange_rate: Decimal) -> Decimal:
    """The PMS rate as Xero keeps it: 6 decimal places, never zero."""
    rate = exchange_rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    if rate <= 0:
        raise ValueError(f"exchange rate {exchange_rate} is zero at Xero's 6 decimal places")
    return rate


def _currency(currency: str, exchange_rate: Decimal, base_currency: str) -> JsonBody:
    return {"CurrencyCode": currency, **_rate(currency, exchange_rate, base_currency)}


def _rate(currency: str, exchange_rate: Decimal, base_currency: str) -> JsonBody:
    # Both are units of the document's currency per unit of base currency; without one Xero takes the day rate.
    return {} if currency == base_currency else {"CurrencyRate": currency_rate(exchange_rate)}


def _mapped(mapping: Mapping[str, str], what: str, code: str, entity: str) -> str:
    target = mapping.get(code)
    if not target:
        raise KeyError(f"no Xero code mapped for {what} {code} ({entity}); such documents should have been held")
    return target


def _same_receipt(receipt: Receipt, part: ReceiptAllocation) -> None:
    if part.receipt_id != receipt.receipt_id:
        raise ValueError(f"allocation of receipt {part.receipt_id} given with receipt {receipt.receipt_id}")
