"""The organisations, apps and credentials of a fresh emulator (documented in docs/xero-emulator.md).

Ids are fixed so that tests, the demo and the docs can name them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from cynare.sandbox.xero.state import Account, TaxRate, Tenant, TrackingCategory, TrackingOption

UK_TENANT_ID = "1a1c0000-0000-4000-8000-000000000001"
IE_TENANT_ID = "1a1c0000-0000-4000-8000-000000000002"
US_TENANT_ID = "1a1c0000-0000-4000-8000-000000000003"
TENANT_IDS = {"UK": UK_TENANT_ID, "IE": IE_TENANT_ID, "US": US_TENANT_ID}

_NS = uuid.UUID("5e1d0000-0000-4000-8000-00000000ce11")


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "/".join(parts)))


@dataclass(frozen=True)
class ClientApp:
    """An app registered with the emulated identity service.

    A custom connection (client credentials) reaches exactly one organisation; a web app may be
    granted any of `tenant_ids` on the consent screen.
    """

    client_id: str
    client_secret: str
    name: str
    custom_tenant_id: str | None = None
    tenant_ids: tuple[str, ...] = field(default_factory=tuple)


WEB_CLIENT_ID = "SANDBOXWEBAPP0000000000000000001"
CLIENTS: tuple[ClientApp, ...] = (
    ClientApp("SANDBOXCUSTOMUK00000000000000001", "sandbox-uk-secret", "Cynare Link (UK)", UK_TENANT_ID),
    ClientApp("SANDBOXCUSTOMIE00000000000000002", "sandbox-ie-secret", "Cynare Link (IE)", IE_TENANT_ID),
    ClientApp("SANDBOXCUSTOMUS00000000000000003", "sandbox-us-secret", "Cynare Link (US)", US_TENANT_ID),
    ClientApp(
        WEB_CLIENT_ID,
        "sandbox-web-secret",
        "Cynare Link",
        None,
        (UK_TENANT_ID, IE_TENANT_ID, US_TENANT_ID),
    ),
)
CUSTOM_CLIENTS = {c.custom_tenant_id: c for c in CLIENTS if c.custom_tenant_id}
ENTITY_CLIENTS = {code: CUSTOM_CLIENTS[tenant_id] for code, tenant_id in TENANT_IDS.items()}

_CREATED = datetime(2020, 4, 1, 9, 0, tzinfo=UTC)


def _accounts(tenant: str, currency: str, sales_tax: str, currencies: list[str]) -> list[Account]:
    def acc(code: str, name: str, kind: str, klass: str, tax: str = "NONE", **extra: object) -> Account:
        return Account(stable_id(tenant, "account", code), code, name, kind, klass, tax, **extra)  # type: ignore[arg-type]

    accounts = [
        acc(
            "090",
            "Business Bank Account",
            "BANK",
            "ASSET",
            bank_account_number="20-00-00 11112222",
            currency_code=currency,
        ),
        acc("091", "Client Account", "BANK", "ASSET", bank_account_number="20-00-00 33334444", currency_code=currency),
        acc("092", "Office Account", "BANK", "ASSET", bank_account_number="20-00-00 55556666", currency_code=currency),
        acc("200", "Sales", "REVENUE", "REVENUE", sales_tax),
        acc("201", "Fees", "REVENUE", "REVENUE", sales_tax),
        acc("260", "Other Revenue", "REVENUE", "REVENUE", sales_tax),
        acc("498", "Realised Currency Gains", "CURRLIAB", "LIABILITY", system_account="REALISEDCURRENCYGAIN"),
        acc("610", "Accounts Receivable", "CURRENT", "ASSET", system_account="DEBTORS"),
        acc("800", "Accounts Payable", "CURRLIAB", "LIABILITY", system_account="CREDITORS"),
        acc("820", "VAT" if tenant != "US" else "Sales Tax", "CURRLIAB", "LIABILITY", system_account="GST"),
        acc("960", "Retained Earnings", "EQUITY", "EQUITY", system_account="RETAINEDEARNINGS"),
        acc("684", "Bad Debts", "EXPENSE", "EXPENSE"),
        acc("404", "Bank Fees", "EXPENSE", "EXPENSE"),
        acc("877", "Tracking Transfers", "CURRLIAB", "LIABILITY", system_account="TRACKINGTRANSFERS"),
    ]
    others = [c for c in currencies if c != currency]
    for index, foreign in enumerate(others):
        code = f"{93 + index:03d}"
        accounts.append(
            acc(
                code,
                f"{foreign} Bank Account",
                "BANK",
                "ASSET",
                bank_account_number=f"{foreign}-0001",
                currency_code=foreign,
            )
        )
    return accounts


def _tracking(tenant: str, offices: list[str]) -> list[TrackingCategory]:
    def category(name: str, options: list[str]) -> TrackingCategory:
        opts = [TrackingOption(stable_id(tenant, name, o), o) for o in options]
        return TrackingCategory(stable_id(tenant, "tracking", name), name, opts)

    return [
        category("Office", offices),
        category("Department", ["Corporate", "Litigation", "Private Client", "Property"]),
    ]


def _uk() -> Tenant:
    currencies = ["GBP", "EUR", "USD"]
    return Tenant(
        tenant_id=UK_TENANT_ID,
        entity_code="UK",
        name="Harrow & Vance LLP",
        legal_name="Harrow & Vance LLP",
        short_code="!hvUK1",
        country_code="GB",
        version="UK",
        base_currency="GBP",
        timezone="GMTSTANDARDTIME",
        created=_CREATED,
        currencies=currencies,
        rates={"EUR": Decimal("1.170000"), "USD": Decimal("1.270000")},
        accounts=_accounts("UK", "GBP", "OUTPUT2", currencies),
        tax_rates=[
            TaxRate("20% (VAT on Income)", "OUTPUT2", Decimal("20"), "OUTPUT"),
            TaxRate("Zero Rated Income", "ZERORATEDOUTPUT", Decimal("0"), "OUTPUT"),
            TaxRate("Exempt Income", "EXEMPTOUTPUT", Decimal("0"), "EXEMPTOUTPUT"),
            TaxRate("5% (VAT on Income)", "RROUTPUT", Decimal("5"), "OUTPUT"),
            TaxRate("No VAT", "NONE", Decimal("0"), "NONE"),
            TaxRate("20% (VAT on Expenses)", "INPUT2", Decimal("20"), "INPUT"),
        ],
        tracking=_tracking("UK", ["London", "Manchester", "Leeds"]),
        organisation_type="PARTNERSHIP",
    )


def _ie() -> Tenant:
    currencies = ["EUR", "GBP"]
    return Tenant(
        tenant_id=IE_TENANT_ID,
        entity_code="IE",
        name="Harrow & Vance Ireland Limited",
        legal_name="Harrow & Vance Ireland Limited",
        short_code="!hvIE2",
        country_code="IE",
        version="GLOBAL",
        base_currency="EUR",
        timezone="GMTSTANDARDTIME",
        created=_CREATED,
        currencies=currencies,
        rates={"GBP": Decimal("0.855000")},
        accounts=_accounts("IE", "EUR", "OUTPUT", currencies),
        tax_rates=[
            TaxRate("VAT on Income 23%", "OUTPUT", Decimal("23"), "OUTPUT"),
            TaxRate("VAT on Income 13.5%", "TAX001", Decimal("13.5"), "OUTPUT"),
            TaxRate("VAT on Income 9%", "TAX002", Decimal("9"), "OUTPUT"),
            TaxRate("Zero Rated Income", "ZERORATEDOUTPUT", Decimal("0"), "OUTPUT"),
            TaxRate("Exempt Income", "EXEMPTOUTPUT", Decimal("0"), "EXEMPTOUTPUT"),
            TaxRate("No VAT", "NONE", Decimal("0"), "NONE"),
        ],
        tracking=_tracking("IE", ["Dublin", "Cork"]),
    )


def _us() -> Tenant:
    currencies = ["USD"]
    return Tenant(
        tenant_id=US_TENANT_ID,
        entity_code="US",
        name="Harrow & Vance US LLC",
        legal_name="Harrow & Vance US LLC",
        short_code="!hvUS3",
        country_code="US",
        version="US",
        base_currency="USD",
        timezone="EASTERNSTANDARDTIME",
        created=_CREATED,
        currencies=currencies,
        rates={},
        accounts=_accounts("US", "USD", "NONE", currencies),
        tax_rates=[
            TaxRate("Tax Exempt", "NONE", Decimal("0"), "NONE"),
            TaxRate("No Sales Tax", "TAX001", Decimal("0"), "AVALARA"),
        ],
        tracking=_tracking("US", ["New York", "Boston"]),
        pays_tax=False,
    )


def fresh_tenants() -> dict[str, Tenant]:
    return {t.tenant_id: t for t in (_uk(), _ie(), _us())}
