"""The fields of the records the emulator lists, as Xero's spec names them, for `where` and `order`.

Xero answers a `where` or `order` that names a field its record type does not have with a 400
(a QueryParseException). These are the properties of the schemas in Xero's OpenAPI spec (v16.1.0):
`Name:Schema` marks a field that holds another record (so that `Contact.Name` can be checked too),
`Name[]` a list. tests/sandbox_xero/test_query.py holds this table to the spec.
"""

from __future__ import annotations

from dataclasses import dataclass

_SCHEMAS = {
    "Account": (
        "Code Name AccountID Type BankAccountNumber Status Description BankAccountType CurrencyCode "
        "TaxType EnablePaymentsToAccount ShowInExpenseClaims Class SystemAccount ReportingCode "
        "ReportingCodeName HasAttachments UpdatedDateUTC AddToWatchlist ValidationErrors[]"
    ),
    "TaxRate": (
        "Name TaxType TaxComponents[] Status ReportTaxType CanApplyToAssets CanApplyToEquity "
        "CanApplyToExpenses CanApplyToLiabilities CanApplyToRevenue DisplayTaxRate EffectiveRate"
    ),
    "Currency": "Code Description",
    "TrackingCategory": "TrackingCategoryID TrackingOptionID Name Option Status Options[]",
    "Contact": (
        "ContactID MergedToContactID ContactNumber AccountNumber ContactStatus Name FirstName LastName "
        "CompanyNumber EmailAddress ContactPersons[] BankAccountDetails TaxNumber TaxNumberType "
        "AccountsReceivableTaxType AccountsPayableTaxType Addresses[] Phones[] IsSupplier IsCustomer "
        "SalesDefaultLineAmountType PurchasesDefaultLineAmountType DefaultCurrency XeroNetworkKey "
        "SalesDefaultAccountCode PurchasesDefaultAccountCode SalesTrackingCategories[] "
        "PurchasesTrackingCategories[] TrackingCategoryName TrackingCategoryOption "
        "PaymentTerms:PaymentTerm UpdatedDateUTC ContactGroups[] Website BrandingTheme:BrandingTheme "
        "BatchPayments:BatchPaymentDetails Discount Balances:Balances Attachments[] HasAttachments "
        "ValidationErrors[] HasValidationErrors StatusAttributeString"
    ),
    "Invoice": (
        "Type Contact:Contact LineItems[] Date DueDate LineAmountTypes InvoiceNumber Reference "
        "BrandingThemeID Url CurrencyCode CurrencyRate Status SentToContact ExpectedPaymentDate "
        "PlannedPaymentDate CISDeduction CISRate SubTotal TotalTax Total TotalDiscount InvoiceID "
        "RepeatingInvoiceID HasAttachments IsDiscounted Payments[] Prepayments[] Overpayments[] AmountDue "
        "AmountPaid FullyPaidOnDate AmountCredited UpdatedDateUTC UpdatedDateUTCString CreditNotes[] "
        "Attachments[] HasErrors StatusAttributeString ValidationErrors[] Warnings[] InvoiceAddresses[]"
    ),
    "CreditNote": (
        "Type Contact:Contact Date DueDate Status LineAmountTypes LineItems[] SubTotal TotalTax Total "
        "CISDeduction CISRate UpdatedDateUTC UpdatedDateUTCString CurrencyCode FullyPaidOnDate "
        "CreditNoteID CreditNoteNumber Reference SentToContact CurrencyRate RemainingCredit Allocations[] "
        "AppliedAmount Payments[] BrandingThemeID StatusAttributeString HasAttachments HasErrors "
        "ValidationErrors[] Warnings[] InvoiceAddresses[]"
    ),
    "Payment": (
        "Invoice:Invoice CreditNote:CreditNote Prepayment:Prepayment Overpayment:Overpayment "
        "InvoiceNumber CreditNoteNumber BatchPayment:BatchPayment Account:Account Code Date CurrencyRate "
        "Amount BankAmount Reference IsReconciled Status PaymentType UpdatedDateUTC UpdatedDateUTCString "
        "PaymentID BatchPaymentID BankAccountNumber Particulars Details HasAccount HasValidationErrors "
        "StatusAttributeString ValidationErrors[] Warnings[]"
    ),
    "BankTransaction": (
        "Type Contact:Contact LineItems[] BankAccount:Account IsReconciled Date Reference CurrencyCode "
        "CurrencyRate Url Status LineAmountTypes SubTotal TotalTax Total BankTransactionID PrepaymentID "
        "OverpaymentID UpdatedDateUTC HasAttachments StatusAttributeString ValidationErrors[]"
    ),
    "Overpayment": (
        "Type Contact:Contact Date Status LineAmountTypes LineItems[] SubTotal TotalTax Total "
        "UpdatedDateUTC UpdatedDateUTCString CurrencyCode OverpaymentID CurrencyRate RemainingCredit "
        "Allocations[] AppliedAmount Payments[] HasAttachments Reference Attachments[]"
    ),
    "BatchPayment": (
        "Account:Account Reference Particulars Code Details Narrative BatchPaymentID DateString Date "
        "Amount Payments[] Type Status TotalAmount UpdatedDateUTC IsReconciled ValidationErrors[]"
    ),
    "PaymentTerm": "Bills:Bill Sales:Bill",
    "BrandingTheme": "BrandingThemeID Name LogoUrl Type SortOrder CreatedDateUTC",
    "BatchPaymentDetails": "BankAccountNumber BankAccountName Details Code Reference",
    "Balances": "AccountsReceivable:AccountsReceivable AccountsPayable:AccountsPayable",
    "Prepayment": (
        "Type Contact:Contact Date Status LineAmountTypes LineItems[] SubTotal TotalTax Total Reference "
        "InvoiceNumber UpdatedDateUTC UpdatedDateUTCString CurrencyCode PrepaymentID BrandingThemeID "
        "CurrencyRate RemainingCredit Allocations[] Payments[] AppliedAmount HasAttachments Attachments[]"
    ),
    "Bill": "Day Type",
    "AccountsReceivable": "Outstanding Overdue",
    "AccountsPayable": "Outstanding Overdue",
}

