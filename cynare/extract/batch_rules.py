"""Rules that span rows and files of one batch.

A row that breaks one is moved from accepted to rejected, and so are the rows that depend on
it (a bill's lines go with the bill), so every row read still ends in exactly one place.
Which datasets go with which parent is the registry's (`DATASETS[...].parent`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Final, NamedTuple

from cynare.domain.money import has_valid_precision, quantize
from cynare.extract.datasets import DATASETS
from cynare.extract.reader import ParsedFile, Rejection
from cynare.extract.rows import (
    BillLine,
    CreditNoteLine,
    Receipt,
    ReceiptAllocation,
    ReturnedAllocation,
    ReturnedReceipt,
    Row,
)

Files = dict[str, ParsedFile]

# The most parts one document may have. A document is posted to Xero as one request and warehoused
# as one table row of at most 1 MiB with its parts (a bill with its lines; a return with the
# allocations it reverses); each allocation of a receipt is a document of its own, but the receipt
# is checked and posted with all of them. Beyond these a document is a PMS export gone wrong (a join
# that repeats rows) or one to split in the PMS.
MAX_LINES: Final = 500  # lines of a bill or a credit note
MAX_ALLOCATIONS: Final = 1_000  # allocations of a receipt
MAX_RETURNED_PARTS: Final = 1_000  # allocations a partial return reverses


def apply_batch_rules(files: Files) -> None:
    for parsed in files.values():
        _reject_duplicate_keys(parsed)
    _one_as_at_date(files.get("debtors"))
    for parts in _PARTS:
        _check_parts(files, parts)


def _reject_duplicate_keys(parsed: ParsedFile) -> None:
    first_seen: dict[str, int] = {}
    kept: list[tuple[int, Row]] = []
    for line, row in parsed.accepted:
        key = parsed.dataset.key_of(row)
        if key in first_seen:
            column = ",".join(parsed.dataset.key)
            rule = f"duplicate {column} {key!r}: first given at row {first_seen[key]}"
            parsed.rejected.append(Rejection(parsed.dataset.filename, line, column, rule))
        else:
            first_seen[key] = line
            kept.append((line, row))
    parsed.accepted = kept


def _one_as_at_date(parsed: ParsedFile | None) -> None:
    """Debtors is a snapshot: one list as at one date (the first row's)."""
    if parsed is None or not parsed.accepted:
        return
    first_line, first = parsed.accepted[0]
    as_at = getattr(first, "as_at")  # noqa: B009
    kept: list[tuple[int, Row]] = []
    for line, row in parsed.accepted:
        if getattr(row, "as_at") == as_at:  # noqa: B009
            kept.append((line, row))
        else:
            rule = f"the debtors list is a snapshot as at one date: row {first_line} is as at {as_at}"
            parsed.rejected.append(Rejection(parsed.dataset.filename, line, "as_at", rule))
    parsed.accepted = kept


# A rule returns (column, reason) when the parent and its parts disagree, else None.
PartsRule = Callable[[Row, list[Row]], tuple[str, str] | None]


def _lines_rule(header: Row, lines: list[Row]) -> tuple[str, str] | None:
    currency = str(getattr(header, "currency"))  # noqa: B009
    total = getattr(header, "total")  # noqa: B009
    for line in lines:
        assert isinstance(line, BillLine | CreditNoteLine)
        for column in ("net", "vat"):
            if not has_valid_precision(getattr(line, column), currency):
                return column, f"line {line.line_no} {column} has more decimal places than {currency} allows"
        if line.quantity is not None and line.unit_price is not None:
            extended = quantize(line.quantity * line.unit_price, currency)
            if extended != line.net:
                return "net", (
                    f"line {line.line_no}: quantity {line.quantity} x unit price {line.unit_price} is {extended}, "
                    f"not the net {line.net}"
                )
    gross = sum((line.net + line.vat for line in lines if isinstance(line, BillLine | CreditNoteLine)), Decimal(0))
    if gross != total:
        return "total", f"{total} is not the sum of its lines' net and vat ({gross})"
    return None


def _receipt_allocations_rule(receipt: Row, allocations: list[Row]) -> tuple[str, str] | None:
    assert isinstance(receipt, Receipt)
    for allocation in allocations:
        assert isinstance(allocation, ReceiptAllocation)
        if not has_valid_precision(allocation.amount, receipt.currency):
            return "amount", f"allocation to {allocation.bill_id} has more decimals than {receipt.currency} allows"
    allocated = sum((a.amount for a in allocations if isinstance(a, ReceiptAllocation)), Decimal(0))
    if allocated != receipt.amount:
        return "amount", f"{receipt.amount} is not the sum of its allocations ({allocated})"
    return None


def _returned_allocations_rule(returned: Row, parts: list[Row]) -> tuple[str, str] | None:
    assert isinstance(returned, ReturnedReceipt)
    if not parts:
        if returned.amount is not None:
            return "amount", "a partial return names the allocations it reverses in returned_allocations.csv"
        return None
    for part in parts:
        assert isinstance(part, ReturnedAllocation)
        if not has_valid_precision(part.amount, returned.currency):
            return "amount", f"the part for {part.bill_id} has more decimals than {returned.currency} allows"
    reversed_total = sum((p.amount for p in parts if isinstance(p, ReturnedAllocation)), Decimal(0))
    if returned.amount is None:
        return "amount", f"a partial return gives its amount, the sum of the allocations it reverses ({reversed_total})"
    if returned.amount != reversed_total:
        return "amount", f"{returned.amount} is not the sum of the allocations it reverses ({reversed_total})"
    return None


class _Parts(NamedTuple):
    """A document dataset, the dataset of its parts and the rules between them."""

    parent: str
    part: str
    rule: PartsRule
    orphan: str  # what a part whose parent is not in the batch is told
    childless: str | None  # what a parent with no parts is told (None: it may have none)
    most: int  # the most parts a parent may have
    counted: str  # what its parts are called
    too_many: str  # what a parent with more is told


_CHANGED = "(a changed {0} is extracted with all its {1})"
_PARTS: tuple[_Parts, ...] = (
    _Parts("bills", "bill_lines", _lines_rule,
           "has no header in bills.csv of this batch " + _CHANGED.format("bill", "lines"),
           "has no lines in bill_lines.csv",
           MAX_LINES, "lines", f"a bill may have at most {MAX_LINES} lines; split it in the PMS"),
    _Parts("credit_notes", "credit_note_lines", _lines_rule,
           "has no header in credit_notes.csv of this batch " + _CHANGED.format("credit note", "lines"),
           "has no lines in credit_note_lines.csv",
           MAX_LINES, "lines", f"a credit note may have at most {MAX_LINES} lines; split it in the PMS"),
    _Parts("receipts", "receipt_allocations", _receipt_allocations_rule,
           "has no receipt in receipts.csv of this batch " + _CHANGED.format("receipt", "allocations"),
           "has no allocations in receipt_allocations.csv (cash with no bill is an unallocated receipt)",
           MAX_ALLOCATIONS, "allocations",
           f"a receipt may be allocated to at most {MAX_ALLOCATIONS} bills; record it as several receipts in the PMS"),
    _Parts("returned_receipts", "returned_allocations", _returned_allocations_rule,
           "has no return in returned_receipts.csv of this batch", None,
           MAX_RETURNED_PARTS, "parts", f"a return may reverse at most {MAX_RETURNED_PARTS} allocations"),
)  # fmt: skip


def _check_parts(files: Files, spec: _Parts) -> None:
    parents, parts = files.get(spec.parent), files.get(spec.part)
    if parents is None and parts is None:
        return
    link = DATASETS[spec.parent].key[0]
    by_parent: dict[str, list[tuple[int, Row]]] = defaultdict(list)
    for line, part in parts.accepted if parts else []:
        by_parent[getattr(part, link)].append((line, part))
    kept_parents: list[tuple[int, Row]] = []
    # Parents refused by their own row rules, and those refused below for their parts.
    rejected_ids: set[str] = set(parents.rejected_keys) if parents else set()
    too_many: set[str] = set()  # parents refused for having too many parts: their parts say why
    for line, parent in parents.accepted if parents else []:
        key = getattr(parent, link)
        own = by_parent.get(key, [])
        broken: tuple[str, str] | None
        if len(own) > spec.most:
            too_many.add(key)
            broken = (link, f"{key} has {len(own)} {spec.counted}: {spec.too_many}")
        elif not own and spec.childless is not None:
            broken = (link, f"{key} {spec.childless}")
        else:
            broken = spec.rule(parent, [part for _, part in own])
        if broken is None:
            kept_parents.append((line, parent))
            continue
        rejected_ids.add(key)
        assert parents is not None
        parents.rejected.append(Rejection(parents.dataset.filename, line, broken[0], broken[1]))
    if parents is not None:
        parents.accepted = kept_parents
    if parts is None:
        return
    accepted_ids = {getattr(parent, link) for _, parent in kept_parents}
    kept_parts: list[tuple[int, Row]] = []
    for line, part in parts.accepted:
        key = getattr(part, link)
        if key in accepted_ids:
            kept_parts.append((line, part))
        elif key in rejected_ids:
            reason = f"its {spec.parent[:-1].replace('_', ' ')} {key} was rejected"
            if key in too_many:
                reason = f"{reason}: {spec.too_many}"
            parts.rejected.append(Rejection(parts.dataset.filename, line, link, reason))
        else:
            parts.rejected.append(Rejection(parts.dataset.filename, line, link, f"{key} {spec.orphan}"))
    parts.accepted = kept_parts
