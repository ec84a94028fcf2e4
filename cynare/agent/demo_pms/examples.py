"""The planted examples: one document or mapping for each rule the cloud applies, each easy to find.

Every planted id has an X after its prefix (BX-VOIDED, CX-ARCHIVED-IDLE, RRX-IE-PART...), so it
sorts after the generated ids and stands out in the demo's output. None of them breaks a rule of the
extract format: each is a valid row that the cloud must hold, cancel or post in its own way.
`EXAMPLES` says where each one is in the extract and what the cloud should do with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Protocol

from cynare.agent.demo_pms import reference as ref


class _Tables(Protocol):
    def add(self, table: str, *values: object) -> None: ...


@dataclass(frozen=True, slots=True)
class Example:
    entity: str
    shows: str  # the rule it carries
    cloud: str  # what the cloud should do with it
    rows: tuple[tuple[str, str], ...]  # (dataset, key as the registry joins it) of the rows that carry it
    absent: tuple[tuple[str, str], ...] = ()  # rows that must not be in the extract (the missing mapping)


EXAMPLES: Final = (
    Example("UK", "a bill voided in the PMS, said by an explicit cancellation row",
            "cancel BX-VOIDED: never post it (void it in Xero if it was posted); it does not count in debtors",
            (("bills", "BX-VOIDED"), ("cancellations", "bill|BX-VOIDED"))),
    Example("IE", "a receipt returned in part: one of its two allocations reversed",
            "reverse only the 615.00 EUR paid to BX-IE-BOUNCE-2 (that bill is open again); the 1230.00 paid to "
            "BX-IE-BOUNCE-1 stands",
            (("receipts", "RX-IE-TWO-BILLS"), ("receipt_allocations", "RX-IE-TWO-BILLS|BX-IE-BOUNCE-1"),
             ("receipt_allocations", "RX-IE-TWO-BILLS|BX-IE-BOUNCE-2"), ("returned_receipts", "RRX-IE-PART"),
             ("returned_allocations", "RRX-IE-PART|BX-IE-BOUNCE-2"))),
    Example("UK", "a write-off in a foreign currency (EUR in the GBP entity) at its own rate, to the bad-debt "
            "nominal, with VAT bad-debt relief under a code that allows it",
            "post WOX-EUR-BAD-DEBT in EUR at 1.16 to nominal 8100 (Xero 684) reclaiming 400.00 EUR VAT under S "
            "(OUTPUT2); no hold",
            (("write_offs", "WOX-EUR-BAD-DEBT"), ("bills", "BX-EUR-BAD-DEBT"), ("vat_codes", "S"))),
    Example("UK", "a credit note with several lines, related to a bill and applied to it by an allocation",
            "post CNX-MULTI-LINE with its three lines and apply it to BX-CREDITED (AX-CREDIT-APPLIED)",
            (("credit_notes", "CNX-MULTI-LINE"), ("credit_note_lines", "CNX-MULTI-LINE|1"),
             ("credit_note_lines", "CNX-MULTI-LINE|2"), ("credit_note_lines", "CNX-MULTI-LINE|3"),
             ("allocations", "AX-CREDIT-APPLIED"), ("bills", "BX-CREDITED"))),
    Example("UK", "an exempt VAT code, which has no rate, on a bill line",
            "post BX-EXEMPT-LINE; line 2 goes with EXEMPTOUTPUT: an exempt code has no rate to compare",
            (("vat_codes", "E"), ("bill_lines", "BX-EXEMPT-LINE|2"))),
    Example("UK", "a bill line coded to a nominal with no mapping row at all (4010)",
            "hold BX-UNMAPPED-NOMINAL: mapping, nominal 4010 (UK), no mapping row; release it once 4010 is mapped",
            (("bill_lines", "BX-UNMAPPED-NOMINAL|1"),), absent=(("map_nominal", "4010"),)),
    Example("UK", "a mapping row with an empty Xero code (bank account UK-BANK3) and a receipt into it",
            "hold RX-UNMAPPED-BANK: mapping, bank account UK-BANK3 (UK), its mapping has no Xero code",
            (("map_bank", "UK-BANK3"), ("receipts", "RX-UNMAPPED-BANK"))),
    Example("UK", "a bill in a currency the UK organisation does not have (CHF)",
            "hold BX-CHF: currency, CHF (UK): the entity's settings give UK only GBP, EUR and USD",
            (("bills", "BX-CHF"), ("clients", "CX-SWISS"))),
    Example("UK", "an office with no tracking mapping (LDS, Leeds)",
            "hold BX-UNMAPPED-OFFICE: mapping, office LDS (UK), no mapping row",
            (("bill_lines", "BX-UNMAPPED-OFFICE|1"),), absent=(("map_tracking", "office|LDS"),)),
    Example("UK", "an archived client with no activity: no documents, zero balance",
            "do not create CX-ARCHIVED-IDLE in Xero (dormant) unless a document needs it",
            (("clients", "CX-ARCHIVED-IDLE"),), absent=(("debtors", "CX-ARCHIVED-IDLE|GBP"),)),
    Example("UK", "an archived client with activity before its archive date",
            "create CX-ARCHIVED-PAID, post BX-BEFORE-ARCHIVE and RX-BEFORE-ARCHIVE, and archive the contact",
            (("clients", "CX-ARCHIVED-PAID"), ("bills", "BX-BEFORE-ARCHIVE"), ("receipts", "RX-BEFORE-ARCHIVE"))),
    Example("UK", "a bill dated after its client's archive date",
            "hold BX-AFTER-ARCHIVE: archived client, CX-ARCHIVED-LATE archived on 2026-05-29",
            (("clients", "CX-ARCHIVED-LATE"), ("bills", "BX-AFTER-ARCHIVE"))),
    Example("UK", "a row of a dataset read whole, to delete between two runs (allocations has no watermark)",
            "after `DELETE FROM allocations WHERE allocation_id = 'AX-CREDIT-APPLIED'` and another run, the agent "
            "sends its deletion: un-apply CNX-MULTI-LINE from BX-CREDITED",
            (("allocations", "AX-CREDIT-APPLIED"),)),
)  # fmt: skip

_FX: Final = {("UK", "GBP"): "1", ("UK", "EUR"): "1.17", ("UK", "CHF"): "1.12", ("IE", "EUR"): "1"}
# A line: narrative, nominal, VAT code, quantity, unit price, net, vat, office, department.
_Line = tuple[str, str, str, str | None, str | None, str, str, str, str]


def _stamp(day: str) -> str:
    return f"{day}T18:00:00"


def _sum(*amounts: str) -> str:
    return str(sum((Decimal(amount) for amount in amounts), Decimal("0.00")))


class _Planter:
    def __init__(self, tables: _Tables) -> None:
        self.t = tables

    def client(self, entity: str, client_id: str, name: str, currency: str, city: str, country: str,
               archived_on: str | None = None) -> None:  # fmt: skip
        self.t.add("clients", client_id, entity, name, f"accounts@{client_id.lower()}.example", "1 Example Street",
                   city, "EX1 1EX", country, None, currency, archived_on, _stamp(archived_on or "2026-01-05"))  # fmt: skip

    def bill(self, entity: str, bill_id: str, client_id: str, day: str, currency: str, lines: list[_Line],
             modified: str | None = None) -> str:  # fmt: skip
        total = "0.00"
        for line_no, (narrative, nominal, vat_code, quantity, unit_price, net, vat, office, department) in enumerate(
            lines, start=1
        ):
            _check_units(quantity, unit_price, net)
            self.t.add("bill_lines", bill_id, line_no, narrative, nominal, vat_code, net, vat, office, department, None)
            if quantity is not None:
                self.t.add("bill_line_units", bill_id, line_no, quantity, unit_price)
            total = _sum(total, net, vat)
        due = (date.fromisoformat(day) + timedelta(days=30)).isoformat()
        self.t.add("bills", bill_id, entity, f"{entity}-{bill_id}", client_id, day, due, currency,
                   _FX[entity, currency], total, "MX0001", _stamp(modified or day))  # fmt: skip
        return total

    def receipt(self, entity: str, receipt_id: str, client_id: str, day: str, currency: str, bank: str,
                paid: list[tuple[str, str]], reference: str) -> None:  # fmt: skip
        self.t.add("receipts", receipt_id, entity, client_id, day, currency, _FX[entity, currency],
                   _sum(*(amount for _, amount in paid)), bank, reference, "pms", None, _stamp(day))  # fmt: skip
        for bill_id, amount in paid:
            self.t.add("receipt_allocations", receipt_id, bill_id, amount)


def _check_units(quantity: str | None, unit_price: str | None, net: str) -> None:
    if quantity is not None and unit_price is not None:
        extended = (Decimal(quantity) * Decimal(unit_price)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert extended == Decimal(net), f"{quantity} x {unit_price} is {extended}, not {net}"


def plant_examples(tables: _Tables) -> int:
    """Add the planted examples (see EXAMPLES) to `tables`; return how many clients they add."""
    p = _Planter(tables)
    t = tables
    p.client("UK", "CX-EXAMPLES", "Example Documents Ltd", "GBP", "London", "GB")
    p.client("UK", "CX-SWISS", "Zurich Example AG", "CHF", "Zurich", "CH")
    p.client("UK", "CX-EURO-BAD-DEBT", "Lyon Example SARL", "EUR", "Lyon", "FR")
    p.client("UK", "CX-ARCHIVED-IDLE", "Dormant Example Ltd", "GBP", "London", "GB", archived_on="2026-03-31")
    p.client("UK", "CX-ARCHIVED-PAID", "Closed Example Ltd", "GBP", "Manchester", "GB", archived_on="2026-04-30")
    p.client("UK", "CX-ARCHIVED-LATE", "Archived Example Ltd", "GBP", "Manchester", "GB", archived_on="2026-05-29")
    p.client("IE", "CX-PART-BOUNCE", "Galway Example Limited", "EUR", "Galway", "IE")

    # A bill voided two days after it was raised: the bill stays in the PMS, the void says it no longer counts.
    p.bill("UK", "BX-VOIDED", "CX-EXAMPLES", "2026-09-01", "GBP",
           [("Professional services", "4000", "S", None, None, "500.00", "100.00", "LON", "CORP")],
           modified="2026-09-03")  # fmt: skip
    t.add("voids", "bill", "BX-VOIDED", "UK", "2026-09-03", "Raised against the wrong client: voided (demo example)",
          _stamp("2026-09-03"))  # fmt: skip

    # An exempt line (VAT code E: no rate), and a receipt into a bank account mapped to no Xero account.
    exempt_total = p.bill("UK", "BX-EXEMPT-LINE", "CX-EXAMPLES", "2026-09-10", "GBP", [
        ("Professional services", "4000", "S", "2.5", "240.00", "600.00", "120.00", "LON", "LIT"),
        ("Court fee (exempt from VAT)", "4100", "E", None, None, "85.00", "0.00", "LON", "LIT"),
    ])  # fmt: skip
    t.add("bank_accounts", "UK", "UK-BANK3", "GBP", None)
    p.receipt("UK", "RX-UNMAPPED-BANK", "CX-EXAMPLES", "2026-10-05", "GBP", "UK-BANK3",
              [("BX-EXEMPT-LINE", exempt_total)], "Paid into the new deposit account (demo example)")  # fmt: skip

    # A nominal the PMS has no mapping row for, and an office with no tracking mapping (Leeds).
    p.bill("UK", "BX-UNMAPPED-NOMINAL", "CX-EXAMPLES", "2026-09-15", "GBP",
           [("Notarial services", "4010", "S", "1.5", "312.50", "468.75", "93.75", "LON", "CORP")])  # fmt: skip
    p.bill("UK", "BX-UNMAPPED-OFFICE", "CX-EXAMPLES", "2026-09-20", "GBP",
           [("Professional services", "4000", "S", "3.3", "237.55", "783.92", "156.78", "LDS", "PROP")])  # fmt: skip

    # A bill in Swiss francs: the UK organisation has GBP, EUR and USD only.
    p.bill("UK", "BX-CHF", "CX-SWISS", "2026-09-25", "CHF",
           [("Advice on a Swiss acquisition", "4000", "Z", "4", "395.00", "1580.00", "0.00", "LON", "CORP")])  # fmt: skip

    # A EUR bill written off in the GBP entity at the day's rate, with VAT bad-debt relief under S.
    p.bill("UK", "BX-EUR-BAD-DEBT", "CX-EURO-BAD-DEBT", "2026-03-16", "EUR",
           [("Professional services", "4000", "S", "8", "250.00", "2000.00", "400.00", "LON", "LIT")])  # fmt: skip
    t.add("write_offs", "WOX-EUR-BAD-DEBT", "UK", "CX-EURO-BAD-DEBT", "BX-EUR-BAD-DEBT", "2026-10-16", "EUR", "1.16",
          ref.BAD_DEBTS_NOMINAL, "S", "2000.00", "400.00", "2400.00",
          "Client dissolved: debt over six months old written off, VAT bad-debt relief claimed (demo example)",
          _stamp("2026-10-16"))  # fmt: skip

    # A credit note of three lines against a bill, applied to it; the client pays the rest.
    credited = p.bill("UK", "BX-CREDITED", "CX-EXAMPLES", "2026-08-03", "GBP", [
        ("Professional services", "4000", "S", "10", "250.00", "2500.00", "500.00", "MAN", "CORP"),
        ("Disbursements: couriers and searches", "4100", "S", None, None, "120.00", "24.00", "MAN", "CORP"),
    ])  # fmt: skip
    credit_lines = [
        ("Fees: 2 hours written down", "4000", "S", "2", "250.00", "500.00", "100.00"),
        ("Courier charge not incurred", "4100", "S", None, None, "40.00", "8.00"),
        ("Goodwill reduction", "4000", "Z", None, None, "50.00", "0.00"),
    ]
    credit_total = _sum(*(amount for line in credit_lines for amount in line[5:7]))
    t.add("credit_notes", "CNX-MULTI-LINE", "UK", "UK-CNX-MULTI-LINE", "CX-EXAMPLES", "BX-CREDITED", "2026-08-20",
          "GBP", "1", credit_total, "Fees and disbursements reduced after review (demo example)",
          _stamp("2026-08-20"))  # fmt: skip
    for line_no, (narrative, nominal, vat_code, quantity, unit_price, net, vat) in enumerate(credit_lines, start=1):
        _check_units(quantity, unit_price, net)
        t.add("credit_note_lines", "CNX-MULTI-LINE", line_no, narrative, nominal, vat_code, quantity, unit_price, net,
              vat, "MAN", "CORP", None)  # fmt: skip
    t.add("allocations", "AX-CREDIT-APPLIED", "UK", "credit_note", "CNX-MULTI-LINE", "BX-CREDITED", "2026-08-20", "GBP",
          credit_total, "pms", _stamp("2026-08-20"))  # fmt: skip
    p.receipt("UK", "RX-CREDITED", "CX-EXAMPLES", "2026-09-04", "GBP", "UK-BANK1",
              [("BX-CREDITED", _sum(credited, "-" + credit_total))], "Balance after credit CNX-MULTI-LINE")  # fmt: skip

    # Archived clients: one that never had a document, one with a paid bill before its archive date,
    # and one billed after it.
    paid = p.bill("UK", "BX-BEFORE-ARCHIVE", "CX-ARCHIVED-PAID", "2026-02-10", "GBP",
                  [("Final account", "4000", "S", "3", "200.00", "600.00", "120.00", "LON", "PRIV")])  # fmt: skip
    p.receipt("UK", "RX-BEFORE-ARCHIVE", "CX-ARCHIVED-PAID", "2026-03-05", "GBP", "UK-BANK2",
              [("BX-BEFORE-ARCHIVE", paid)], "Final payment before the file was closed")  # fmt: skip
    p.bill("UK", "BX-AFTER-ARCHIVE", "CX-ARCHIVED-LATE", "2026-08-14", "GBP",
           [("Professional services", "4000", "S", None, None, "350.00", "70.00", "MAN", "PRIV")])  # fmt: skip

    # Ireland: one receipt paying two bills, returned by the bank for one of them only.
    first = p.bill("IE", "BX-IE-BOUNCE-1", "CX-PART-BOUNCE", "2026-06-01", "EUR",
                   [("Professional services", "4000", "S23", "4", "250.00", "1000.00", "230.00", "DUB", "LIT")])  # fmt: skip
    second = p.bill("IE", "BX-IE-BOUNCE-2", "CX-PART-BOUNCE", "2026-06-08", "EUR",
                    [("Disbursements", "4100", "S23", None, None, "500.00", "115.00", "DUB", "LIT")])  # fmt: skip
    p.receipt("IE", "RX-IE-TWO-BILLS", "CX-PART-BOUNCE", "2026-07-01", "EUR", "IE-BANK1",
              [("BX-IE-BOUNCE-1", first), ("BX-IE-BOUNCE-2", second)], "One transfer for two bills")  # fmt: skip
    t.add("returned_receipts", "RRX-IE-PART", "IE", "RX-IE-TWO-BILLS", "2026-07-06",
          "Part of the transfer recalled by the payer's bank (demo example)", "pms", _stamp("2026-07-06"), second)  # fmt: skip
    t.add("returned_allocations", "RRX-IE-PART", "BX-IE-BOUNCE-2", second)
    return 7
