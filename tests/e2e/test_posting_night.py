"""The night, end to end: PMS batches imported on Azurite, then posted to each entity's own (local) Xero.

Every PMS document reaches its own organisation once, with the PMS's amounts, tax, tracking, currency
and rate; the warehouse accounts for every row it received; running the night again adds nothing;
and nothing of one entity ever reaches another's organisation.

The helpers below (a firm on Azurite and the local Xero, nights of hand-written batches, readings of
the emulator's books) are shared with test_posting_faults.py and test_posting_refusals.py.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from azure.data.tables import TableServiceClient, UpdateMode
from azure.storage.blob import BlobServiceClient

from cynare.adapters.poster_lock import BlobPosterLock
from cynare.adapters.secrets_box import SecretsBox
from cynare.adapters.work_queue import StorageWorkQueue
from cynare.bootstrap import App, AppSettings, bootstrap
from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State, StoredDocument
from cynare.extract.datasets import DATASETS, DOCUMENT_DATASETS, Role
from cynare.sandbox.xero.clock import ScaledClock
from cynare.sandbox.xero.emulator import Emulator
from cynare.sandbox.xero.state import Tenant
from cynare.service_layer.connect import ConnectRefused
from cynare.service_layer.import_batch import ImportOutcome, ImportStatus
from cynare.service_layer.posting.run import PostingOutcome, PostingStatus, XeroConnector, post_to_xero
from cynare.service_layer.unit_of_work import UnitOfWork
from cynare.service_layer.xero_port import IssueKind
from tests.batches import Rows, merge, write_batch

SOURCE = "pms-a"
ENTITIES = json.dumps({
    "UK": {"base_currency": "GBP", "currencies": ["GBP", "EUR", "USD"], "sources": [SOURCE]},
    "IE": {"base_currency": "EUR", "currencies": ["EUR", "GBP"], "sources": [SOURCE]},
    "US": {"base_currency": "USD", "currencies": ["USD"], "sources": [SOURCE]},
})  # fmt: skip
# What the emulator's books hold, record by record: compared whole to prove "nothing changed in Xero".
BOOK_PARTS = ("contacts", "invoices", "credit_notes", "payments", "batch_payments", "overpayments",
              "bank_transactions", "allocations")  # fmt: skip


# -- the firm: Azurite, the local Xero, the app -------------------------------------------------------------


class JumpClock(ScaledClock):
    """The local Xero's clock, running `1 / time_scale` times as fast as real time, and moved on by hand
    (past Xero's 6-minute idempotency window, past a day) without waiting for it."""

    def __init__(self, time_scale: float) -> None:
        super().__init__(time_scale, datetime.now(UTC))
        self._jumped = 0.0
        self._lock = threading.Lock()

    def seconds(self) -> float:
        with self._lock:
            return super().seconds() + self._jumped

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._jumped += seconds


@dataclass
class Firm:
    """One test's firm: its own tables, containers and queue on the shared Azurite, its own local Xero."""

    app: App
    xero: Emulator
    clock: JumpClock
    storage_connection: str
    prefix: str
    folder: Path
    sequences: dict[str, int] = field(default_factory=dict)
    waits_for_retry_after: bool = False  # a test where Xero answers 429 and its Retry-After must be waited out

    @property
    def uow(self) -> UnitOfWork:
        return self.app.uow

    def sleep(self, seconds: float) -> None:
        """The poster's waits. Its back-offs (1, 4, 15 s) are Xero's seconds, which the local Xero lives
        `time_scale` times as fast; a Retry-After is already in real seconds, and never more than its minute."""
        if self.waits_for_retry_after:
            time.sleep(min(seconds, 60 * self.clock.time_scale))
        else:
            time.sleep(seconds * self.clock.time_scale)

    def connect(self, *entities: str) -> None:
        for entity in entities:
            client = self.xero.client_for(entity)
            self.app.connect_custom(entity, client.client_id, client.client_secret, "e2e test")

    def night(
        self, rows_by_entity: Mapping[str, Rows], extracted_at: datetime | None = None
    ) -> dict[str, ImportOutcome]:
        """The agent's night: one batch per entity uploaded (manifest last), then the import timer's run."""
        container = BlobServiceClient.from_connection_string(self.storage_connection).get_container_client(
            self.app.settings.inbound_container
        )
        batch_ids = {}
        for entity, rows in rows_by_entity.items():
            sequence = self.sequences[entity] = self.sequences.get(entity, 0) + 1
            folder = self.folder / f"{entity}-{sequence}"
            extract_time = {"extracted_at": extracted_at} if extracted_at else {}
            manifest = write_batch(folder, rows, entity=entity, source=SOURCE, sequence=sequence, **extract_time)
            for path in sorted(folder.iterdir(), key=lambda p: p.name == "manifest.json"):
                container.upload_blob(f"{entity}/{manifest.batch_id}/{path.name}", path.read_bytes(), overwrite=True)
            batch_ids[entity] = manifest.batch_id
        outcomes = {o.entity: o for o in self.app.import_extracts(None) if o.batch_id == batch_ids.get(o.entity)}
        for entity in rows_by_entity:
            assert outcomes[entity].status is ImportStatus.IMPORTED, outcomes[entity]
        return outcomes

    def post(
        self,
        entity: str,
        *,
        connector: XeroConnector | None = None,
        uow: UnitOfWork | None = None,
    ) -> PostingOutcome:
        """One run of `post_to_xero`, as the queue's message would start it (through another door, or over
        another unit of work, when a test wraps them)."""
        return post_to_xero(entity, uow or self.app.uow, connector or self.app.connector, self.app.lock,
                            self.app.queue, self.app.clock, self.sleep, self.app.settings.budget)  # fmt: skip

    def documents(self, entity: str) -> dict[DocKey, StoredDocument]:
        with self.uow.for_entity(entity) as work:
            return {s.document.key: s for state in State for s in work.documents.in_state(state)}

    def writes_to(self, entity: str) -> int:
        """Calls that could change the organisation's books (POST, PUT, DELETE), answered or not."""
        tenant_id = self.xero.tenant(entity).tenant_id
        return sum(1 for r in self.xero.log.records() if r.tenant_id == tenant_id and r.method != "GET")


def make_firm(
    tmp_path: Path,
    storage_connection: str,
    unique_name: str,
    make_xero_emulator: Callable[..., Emulator],
    *,
    time_scale: float = 1 / 600,
    books: Any = None,
    waits_for_retry_after: bool = False,
    entities: str = ENTITIES,
) -> Firm:
    """A firm on this test's own tables and containers, with its own local Xero.

    `time_scale` is the local Xero's (1/600: a minute in 0.1 s, Xero's 6-minute idempotency window in
    0.6 s), and the app is told the same (CYNARE_XERO_TIME_SCALE: its pacer's minute).
    """
    clock = JumpClock(time_scale)
    options: dict[str, Any] = {"clock": clock}
    if books is not None:
        options["books"] = books
    xero = make_xero_emulator(**options)
    settings = AppSettings.from_env({
        "CYNARE_STORAGE_CONNECTION": storage_connection, "CYNARE_TABLE_PREFIX": unique_name,
        "CYNARE_INBOUND_CONTAINER": f"{unique_name}in", "CYNARE_ENTITIES": entities,
        "CYNARE_TOKEN_KEY": SecretsBox.new_key_text(), "CYNARE_XERO_URL": xero.url,
        "CYNARE_XERO_TIME_SCALE": str(time_scale),
    })  # fmt: skip
    app = bootstrap(settings)
    # This test's own lease container and queue: tests share one Azurite.
    app = dataclasses.replace(app, lock=BlobPosterLock(settings.storage, container=f"{unique_name}-locks"),
                              queue=StorageWorkQueue(settings.storage, queue=f"{unique_name}-post"))  # fmt: skip
    return Firm(
        app, xero, clock, storage_connection, unique_name, tmp_path, waits_for_retry_after=waits_for_retry_after
    )


# -- PMS rows written by hand ----------------------------------------------------------------------------------

Line = tuple[str, str, str, str, str | None, str | None]  # net, vat, nominal, VAT code, office, department


def client_row(client_id: str, name: str, currency: str, **extra: Any) -> dict[str, Any]:
    return {"client_id": client_id, "name": name, "email": f"{client_id.lower()}@example.com",
            "default_currency": currency, "status": "active", **extra}  # fmt: skip


def bill_rows(
    bill_id: str, client_id: str, lines: Iterable[Line], currency: str = "GBP", rate: str = "1",
    day: str = "2026-11-02",
) -> Rows:  # fmt: skip
    listed = list(lines)
    total = sum((Decimal(net) + Decimal(vat) for net, vat, *_ in listed), Decimal(0))
    return {
        "bills": [{"bill_id": bill_id, "bill_number": f"INV-{bill_id}", "client_id": client_id, "date": day,
                   "due_date": "2026-12-31", "currency": currency, "exchange_rate": rate, "total": str(total)}],
        "bill_lines": [
            {"bill_id": bill_id, "line_no": n, "description": f"Advice, part {n}", "nominal_code": nominal,
             "vat_code": vat_code, "net": net, "vat": vat, "office": office, "department": department}
            for n, (net, vat, nominal, vat_code, office, department) in enumerate(listed, start=1)
        ],
    }  # fmt: skip


def credit_note_rows(note_id: str, client_id: str, bill_id: str, net: str, vat: str, currency: str = "GBP") -> Rows:
    total = str(Decimal(net) + Decimal(vat))
    return {
        "credit_notes": [{"credit_note_id": note_id, "credit_note_number": f"CN-{note_id}", "client_id": client_id,
                          "related_bill_id": bill_id, "date": "2026-11-10", "currency": currency,
                          "exchange_rate": "1", "total": total, "reason": "fee reduced"}],
        "credit_note_lines": [{"credit_note_id": note_id, "line_no": 1, "description": "Fee reduced",
                               "nominal_code": "4000", "vat_code": "S", "net": net, "vat": vat}],
    }  # fmt: skip


def receipt_rows(
    receipt_id: str, client_id: str, paying: Mapping[str, str], currency: str = "GBP", rate: str = "1",
    bank: str = "BANK1", day: str = "2026-11-20",
) -> Rows:  # fmt: skip
    total = sum((Decimal(amount) for amount in paying.values()), Decimal(0))
    return {
        "receipts": [{"receipt_id": receipt_id, "client_id": client_id, "date": day, "currency": currency,
                      "exchange_rate": rate, "amount": str(total), "bank_account": bank}],
        "receipt_allocations": [{"receipt_id": receipt_id, "bill_id": bill_id, "amount": amount}
                                for bill_id, amount in paying.items()],
    }  # fmt: skip


def write_off_row(write_off_id: str, client_id: str, bill_id: str, amount: str) -> Rows:
    row = {"write_off_id": write_off_id, "client_id": client_id, "bill_id": bill_id, "date": "2026-11-22",
           "currency": "GBP", "exchange_rate": "1", "nominal_code": "6800", "net": amount, "vat": "0.00",
           "amount": amount, "reason": "client insolvent"}  # fmt: skip
    return {"write_offs": [row]}


def unallocated_row(unallocated_id: str, client_id: str, amount: str, currency: str = "GBP", rate: str = "1",
                    bank: str = "BANK1") -> Rows:  # fmt: skip
    row = {"unallocated_id": unallocated_id, "client_id": client_id, "date": "2026-11-21", "currency": currency,
           "exchange_rate": rate, "amount": amount, "bank_account": bank}  # fmt: skip
    return {"unallocated_receipts": [row]}


def allocation_row(allocation_id: str, source: str, source_id: str, bill_id: str, amount: str,
                   currency: str = "GBP") -> Rows:  # fmt: skip
    """`source` is credit_note or unallocated_receipt."""
    row = {"allocation_id": allocation_id, "source_type": source, "source_id": source_id, "bill_id": bill_id,
           "date": "2026-11-23", "currency": currency, "amount": amount}  # fmt: skip
    return {"allocations": [row]}


def uk_mappings() -> Rows:
    return {
        "vat_codes": [
            {"vat_code": "S", "description": "Standard", "treatment": "rated", "rate": "20"},
            {"vat_code": "Z", "description": "Zero", "treatment": "rated", "rate": "0"},
            {"vat_code": "E", "description": "Exempt", "treatment": "exempt"},
        ],
        "map_vat": [{"vat_code": "S", "xero_tax_type": "OUTPUT2"}, {"vat_code": "Z", "xero_tax_type": "ZERORATEDOUTPUT"},
                    {"vat_code": "E", "xero_tax_type": "EXEMPTOUTPUT"}],
        "map_nominal": [{"nominal_code": "4000", "xero_account_code": "200"},
                        {"nominal_code": "4100", "xero_account_code": "201"},
                        {"nominal_code": "6800", "xero_account_code": "684"}],
        "map_tracking": [
            {"dimension": "office", "pms_value": "LON", "xero_category": "Office", "xero_option": "London"},
            {"dimension": "office", "pms_value": "MAN", "xero_category": "Office", "xero_option": "Manchester"},
            {"dimension": "department", "pms_value": "LIT", "xero_category": "Department", "xero_option": "Litigation"},
            {"dimension": "department", "pms_value": "COR", "xero_category": "Department", "xero_option": "Corporate"},
        ],
        "map_bank": [{"bank_account": "BANK1", "xero_account_code": "090"},
                     {"bank_account": "EURBANK", "xero_account_code": "093"},
                     {"bank_account": "USDBANK", "xero_account_code": "094"}],
    }  # fmt: skip


def ie_mappings() -> Rows:
    return {
        "vat_codes": [{"vat_code": "S", "description": "Standard", "treatment": "rated", "rate": "23"}],
        "map_vat": [{"vat_code": "S", "xero_tax_type": "OUTPUT"}],
        "map_nominal": [{"nominal_code": "4000", "xero_account_code": "200"}],
        "map_tracking": [
            {"dimension": "office", "pms_value": "DUB", "xero_category": "Office", "xero_option": "Dublin"},
            {"dimension": "department", "pms_value": "LIT", "xero_category": "Department", "xero_option": "Litigation"},
        ],
        "map_bank": [{"bank_account": "BANK1", "xero_account_code": "090"},
                     {"bank_account": "GBPBANK", "xero_account_code": "093"}],
    }  # fmt: skip


def us_mappings() -> Rows:
    return {
        "vat_codes": [{"vat_code": "N", "description": "No sales tax", "treatment": "outside_scope"}],
        "map_vat": [{"vat_code": "N", "xero_tax_type": "NONE"}],
        "map_nominal": [{"nominal_code": "4000", "xero_account_code": "200"}],
        "map_tracking": [
            {"dimension": "office", "pms_value": "NYC", "xero_category": "Office", "xero_option": "New York"},
            {"dimension": "department", "pms_value": "LIT", "xero_category": "Department", "xero_option": "Litigation"},
        ],
        "map_bank": [{"bank_account": "BANK1", "xero_account_code": "090"}],
    }  # fmt: skip


def uk_night() -> Rows:
    """UK's night: bills in GBP, EUR and USD, a credit note, a write-off, single and batch receipts, cash on
    account applied later; one bill held (an unmapped nominal), one dormant client, one row the import refuses."""
    clients = [
        client_row("C1", "Ashby & Sons", "GBP"),
        client_row("C2", "Brook Partners", "GBP"),
        client_row("C3", "Castell GmbH", "EUR"),
        client_row("C4", "Dunmore Inc", "USD"),
        client_row("C5", "Old Client Ltd", "GBP", status="archived", archived_on="2026-03-31"),
        client_row("C6", "Bad Row Ltd", "GBP", email="not an email"),
    ]
    b1_lines: list[Line] = [
        ("1000.00", "200.00", "4000", "S", "LON", "LIT"),
        ("250.00", "0.00", "4100", "Z", "MAN", "COR"),
    ]
    return merge(
        uk_mappings(),
        {"clients": clients},
        bill_rows("B1", "C1", b1_lines),
        bill_rows("B2", "C2", [("500.00", "100.00", "4000", "S", "LON", "COR")]),
        bill_rows("B3", "C3", [("800.00", "160.00", "4000", "S", "MAN", "LIT")], currency="EUR", rate="1.15"),
        bill_rows("B4", "C4", [("300.00", "0.00", "4100", "E", "LON", None)], currency="USD", rate="1.27"),
        bill_rows("B5", "C1", [("90.00", "18.00", "4999", "S", "LON", "LIT")]),  # 4999 is not mapped: held
        bill_rows("B6", "C2", [("200.00", "40.00", "4000", "S", "LON", "LIT")]),
        bill_rows("B7", "C2", [("100.00", "20.00", "4000", "S", None, "LIT")]),
        credit_note_rows("N1", "C1", "B1", "100.00", "20.00"),
        allocation_row("A1", "credit_note", "N1", "B1", "120.00"),
        allocation_row("A2", "unallocated_receipt", "U1", "B4", "100.00", currency="USD"),
        write_off_row("W1", "C2", "B6", "240.00"),
        receipt_rows("R1", "C1", {"B1": "500.00"}),
        receipt_rows("R2", "C2", {"B2": "600.00", "B7": "60.00"}),  # two bills: one batch payment
        receipt_rows("R3", "C3", {"B3": "960.00"}, currency="EUR", rate="1.15", bank="EURBANK"),
        unallocated_row("U1", "C4", "100.00", currency="USD", rate="1.27", bank="USDBANK"),
    )


def ie_night() -> Rows:
    return merge(
        ie_mappings(),
        {"clients": [client_row("I1", "Ashby & Sons", "EUR"), client_row("I2", "Liffey Holdings", "GBP")]},
        bill_rows("IB1", "I1", [("1000.00", "230.00", "4000", "S", "DUB", "LIT")], currency="EUR"),
        bill_rows("IB2", "I2", [("400.00", "92.00", "4000", "S", "DUB", None)], currency="GBP", rate="0.855"),
        receipt_rows("IR1", "I1", {"IB1": "1230.00"}, currency="EUR"),
        receipt_rows("IR2", "I2", {"IB2": "200.00"}, currency="GBP", rate="0.86", bank="GBPBANK"),
    )


# -- reading the local Xero's books ----------------------------------------------------------------------------


def books(xero: Emulator, entity: str) -> dict[str, str]:
    """The organisation's books, every field of every record: equal before and after means nothing changed."""
    tenant = xero.tenant(entity)
    with xero.lock:
        return {part: repr(sorted(getattr(tenant, part).items())) for part in BOOK_PARTS}


def book_counts(xero: Emulator, entity: str) -> dict[str, int]:
    tenant = xero.tenant(entity)
    with xero.lock:
        return {part: len(getattr(tenant, part)) for part in BOOK_PARTS}


def contact_numbered(tenant: Tenant, number: str) -> list[Any]:
    return [c for c in tenant.contacts.values() if c.contact_number == number]


def invoices_numbered(tenant: Tenant, number: str) -> list[Any]:
    return [i for i in tenant.invoices.values() if i.number == number]


def credit_notes_numbered(tenant: Tenant, number: str) -> list[Any]:
    return [n for n in tenant.credit_notes.values() if n.number == number]


def payments_of(tenant: Tenant, receipt_id: str) -> list[Any]:
    """Every payment carrying the receipt's reference, deleted ones included (a duplicate deleted is still one)."""
    return [p for p in tenant.payments.values()
            if p.reference and (p.reference == receipt_id or p.reference.startswith(f"{receipt_id} | "))]  # fmt: skip


def overpayments_of(tenant: Tenant, unallocated_id: str) -> list[Any]:
    return [t for t in tenant.bank_transactions.values() if t.type == "RECEIVE-OVERPAYMENT"
            and (t.reference or "").split(" | ")[0] == unallocated_id]  # fmt: skip


def allocations_of(tenant: Tenant, source_id: str, invoice_id: str) -> list[Any]:
    return [a for a in tenant.allocations.values()
            if a.source_id == source_id and a.invoice_id == invoice_id and not a.is_deleted]  # fmt: skip


def copies_in_xero(xero: Emulator, entity: str, rows: Rows) -> Counter[str]:
    """How many times each PMS document of `rows` is in the entity's organisation ("bills|B1": 1)."""
    tenant = xero.tenant(entity)
    found: Counter[str] = Counter()
    with xero.lock:
        invoice_of = {r["bill_id"]: invoices_numbered(tenant, r["bill_number"]) for r in rows.get("bills", [])}
        for row in rows.get("clients", []):
            found[f"clients|{row['client_id']}"] = len(contact_numbered(tenant, row["client_id"]))
        for bill_id, invoices in invoice_of.items():
            found[f"bills|{bill_id}"] = len(invoices)
        for row in rows.get("credit_notes", []):
            found[f"credit_notes|{row['credit_note_id']}"] = len(
                credit_notes_numbered(tenant, row["credit_note_number"])
            )
        for row in rows.get("write_offs", []):
            notes = credit_notes_numbered(tenant, f"WO-{row['write_off_id']}")
            applied = [a for n in notes for i in invoice_of.get(row["bill_id"], [])
                       for a in allocations_of(tenant, n.credit_note_id, i.invoice_id)]  # fmt: skip
            found[f"write_offs|{row['write_off_id']}"] = len(notes) if len(notes) == len(applied) else -1
        for row in rows.get("receipts", []):
            parts = [p for p in rows.get("receipt_allocations", []) if p["receipt_id"] == row["receipt_id"]]
            payments = payments_of(tenant, row["receipt_id"])
            batches = [b for b in tenant.batch_payments.values() if b.reference == row["receipt_id"]]
            found[f"receipts|{row['receipt_id']}"] = len(batches) if len(parts) > 1 else len(payments)
            for part in parts:
                invoice_ids = {i.invoice_id for i in invoice_of.get(part["bill_id"], [])}
                paying = [p for p in payments if p.invoice_id in invoice_ids]
                found[f"receipt_allocations|{part['receipt_id']}|{part['bill_id']}"] = len(paying)
        for row in rows.get("unallocated_receipts", []):
            found[f"unallocated_receipts|{row['unallocated_id']}"] = len(overpayments_of(tenant, row["unallocated_id"]))
        for row in rows.get("allocations", []):
            if row["source_type"] == "credit_note":
                sources = [n.credit_note_id for n in credit_notes_numbered(tenant, f"CN-{row['source_id']}")]
            else:
                sources = [str(t.overpayment_id) for t in overpayments_of(tenant, row["source_id"])]
            found[f"allocations|{row['allocation_id']}"] = sum(
                len(allocations_of(tenant, s, i.invoice_id))
                for s in sources
                for i in invoice_of.get(row["bill_id"], [])
            )
    return found


def expected_due(rows: Rows, bill_id: str) -> Decimal:
    """What the PMS says the bill still owes: its total less receipts, credits applied and write-offs."""
    [bill] = [b for b in rows["bills"] if b["bill_id"] == bill_id]
    paid = sum(
        (Decimal(p["amount"]) for p in rows.get("receipt_allocations", []) if p["bill_id"] == bill_id), Decimal(0)
    )
    applied = sum((Decimal(a["amount"]) for a in rows.get("allocations", []) if a["bill_id"] == bill_id), Decimal(0))
    written = sum((Decimal(w["amount"]) for w in rows.get("write_offs", []) if w["bill_id"] == bill_id), Decimal(0))
    return Decimal(bill["total"]) - paid - applied - written


def assert_bill_as_in_the_pms(xero: Emulator, entity: str, rows: Rows, bill_id: str, tracking: Rows) -> None:
    """The bill's invoice in Xero carries the PMS's contact, lines, tax, tracking, currency, rate and amount due."""
    tenant = xero.tenant(entity)
    [bill] = [b for b in rows["bills"] if b["bill_id"] == bill_id]
    lines = [line for line in rows["bill_lines"] if line["bill_id"] == bill_id]
    mapped = merge(tracking)
    nominal = {m["nominal_code"]: m["xero_account_code"] for m in mapped["map_nominal"]}
    vat = {m["vat_code"]: m["xero_tax_type"] for m in mapped["map_vat"]}
    options = {(m["dimension"], m["pms_value"]): (m["xero_category"], m["xero_option"]) for m in mapped["map_tracking"]}
    with xero.lock:
        [invoice] = invoices_numbered(tenant, bill["bill_number"])
        [contact] = contact_numbered(tenant, bill["client_id"])
        assert (invoice.type, invoice.status in {"AUTHORISED", "PAID"}) == ("ACCREC", True), invoice.status
        assert invoice.contact_id == contact.contact_id
        assert invoice.date == date.fromisoformat(bill["date"]) and invoice.due_date == date.fromisoformat(
            bill["due_date"]
        )
        assert invoice.currency_code == bill["currency"]
        base = tenant.base_currency
        assert invoice.currency_rate == (Decimal(1) if bill["currency"] == base else Decimal(bill["exchange_rate"]))
        assert invoice.total == Decimal(bill["total"])
        assert invoice.sub_total == sum((Decimal(line["net"]) for line in lines), Decimal(0))
        assert invoice.total_tax == sum((Decimal(line["vat"]) for line in lines), Decimal(0))
        assert len(invoice.lines) == len(lines)
        for sent, kept in zip(lines, invoice.lines, strict=True):
            assert (kept.line_amount, kept.tax_amount) == (Decimal(sent["net"]), Decimal(sent["vat"]))
            assert (kept.account_code, kept.tax_type) == (nominal[sent["nominal_code"]], vat[sent["vat_code"]])
            wanted = {options[(dim, sent[dim])] for dim in ("office", "department") if sent.get(dim)}
            assert {(t.name, t.option) for t in kept.tracking} == wanted
        assert invoice.amount_due == expected_due(rows, bill_id), (bill_id, invoice.amount_due)
        assert invoice.status == ("PAID" if invoice.amount_due == 0 else "AUTHORISED")


def row_accounts(firm: Firm, entity: str) -> dict[str, tuple[int, int]]:
    """Per document dataset: (rows received, rows the warehouse accounts for in a state or as refused at import)."""
    with firm.uow.for_entity(entity) as work:
        records = work.batches.all()
        counts = work.documents.counts()
    read: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for record in records:
        for name, (rows_read, _, rows_refused) in record.counts.get("rows", {}).items():
            dataset = DATASETS[name]
            owner = (dataset.parent or name) if dataset.role is Role.PART else name  # a bill's lines count with it
            if DATASETS[owner].role is Role.DOCUMENT:
                read[owner] += rows_read
                refused[owner] += rows_refused
    held: Counter[str] = Counter()
    for count in counts:
        held[count.dataset] += count.rows
    return {name: (read[name], held[name] + refused[name]) for name in DOCUMENT_DATASETS if read[name]}


def rows_by_state(firm: Firm, entity: str) -> dict[tuple[str, State], int]:
    with firm.uow.for_entity(entity) as work:
        return {(c.dataset, c.state): c.rows for c in work.documents.counts()}


# -- the tests -------------------------------------------------------------------------------------------------


def test_the_night_posts_every_document_once_in_its_own_organisation(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator]
) -> None:
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator)
    uk, ie = uk_night(), ie_night()
    firm.night({"UK": uk, "IE": ie})
    firm.connect("UK", "IE", "US")
    us_before = books(firm.xero, "US")

    for entity in ("UK", "IE"):
        outcome = firm.post(entity)
        assert outcome.status is PostingStatus.DONE, outcome
        assert outcome.usage.failed_throttled == 0

    # Every document once, in its own organisation; the held ones not at all.
    not_posted = {"clients|C5", "clients|C6", "bills|B5"}
    for entity, rows in (("UK", uk), ("IE", ie)):
        copies = copies_in_xero(firm.xero, entity, rows)
        wrong = {doc: n for doc, n in copies.items() if n != (0 if doc in not_posted else 1)}
        assert not wrong, f"{entity}: documents not in Xero exactly once: {wrong}"
        other = "IE" if entity == "UK" else "UK"
        elsewhere = {doc: n for doc, n in copies_in_xero(firm.xero, other, rows).items() if n and doc.startswith(
            ("bills", "credit_notes", "receipts", "write_offs", "unallocated"))}  # fmt: skip
        assert not elsewhere, f"{entity}'s documents reached {other}'s organisation: {elsewhere}"
    assert books(firm.xero, "US") == us_before, "US has nothing to post and nothing reached its organisation"

    # The PMS's own figures, bill by bill, in each currency (GBP, EUR, USD in UK; EUR and GBP in IE).
    for bill_id in ("B1", "B2", "B3", "B4", "B6", "B7"):
        assert_bill_as_in_the_pms(firm.xero, "UK", uk, bill_id, uk_mappings())
    for bill_id in ("IB1", "IB2"):
        assert_bill_as_in_the_pms(firm.xero, "IE", ie, bill_id, ie_mappings())
    uk_books = firm.xero.tenant("UK")
    with firm.xero.lock:
        [r3] = payments_of(uk_books, "R3")  # a EUR receipt into the EUR account, at the PMS's rate
        assert (r3.amount, r3.currency_rate, r3.account_code) == (Decimal("960.00"), Decimal("1.15"), "093")
        [batch] = [b for b in uk_books.batch_payments.values() if b.reference == "R2"]
        assert sorted(uk_books.payments[p].amount for p in batch.payment_ids) == [Decimal("60.00"), Decimal("600.00")]
        [u1] = overpayments_of(uk_books, "U1")
        overpayment = uk_books.overpayments[str(u1.overpayment_id)]
        assert (overpayment.currency_code, overpayment.currency_rate, overpayment.total) == (
            "USD", Decimal("1.27"), Decimal("100.00"))  # fmt: skip
        assert overpayment.remaining_credit == 0
        [n1] = credit_notes_numbered(uk_books, "CN-N1")
        assert (n1.total, n1.total_tax, n1.remaining_credit) == (Decimal("120.00"), Decimal("20.00"), Decimal(0))
        [w1] = credit_notes_numbered(uk_books, "WO-W1")
        assert (w1.total, [line.account_code for line in w1.lines]) == (Decimal("240.00"), ["684"])
    ie_books = firm.xero.tenant("IE")
    with firm.xero.lock:
        [ir2] = payments_of(ie_books, "IR2")
        assert (ir2.amount, ir2.currency_rate, ir2.account_code) == (Decimal("200.00"), Decimal("0.86"), "093")

    # Received = posted + held + rejected, per dataset, from the warehouse's own counts.
    for entity in ("UK", "IE"):
        for dataset, (received, accounted) in row_accounts(firm, entity).items():
            assert received == accounted, f"{entity} {dataset}: {received} rows received, {accounted} accounted for"
        left = {key: n for key, n in rows_by_state(firm, entity).items() if key[1] in {State.READY, State.POSTING}}
        assert not left, f"{entity}: documents neither posted, held nor rejected: {left}"
    uk_states = rows_by_state(firm, "UK")
    assert uk_states[("bills", State.WAITING)] == 2 and uk_states[("clients", State.WAITING)] == 1
    assert uk_states[("bills", State.POSTED)] == 6 + 7  # six headers and their seven lines
    with firm.uow.for_entity("UK") as work:
        refused_at_import = [rejection for _, rejection in work.rejections.all()]
    assert [(r.file, r.column) for r in refused_at_import] == [("clients.csv", "email")], refused_at_import

    # The same night, run three times: nothing new in Xero, nothing sent.
    before = {entity: books(firm.xero, entity) for entity in ("UK", "IE", "US")}
    writes = {entity: firm.writes_to(entity) for entity in ("UK", "IE")}
    for _ in range(3):
        firm.night({"UK": uk, "IE": ie})
        for entity in ("UK", "IE"):
            again = firm.post(entity)
            assert again.status is PostingStatus.DONE, again
            assert not {k: n for k, n in again.tally.items() if k[1] != "waiting"}, again.tally
    assert {entity: books(firm.xero, entity) for entity in ("UK", "IE", "US")} == before
    assert {entity: firm.writes_to(entity) for entity in ("UK", "IE")} == writes


