"""Rules that span rows and files of one batch.

A row that breaks one is moved from accepted to rejected, and so are the rows that depend on
it (a bill's lines go with the bill), so every row read still ends in exactly one place.
Which datasets go with which parent is the registry's (`DATASETS[...].parent`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

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


def apply_batch_rules(files: Files) -> None:
    for parsed in files.values():
        _reject_duplicate_keys(parsed)
    _one_as_at_date(files.get("debtors"))
    for parent, part, rule, orphan, childless in _PARTS:
        _check_parts(files, parent, part, DATASETS[parent].key[0], rule, orphan=orphan, childless=childless)


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


_CHANGED = "(a changed {0} is extracted with all its {1})"
_PARTS: tuple[tuple[str, str, PartsRule, str, str | None], ...] = (
    ("bills", "bill_lines", _lines_rule,
     "has no header in bills.csv of this batch " + _CHANGED.format("bill", "lines"), "has no lines in bill_lines.csv"),
    ("credit_notes", "credit_note_lines", _lines_rule,
     "has no header in credit_notes.csv of this batch " + _CHANGED.format("credit note", "lines"),
     "has no lines in credit_note_lines.csv"),
    ("receipts", "receipt_allocations", _receipt_allocations_rule,
     "has no receipt in receipts.csv of this batch " + _CHANGED.format("receipt", "allocations"),
     "has no allocations in receipt_allocations.csv (cash with no bill is an unallocated receipt)"),
    ("returned_receipts", "returned_allocations", _returned_allocations_rule,
     "has no return in returned_receipts.csv of this batch", None),
)  # fmt: skip


def _check_parts(
    files: Files, parent_name: str, part_name: str, link: str, rule: PartsRule, *, orphan: str, childless: str | None
) -> None:
    parents, parts = files.get(parent_name), files.get(part_name)
    if parents is None and parts is None:
        return
    by_parent: dict[str, list[tuple[int, Row]]] = defaultdict(list)
    for line, part in parts.accepted if parts else []:
        by_parent[getattr(part, link)].append((line, part))
    kept_parents: list[tuple[int, Row]] = []
    # Parents refused by their own row rules, and those refused below for their parts.
    rejected_ids: set[str] = set(parents.rejected_keys) if parents else set()
    for line, parent in parents.accepted if parents else []:
        key = getattr(parent, link)
        own = by_parent.get(key, [])
        if not own and childless is not None:
            broken: tuple[str, str] | None = (link, f"{key} {childless}")
        else:
            broken = rule(parent, [part for _, part in own])
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
            parts.rejected.append(
                Rejection(
                    parts.dataset.filename, line, link, f"its {parent_name[:-1].replace('_', ' ')} {key} was rejected"
                )
            )
        else:
            parts.rejected.append(Rejection(parts.dataset.filename, line, link, f"{key} {orphan}"))
    parts.accepted = kept_parts
