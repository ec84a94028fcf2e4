"""One pydantic model per dataset: the columns of each CSV file and the rules of a single row.

Rules that need more than one row (a bill's lines add up to its total, a receipt's allocations
add up to the receipt) live in `cynare.extract.batch_rules`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from cynare.domain.money import has_valid_precision
from cynare.extract.fields import (
    Amount,
    Currency,
    Identifier,
    IsoDate,
    LineNumber,
    NonNegativeAmount,
    OptionalDate,
    OptionalEmail,
    OptionalIdentifier,
    OptionalPercent,
    OptionalPositiveAmount,
    OptionalQuantity,
    OptionalText,
    OptionalUnitPrice,
    PositiveAmount,
    Rate,
    Text,
    Trimmed,
)


class RuleBroken(ValueError):
    """A rule of the row as a whole, reported against the column that breaks it."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class RowWithMoney(Row):
    """A row with a `currency` column: its amount columns must fit that currency (0 decimals for JPY)."""

    money_columns: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _amounts_fit_the_currency(self) -> Self:
        currency = str(getattr(self, "currency"))  # noqa: B009 - declared by every subclass
        for column in self.money_columns:
            value = getattr(self, column)
            if value is not None and not has_valid_precision(value, currency):
                raise RuleBroken(column, f"{value} has more decimal places than {currency} allows")
        return self


class VatCode(Row):
    """A PMS VAT code: a rate only where the code is a rate; exempt, outside scope and reverse charge are treatments."""

    vat_code: Identifier
    description: Text
    treatment: Annotated[Literal["rated", "exempt", "outside_scope", "reverse_charge"], Trimmed]
    rate: OptionalPercent = None
    bad_debt_relief: Annotated[Literal["yes", "no"], Trimmed] = "no"

    @model_validator(mode="after")
    def _rate_only_where_rated(self) -> VatCode:
        if self.treatment == "rated" and self.rate is None:
            raise RuleBroken("rate", "a rated VAT code needs its rate (0 for a zero-rated code)")
        if self.treatment != "rated" and self.rate is not None:
            raise RuleBroken("rate", f"a VAT code treated as {self.treatment} has no rate: leave rate empty")
        return self


class Client(Row):
    client_id: Identifier
    name: Text
    email: OptionalEmail = None
    address_line1: OptionalText = None
    address_line2: OptionalText = None
    city: OptionalText = None
    region: OptionalText = None
    postal_code: OptionalText = None
    country: OptionalText = None
    tax_number: OptionalText = None
    default_currency: Currency
    status: Annotated[Literal["active", "archived"], Trimmed]
    archived_on: OptionalDate = None

    @model_validator(mode="after")
    def _archived_date_only_when_archived(self) -> Client:
        if self.archived_on is not None and self.status != "archived":
            raise RuleBroken(
                "archived_on", "an active client has no archive date: leave it empty or set status archived"
            )
        return self


class Bill(RowWithMoney):
    money_columns = ("total",)

    bill_id: Identifier
    bill_number: Identifier
    client_id: Identifier
    date: IsoDate
    due_date: IsoDate
    currency: Currency
    exchange_rate: Rate
    total: NonNegativeAmount
    reference: OptionalText = None

    @model_validator(mode="after")
    def _rules(self) -> Bill:
        if self.due_date < self.date:
            raise RuleBroken("due_date", f"{self.due_date} is before the bill date {self.date}")
        return self


class _LineRules(Row):
    """Rules of a bill or credit-note line, as Xero keeps lines: quantity and unit price beside the amount."""

    @model_validator(mode="after")
    def _quantity_with_price(self) -> Self:
        quantity, unit_price = getattr(self, "quantity"), getattr(self, "unit_price")  # noqa: B009
        if (quantity is None) != (unit_price is None):
            column = "unit_price" if unit_price is None else "quantity"
            raise RuleBroken(column, "quantity and unit_price go together: give both or neither")
        return self


class BillLine(_LineRules):
    bill_id: Identifier
    line_no: LineNumber
    description: Text
    nominal_code: Identifier
    vat_code: Identifier
    quantity: OptionalQuantity = None
    unit_price: OptionalUnitPrice = None
    net: Amount
    vat: Amount
    office: OptionalIdentifier = None
    department: OptionalIdentifier = None
    fee_earner: OptionalIdentifier = None


class CreditNote(RowWithMoney):
    """A credit note's header; its lines are in credit_note_lines, what it is applied to in allocations."""

    money_columns = ("total",)

    credit_note_id: Identifier
    credit_note_number: Identifier
    client_id: Identifier
    related_bill_id: OptionalIdentifier = None
    date: IsoDate
    currency: Currency
    exchange_rate: Rate
    total: PositiveAmount
    reason: OptionalText = None


