"""Documents: what the warehouse keeps per PMS record and what Xero will receive, as typed values.

A bill arrives as a header row and its line rows; it is one document. Each document is known by
its firm-level identity (stable across a change of PMS); the ids it refers to (its client, the
bill a receipt pays) are firm-level ids too, so what it depends on follows from its content. Its
version is a hash of that content: the same content arriving again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from cynare.domain.money import Money


@dataclass(frozen=True, slots=True, order=True)
class DocKey:
    dataset: str
    firm_id: str

    def __str__(self) -> str:
        return f"{self.dataset}|{self.firm_id}"

    @classmethod
    def parse(cls, text: str) -> DocKey:
        dataset, _, firm_id = text.partition("|")
        return cls(dataset, firm_id)


@dataclass(frozen=True, slots=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    name: str
    default_currency: str
    email: str | None = None
    address: Address = Address()
    tax_number: str | None = None
    archived: bool = False
    archived_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Tracking:
    dimension: str  # office, department, fee_earner
    value: str


@dataclass(frozen=True, slots=True)
class Line:
    line_no: int
    description: str
    nominal_code: str
    vat_code: str
    net: Money
    vat: Money
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    tracking: tuple[Tracking, ...] = ()


@dataclass(frozen=True, slots=True)
class Bill:
    bill_id: str
    number: str
    client_id: str
    date: dt.date
    due_date: dt.date
    exchange_rate: Decimal
    total: Money
    lines: tuple[Line, ...]
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class CreditNote:
    credit_note_id: str
    number: str
    client_id: str
    date: dt.date
    exchange_rate: Decimal
    total: Money
    lines: tuple[Line, ...]
    related_bill_id: str | None = None  # what it relates to; what it is applied to is an Allocation
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class WriteOff:
    write_off_id: str
    client_id: str
    bill_id: str
    date: dt.date
    exchange_rate: Decimal
    nominal_code: str  # the bad-debt account, mapped per entity
    net: Money
    vat: Money  # VAT reclaimed as bad-debt relief, where the VAT code allows it
    amount: Money
    reason: str
    vat_code: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    receipt_id: str
    client_id: str
    date: dt.date
    exchange_rate: Decimal
    amount: Money
    bank_account: str
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiptAllocation:
    """One receipt's allocation to one bill: a document of its own, so one held allocation holds no other."""

    receipt_id: str
    bill_id: str
    amount: Money


@dataclass(frozen=True, slots=True)
class ReturnedPart:
    bill_id: str
    amount: Money


@dataclass(frozen=True, slots=True)
class ReturnedReceipt:
    """A bounced receipt: whole when it names no parts, else only the allocations it names."""

    return_id: str
    receipt_id: str
    date: dt.date
    reason: str
    amount: Money | None = None
    parts: tuple[ReturnedPart, ...] = ()


@dataclass(frozen=True, slots=True)
class UnallocatedReceipt:
    unallocated_id: str
    client_id: str
    date: dt.date
    exchange_rate: Decimal
    amount: Money
    bank_account: str
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    """Unallocated cash or a credit note applied to a bill."""

    allocation_id: str
    source: DocKey  # the unallocated receipt or the credit note
    bill_id: str
    date: dt.date
    amount: Money


@dataclass(frozen=True, slots=True)
class Cancellation:
    """A document voided or deleted in the PMS, said explicitly."""

    target: DocKey
    date: dt.date
    reason: str


Body = (
    Client | Bill | CreditNote | WriteOff | Receipt | ReceiptAllocation | ReturnedReceipt | UnallocatedReceipt
    | Allocation | Cancellation
)  # fmt: skip


def references(body: Body) -> tuple[DocKey, ...]:
    """The documents `body` depends on: they must be in the warehouse (and later in Xero) first."""
    keys: list[DocKey] = []
    if not isinstance(body, Client | Cancellation | ReceiptAllocation | ReturnedReceipt | Allocation):
        keys.append(DocKey("clients", body.client_id))
    if isinstance(body, WriteOff):
        keys.append(DocKey("bills", body.bill_id))
    elif isinstance(body, CreditNote) and body.related_bill_id:
        keys.append(DocKey("bills", body.related_bill_id))
    elif isinstance(body, ReceiptAllocation):
        keys += [DocKey("receipts", body.receipt_id), DocKey("bills", body.bill_id)]
    elif isinstance(body, ReturnedReceipt):
        keys.append(DocKey("receipts", body.receipt_id))
        keys += [DocKey("receipt_allocations", f"{body.receipt_id}|{part.bill_id}") for part in body.parts]
    elif isinstance(body, Allocation):
        keys += [body.source, DocKey("bills", body.bill_id)]
    elif isinstance(body, Cancellation):
        keys.append(body.target)
    return tuple(sorted(set(keys)))


@dataclass(frozen=True, slots=True)
class Document:
    entity: str
    key: DocKey
    source_system: str
    source_id: str
    body: Body
    rows: int = 1  # extract rows folded into this document (a bill's header and its lines)
    version: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.version:
            from cynare.domain.payloads import canonical_json, to_payload

            digest = hashlib.sha256(canonical_json(to_payload(self.body)).encode()).hexdigest()[:16]
            object.__setattr__(self, "version", digest)

    @property
    def depends_on(self) -> tuple[DocKey, ...]:
        return references(self.body)
