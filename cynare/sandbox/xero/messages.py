"""Xero's validation messages, one place so that rules and tests quote the same words."""

from __future__ import annotations

from datetime import date


def not_subscribed(currency: str) -> str:
    return f"Organisation is not subscribed to currency {currency}"


def locked(lock: date) -> str:
    return f"The document date cannot be before the period lock date of {lock:%d %b %Y}"


PAYMENT_EXCEEDS = "Payment amount exceeds the amount outstanding on this document"
INVOICE_NUMBER_TAKEN = "Invoice # must be unique."
CREDIT_NOTE_NUMBER_TAKEN = "Credit Note # must be unique."
CONTACT_ARCHIVED = "This contact has been archived. Archived contacts cannot be used on new documents."
NOT_AUTHORISED_FOR_PAYMENT = "Payments can only be made against Authorised documents"
PAYMENT_ACCOUNT_INVALID = "Account type is invalid for making a payment to/from"
PAYMENT_BATCH_DELETE = (
    "Payments that are part of a batch payment cannot be deleted individually. Delete the batch payment."
)
PAYMENT_RECONCILED_DELETE = "This payment has been reconciled and cannot be deleted"
PAYMENT_ALREADY_DELETED = "Payment has already been deleted"
AMOUNT_POSITIVE = "Amount must be greater than zero"
NOT_VALID_FOR_MODIFICATION = "Invoice not of valid status for modification"
HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."
VOID_WITH_PAYMENTS = "Invoice cannot be voided as it has payments or credit notes allocated to it."
ALLOCATE_UNAUTHORISED = "Only AUTHORISED documents can be allocated"
ALLOCATE_CONTACT = "The invoice and the credit must belong to the same contact"
ALLOCATE_CURRENCY = "The invoice and the credit must be in the same currency"
OVERPAYMENT_ONE_LINE = "Overpayments can only have one line item"
OVERPAYMENT_NO_TAX = "Overpayments must have LineAmountTypes of NoTax"
BANK_TRANSACTION_NOT_EDITABLE = "Bank transactions of type RECEIVE-OVERPAYMENT cannot be updated or deleted"
HISTORY_TOO_LONG = "The Details field must not be longer than 2500 characters"
NO_LINE_ITEMS = "At least one line item is required"
# Multi-currency, refunds and batch payments. Xero's exact words for these were not found in its docs
# or SDK threads (unconfirmed): the emulator refuses the same cases with these.
CURRENCY_RATE_POSITIVE = "The CurrencyRate must be greater than zero"
BANK_CURRENCY = "The bank account must be in the currency of the document or in the base currency"
PAYMENT_ONE_DOCUMENT = "A payment must be applied to one Invoice, CreditNote or Overpayment"
PAYMENT_STATUS_ONLY = "Payments can only be changed by setting Status to DELETED"
BATCH_NO_PAYMENTS = "A batch payment must contain at least one payment"
BATCH_INVOICES_ONLY = "Batch payments can only be made against invoices"
BATCH_MIXED_TYPES = "A batch payment cannot contain both sales invoices and bills"
BATCH_STATUS_ONLY = "Batch payments can only be changed by setting Status to DELETED"
BATCH_ALREADY_DELETED = "Batch payment has already been deleted"
BATCH_RECONCILED_DELETE = "This batch payment has been reconciled and cannot be deleted"
BATCH_ID_REQUIRED = "A BatchPaymentID must be specified"


def allocation_exceeds_due(kind: str) -> str:
    return f"{kind} cannot be allocated as amount is greater than amount outstanding"


def allocation_exceeds_credit(kind: str) -> str:
    return f"{kind} cannot be allocated as amount is greater than remaining credit"


def contact_name_taken(name: str) -> str:
    return (
        f"The contact name {name} is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    )


def contact_number_taken(number: str) -> str:
    return (
        f"The contact number {number} is already assigned to another contact. "
        "The contact number must be unique across all active contacts."
    )


def bad_account(code: str) -> str:
    return f"Account code '{code}' is not a valid code for this document."


def bad_tax_type(tax_type: str) -> str:
    return f"The TaxType code '{tax_type}' does not exist or cannot be used for this type of transaction."


def bad_tracking(name: str, option: str) -> str:
    return f"The TrackingOptionName '{option}' is not valid for the tracking category '{name}'"


def not_found(kind: str, key: str) -> str:
    return f"{kind} could not be found: {key}"
