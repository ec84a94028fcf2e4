"""The datasets of an extract batch: file name, row model, key, role, parent and posting order.

Format version 2. `docs/extract-format.md` documents each column; this registry is what the
agent writes and the import reads, so the two cannot drift apart. It is also the one place that
says what each dataset is:

- document:  one PMS record that goes to Xero (a client, a bill, a receipt's allocation to a bill);
- part:      rows folded into their parent document (a bill's lines);
- reference: mappings and codes, kept per entity and key (the newest batch wins);
- snapshot:  the whole list as at a date (debtors): what is absent is zero on that date.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from cynare.extract import rows

FORMAT_VERSION: Final = "2"


class Role(StrEnum):
    DOCUMENT = "document"
    PART = "part"
    REFERENCE = "reference"
    SNAPSHOT = "snapshot"


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    model: type[rows.Row]
    key: tuple[str, ...]
    summary: str
    role: Role
    parent: str | None = None  # the dataset whose document this one is extracted with
    posting_order: int | None = None  # documents: posted after every dataset with a lower number

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.model.model_fields)

    @property
    def required_columns(self) -> frozenset[str]:
        return frozenset(name for name, field in self.model.model_fields.items() if field.is_required())

    @property
    def link(self) -> str | None:
        """The column naming the parent document (a bill line's `bill_id`)."""
        return DATASETS[self.parent].key[0] if self.parent else None

    def key_of(self, row: rows.Row) -> str:
        return "|".join(str(getattr(row, column)) for column in self.key)


_DOC, _PART, _REF, _SNAP = Role.DOCUMENT, Role.PART, Role.REFERENCE, Role.SNAPSHOT
_ALL = (
    Dataset("vat_codes", rows.VatCode, ("vat_code",), "PMS VAT codes: treatment and rate", _REF),
    Dataset("clients", rows.Client, ("client_id",), "clients: names, addresses, tax number, currency", _DOC,
            posting_order=1),
    Dataset("bills", rows.Bill, ("bill_id",), "bill headers", _DOC, posting_order=2),
    Dataset("bill_lines", rows.BillLine, ("bill_id", "line_no"), "bill lines with nominal, VAT, tracking", _PART,
            parent="bills"),
    Dataset("credit_notes", rows.CreditNote, ("credit_note_id",), "credit note headers", _DOC, posting_order=3),
    Dataset("credit_note_lines", rows.CreditNoteLine, ("credit_note_id", "line_no"), "credit note lines", _PART,
            parent="credit_notes"),
    Dataset("write_offs", rows.WriteOff, ("write_off_id",), "bad-debt write-offs", _DOC, posting_order=4),
    Dataset("receipts", rows.Receipt, ("receipt_id",), "cash receipts", _DOC, posting_order=5),
    Dataset("receipt_allocations", rows.ReceiptAllocation, ("receipt_id", "bill_id"),
            "receipts to bills, each allocation with its own state", _DOC, parent="receipts", posting_order=6),
    Dataset("returned_receipts", rows.ReturnedReceipt, ("return_id",), "bounced cheques, whole or in part", _DOC,
            posting_order=7),
    Dataset("returned_allocations", rows.ReturnedAllocation, ("return_id", "bill_id"),
            "the allocations a partial return reverses", _PART, parent="returned_receipts"),
    Dataset("unallocated_receipts", rows.UnallocatedReceipt, ("unallocated_id",), "overpayments", _DOC,
            posting_order=8),
    Dataset("allocations", rows.Allocation, ("allocation_id",), "unallocated cash or credit applied later", _DOC,
            posting_order=9),
    Dataset("cancellations", rows.Cancellation, ("kind", "document_id"), "documents voided or deleted in the PMS",
            _DOC, posting_order=10),
    Dataset("debtors", rows.Debtor, ("client_id", "currency"), "the whole debtors list as at a date", _SNAP),
    Dataset("map_nominal", rows.NominalMapping, ("nominal_code",), "nominal code to Xero account", _REF),
    Dataset("map_vat", rows.VatMapping, ("vat_code",), "VAT code to Xero tax type", _REF),
    Dataset("map_tracking", rows.TrackingMapping, ("dimension", "pms_value"), "office etc. to tracking", _REF),
    Dataset("map_bank", rows.BankMapping, ("bank_account",), "PMS bank account to Xero bank account", _REF),
    Dataset("organisation", rows.Organisation, ("entity",), "the entity's Xero organisation, as a check", _REF),
    Dataset("identity_links", rows.IdentityLink, ("kind", "source_id"), "ids shared with an earlier PMS", _REF),
)  # fmt: skip

DATASETS: dict[str, Dataset] = {dataset.name: dataset for dataset in _ALL}
DOCUMENT_DATASETS: tuple[str, ...] = tuple(
    sorted((d.name for d in _ALL if d.role is Role.DOCUMENT), key=lambda name: DATASETS[name].posting_order or 0)
)
# The words `cancellations.kind` and `identity_links.kind` use for a document dataset.
KIND_DATASETS: dict[str, str] = {
    "client": "clients",
    "bill": "bills",
    "credit_note": "credit_notes",
    "write_off": "write_offs",
    "receipt": "receipts",
    "unallocated_receipt": "unallocated_receipts",
    "allocation": "allocations",
}


def parts_of(parent: str) -> tuple[Dataset, ...]:
    """The datasets extracted with `parent`: its parts and its child documents."""
    return tuple(dataset for dataset in _ALL if dataset.parent == parent)


def dataset_named(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}") from None
