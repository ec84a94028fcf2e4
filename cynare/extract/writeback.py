"""The write-back document: what the cloud tells a PMS after posting to Xero and reading Xero back.

Format version 1, shared by the cloud (which writes `writeback/{entity}/{writeback_id}.json`) and the
on-premises agent (which applies it and acknowledges it as
`inbound/_acks/{entity}/{writeback_id}/{version}.json`). `docs/writeback-format.md` documents every
field. Amounts are Decimal serialised as strings and always travel with their currency.

A document is identified by its entity, its id and its version: the SHA-256 of its content (every
field but `created_at`), so a document corrected and sent again under the same id is a new version,
applied in its turn, while the same content sent again is the same document.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from cynare.domain.money import has_valid_precision
from cynare.extract.fields import Currency, Identifier

WRITEBACK_CONTAINER = "writeback"
ACKS_PREFIX = "_acks"
VERSION_PATTERN = r"^[0-9a-f]{64}$"

# Decimal in, string out: JSON numbers would pass through float in many readers.
Money = Annotated[Decimal, Field(allow_inf_nan=False, gt=0), PlainSerializer(lambda v: format(v, "f"), return_type=str)]
XeroId = Annotated[str, Field(min_length=1, max_length=64)]
PostedDataset = Literal[
    "clients", "bills", "credit_notes", "write_offs", "receipts", "unallocated_receipts", "allocations"
]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcTime = Annotated[AwareDatetime, AfterValidator(_utc)]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def parameters(self) -> dict[str, Any]:
        """The item as flat SQL parameters: strings, dates as YYYY-MM-DD, amounts as plain decimals."""
        return {key: (None if value is None else str(value)) for key, value in self.model_dump(mode="json").items()}

    @classmethod
    def text_fields(cls) -> frozenset[str]:
        """The fields holding text (ids, numbers, references, reasons), not amounts or dates."""
        return frozenset(name for name, field in cls.model_fields.items() if not _is_value(field.annotation))


def _is_value(annotation: Any) -> bool:
    """An amount or a date (possibly optional): a value a CSV reader parses, never text."""
    if get_origin(annotation) in (Union, UnionType):
        return all(_is_value(part) for part in get_args(annotation) if part is not NoneType)
    return annotation in (Decimal, date)


class _Amounted(_Item):
    @model_validator(mode="after")
    def _precision(self) -> _Amounted:
        amount: Decimal = getattr(self, "amount")  # noqa: B009 - subclasses declare it
        currency: str = getattr(self, "currency")  # noqa: B009
        if not has_valid_precision(amount, currency):
            raise ValueError(f"amount {amount} has more decimal places than {currency} allows")
        return self


class Posted(_Item):
    """A PMS document now in Xero, with the id (and number, for invoices and credit notes) Xero gave it."""

    kind: Literal["posted"] = "posted"
    dataset: PostedDataset
    pms_id: Identifier
    xero_id: XeroId
    xero_number: str | None = None


class Rejected(_Item):
    """A PMS document that could not go to Xero, with what a person must do about it."""

    kind: Literal["rejected"] = "rejected"
    dataset: PostedDataset
    pms_id: Identifier
    reason: str = Field(min_length=1, max_length=1000)


class XeroReceipt(_Amounted):
    """A payment recorded in Xero against an invoice that came from a PMS bill."""

    kind: Literal["xero_receipt"] = "xero_receipt"
    xero_payment_id: XeroId
    pms_bill_id: Identifier
    date: date
    currency: Currency
    amount: Money
    xero_bank_account_code: str = Field(min_length=1, max_length=20)
    reference: str | None = None


class XeroAllocation(_Amounted):
    """A credit note, overpayment or prepayment allocated in Xero to an invoice from a PMS bill."""

    kind: Literal["xero_allocation"] = "xero_allocation"
    xero_allocation_id: XeroId
    source_kind: Literal["credit_note", "overpayment", "prepayment"]
    source_xero_id: XeroId
    pms_bill_id: Identifier
    date: date
    currency: Currency
    amount: Money


class PaymentDeleted(_Item):
    """A Xero payment deleted (for example a bounced cheque recorded in Xero)."""

    kind: Literal["payment_deleted"] = "payment_deleted"
    xero_payment_id: XeroId
    pms_receipt_id: Identifier | None = None
    pms_bill_id: Identifier
    date: date


Item = Annotated[Posted | Rejected | XeroReceipt | XeroAllocation | PaymentDeleted, Field(discriminator="kind")]
ITEM_KINDS: tuple[str, ...] = ("posted", "rejected", "xero_receipt", "xero_allocation", "payment_deleted")


class WritebackDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: Literal["1"] = "1"
    writeback_id: Identifier
    entity: Identifier
    created_at: UtcTime
    items: tuple[Item, ...]

    @property
    def blob_name(self) -> str:
        return f"{self.entity}/{self.writeback_id}.json"

    @property
    def version(self) -> str:
        """SHA-256 (hex) of the content: every field but `created_at`, as canonical JSON.

        Canonical JSON: keys sorted, no spaces, UTF-8, amounts as their strings. The same items sent
        again (even with a new `created_at`) are the same version; a corrected document is a new one.
        """
        content = self.model_dump(mode="json", exclude={"created_at"})
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_json(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes) -> WritebackDocument:
        return cls.model_validate(json.loads(data))


class Acknowledgement(BaseModel):
    """The agent's receipt for an applied document: the cloud sees it and knows the PMS has it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: Literal["1"] = "1"
    writeback_id: Identifier
    entity: Identifier
    version: str = Field(pattern=VERSION_PATTERN)  # the version of the document applied
    applied_at: UtcTime
    items: int = Field(ge=0)
    applied_by: str = Field(min_length=1, max_length=100)

    @property
    def blob_name(self) -> str:
        return ack_blob_name(self.entity, self.writeback_id, self.version)

    def to_json(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode()


def ack_blob_name(entity: str, writeback_id: str, version: str) -> str:
    """One acknowledgement per version: a corrected document is acknowledged beside the first."""
    return f"{ACKS_PREFIX}/{entity}/{writeback_id}/{version}.json"
