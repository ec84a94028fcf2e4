"""The books of each emulated organisation: plain records, no rules (those live per resource).

The records have slots: a tenant holds tens of thousands of them, and without a __dict__ each is one
object for the garbage collector to walk instead of two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

ZERO = Decimal("0")


@dataclass(slots=True)
class Account:
    account_id: str
    code: str
    name: str
    type: str  # Xero's AccountType: BANK, REVENUE, EXPENSE, CURRENT, CURRLIAB, EQUITY ...
    account_class: str  # ASSET, LIABILITY, EQUITY, REVENUE, EXPENSE
    tax_type: str = "NONE"
    status: str = "ACTIVE"
    system_account: str | None = None
    bank_account_number: str | None = None
    currency_code: str | None = None
    enable_payments: bool = False


@dataclass(slots=True)
class TaxRate:
    name: str
    tax_type: str
    rate: Decimal
    report_tax_type: str | None = None
    status: str = "ACTIVE"


@dataclass(slots=True)
class TrackingOption:
    option_id: str
    name: str
    status: str = "ACTIVE"


@dataclass(slots=True)
class TrackingCategory:
    category_id: str
    name: str
    options: list[TrackingOption]
    status: str = "ACTIVE"


@dataclass(slots=True)
class Tracking:
    category_id: str
    option_id: str
    name: str
    option: str


@dataclass(slots=True)
class Line:
    line_item_id: str
    description: str
    quantity: Decimal
    unit_amount: Decimal
    account_code: str
    tax_type: str
    line_amount: Decimal
    tax_amount: Decimal
    discount_rate: Decimal | None = None
    tracking: list[Tracking] = field(default_factory=list)


@dataclass(slots=True)
class Contact:
    contact_id: str
    name: str
    updated: datetime
    status: str = "ACTIVE"
    contact_number: str | None = None
    account_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    tax_number: str | None = None
    default_currency: str | None = None
    is_customer: bool = False
    is_supplier: bool = False


@dataclass(slots=True)
class Document:
    """What invoices, credit notes and overpayments share: lines, totals, currency, dates."""

    contact_id: str
    date: date
    status: str
    line_amount_types: str
    currency_code: str
    currency_rate: Decimal
    lines: list[Line]
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal
    updated: datetime
    reference: str | None = None


@dataclass(slots=True)
class Invoice(Document):
    invoice_id: str = ""
    type: str = "ACCREC"
    number: str = ""
    due_date: date | None = None
    amount_paid: Decimal = ZERO
    amount_credited: Decimal = ZERO
    fully_paid_on: date | None = None
    payment_ids: list[str] = field(default_factory=list)
    allocation_ids: list[str] = field(default_factory=list)

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited


@dataclass(slots=True)
class CreditNote(Document):
    credit_note_id: str = ""
    type: str = "ACCRECCREDIT"
    number: str = ""
    allocated: Decimal = ZERO
    fully_paid_on: date | None = None
    allocation_ids: list[str] = field(default_factory=list)
    refunded: Decimal = ZERO  # paid out by refund payments
    payment_ids: list[str] = field(default_factory=list)

    @property
    def remaining_credit(self) -> Decimal:
        return self.total - self.allocated - self.refunded


@dataclass(slots=True)
class Overpayment(Document):
    overpayment_id: str = ""
    bank_transaction_id: str = ""
    type: str = "RECEIVE-OVERPAYMENT"
    allocated: Decimal = ZERO
    allocation_ids: list[str] = field(default_factory=list)
    refunded: Decimal = ZERO  # paid out by refund payments
    payment_ids: list[str] = field(default_factory=list)

    @property
    def remaining_credit(self) -> Decimal:
        return self.total - self.allocated - self.refunded


@dataclass(slots=True)
class BankTransaction(Document):
    bank_transaction_id: str = ""
    type: str = "RECEIVE"
    bank_account_code: str = ""
    overpayment_id: str | None = None
    is_reconciled: bool = False


@dataclass(slots=True)
class Allocation:
    allocation_id: str
    source_kind: str  # CREDITNOTE or OVERPAYMENT
    source_id: str
    invoice_id: str
    amount: Decimal
    date: date
    updated: datetime
    is_deleted: bool = False


@dataclass(slots=True)
class Payment:
    payment_id: str
    invoice_id: str
    account_code: str
    date: date
    amount: Decimal
    currency_rate: Decimal
    updated: datetime
    reference: str | None = None
    status: str = "AUTHORISED"
    batch_payment_id: str | None = None
    is_reconciled: bool = False
    payment_type: str = "ACCRECPAYMENT"
    # A refund pays out a credit note or an overpayment instead of an invoice (invoice_id is then "").
    credit_note_id: str | None = None
    overpayment_id: str | None = None
    bank_amount: Decimal | None = None  # in the bank account's currency; None (old snapshots): Amount


@dataclass(slots=True)
class BatchPayment:
    """Several payments banked as one line: RECBATCH for sales invoices, PAYBATCH for bills."""

    batch_payment_id: str
    account_code: str
    date: date
    type: str
    updated: datetime
    payment_ids: list[str] = field(default_factory=list)
    reference: str | None = None
    details: str | None = None
    narrative: str | None = None
    status: str = "AUTHORISED"
    is_reconciled: bool = False


@dataclass(slots=True)
class HistoryRecord:
    changes: str
    details: str
    user: str
    date_utc: datetime


@dataclass(slots=True)
class Tenant:
    tenant_id: str
    entity_code: str
    name: str
    legal_name: str
    short_code: str
    country_code: str
    version: str
    base_currency: str
    timezone: str
    created: datetime
    currencies: list[str]  # subscribed, base included
    rates: dict[str, Decimal]  # units of currency per one unit of base, when a document gives none
    accounts: list[Account]
    tax_rates: list[TaxRate]
    tracking: list[TrackingCategory]
    organisation_class: str = "STANDARD"
    organisation_type: str = "COMPANY"
    pays_tax: bool = True
    day_limit: int = 5000
    period_lock_date: date | None = None
    end_of_year_lock_date: date | None = None
    year_end_month: int = 3  # the financial year ends on this day of this month
    year_end_day: int = 31
    contacts: dict[str, Contact] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    credit_notes: dict[str, CreditNote] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    overpayments: dict[str, Overpayment] = field(default_factory=dict)
    bank_transactions: dict[str, BankTransaction] = field(default_factory=dict)
    allocations: dict[str, Allocation] = field(default_factory=dict)
    batch_payments: dict[str, BatchPayment] = field(default_factory=dict)
    history: dict[str, list[HistoryRecord]] = field(default_factory=dict)
    invoice_numbers: set[str] = field(default_factory=set)  # ACCREC numbers ever used, void or deleted included
    credit_note_numbers: set[str] = field(default_factory=set)
    invoice_seq: int = 0
    credit_note_seq: int = 0
    # Contacts by case-folded name, rebuilt whenever the contacts or their names may have changed.
    _names: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)
    _names_key: tuple[int, int] = field(default=(-1, -1), repr=False, compare=False)
    names_version: int = field(default=0, repr=False, compare=False)
    _codes: dict[str, Account] = field(default_factory=dict, repr=False, compare=False)
    _codes_key: int = field(default=-1, repr=False, compare=False)
    _rates: dict[str, list[TaxRate]] = field(default_factory=dict, repr=False, compare=False)
    _rates_key: int = field(default=-1, repr=False, compare=False)

    def contacts_named(self, name: str) -> list[Contact]:
        key = (len(self.contacts), self.names_version)
        if key != self._names_key:
            index: dict[str, list[str]] = {}
            for contact in self.contacts.values():
                index.setdefault(contact.name.casefold(), []).append(contact.contact_id)
            self._names, self._names_key = index, key
        return [self.contacts[i] for i in self._names.get(name.strip().casefold(), [])]

    def account_by_code(self, code: str) -> Account | None:
        # Looked up for every line of every document: index by code, rebuilt if the chart changes.
        if self._codes_key != len(self.accounts):
            self._codes = {a.code: a for a in self.accounts}
            self._codes_key = len(self.accounts)
        return self._codes.get(code)

    def account_by_id(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.account_id.lower() == account_id.lower()), None)

    def tax_rate(self, tax_type: str) -> TaxRate | None:
        """The first active rate of that type.

        Looked up for every line of every document: the rates are indexed by type (rebuilt if the list
        changes length) and each candidate is checked as it stands, so a rate deleted or retyped since
        the index was built is never taken; when no indexed candidate fits, the whole list is searched.
        """
        if self._rates_key != len(self.tax_rates):
            index: dict[str, list[TaxRate]] = {}
            for rate in self.tax_rates:
                index.setdefault(rate.tax_type, []).append(rate)
            self._rates, self._rates_key = index, len(self.tax_rates)
        for rate in self._rates.get(tax_type, ()):
            if rate.tax_type == tax_type and rate.status == "ACTIVE":
                return rate
        return next((r for r in self.tax_rates if r.tax_type == tax_type and r.status == "ACTIVE"), None)

    def lock_date(self) -> date | None:
        period, year_end = self.period_lock_date, self.end_of_year_lock_date
        if period is None or year_end is None:
            return year_end if period is None else period
        return max(period, year_end)

    def note(self, record_id: str, changes: str, details: str, when: datetime, user: str = "System Generated") -> None:
        self.history.setdefault(record_id, []).append(HistoryRecord(changes, details, user, when))
