"""One pydantic model per dataset: the columns of each CSV file and the rules of a single row.

Rules that need more than one row (a bill's lines add up to its total, a receipt's allocations
add up to the receipt) live in `cynare.extract.batch_rules`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cynare.domain.money import has_valid_precision
from cynare.extract.fields import (
    Amount,
    Currency,
    Identifier,
    IsoDate,
    NonNegativeAmount,
    OptionalEmail,
    OptionalIdentifier,
    OptionalText,
    Percent,
    PositiveAmount,
    Rate,
    Text,
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
    vat_code: Identifier
    description: Text
    rate: Percent


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
    status: Literal["active", "archived"]


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


class BillLine(Row):
    bill_id: Identifier
    line_no: Annotated[int, Field(ge=1, le=9999)]
    description: Text
    nominal_code: Identifier
    vat_code: Identifier
    net: Amount
    vat: Amount
    office: OptionalIdentifier = None
    department: OptionalIdentifier = None
    fee_earner: OptionalIdentifier = None


class CreditNote(RowWithMoney):
    money_columns = ("net", "vat", "total")

    credit_note_id: Identifier
    credit_note_number: Identifier
    client_id: Identifier
    bill_id: OptionalIdentifier = None
    date: IsoDate
    currency: Currency
    exchange_rate: Rate
    nominal_code: Identifier
    vat_code: Identifier
    net: NonNegativeAmount
    vat: NonNegativeAmount
    total: PositiveAmount
    reason: OptionalText = None

    @model_validator(mode="after")
    def _rules(self) -> CreditNote:
        if self.net + self.vat != self.total:
            raise RuleBroken("total", f"{self.total} is not net {self.net} + vat {self.vat}")
        return self


class WriteOff(RowWithMoney):
    money_columns = ("amount",)

    write_off_id: Identifier
    client_id: Identifier
    bill_id: Identifier
    date: IsoDate
    currency: Currency
    amount: PositiveAmount
    reason: Text


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


class ReturnedReceipt(Row):
    return_id: Identifier
    receipt_id: Identifier
    date: IsoDate
    reason: Text


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
    money_columns = ("amount",)

    """Unallocated cash or an unapplied credit note, later applied to a bill."""

    allocation_id: Identifier
    source_type: Literal["unallocated_receipt", "credit_note"]
    source_id: Identifier
    bill_id: Identifier
    date: IsoDate
    currency: Currency
    amount: PositiveAmount


class Debtor(RowWithMoney):
    money_columns = ("balance",)

    """The PMS's own outstanding balance for a client in one currency: the reconciliation control."""

    client_id: Identifier
    currency: Currency
    balance: Amount
    as_at: IsoDate


class NominalMapping(Row):
    nominal_code: Identifier
    xero_account_code: Identifier


class VatMapping(Row):
    vat_code: Identifier
    xero_tax_type: Identifier


class TrackingMapping(Row):
    dimension: Literal["office", "department", "fee_earner"]
    pms_value: Identifier
    xero_category: Text
    xero_option: Text


class BankMapping(Row):
    bank_account: Identifier
    xero_account_code: Identifier


class EntityMapping(Row):
    entity: Identifier
    xero_tenant_id: Identifier
    xero_organisation_name: Text
    base_currency: Currency


class IdentityLink(Row):
    """This source's id names the same client or document as an id of an earlier source (a PMS change)."""

    kind: Literal["client", "bill", "credit_note", "receipt", "unallocated_receipt"]
    source_id: Identifier
    previous_source: Identifier
    previous_id: Identifier
