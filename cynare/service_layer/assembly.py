"""Turn a validated batch's rows into typed documents, reference rows and snapshots (pure: no I/O).

Header and part rows become one document (a bill and its lines); a receipt's allocations are
documents of their own, in the receipt's currency. Every id, the document's own and those it
refers to, is translated into the firm-level identity. The registry says which dataset is what.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from cynare.domain import documents as doc
from cynare.domain.identity import IdentityMap
from cynare.domain.money import Money
from cynare.extract import rows as r
from cynare.extract.datasets import DATASETS, KIND_DATASETS, Role

ReferenceRows = list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Assembled:
    documents: list[doc.Document]
    reference: dict[str, ReferenceRows] = field(default_factory=dict)
    snapshots: dict[str, tuple[date, ReferenceRows]] = field(default_factory=dict)


def assemble(entity: str, identities: IdentityMap, accepted: Mapping[str, Iterable[r.Row]]) -> Assembled:
    """The documents, reference rows and snapshots of a batch's rows (left as they are)."""
    return _assemble(entity, identities, {name: list(rows) for name, rows in accepted.items()}, take=False)


def assemble_taking(entity: str, identities: IdentityMap, accepted: dict[str, list[r.Row]]) -> Assembled:
    """As `assemble`, taking the rows of a validated batch: each list is emptied as its rows are used, so a row
    model is freed as soon as its document (or reference row) is built, and a part as soon as its parent's
    (a parent's key is unique in a validated batch, so its parts are used once)."""
    return _assemble(entity, identities, accepted, take=True)


def _assemble(entity: str, identities: IdentityMap, accepted: dict[str, list[r.Row]], *, take: bool) -> Assembled:
    parts: dict[str, dict[str, list[r.Row]]] = defaultdict(lambda: defaultdict(list))
    for name, rows in accepted.items():
        dataset = DATASETS[name]
        if dataset.role is Role.PART and dataset.link is not None:
            for row in rows:
                parts[name][str(getattr(row, dataset.link))].append(row)
            rows.clear()  # held by their parent's key now, until the parent's document takes them
    currencies = {row.receipt_id: row.currency for row in accepted.get("receipts", ()) if isinstance(row, r.Receipt)}
    builder = _Builder(entity, identities, parts, take)
    assembled = Assembled([])
    for name, rows in accepted.items():
        dataset = DATASETS[name]
        if dataset.role is Role.REFERENCE:
            assembled.reference[name] = [(dataset.key_of(row), row.model_dump(mode="json")) for row in rows]
        elif dataset.role is Role.SNAPSHOT:
            if rows:
                as_at: date = getattr(rows[0], "as_at")  # noqa: B009 - one date per file (batch rule)
                assembled.snapshots[name] = (
                    as_at,
                    [(dataset.key_of(row), row.model_dump(mode="json")) for row in rows],
                )
        elif dataset.role is Role.DOCUMENT:
            rows.reverse()  # taken from the end, in the file's order
            while rows:
                assembled.documents.append(builder.document(name, rows.pop(), currencies))
        rows.clear()
    return assembled


