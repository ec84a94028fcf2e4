"""The sample firm's fixed reference data: entities, VAT codes, nominals, tracking, banks, Xero codes.

The Xero codes, tenant ids, organisation names and tracking options are those of the local Xero
emulator's seed (cynare/sandbox/xero/seed.py; a test keeps the two in step). The tenant ids are
gathered in XERO_TENANTS so that binding to real organisations is a one-line change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

FIRM: Final = "sample-firm"
SOURCE_SYSTEM: Final = "demo-pms-1"
PMS_PRODUCT: Final = "Cynare Demo PMS"
YEAR_START: Final = date(2026, 1, 1)
LAST_BILL_DATE: Final = date(2026, 10, 31)
DATA_END: Final = date(2026, 11, 20)  # nothing in the demo PMS is dated later than this

# entity -> Xero tenant id (the emulator's organisations).
XERO_TENANTS: Final = {
    "UK": "1a1c0000-0000-4000-8000-000000000001",
    "IE": "1a1c0000-0000-4000-8000-000000000002",
    "US": "1a1c0000-0000-4000-8000-000000000003",
}

SALES_ACCOUNT: Final = "200"
BAD_DEBTS_ACCOUNT: Final = "684"
BANK_ACCOUNTS: Final = ("090", "091")


@dataclass(frozen=True, slots=True)
class VatRate:
    code: str
    description: str
    rate: Decimal
    xero_tax_type: str
    weight: int  # how often lines use it


@dataclass(frozen=True, slots=True)
class Entity:
    code: str
    name: str
    currency: str
    share: int  # percent of the firm's clients
    offices: tuple[str, ...]
    vat_rates: tuple[VatRate, ...]
    city: str
    country: str
    foreign: tuple[tuple[str, Decimal, str], ...]  # other billing currencies: rate to base, Xero bank account


ENTITIES: Final = (
    Entity(
        "UK", "Harrow & Vance LLP", "GBP", 60, ("LON", "MAN"),
        (
            VatRate("S", "Standard 20%", Decimal(20), "OUTPUT2", 70),
            VatRate("Z", "Zero rated", Decimal(0), "ZERORATEDOUTPUT", 12),
            VatRate("E", "Exempt", Decimal(0), "EXEMPTOUTPUT", 12),
            VatRate("R", "Reduced 5%", Decimal(5), "RROUTPUT", 6),
        ),
        "London", "GB", (("EUR", Decimal("0.854701"), "093"), ("USD", Decimal("0.787402"), "094")),
    ),
    Entity(
        "IE", "Harrow & Vance Ireland Limited", "EUR", 25, ("DUB",),
        (
            VatRate("S23", "Standard 23%", Decimal(23), "OUTPUT", 75),
            VatRate("R135", "Reduced 13.5%", Decimal("13.5"), "TAX001", 10),
            VatRate("Z0", "Zero rated", Decimal(0), "ZERORATEDOUTPUT", 15),
        ),
        "Dublin", "IE", (("GBP", Decimal("1.169591"), "093"),),
    ),
    Entity(
        "US", "Harrow & Vance US LLC", "USD", 15, ("NYC",),
        (VatRate("NT", "Not taxable", Decimal(0), "NONE", 100),),
        "New York", "US", (),
    ),
)  # fmt: skip

DEPARTMENTS: Final = {"LIT": "Litigation", "CORP": "Corporate", "PROP": "Property", "PRIV": "Private Client"}
OFFICE_NAMES: Final = {"LON": "London", "MAN": "Manchester", "DUB": "Dublin", "NYC": "New York"}
NOMINALS: Final = (
    ("4000", "Professional fees", SALES_ACCOUNT),
    ("4100", "Recoverable disbursements", SALES_ACCOUNT),
    ("8100", "Bad debts written off", BAD_DEBTS_ACCOUNT),
)
