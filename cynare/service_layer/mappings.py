"""Use case: the mappings a finance team sets on the pages, without waiting for the PMS.

    list_mappings(uow, "UK")                                        # every code: the PMS's mapping, what is set here
    set_mapping(uow, queue, "UK", "nominal", "4999", "201", "Ann", clock)
    remove_mapping(uow, queue, "UK", "nominal", "4999", "Ann", clock)

A PMS code (a nominal, a VAT code, an office, department or fee earner, a bank account) maps to what the
entity's Xero organisation has. The PMS's map_* rows say one thing; a mapping set here is kept apart
(holding.OVERRIDES) and wins, so no later import undoes it. Only a value in Xero's lists (xero_lists) is
accepted. After every change the entity's held documents are judged again, and the entity is announced for
posting when some were released.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cynare.domain.exception_advice import missing_mapping
from cynare.domain.holds import HoldKind, MappingBook
from cynare.domain.lifecycle import State, reassess
from cynare.errors import CynareError
from cynare.extract.fields import ID_MAX, IDENTIFIER_PATTERN
from cynare.service_layer.holding import (
    OVERRIDES,
    TRACKING_DIMENSIONS,
    HoldJudge,
    mapping_book,
    reassess_waiting,
    related_keys,
)
from cynare.service_layer.mappings_csv import CsvProblem, read_csv, write_csv
from cynare.service_layer.ports import WorkQueue
from cynare.service_layer.unit_of_work import EntityWork, UnitOfWork
from cynare.service_layer.xero_lists import XeroOption, XeroOptions, read_kept, xero_options

__all__ = [
    "ChangeOutcome",
    "CodeMapping",
    "CsvRefused",
    "EntityMappings",
    "MappingChange",
    "MappingKind",
    "MappingRefused",
    "export_csv",
    "import_csv",
    "list_mappings",
    "remove_mapping",
    "set_mapping",
    "unmapped_codes",
    "xero_options",
]


class MappingKind(StrEnum):
    NOMINAL = "nominal"
    VAT = "vat"
    OFFICE = "office"
    DEPARTMENT = "department"
    FEE_EARNER = "fee_earner"
    BANK = "bank"

    @property
    def words(self) -> str:
        """As a person says it: "nominal code", "fee earner"."""
        return _WORDS[self]

    @property
    def xero_list(self) -> str:
        """Which of Xero's lists (xero_lists.LISTS) its values come from."""
        return _LISTS.get(self, "tracking")


_WORDS = {MappingKind.NOMINAL: "nominal code", MappingKind.VAT: "VAT code", MappingKind.OFFICE: "office",
          MappingKind.DEPARTMENT: "department", MappingKind.FEE_EARNER: "fee earner",
          MappingKind.BANK: "bank account"}  # fmt: skip
_LISTS = {MappingKind.NOMINAL: "accounts", MappingKind.VAT: "tax_rates", MappingKind.BANK: "bank"}
_LIST_WORDS = {"accounts": "accounts", "tax_rates": "tax rates", "tracking": "tracking options",
               "bank": "bank accounts"}  # fmt: skip
# The PMS's rows for each kind but tracking (two columns, read apart): dataset, the column holding Xero's value.
_PMS_ROWS = {MappingKind.NOMINAL: ("map_nominal", "xero_account_code"), MappingKind.VAT: ("map_vat", "xero_tax_type"),
             MappingKind.BANK: ("map_bank", "xero_account_code")}  # fmt: skip
_CODE = re.compile(IDENTIFIER_PATTERN)
_KINDS = frozenset(kind.value for kind in MappingKind)
# Datasets whose documents name codes: a removed mapping holds those of them ready to post.
_CODED = ("bills", "credit_notes", "write_offs", "receipts", "unallocated_receipts")


