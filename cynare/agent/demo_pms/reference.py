"""The sample firm's fixed reference data: entities, VAT codes, nominals, tracking, banks, Xero codes.

The Xero codes, organisation names, exchange rates and tracking options are those of the local
Xero emulator's seed (cynare/sandbox/xero/seed.py; a test keeps the two in step). Which Xero
organisation an entity posts to is the cloud's setting, not the PMS's: the PMS only names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

FIRM: Final = "sample-firm"
SOURCE_SYSTEM: Final = "demo-pms-1"
PMS_PRODUCT: Final = "Cynare Demo PMS"
YEAR_START: Final = date(2026, 1, 1)
LAST_BILL_DATE: Final = date(2026, 10, 31)
DATA_END: Final = date(2026, 11, 20)  # nothing in the demo PMS is dated later than this

SALES_ACCOUNT: Final = "200"
BAD_DEBTS_ACCOUNT: Final = "684"
BAD_DEBTS_NOMINAL: Final = "8100"
BANK_ACCOUNTS: Final = ("090", "091")

Treatment = Literal["rated", "exempt", "outside_scope", "reverse_charge"]


@dataclass(frozen=True, slots=True)
class VatRate:
    code: str
    description: str
    treatment: Treatment
    rate: Decimal | None  # only where the code is a rate (0 for zero rated)
    bad_debt_relief: bool  # VAT on a bad debt written off may be reclaimed
    xero_tax_type: str
    weight: int  # how often lines use it

    @property
    def percent(self) -> Decimal:
        return self.rate if self.rate is not None else Decimal(0)


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
    # Other billing currencies: exchange rate (units of that currency per one of the base currency,
    # as Xero's CurrencyRate) and the Xero bank account in that currency.
    foreign: tuple[tuple[str, Decimal, str], ...]


ENTITIES: Final = (
    Entity(
        "UK", "Harrow & Vance LLP", "GBP", 60, ("LON", "MAN"),
        (
            VatRate("S", "Standard 20%", "rated", Decimal(20), True, "OUTPUT2", 70),
            VatRate("Z", "Zero rated", "rated", Decimal(0), False, "ZERORATEDOUTPUT", 12),
            VatRate("E", "Exempt", "exempt", None, False, "EXEMPTOUTPUT", 12),
            VatRate("R", "Reduced 5%", "rated", Decimal(5), True, "RROUTPUT", 6),
        ),
        "London", "GB", (("EUR", Decimal("1.17"), "093"), ("USD", Decimal("1.27"), "094")),
    ),
    Entity(
        "IE", "Harrow & Vance Ireland Limited", "EUR", 25, ("DUB",),
        (
            VatRate("S23", "Standard 23%", "rated", Decimal(23), True, "OUTPUT", 75),
            VatRate("R135", "Reduced 13.5%", "rated", Decimal("13.5"), True, "TAX001", 10),
            VatRate("Z0", "Zero rated", "rated", Decimal(0), False, "ZERORATEDOUTPUT", 15),
        ),
        "Dublin", "IE", (("GBP", Decimal("0.855"), "093"),),
    ),
    Entity(
        "US", "Harrow & Vance US LLC", "USD", 15, ("NYC",),
        (VatRate("NT", "Not taxable", "outside_scope", None, False, "NONE", 100),),
        "New York", "US", (),
    ),
)  # fmt: skip
ENTITY: Final = {entity.code: entity for entity in ENTITIES}

DEPARTMENTS: Final = {"LIT": "Litigation", "CORP": "Corporate", "PROP": "Property", "PRIV": "Private Client"}
OFFICE_NAMES: Final = {"LON": "London", "MAN": "Manchester", "DUB": "Dublin", "NYC": "New York"}
NOMINALS: Final = (
    ("4000", "Professional fees", SALES_ACCOUNT),
    ("4100", "Recoverable disbursements", SALES_ACCOUNT),
    (BAD_DEBTS_NOMINAL, "Bad debts written off", BAD_DEBTS_ACCOUNT),
)
# Hourly rates of the fee earners: a fees line is hours x rate, rounded half up to the cent.
HOURLY_RATES: Final = tuple(Decimal(rate) for rate in ("150.00", "185.00", "237.55", "275.00", "312.50", "395.00"))