class _Builder:
    def __init__(
        self, entity: str, identities: IdentityMap, parts: dict[str, dict[str, list[r.Row]]], take: bool
    ) -> None:
        self.entity = entity
        self.ids = identities
        self.parts = parts
        self.take = take

    def firm(self, dataset: str, source_id: str) -> str:
        return self.ids.firm_id(dataset, source_id)

    def document(self, dataset: str, row: r.Row, receipt_currencies: Mapping[str, str]) -> doc.Document:
        source_id = "|".join(str(getattr(row, column)) for column in DATASETS[dataset].key)
        body, rows = self._body(row, receipt_currencies)
        firm_id = self._own_firm_id(dataset, row, source_id)
        return doc.Document(self.entity, doc.DocKey(dataset, firm_id), self.ids.source, source_id, body, rows)

    def _own_firm_id(self, dataset: str, row: r.Row, source_id: str) -> str:
        if isinstance(row, r.ReceiptAllocation):
            return f"{self.firm('receipts', row.receipt_id)}|{self.firm('bills', row.bill_id)}"
        if isinstance(row, r.Cancellation):
            target = KIND_DATASETS[row.kind]
            return f"{target}|{self.firm(target, row.document_id)}"
        return self.firm(dataset, source_id)

    def _parts(self, part: str, owner: str) -> list[r.Row]:
        return self.parts[part].pop(owner, []) if self.take else self.parts[part].get(owner, [])

    def _lines(self, part: str, owner: str, currency: str) -> tuple[doc.Line, ...]:
        return tuple(_line(line, currency) for line in sorted(self._parts(part, owner), key=_line_no))

    def _body(self, row: r.Row, receipt_currencies: Mapping[str, str]) -> tuple[doc.Body, int]:
        f = self.firm
        if isinstance(row, r.Client):
            address = doc.Address(row.address_line1, row.address_line2, row.city, row.region, row.postal_code,
                                  row.country)  # fmt: skip
            return doc.Client(f("clients", row.client_id), row.name, row.default_currency, row.email, address,
                              row.tax_number, row.status == "archived", row.archived_on), 1  # fmt: skip
        if isinstance(row, r.Bill):
            lines = self._lines("bill_lines", row.bill_id, row.currency)
            return doc.Bill(f("bills", row.bill_id), row.bill_number, f("clients", row.client_id), row.date,
                            row.due_date, row.exchange_rate, Money(row.total, row.currency), lines,
                            row.reference), 1 + len(lines)  # fmt: skip
        if isinstance(row, r.CreditNote):
            lines = self._lines("credit_note_lines", row.credit_note_id, row.currency)
            related = f("bills", row.related_bill_id) if row.related_bill_id else None
            return doc.CreditNote(f("credit_notes", row.credit_note_id), row.credit_note_number,
                                  f("clients", row.client_id), row.date, row.exchange_rate,
                                  Money(row.total, row.currency), lines, related, row.reason), 1 + len(lines)  # fmt: skip
        if isinstance(row, r.WriteOff):
            c = row.currency
            return doc.WriteOff(f("write_offs", row.write_off_id), f("clients", row.client_id), f("bills", row.bill_id),
                                row.date, row.exchange_rate, row.nominal_code, Money(row.net, c), Money(row.vat, c),
                                Money(row.amount, c), row.reason, row.vat_code), 1  # fmt: skip
        if isinstance(row, r.Receipt):
            return doc.Receipt(f("receipts", row.receipt_id), f("clients", row.client_id), row.date,
                               row.exchange_rate, Money(row.amount, row.currency), row.bank_account,
                               row.reference), 1  # fmt: skip
        if isinstance(row, r.ReceiptAllocation):
            currency = receipt_currencies[row.receipt_id]  # the batch rules keep allocations with their receipt
            return doc.ReceiptAllocation(f("receipts", row.receipt_id), f("bills", row.bill_id),
                                         Money(row.amount, currency)), 1  # fmt: skip
        if isinstance(row, r.ReturnedReceipt):
            c = row.currency
            returned = sorted(self._parts("returned_allocations", row.return_id), key=_bill_of)
            parts = tuple(doc.ReturnedPart(f("bills", p.bill_id), Money(p.amount, c)) for p in returned
                          if isinstance(p, r.ReturnedAllocation))  # fmt: skip
            amount = Money(row.amount, c) if row.amount is not None else None
            return doc.ReturnedReceipt(f("returned_receipts", row.return_id), f("receipts", row.receipt_id),
                                       row.date, row.reason, amount, parts), 1 + len(parts)  # fmt: skip
        if isinstance(row, r.UnallocatedReceipt):
            return doc.UnallocatedReceipt(f("unallocated_receipts", row.unallocated_id), f("clients", row.client_id),
                                          row.date, row.exchange_rate, Money(row.amount, row.currency),
                                          row.bank_account, row.reference), 1  # fmt: skip
        if isinstance(row, r.Allocation):
            source = "unallocated_receipts" if row.source_type == "unallocated_receipt" else "credit_notes"
            return doc.Allocation(f("allocations", row.allocation_id), doc.DocKey(source, f(source, row.source_id)),
                                  f("bills", row.bill_id), row.date, Money(row.amount, row.currency)), 1  # fmt: skip
        if isinstance(row, r.Cancellation):
            target = KIND_DATASETS[row.kind]
            return doc.Cancellation(doc.DocKey(target, f(target, row.document_id)), row.date, row.reason), 1
        raise TypeError(f"no document is built from {type(row).__name__}")


def _line_no(row: r.Row) -> int:
    return int(getattr(row, "line_no"))  # noqa: B009


def _bill_of(row: r.Row) -> str:
    return str(getattr(row, "bill_id"))  # noqa: B009


def _line(row: r.Row, currency: str) -> doc.Line:
    assert isinstance(row, r.BillLine | r.CreditNoteLine)
    tracking = tuple(doc.Tracking(dimension, value) for dimension in ("office", "department", "fee_earner")
                     if (value := getattr(row, dimension)) is not None)  # fmt: skip
    quantity = Decimal(row.quantity) if row.quantity is not None else None
    return doc.Line(row.line_no, row.description, row.nominal_code, row.vat_code, Money(row.net, currency),
                    Money(row.vat, currency), quantity, row.unit_price, tracking)  # fmt: skip
