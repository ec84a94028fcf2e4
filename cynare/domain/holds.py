"""Why a document waits before anything reaches Xero, decided from its content and its entity's books.

Every hold names what would release it: a mapping the entity lacks, a currency its organisation
does not have, a document not received yet or rejected, a client archived before the bill. The
import that brings what was missing releases the document. Nothing here reads or writes storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from cynare.domain.documents import (
    Bill,
    Body,
    Client,
    CreditNote,
    DocKey,
    Line,
    Receipt,
    UnallocatedReceipt,
    WriteOff,
)
from cynare.domain.money import Money


class HoldKind(StrEnum):
    MAPPING = "mapping"  # a PMS code with no Xero counterpart in the entity's mappings
    CURRENCY = "currency"  # a currency the entity's organisation does not have
    VAT_RELIEF = "vat relief"  # VAT reclaimed on a write-off under a code that does not allow it
    NOT_RECEIVED = "not received"  # a document it depends on has not arrived
    PARENT_REJECTED = "parent rejected"  # a document it depends on was rejected
    PARENT_CANCELLED = "parent cancelled"  # a document it depends on was cancelled in the PMS
    ARCHIVED_CLIENT = "archived client"  # dated after its client was archived
    DORMANT = "dormant"  # an archived client nothing needs: not created in Xero
    IN_FLIGHT = "in flight"  # its target is being posted right now
    NOT_IN_XERO = "not in Xero"  # a document it depends on has not reached Xero yet (decided when posting)


@dataclass(frozen=True, slots=True, order=True)
class Hold:
    kind: HoldKind
    subject: str  # what is missing or wrong: "nominal 4010 (UK)", "bills|B7"
    detail: str = ""

    def __str__(self) -> str:
        text = f"{_LEADS[self.kind]}: {self.subject}"
        return f"{text} ({self.detail})" if self.detail else text


# How each hold reads to a finance team: what the document waits on.
_LEADS = {
    HoldKind.MAPPING: "waiting on mapping",
    HoldKind.CURRENCY: "waiting on currency",
    HoldKind.VAT_RELIEF: "waiting on VAT relief",
    HoldKind.NOT_RECEIVED: "waiting on a document not received yet",
    HoldKind.PARENT_REJECTED: "waiting on a rejected document",
    HoldKind.PARENT_CANCELLED: "waiting on a cancelled document",
    HoldKind.ARCHIVED_CLIENT: "waiting on an archived client",
    HoldKind.DORMANT: "not created in Xero",
    HoldKind.IN_FLIGHT: "waiting on an attempt in flight",
    HoldKind.NOT_IN_XERO: "waiting on a document not in Xero yet",
}


def reason_of(holds: tuple[Hold, ...]) -> str:
    return "; ".join(str(hold) for hold in holds)


@dataclass(frozen=True, slots=True)
class MappingBook:
    """An entity's mappings and settings. A code mapped to "" is known but empty: it holds like a missing one."""

    entity: str
    nominal: Mapping[str, str] = field(default_factory=dict)
    vat: Mapping[str, str] = field(default_factory=dict)
    tracking: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (dimension, value) -> "category/option"
    bank: Mapping[str, str] = field(default_factory=dict)
    vat_relief: frozenset[str] = frozenset()  # VAT codes that allow bad-debt relief
    currencies: frozenset[str] = frozenset()  # the organisation's currencies (CYNARE_ENTITIES)


@dataclass(frozen=True, slots=True)
class Standing:
    """What the import knows of a document another depends on."""

    state: str
    reason: str = ""


def content_holds(body: Body, book: MappingBook, clients: Mapping[str, Client]) -> list[Hold]:
    """Holds that follow from the document itself, its entity's books and its client."""
    holds: list[Hold] = []
    for money in _amounts(body):
        holds += _currency(money, book)
    if isinstance(body, Bill | CreditNote):
        for line in body.lines:
            holds += _line(line, book)
    if isinstance(body, WriteOff):
        holds += _code(book.nominal, "nominal", body.nominal_code, book.entity)
        if body.vat_code is not None:
            holds += _code(book.vat, "VAT code", body.vat_code, book.entity)
            if body.vat.amount and body.vat_code not in book.vat_relief:
                holds.append(Hold(HoldKind.VAT_RELIEF, f"VAT code {body.vat_code} ({book.entity})",
                                  "it does not allow bad-debt relief; fix the code or the write-off"))  # fmt: skip
    if isinstance(body, Receipt | UnallocatedReceipt):
        holds += _code(book.bank, "bank account", body.bank_account, book.entity)
    if isinstance(body, Bill | CreditNote | WriteOff):
        holds += _after_archive(body, body.date, clients.get(body.client_id))
    return sorted(set(holds))


def dependency_holds(depends_on: tuple[DocKey, ...], known: Mapping[DocKey, Standing]) -> list[Hold]:
    holds = []
    for key in depends_on:
        standing = known.get(key)
        if standing is None:
            holds.append(Hold(HoldKind.NOT_RECEIVED, str(key)))
        elif standing.state == "rejected":
            holds.append(Hold(HoldKind.PARENT_REJECTED, str(key), standing.reason))
        elif standing.state == "cancelled" and key.dataset != "clients":
            holds.append(Hold(HoldKind.PARENT_CANCELLED, str(key), standing.reason))
    return holds


def dormant_hold(client: Client, needed: bool, was_dormant: bool) -> list[Hold]:
    """An archived client that nothing needs is not created in Xero; once needed it stays created."""
    if client.archived and not needed and was_dormant:
        when = f" on {client.archived_on}" if client.archived_on else ""
        detail = "no open documents and no activity; created in Xero only when a document needs it"
        return [Hold(HoldKind.DORMANT, f"client {client.client_id}, archived{when}", detail)]
    return []


def _amounts(body: Body) -> list[Money]:
    for name in ("total", "amount"):
        value = getattr(body, name, None)
        if isinstance(value, Money):
            return [value]
    return []


def _currency(money: Money, book: MappingBook) -> list[Hold]:
    if money.currency not in book.currencies:
        return [Hold(HoldKind.CURRENCY, f"{money.currency} ({book.entity})",
                     "the organisation does not have this currency; add it in Xero and in CYNARE_ENTITIES")]  # fmt: skip
    return []


def _code(mapping: Mapping[str, str], what: str, code: str, entity: str) -> list[Hold]:
    target = mapping.get(code)
    if target is None:
        return [Hold(HoldKind.MAPPING, f"{what} {code} ({entity})", "no mapping row")]
    if not target:
        return [Hold(HoldKind.MAPPING, f"{what} {code} ({entity})", "its mapping has no Xero code")]
    return []


def _line(line: Line, book: MappingBook) -> list[Hold]:
    holds = _code(book.nominal, "nominal", line.nominal_code, book.entity)
    holds += _code(book.vat, "VAT code", line.vat_code, book.entity)
    for tracking in line.tracking:
        target = book.tracking.get((tracking.dimension, tracking.value))
        if not target:
            detail = "no mapping row" if target is None else "its mapping has no Xero tracking option"
            holds.append(Hold(HoldKind.MAPPING, f"{tracking.dimension} {tracking.value} ({book.entity})", detail))
    return holds


def _after_archive(body: Bill | CreditNote | WriteOff, dated: date, client: Client | None) -> list[Hold]:
    if client is None or not client.archived or client.archived_on is None or dated <= client.archived_on:
        return []
    return [Hold(HoldKind.ARCHIVED_CLIENT, f"client {client.client_id} archived on {client.archived_on}",
                 f"dated {dated}, after the archive date; reopen the client or correct the date")]  # fmt: skip
