"""Typed documents to plain JSON values and back, so a store can keep them and a hash can version them.

Money keeps its currency, amounts stay exact decimal text, dates are ISO dates: nothing passes
through a float.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from cynare.domain import documents
from cynare.domain.documents import Body, DocKey
from cynare.domain.money import Money

BODY_TYPES: dict[str, type[Any]] = {
    "clients": documents.Client,
    "bills": documents.Bill,
    "credit_notes": documents.CreditNote,
    "write_offs": documents.WriteOff,
    "receipts": documents.Receipt,
    "receipt_allocations": documents.ReceiptAllocation,
    "returned_receipts": documents.ReturnedReceipt,
    "unallocated_receipts": documents.UnallocatedReceipt,
    "allocations": documents.Allocation,
    "cancellations": documents.Cancellation,
}


def canonical_json(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def to_payload(value: Any) -> Any:
    if isinstance(value, Money):
        return {"amount": format(value.amount, "f"), "currency": value.currency}
    if isinstance(value, DocKey):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_payload(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [to_payload(item) for item in value]
    return value


def body_from_payload(dataset: str, payload: dict[str, Any]) -> Body:
    body: Body = _decode(BODY_TYPES[dataset], payload)
    return body


@cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(annotation: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(annotation)
    if origin is typing.Union or isinstance(annotation, types.UnionType):
        kinds = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _decode(kinds[0], value)
    if origin is tuple:
        item = typing.get_args(annotation)[0]
        return tuple(_decode(item, element) for element in value)
    if annotation is Money:
        return Money(Decimal(value["amount"]), value["currency"])
    if annotation is DocKey:
        return DocKey.parse(value)
    if annotation is Decimal:
        return Decimal(value)
    if annotation is date:
        return date.fromisoformat(value)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        hints = _hints(annotation)
        return annotation(**{name: _decode(hints[name], item) for name, item in value.items()})
    return value
