"""Build the demo PMS: a deterministic SQLite practice database for the sample firm.

The same scale and seed always give the same content: every choice comes from one
random.Random(seed) and every date from the fixed year in `reference`. Amounts are whole cents
while generating, so totals, allocations and balances agree exactly. After the generated firm come
the planted examples (`examples`): one document or mapping for each rule the cloud applies.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path

from cynare.agent.demo_pms import reference as ref
from cynare.agent.demo_pms.examples import plant_examples

_FIRST = ("Abbott", "Baker", "Carter", "Dalton", "Ellis", "Fraser", "Gould", "Hughes", "Irwin", "Jones",
          "Keane", "Lowry", "Moran", "Nolan", "Owens", "Price", "Quinn", "Reid", "Shaw", "Turner")  # fmt: skip
_SECOND = ("Holdings", "Trading", "Properties", "Estates", "Partners", "Foods", "Logistics", "Media",
           "Engineering", "Family Trust", "Developments", "Consulting")  # fmt: skip
_SUFFIX = {"GB": "Ltd", "IE": "Limited", "US": "Inc."}
_FLUSH_EVERY = 2_000  # clients per insert batch: memory stays flat at any scale
_DOCUMENT_TABLES = ("bills", "credit_notes", "write_offs", "receipts", "returned_receipts", "unallocated_receipts",
                    "allocations", "voids")  # fmt: skip


def cents(value: int) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"


def vat_cents(net: int, vat: ref.VatRate) -> int:
    return int((Decimal(net) * vat.percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def extended_cents(quantity: Decimal, unit_price: Decimal) -> int:
    """quantity x unit price, rounded half up to the cent (as Xero extends a line)."""
    return int((quantity * unit_price * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def stamp(day: date) -> str:
    return f"{day.isoformat()}T18:00:00"


@dataclass
class Tables:
    rows: dict[str, list[tuple[object, ...]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, *values: object) -> None:
        self.rows.setdefault(table, []).append(values)
        self.counts[table] = self.counts.get(table, 0) + 1

    def flush(self, db: sqlite3.Connection) -> None:
        for table, rows in self.rows.items():
            marks = ",".join("?" * len(rows[0]))
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        self.rows.clear()


@dataclass
class _Ids:
    counters: dict[str, int] = field(default_factory=dict)

    def next(self, prefix: str, width: int = 7) -> str:
        number = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = number
        return f"{prefix}{number:0{width}d}"


@dataclass
class _Client:
    """One client while it is generated: whose documents these are, and the last day it had one."""

    entity: ref.Entity
    client_id: str
    currency: str
    fx: Decimal
    archived: bool
    last_day: date = ref.YEAR_START

    def saw(self, day: date) -> date:
        self.last_day = max(self.last_day, day)
        return day


@dataclass(frozen=True, slots=True)
class DemoSummary:
    path: Path
    clients: int
    transactions: int
    rows: dict[str, int]


def create_demo_pms(path: Path, scale: int = 1, seed: int = 7) -> Path:
    """Write the demo PMS database at `path` (replacing it) and return the path."""
    build_demo_pms(path, scale=scale, seed=seed)
    return path


def build_demo_pms(path: Path, *, scale: int = 1, seed: int = 7) -> DemoSummary:
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".building")
    temporary.unlink(missing_ok=True)
    db = sqlite3.connect(temporary)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.executescript(resources.files(__package__).joinpath("schema.sql").read_text(encoding="utf-8"))
    _reference_rows(db)
    rng = random.Random(seed)
    tables = Tables()
    ids = _Ids()
    clients = 2_000 * scale + 400
    for number in range(1, clients + 1):
        _client(rng, ids, tables, number)
        if number % _FLUSH_EVERY == 0:
            tables.flush(db)
    planted = plant_examples(tables)
    tables.flush(db)
    db.commit()
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    temporary.replace(path)
    transactions = sum(tables.counts.get(name, 0) for name in _DOCUMENT_TABLES)
    return DemoSummary(path, clients + planted, transactions, dict(tables.counts))


def _reference_rows(db: sqlite3.Connection) -> None:
    for entity in ref.ENTITIES:
        db.execute("INSERT INTO entities VALUES (?,?,?,?)", (entity.code, entity.name, entity.currency, entity.name))
        for vat in entity.vat_rates:
            db.execute(
                "INSERT INTO vat_codes VALUES (?,?,?,?,?,?,?)",
                (entity.code, vat.code, vat.description, vat.treatment, None if vat.rate is None else str(vat.rate),
                 int(vat.bad_debt_relief), vat.xero_tax_type),
            )  # fmt: skip
        for code, description, account in ref.NOMINALS:
            db.execute("INSERT INTO nominals VALUES (?,?,?,?)", (entity.code, code, description, account))
        for office in entity.offices:
            db.execute(
                "INSERT INTO tracking VALUES (?,?,?,?,?)",
                (entity.code, "office", office, "Office", ref.OFFICE_NAMES[office]),
            )
        for code, name in ref.DEPARTMENTS.items():
            db.execute("INSERT INTO tracking VALUES (?,?,?,?,?)", (entity.code, "department", code, "Department", name))
        for index, account in enumerate(ref.BANK_ACCOUNTS, start=1):
            db.execute(
                "INSERT INTO bank_accounts VALUES (?,?,?,?)",
                (entity.code, f"{entity.code}-BANK{index}", entity.currency, account),
            )
        for currency, _, account in entity.foreign:
            db.execute(
                "INSERT INTO bank_accounts VALUES (?,?,?,?)",
                (entity.code, f"{entity.code}-{currency}", currency, account),
            )


def _pick_entity(rng: random.Random) -> ref.Entity:
    roll = rng.randrange(100)
    for entity in ref.ENTITIES:
        if roll < entity.share:
            return entity
        roll -= entity.share
    return ref.ENTITIES[-1]


def _client(rng: random.Random, ids: _Ids, tables: Tables, number: int) -> None:
    entity = _pick_entity(rng)
    currency, fx_rate = entity.currency, Decimal(1)
    if entity.foreign and rng.random() < 0.08:
        currency, fx_rate, _ = rng.choice(entity.foreign)
    client = _Client(entity, f"C{number:06d}", currency, fx_rate, archived=rng.random() < 0.05)
    name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {_SUFFIX[entity.country]}"
    email = f"accounts{number}@{name.split()[0].lower()}.example" if rng.random() < 0.85 else None
    tax_number = f"{entity.country}{rng.randrange(10**8, 10**9)}" if rng.random() < 0.4 else None
    created = client.saw(ref.YEAR_START + timedelta(days=rng.randrange(0, 60)))
    address = (f"{rng.randrange(1, 300)} High Street", entity.city, f"PC{rng.randrange(100, 999)}", entity.country)
    bill_count = 0 if rng.random() < 0.08 else rng.randint(1, 7)
    paid_waiting: list[tuple[str, int, date]] = []
    for _ in range(bill_count):
        _bill(rng, ids, tables, client, paid_waiting)
    _pay_in_pairs(rng, ids, tables, client, paid_waiting)
    if not client.archived and rng.random() < 0.02:
        # Cash on account never applied: an overpayment the client is owed.
        day = ref.YEAR_START + timedelta(days=rng.randrange(30, 300))
        tables.add(
            "unallocated_receipts", ids.next("U"), entity.code, client.client_id, day.isoformat(), currency,
            str(fx_rate), cents(rng.randrange(5_000, 50_000)), _bank(rng, entity, currency), "Payment on account",
            stamp(day),
        )  # fmt: skip
    # An archived client was archived after its last document: the row changed that day.
    archived_on = _later(rng, client.last_day, 10, 60) if client.archived else None
    tables.add(
        "clients", client.client_id, entity.code, name, email, *address, tax_number, currency,
        archived_on.isoformat() if archived_on else None, stamp(archived_on or created),
    )  # fmt: skip


_Line = tuple[int, str, ref.VatRate, Decimal | None, Decimal | None, int, int, str, str, str]


def _lines(rng: random.Random, entity: ref.Entity) -> Iterator[_Line]:
    """Bill lines: fees are mostly hours x rate; disbursements and some fees are fixed amounts."""
    weights = [vat.weight for vat in entity.vat_rates]
    for line_no in range(1, rng.randint(1, 4) + 1):
        nominal = "4000" if line_no == 1 or rng.random() < 0.7 else "4100"
        vat = rng.choices(entity.vat_rates, weights)[0]
        quantity = unit_price = None
        if nominal == "4000" and rng.random() < 0.6:
            quantity, unit_price = Decimal(rng.randint(2, 400)) / 10, rng.choice(ref.HOURLY_RATES)
            net = extended_cents(quantity, unit_price)
        else:
            net = rng.randrange(5_000, 500_000)
        yield (
            line_no, nominal, vat, quantity, unit_price, net, vat_cents(net, vat), rng.choice(entity.offices),
            rng.choice(tuple(ref.DEPARTMENTS)), f"FE{rng.randrange(1, 21):02d}",
        )  # fmt: skip


def _receipt(
    ids: _Ids, tables: Tables, client: _Client, day: date, bank: str, allocations: list[tuple[str, int]]
) -> str:
    receipt_id = ids.next("R")
    amount = sum(amount for _, amount in allocations)
    tables.add(
        "receipts", receipt_id, client.entity.code, client.client_id, client.saw(day).isoformat(), client.currency,
        str(client.fx), cents(amount), bank, f"Remittance {receipt_id}", "pms", None, stamp(day),
    )  # fmt: skip
    for bill_id, part in allocations:
        tables.add("receipt_allocations", receipt_id, bill_id, cents(part))
    return receipt_id


def _bank(rng: random.Random, entity: ref.Entity, currency: str) -> str:
    """Foreign-currency cash goes to the bank account in that currency (Xero pays an invoice in its own)."""
    number = rng.randint(1, 2)
    return f"{entity.code}-BANK{number}" if currency == entity.currency else f"{entity.code}-{currency}"


def _later(rng: random.Random, day: date, low: int, high: int) -> date:
    return min(day + timedelta(days=rng.randint(low, high)), ref.DATA_END)


def _bill(
    rng: random.Random, ids: _Ids, tables: Tables, client: _Client, paid_waiting: list[tuple[str, int, date]]
) -> None:
    entity, client_id, currency, fx = client.entity, client.client_id, client.currency, client.fx
    bill_id = ids.next("B")
    day = client.saw(ref.YEAR_START + timedelta(days=rng.randrange(0, (ref.LAST_BILL_DATE - ref.YEAR_START).days + 1)))
    total = 0
    first: _Line | None = None
    for line in _lines(rng, entity):
        line_no, nominal, vat, quantity, unit_price, net, tax, office, department, fee_earner = line
        first = first or line
        total += net + tax
        tables.add(
            "bill_lines", bill_id, line_no, "Professional services" if nominal == "4000" else "Disbursements",
            nominal, vat.code, cents(net), cents(tax), office, department, fee_earner,
        )  # fmt: skip
        if quantity is not None:
            tables.add("bill_line_units", bill_id, line_no, str(quantity), str(unit_price))
    assert first is not None
    tables.add(
        "bills", bill_id, entity.code, f"{entity.code}-{bill_id}", client_id, day.isoformat(),
        (day + timedelta(days=30)).isoformat(), currency, str(fx), cents(total), f"M{rng.randrange(1, 99999):05d}",
        stamp(day),
    )  # fmt: skip
    bank = _bank(rng, entity, currency)
    fate = "paid" if client.archived else rng.choices(
        ("paid", "part", "credit", "write_off", "returned", "on_account", "credit_later", "unpaid"),
        (55, 10, 6, 3, 3, 3, 3, 17),
    )[0]  # fmt: skip
    if fate == "paid":
        paid_waiting.append((bill_id, total, day))
    elif fate == "part":
        part = total * rng.randint(20, 80) // 100
        paid = _later(rng, day, 10, 40)
        _receipt(ids, tables, client, paid, bank, [(bill_id, part)])
        if rng.random() < 0.4:  # the rest follows in a second payment
            _receipt(ids, tables, client, _later(rng, paid, 5, 30), bank, [(bill_id, total - part)])
    elif fate in ("credit", "credit_later"):
        _, _, vat, _, _, _, _, office, department, _ = first
        net = max(1, total * rng.randint(10, 40) // 100 * 100 // (100 + int(vat.percent)))
        tax = vat_cents(net, vat)
        credit_id = ids.next("CN")
        credit_day = client.saw(_later(rng, day, 5, 30))
        related = fate == "credit"
        tables.add(
            "credit_notes", credit_id, entity.code, f"{entity.code}-{credit_id}", client_id,
            bill_id if related else None, credit_day.isoformat(), currency, str(fx), cents(net + tax),
            "Fee reduction agreed" if related else "Goodwill credit", stamp(credit_day),
        )  # fmt: skip
        tables.add(
            "credit_note_lines", credit_id, 1, "Fee reduction" if related else "Goodwill", "4000", vat.code, None,
            None, cents(net), cents(tax), office, department, None,
        )  # fmt: skip
        # Applied to the bill: at once when it was raised against it, else later (a credit on account).
        applied = credit_day if related else client.saw(_later(rng, credit_day, 1, 20))
        tables.add(
            "allocations", ids.next("A"), entity.code, "credit_note", credit_id, bill_id, applied.isoformat(),
            currency, cents(net + tax), "pms", stamp(applied),
        )  # fmt: skip
        if rng.random() < 0.6:
            _receipt(ids, tables, client, _later(rng, credit_day, 5, 30), bank, [(bill_id, total - net - tax)])
    elif fate == "write_off":
        paid_part = total * rng.choice((0, 0, 30, 50)) // 100
        if paid_part:
            _receipt(ids, tables, client, _later(rng, day, 10, 40), bank, [(bill_id, paid_part)])
        written = client.saw(_later(rng, day, 60, 120))
        # Written off to the bad-debt nominal, with no VAT relief claimed (the planted example claims it).
        tables.add(
            "write_offs", ids.next("WO"), entity.code, client_id, bill_id, written.isoformat(), currency, str(fx),
            ref.BAD_DEBTS_NOMINAL, None, cents(total - paid_part), "0.00", cents(total - paid_part),
            "Client in liquidation, debt not recoverable", stamp(written),
        )  # fmt: skip
    elif fate == "returned":
        paid = _later(rng, day, 10, 40)
        receipt_id = _receipt(ids, tables, client, paid, bank, [(bill_id, total)])
        bounced = client.saw(_later(rng, paid, 3, 10))
        tables.add(
            "returned_receipts", ids.next("RR"), entity.code, receipt_id, bounced.isoformat(),
            "Cheque returned unpaid by the bank", "pms", stamp(bounced), None,
        )  # fmt: skip
        if rng.random() < 0.5:
            _receipt(ids, tables, client, _later(rng, bounced, 5, 20), bank, [(bill_id, total)])
    elif fate == "on_account":
        # Cash received before the bill existed, applied when the bill was raised.
        received = max(ref.YEAR_START, day - timedelta(days=rng.randint(1, 20)))
        unallocated_id = ids.next("U")
        tables.add(
            "unallocated_receipts", unallocated_id, entity.code, client_id, received.isoformat(), currency, str(fx),
            cents(total), bank, "Money on account", stamp(received),
        )  # fmt: skip
        tables.add(
            "allocations", ids.next("A"), entity.code, "unallocated_receipt", unallocated_id, bill_id,
            day.isoformat(), currency, cents(total), "pms", stamp(day),
        )  # fmt: skip


def _pay_in_pairs(
    rng: random.Random, ids: _Ids, tables: Tables, client: _Client, waiting: list[tuple[str, int, date]]
) -> None:
    """Pay fully-paid bills, sometimes two with one remittance, as clients do."""
    index = 0
    while index < len(waiting):
        bill_id, total, day = waiting[index]
        bank = _bank(rng, client.entity, client.currency)
        if index + 1 < len(waiting) and rng.random() < 0.2:
            other_id, other_total, other_day = waiting[index + 1]
            paid = _later(rng, max(day, other_day), 5, 40)
            _receipt(ids, tables, client, paid, bank, [(bill_id, total), (other_id, other_total)])
            index += 2
            continue
        _receipt(ids, tables, client, _later(rng, day, 5, 60), bank, [(bill_id, total)])
        index += 1