def test_a_connection_to_another_entitys_organisation_is_refused_and_posts_nothing(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator]
) -> None:
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator)
    firm.night({"UK": uk_night(), "IE": ie_night()})
    firm.connect("IE")
    assert firm.post("IE").status is PostingStatus.DONE
    ie_books = books(firm.xero, "IE")

    # UK given IE's custom connection: IE's organisation keeps its books in EUR, UK's are GBP.
    ie_client = firm.xero.client_for("IE")
    with pytest.raises(ConnectRefused, match="base currency is EUR, and UK's is GBP"):
        firm.app.connect_custom("UK", ie_client.client_id, ie_client.client_secret, "e2e test")
    with firm.uow.for_entity("UK") as work:
        assert work.connection.binding() is None and work.connection.credentials() is None
    outcome = firm.post("UK")
    assert outcome.status is PostingStatus.NOT_CONNECTED
    with firm.uow.for_entity("UK") as work:
        assert [i.kind for i in work.issues.open()] == [IssueKind.NOT_CONNECTED]
    assert books(firm.xero, "IE") == ie_books
    assert book_counts(firm.xero, "UK")["invoices"] == 0


@pytest.mark.parametrize("tampered", ["tenant", "tenant, name and currency", "the whole connection, secrets too"])
def test_a_binding_tampered_to_name_another_tenant_stops_the_entity(
    tampered: str,
    tmp_path: Path,
    storage_connection: str,
    unique_name: str,
    make_xero_emulator: Callable[..., Emulator],
) -> None:
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator)
    uk = uk_night()
    firm.night({"UK": merge(uk_mappings(), {"clients": uk["clients"][:2]}), "IE": ie_night()})
    firm.connect("UK", "IE")
    assert firm.post("UK").status is PostingStatus.DONE
    assert firm.post("IE").status is PostingStatus.DONE
    firm.night({"UK": uk})  # the rest of UK's night waits to be posted

    # Someone with write access to the warehouse points UK's binding at IE's organisation.
    ie_tenant = firm.xero.tenant("IE")
    with firm.uow.for_entity("UK") as work:
        binding = work.connection.binding()
        assert binding is not None
        changes: dict[str, Any] = {"tenant_id": ie_tenant.tenant_id}
        if tampered != "tenant":
            changes |= {"organisation_name": ie_tenant.name, "base_currency": ie_tenant.base_currency}
        if tampered.startswith("the whole connection"):
            changes |= {"client_id": firm.xero.client_for("IE").client_id}
        work.connection.bind(dataclasses.replace(binding, **changes))
    if tampered.startswith("the whole connection"):
        # IE's sealed secrets copied row for row into UK's partition (they are sealed for "IE|credentials").
        table = TableServiceClient.from_connection_string(storage_connection).get_table_client(
            f"{unique_name}Connections"
        )
        row = dict(table.get_entity("IE", "credentials"))
        table.upsert_entity({**row, "PartitionKey": "UK"}, mode=UpdateMode.REPLACE)
    ie_books, ie_writes = books(firm.xero, "IE"), firm.writes_to("IE")
    uk_books = books(firm.xero, "UK")

    outcome = firm.post("UK")

    assert outcome.status is PostingStatus.STOPPED, outcome
    with firm.uow.for_entity("UK") as work:
        issues = work.issues.open()
        ready = list(work.documents.in_state(State.READY))
        posting = list(work.documents.in_state(State.POSTING))
    assert [i.kind for i in issues] == [IssueKind.CONNECTION_BROKEN], issues
    assert "reconnect" in issues[0].message, issues[0].message
    assert ready and not posting, "UK's documents wait, untouched, for the binding to be put right"
    assert books(firm.xero, "IE") == ie_books and firm.writes_to("IE") == ie_writes
    assert books(firm.xero, "UK") == uk_books
    assert firm.post("UK").status is PostingStatus.STOPPED, "it stays stopped until a person reconnects UK"
    assert books(firm.xero, "IE") == ie_books