# The schema of each list the emulator answers, by the key its response uses.
LISTS = {
    "Accounts": "Account",
    "TaxRates": "TaxRate",
    "Currencies": "Currency",
    "TrackingCategories": "TrackingCategory",
    "Contacts": "Contact",
    "Invoices": "Invoice",
    "CreditNotes": "CreditNote",
    "Payments": "Payment",
    "BankTransactions": "BankTransaction",
    "Overpayments": "Overpayment",
    "BatchPayments": "BatchPayment",
}


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    record: str | None = None  # the schema of a field holding a record
    is_list: bool = False


def _parse(text: str) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for word in text.split():
        name, _, record = word.partition(":")
        if name.endswith("[]"):
            fields[name[:-2]] = Field(name[:-2], is_list=True)
        else:
            fields[name] = Field(name, record or None)
    return fields


SCHEMAS: dict[str, dict[str, Field]] = {name: _parse(text) for name, text in _SCHEMAS.items()}


def resolve(schema: str, path: str) -> tuple[str, Field] | str:
    """The field a dotted path names in `schema` with the path as the spec spells it (Xero reads field
    names in any case), or Xero's message when there is no such field."""
    fields = SCHEMAS.get(schema, {})
    owner = schema
    found: Field | None = None
    spelt: list[str] = []
    parts = path.split(".")
    for index, part in enumerate(parts):
        found = fields.get(part) or next((f for f in fields.values() if f.name.lower() == part.lower()), None)
        if found is None:
            return f"No property or field '{part}' exists in type '{owner}'"
        spelt.append(found.name)
        if found.is_list:  # what lies inside a list (`LineItems.Count`) is not a field of the record
            return ".".join(spelt + parts[index + 1 :]), found
        owner = found.record or found.name
        fields = SCHEMAS.get(found.record, {}) if found.record else {}
    if found is None:
        return f"No property or field '' exists in type '{schema}'"
    return ".".join(spelt), found


# What a summaryOnly=true read leaves out of each record: the lists and computed parts (Xero: "only
# lightweight fields, excluding computation-heavy fields"). A `where` or `order` naming one of them in
# a summary read is a 400. Xero publishes no exact list; see docs/xero-emulator.md.
SUMMARY_HIDES = {
    "Contacts": frozenset(
        {"Addresses", "Phones", "ContactPersons", "ContactGroups", "Balances", "TaxNumber", "PaymentTerms"}
    ),
    "Invoices": frozenset({"LineItems", "Payments", "CreditNotes", "Prepayments", "Overpayments"}),
}


def summarise(key: str, item: dict[str, object]) -> dict[str, object]:
    """The record without what a summaryOnly read leaves out."""
    for name in SUMMARY_HIDES.get(key, ()):
        item.pop(name, None)
    return item