class MappingRefused(CynareError):
    """A change refused, naming the form field that is wrong and what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field  # "kind", "code" or "value"
        self.message = message


class CsvRefused(CynareError):
    """An import refused whole: every wrong row, with its number and field; nothing was applied."""

    def __init__(self, problems: list[CsvProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file; nothing was imported")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class SetHere:
    value: str  # "" once removed
    by: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class CodeMapping:
    kind: MappingKind
    code: str
    pms: str | None  # what the PMS maps it to: None without a PMS row, "" when the row has no Xero value
    here: SetHere | None = None  # what is set on the pages (None, or value "", when nothing is)
    held: int = 0  # documents waiting on this code

    @property
    def value(self) -> str:
        """What posting uses: what is set here, else the PMS's."""
        return self.here.value if self.here and self.here.value else (self.pms or "")

    @property
    def mapped(self) -> bool:
        return bool(self.value)

    @property
    def set_here(self) -> bool:
        return bool(self.here and self.here.value)


@dataclass(frozen=True, slots=True)
class EntityMappings:
    entity: str
    codes: list[CodeMapping]  # not mapped first (most documents held first), then by kind and code
    options: XeroOptions

    def of(self, *kinds: MappingKind) -> list[CodeMapping]:
        return [mapping for mapping in self.codes if mapping.kind in kinds]

    def find(self, kind: MappingKind, code: str) -> CodeMapping | None:
        return next((m for m in self.codes if m.kind is kind and m.code == code), None)

    def choices(self, kind: MappingKind) -> tuple[XeroOption, ...]:
        return self.options.listed(kind.xero_list)

    def label(self, kind: MappingKind, value: str) -> str:
        """Xero's name for a value, when the kept lists have it."""
        found = self.options.find(kind.xero_list, value) if value else None
        return found.label if found else value


@dataclass(frozen=True, slots=True)
class MappingChange:
    kind: MappingKind
    code: str
    before: str  # what posting used ("" = not mapped)
    after: str


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    entity: str
    changes: list[MappingChange] = field(default_factory=list)
    released: int = 0  # held documents now ready to post
    held: int = 0  # ready documents held again (a mapping removed)


def list_mappings(uow: UnitOfWork, entity: str) -> EntityMappings:
    with uow.for_entity(entity) as work:
        return EntityMappings(entity, _codes(work), read_kept(work))


def unmapped_codes(uow: UnitOfWork, entity: str) -> list[CodeMapping]:
    """Codes seen in the entity's extracts (held documents, the PMS's empty rows) that map to nothing."""
    return [mapping for mapping in list_mappings(uow, entity).codes if not mapping.mapped]


def parse_kind(text: str) -> MappingKind:
    try:
        return MappingKind(text.strip())
    except ValueError:
        kinds = ", ".join(kind.value for kind in MappingKind)
        raise MappingRefused("kind", f"{text.strip()[:40]!r} is not a kind of mapping: use one of {kinds}") from None


def check_code(code: str) -> str:
    if not code or len(code) > ID_MAX or not _CODE.match(code):
        raise MappingRefused("code", "give the PMS code as the PMS writes it (printable characters, none of "
                             "| ~ # / \\ ?, no space at either end)")  # fmt: skip
    return code


def set_mapping(
    uow: UnitOfWork, queue: WorkQueue, entity: str, kind: str, code: str, value: str, by: str,
    clock: Callable[[], datetime],
) -> ChangeOutcome:  # fmt: skip
    """Map `code` to `value`, one of Xero's; nothing is written when it already maps to it."""
    chosen, code = parse_kind(kind), check_code(code.strip())
    with uow.for_entity(entity) as work:
        options = read_kept(work)
        current = _current(work, chosen, code)
        _check_value(options, chosen, code, value.strip())
        if current.value == value.strip():
            return ChangeOutcome(entity)
        outcome = _apply(work, [(chosen, code, value.strip(), current.value)], by, clock)
    _announce(queue, outcome, by)
    return outcome