class CreditNoteLine(_LineRules):
    credit_note_id: Identifier
    line_no: LineNumber
    description: Text
    nominal_code: Identifier
    vat_code: Identifier
    quantity: OptionalQuantity = None
    unit_price: OptionalUnitPrice = None
    net: Amount
    vat: Amount
    office: OptionalIdentifier = None
    department: OptionalIdentifier = None
    fee_earner: OptionalIdentifier = None


class WriteOff(RowWithMoney):
    """A bad debt written off a bill, to the entity's bad-debt account; VAT reclaimed where the code allows."""

    money_columns = ("net", "vat", "amount")

    write_off_id: Identifier
    client_id: Identifier
    bill_id: Identifier
    date: IsoDate
    currency: Currency
    exchange_rate: Rate
    nominal_code: Identifier
    vat_code: OptionalIdentifier = None
    net: NonNegativeAmount
    vat: NonNegativeAmount
    amount: PositiveAmount
    reason: Text

    @model_validator(mode="after")
    def _rules(self) -> WriteOff:
        if self.net + self.vat != self.amount:
            raise RuleBroken("amount", f"{self.amount} is not net {self.net} + vat {self.vat}")
        if self.vat and self.vat_code is None:
            raise RuleBroken("vat_code", "VAT reclaimed on a write-off needs the VAT code that allows the relief")
        return self


class Receipt(RowWithMoney):
    money_columns = ("amount",)

    receipt_id: Identifier
    client_id: Identifier
    date: IsoDate
    currency: Currency
    exchange_rate: Rate
    amount: PositiveAmount
    bank_account: Identifier
    reference: OptionalText = None


class ReceiptAllocation(Row):
    receipt_id: Identifier
    bill_id: Identifier
    amount: PositiveAmount


class ReturnedReceipt(RowWithMoney):
    """A receipt that bounced: whole (no parts) or in part (the allocations it reverses, in returned_allocations)."""

    money_columns = ("amount",)

    return_id: Identifier
    receipt_id: Identifier
    date: IsoDate
    currency: Currency  # the receipt's
    reason: Text
    amount: OptionalPositiveAmount = None


class ReturnedAllocation(Row):
    return_id: Identifier
    bill_id: Identifier
    amount: PositiveAmount


class UnallocatedReceipt(RowWithMoney):
    money_columns = ("amount",)

    unallocated_id: Identifier
    client_id: Identifier
    date: IsoDate
    currency: Currency
    exchange_rate: Rate
    amount: PositiveAmount
    bank_account: Identifier
    reference: OptionalText = None


class Allocation(RowWithMoney):
    """Unallocated cash or a credit note, applied to a bill (what a credit note relates to is separate)."""

    money_columns = ("amount",)

    allocation_id: Identifier
    source_type: Annotated[Literal["unallocated_receipt", "credit_note"], Trimmed]
    source_id: Identifier
    bill_id: Identifier
    date: IsoDate
    currency: Currency
    amount: PositiveAmount


class Cancellation(Row):
    """A document voided or deleted in the PMS, said explicitly: never guessed from a row's absence."""

    kind: Annotated[
        Literal["bill", "credit_note", "write_off", "receipt", "unallocated_receipt", "allocation"], Trimmed
    ]
    document_id: Identifier
    date: IsoDate
    reason: Text


class Debtor(RowWithMoney):
    """The PMS's own balance for a client in one currency as at a date: the whole list is a snapshot."""

    money_columns = ("balance",)

    client_id: Identifier
    currency: Currency
    balance: Amount
    as_at: IsoDate


class NominalMapping(Row):
    """An empty Xero code is sent as it is: what uses the nominal is held until it is mapped."""

    nominal_code: Identifier
    xero_account_code: OptionalIdentifier = None


class VatMapping(Row):
    vat_code: Identifier
    xero_tax_type: OptionalIdentifier = None


class TrackingMapping(Row):
    dimension: Annotated[Literal["office", "department", "fee_earner"], Trimmed]
    pms_value: Identifier
    xero_category: OptionalText = None
    xero_option: OptionalText = None


class BankMapping(Row):
    bank_account: Identifier
    xero_account_code: OptionalIdentifier = None


class Organisation(Row):
    """What the PMS says of the entity's Xero organisation: only a check, never a choice of organisation."""

    entity: Identifier
    organisation_name: OptionalText = None
    base_currency: Currency


class IdentityLink(Row):
    """This source's id names the same client or document as an id of an earlier source (a PMS change)."""

    kind: Annotated[Literal["client", "bill", "credit_note", "receipt", "unallocated_receipt"], Trimmed]
    source_id: Identifier
    previous_source: Identifier
    previous_id: Identifier
