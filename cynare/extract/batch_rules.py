"""Rules that span rows and files of one batch.

A row that breaks one is moved from accepted to rejected, and so are the rows that depend on
it (a bill's lines go with the bill), so every row read still ends in exactly one place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from cynare.domain.money import has_valid_precision
from cynare.extract.reader import ParsedFile, Rejection
from cynare.extract.rows import Bill, BillLine, Receipt, ReceiptAllocation, Row

Files = dict[str, ParsedFile]


def apply_batch_rules(files: Files) -> None:
    for parsed in files.values():
        _reject_duplicate_keys(parsed)
    _check_parts(
        files, "bills", "bill_lines", "bill_id", _bill_lines_rule,
        orphan="has no header in bills.csv of this batch (a changed bill is extracted with all its lines)",
        childless="has no lines in bill_lines.csv",
    )  # fmt: skip
    _check_parts(
        files, "receipts", "receipt_allocations", "receipt_id", _receipt_allocations_rule,
        orphan="has no receipt in receipts.csv of this batch",
        childless="has no allocations in receipt_allocations.csv (cash with no bill is an unallocated receipt)",
    )  # fmt: skip


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


# A rule returns (column, reason) when the parent and its parts disagree, else None.
PartsRule = Callable[[Row, list[Row]], tuple[str, str] | None]


def _bill_lines_rule(bill: Row, lines: list[Row]) -> tuple[str, str] | None:
    assert isinstance(bill, Bill)
    for line in lines:
        assert isinstance(line, BillLine)
        for column in ("net", "vat"):
            if not has_valid_precision(getattr(line, column), bill.currency):
                return column, f"line {line.line_no} {column} has more decimal places than {bill.currency} allows"
    gross = sum((line.net + line.vat for line in lines if isinstance(line, BillLine)), Decimal(0))
    if gross != bill.total:
        return "total", f"{bill.total} is not the sum of its lines' net and vat ({gross})"
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


def _check_parts(
    files: Files, parent_name: str, part_name: str, link: str, rule: PartsRule, *, orphan: str, childless: str
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
        broken = (link, f"{key} {childless}") if not own else rule(parent, [part for _, part in own])
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
                Rejection(parts.dataset.filename, line, link, f"its {parent_name[:-1]} {key} was rejected")
            )
        else:
            parts.rejected.append(Rejection(parts.dataset.filename, line, link, f"{key} {orphan}"))
    parts.accepted = kept_parts