def remove_mapping(
    uow: UnitOfWork, queue: WorkQueue, entity: str, kind: str, code: str, by: str, clock: Callable[[], datetime]
) -> ChangeOutcome:
    """Remove what is set here for `code`: the PMS's mapping applies again (or none, and what uses it waits)."""
    chosen, code = parse_kind(kind), check_code(code.strip())
    with uow.for_entity(entity) as work:
        current = _current(work, chosen, code)
        if not current.set_here:
            raise MappingRefused("code", f"nothing is set here for {chosen.words} {code}: the PMS's mapping applies")
        after = current.pms or ""
        outcome = _apply(work, [(chosen, code, "", current.value)], by, clock, after={(chosen, code): after})
    _announce(queue, outcome, by)
    return outcome


def import_csv(
    uow: UnitOfWork, queue: WorkQueue, entity: str, data: bytes, by: str, clock: Callable[[], datetime]
) -> ChangeOutcome:
    """Apply a CSV of kind, code, value: every row checked first, nothing applied when one is wrong.

    A row whose value is what posting already uses changes nothing; an empty value removes what is set here
    (a code only the PMS maps, or nobody, is left as it is): an export imported again changes nothing.
    """
    rows, problems = read_csv(data)
    if problems:
        raise CsvRefused(problems)
    with uow.for_entity(entity) as work:
        options = read_kept(work)
        codes = {(m.kind, m.code): m for m in _codes(work)}
        wanted: list[tuple[MappingKind, str, str, str]] = []
        after: dict[tuple[MappingKind, str], str] = {}
        seen: dict[tuple[MappingKind, str], int] = {}
        for row in rows:
            try:
                kind, code = parse_kind(row.kind), check_code(row.code)
                if (kind, code) in seen:
                    raise MappingRefused("code", f"{kind.words} {code} is also on row {seen[(kind, code)]}: keep one")
                seen[(kind, code)] = row.row
                current = codes.get((kind, code)) or CodeMapping(kind, code, None)
                if not row.value:
                    if current.set_here:
                        wanted.append((kind, code, "", current.value))
                        after[(kind, code)] = current.pms or ""
                    continue
                if row.value != current.value:
                    _check_value(options, kind, code, row.value)
                    wanted.append((kind, code, row.value, current.value))
            except MappingRefused as refused:
                problems.append(CsvProblem(row.row, refused.field, refused.message))
        if problems:
            raise CsvRefused(problems)
        if not wanted:
            return ChangeOutcome(entity)
        outcome = _apply(work, wanted, by, clock, after=after)
    _announce(queue, outcome, by)
    return outcome


def export_csv(uow: UnitOfWork, entity: str) -> str:
    """Every code the entity knows, with what posting uses (empty: not mapped), as an import takes it back."""
    with uow.for_entity(entity) as work:
        codes = sorted(_codes(work), key=lambda m: (list(MappingKind).index(m.kind), m.code))
    return write_csv(
        (m.kind.value, m.code, m.value, m.pms or "", m.here.by if m.set_here and m.here else "",
         m.here.at.isoformat() if m.set_here and m.here and m.here.at else "")
        for m in codes
    )  # fmt: skip


# -- the entity's codes ------------------------------------------------------------------------------------


def _codes(work: EntityWork) -> list[CodeMapping]:
    pms: dict[tuple[MappingKind, str], str] = {}
    for kind, (dataset, column) in _PMS_ROWS.items():
        for code, row in work.reference.rows(dataset).items():
            pms[(kind, code)] = str(row.get(column) or "")
    for key, row in work.reference.rows("map_tracking").items():
        dimension, _, code = key.partition("|")
        category, option = row.get("xero_category"), row.get("xero_option")
        if dimension in TRACKING_DIMENSIONS:
            pms[(MappingKind(dimension), code)] = f"{category}/{option}" if category and option else ""
    here: dict[tuple[MappingKind, str], SetHere] = {}
    for row in work.reference.rows(OVERRIDES).values():
        if str(row.get("kind", "")) in _KINDS and row.get("code"):
            at = str(row.get("at") or "")
            set_here = SetHere(str(row.get("value") or ""), str(row.get("by") or ""),
                               datetime.fromisoformat(at) if at else None)  # fmt: skip
            here[(MappingKind(str(row["kind"])), str(row["code"]))] = set_here
    held = _held(work)
    keys = set(pms) | {key for key, value in here.items() if value.value} | set(held)
    codes = [CodeMapping(kind, code, pms.get((kind, code)), here.get((kind, code)), held[(kind, code)])
             for kind, code in keys]  # fmt: skip
    order = list(MappingKind)
    return sorted(codes, key=lambda m: (m.mapped, -m.held, order.index(m.kind), m.code))


