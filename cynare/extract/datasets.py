"""The datasets of an extract batch: file name, row model, key columns and posting kind.

Format version 1. `docs/extract-format.md` documents each column; this registry is what the
agent writes and the import reads, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cynare.extract import rows

FORMAT_VERSION: Final = "1"


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    model: type[rows.Row]
    key: tuple[str, ...]
    summary: str

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.model.model_fields)

    @property
    def required_columns(self) -> frozenset[str]:
        return frozenset(name for name, field in self.model.model_fields.items() if field.is_required())

    def key_of(self, row: rows.Row) -> str:
        return "|".join(str(getattr(row, column)) for column in self.key)


_ALL = (
    Dataset("vat_codes", rows.VatCode, ("vat_code",), "PMS VAT codes with their rates"),
    Dataset("clients", rows.Client, ("client_id",), "clients: names, addresses, tax number, currency"),
    Dataset("bills", rows.Bill, ("bill_id",), "bill headers"),
    Dataset("bill_lines", rows.BillLine, ("bill_id", "line_no"), "bill lines with nominal, VAT, tracking"),
    Dataset("credit_notes", rows.CreditNote, ("credit_note_id",), "credit notes and the bill they credit"),
    Dataset("write_offs", rows.WriteOff, ("write_off_id",), "bad-debt write-offs"),
    Dataset("receipts", rows.Receipt, ("receipt_id",), "cash receipts"),
    Dataset("receipt_allocations", rows.ReceiptAllocation, ("receipt_id", "bill_id"), "receipts to bills"),
    Dataset("returned_receipts", rows.ReturnedReceipt, ("return_id",), "bounced cheques"),
    Dataset("unallocated_receipts", rows.UnallocatedReceipt, ("unallocated_id",), "overpayments"),
    Dataset("allocations", rows.Allocation, ("allocation_id",), "unallocated cash or credit applied later"),
    Dataset("debtors", rows.Debtor, ("client_id", "currency"), "PMS debtors balance per client, currency"),
    Dataset("map_nominal", rows.NominalMapping, ("nominal_code",), "nominal code to Xero account"),
    Dataset("map_vat", rows.VatMapping, ("vat_code",), "VAT code to Xero tax type"),
    Dataset("map_tracking", rows.TrackingMapping, ("dimension", "pms_value"), "office etc. to tracking"),
    Dataset("map_bank", rows.BankMapping, ("bank_account",), "PMS bank account to Xero bank account"),
    Dataset("map_entity", rows.EntityMapping, ("entity",), "entity to Xero organisation"),
    Dataset("identity_links", rows.IdentityLink, ("kind", "source_id"), "ids shared with an earlier PMS"),
)

DATASETS: dict[str, Dataset] = {dataset.name: dataset for dataset in _ALL}


def dataset_named(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}") from None