def _held(work: EntityWork) -> Counter[tuple[MappingKind, str]]:
    """Documents waiting on each code: a document with two lines on one code counts once."""
    held: Counter[tuple[MappingKind, str]] = Counter()
    for stored in work.documents.in_state(State.WAITING):
        for hold in stored.holds:
            missing = missing_mapping(hold)
            if missing is not None and missing.kind in _KINDS:
                held[(MappingKind(missing.kind), missing.code)] += 1
    return held


def _current(work: EntityWork, kind: MappingKind, code: str) -> CodeMapping:
    found = next((m for m in _codes(work) if m.kind is kind and m.code == code), None)
    return found or CodeMapping(kind, code, None)


def _check_value(options: XeroOptions, kind: MappingKind, code: str, value: str) -> None:
    words = _LIST_WORDS[kind.xero_list]
    if options.read_at is None:
        raise MappingRefused("value", f"{options.entity}'s Xero {words} have not been read yet: press "
                             "\"Refresh from Xero\", then choose")  # fmt: skip
    if not value:
        raise MappingRefused("value", f"choose one of Xero's {words} for {kind.words} {code}")
    if options.find(kind.xero_list, value) is None:
        raise MappingRefused("value", f"{value[:60]!r} is not one of {options.entity}'s Xero {words}: choose one "
                             "from the list (refresh from Xero if it was added there just now)")  # fmt: skip


# -- a change, and what it releases ---------------------------------------------------------------------------


def _apply(
    work: EntityWork,
    wanted: list[tuple[MappingKind, str, str, str]],
    by: str,
    clock: Callable[[], datetime],
    after: dict[tuple[MappingKind, str], str] | None = None,
) -> ChangeOutcome:
    """Keep the changes (kind, code, value set here or "" to remove, value before), then judge again what they touch."""
    at = clock().isoformat()
    rows: list[tuple[str, dict[str, Any]]] = [
        (f"{kind.value}|{code}", {"kind": kind.value, "code": code, "value": value, "by": by, "at": at})
        for kind, code, value, _ in wanted
    ]
    work.reference.store(OVERRIDES, rows)
    book = mapping_book(work)
    held = _hold_unmapped(work, book, clock) if any(not value for _, _, value, _ in wanted) else 0
    released, _ = reassess_waiting(work, book, clock)
    settled = after or {}
    changes = [
        MappingChange(kind, code, before, value or settled.get((kind, code), ""))
        for kind, code, value, before in wanted
    ]
    return ChangeOutcome(work.entity, changes, released, held)


def _hold_unmapped(work: EntityWork, book: MappingBook, clock: Callable[[], datetime]) -> int:
    """Ready documents on a code that maps to nothing now wait again: posting them would be refused."""
    ready = [stored for dataset in _CODED for stored in work.documents.in_state(State.READY, dataset)]
    if not ready:
        return 0
    judge = HoldJudge(book, work.documents.get_many(related_keys(s.document for s in ready)), [])
    writes = []
    for stored in ready:
        holds = judge.holds(stored.document)
        if any(hold.kind is HoldKind.MAPPING for hold in holds):
            decided = reassess(stored, holds, clock())
            if decided is not None:
                writes.append(decided)
    lost = work.documents.save(writes)
    return len(writes) - len(lost)


def _announce(queue: WorkQueue, outcome: ChangeOutcome, by: str) -> None:
    if outcome.released:
        queue.announce(outcome.entity, f"{outcome.released} document(s) released by a mapping {by} set")


def describe(changes: Iterable[MappingChange]) -> list[str]:
    """For the audit log: "nominal code 4999: not mapped -> 201"."""
    return [f"{c.kind.words} {c.code}: {c.before or 'not mapped'} -> {c.after or 'not mapped'}" for c in changes]
