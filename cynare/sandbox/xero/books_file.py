"""Organisations from a books file: the Xero organisations, as a firm has them, that the emulator starts with.

The file is JSON, `{"format": "cynare-xero-books/1", "organisations": [...]}`; each organisation gives
its settings (name, currencies, tax rates, chart of accounts, tracking categories, lock dates, the
custom connection that reaches it) and what it already holds (contacts and open invoices,
books_open.py). docs/xero-emulator.md describes every field. The three sample organisations are such a
file, `books/sample.json`, and the default. Every problem is reported at once, each naming the
organisation and the field; nothing is guessed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cynare.sandbox.xero import books_chart, books_open, scopes
from cynare.sandbox.xero.apps import ClientApp, web_apps
from cynare.sandbox.xero.books_fields import Fields, stable_id
from cynare.sandbox.xero.state import Tenant

FORMAT = "cynare-xero-books/1"
SAMPLE = Path(__file__).with_name("books") / "sample.json"
CREATED = datetime(2020, 4, 1, 9, 0, tzinfo=UTC)

VERSIONS = ("AU", "NZ", "GLOBAL", "UK", "US")
ORGANISATION_TYPES = (
    *("ACCOUNTING_PRACTICE", "COMPANY", "CHARITY", "CLUB_OR_SOCIETY", "INDIVIDUAL", "LOOK_THROUGH_COMPANY"),
    *("NOT_FOR_PROFIT", "PARTNERSHIP", "S_CORPORATION", "SOLE_TRADER", "TRUST", "LLC"),
)
_ORGANISATION_FIELDS = (
    *("entity", "tenant_id", "name", "legal_name", "short_code", "country_code", "version", "organisation_type"),
    *("base_currency", "timezone", "pays_tax", "created", "financial_year_end", "currencies", "tax_rates"),
    *("accounts", "tracking_categories", "period_lock_date", "end_of_year_lock_date", "connection"),
    *("contacts", "invoices"),
)


class BooksError(ValueError):
    """A books file that cannot be used; the message lists every problem."""

    def __init__(self, label: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"books file {label} cannot be used:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Books:
    """A read books file: fresh tenants (and the apps that reach them) can be built from it any number of times."""

    label: str
    raw: Mapping[str, Any]

    def build(self) -> tuple[dict[str, Tenant], dict[str, ClientApp]]:
        """Fresh tenants by id, and every app by client id (one custom connection per tenant, two web apps)."""
        problems: list[str] = []
        top = Fields(self.raw, "", problems)
        top.only(("format", "organisations"))
        if self.raw.get("format") != FORMAT:
            problems.append(f'format: must be "{FORMAT}"')
        organisations = top.objects("organisations")
        if not organisations and not problems:
            problems.append("organisations: at least one organisation is needed")
        tenants: dict[str, Tenant] = {}
        clients: dict[str, ClientApp] = {}
        for index, org in enumerate(organisations):
            label = _org_label(org, index)
            found: list[str] = []
            tenant, client = _organisation(Fields(org.raw, "", found))
            problems += [f"organisation {label}: {p}" for p in found]
            if tenant.tenant_id in tenants or tenant.entity_code.upper() in {
                t.entity_code.upper() for t in tenants.values()
            }:
                problems.append(f"organisation {label}: entity and tenant_id must be unique across organisations")
            if client.client_id in clients:
                problems.append(f"organisation {label}: connection.client_id {client.client_id} is used twice")
            tenants[tenant.tenant_id] = tenant
            clients[client.client_id] = client
        if problems:
            raise BooksError(self.label, problems)
        for web in web_apps(tenants):
            clients[web.client_id] = web
        return tenants, clients


def load(source: str | Path | Mapping[str, Any] | None = None) -> Books:
    """A books file (a path, or its parsed JSON), checked; the sample organisations when None."""
    if source is None:
        source = SAMPLE
    if isinstance(source, Mapping):
        books = Books("(given in code)", source)
    else:
        path = Path(source)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        except OSError as exc:
            raise BooksError(str(path), [f"cannot be read: {exc.strerror or exc}"]) from exc
        except ValueError as exc:
            raise BooksError(str(path), [f"is not valid JSON: {exc}"]) from exc
        books = Books(str(path), raw if isinstance(raw, Mapping) else {"organisations": None})
    books.build()
    return books


def _org_label(org: Fields, index: int) -> str:
    entity, name = org.raw.get("entity"), org.raw.get("name")
    return f"{entity or f'#{index + 1}'}" + (f" ({name})" if isinstance(name, str) else "")


def _organisation(f: Fields) -> tuple[Tenant, ClientApp]:
    f.only(_ORGANISATION_FIELDS)
    entity = f.text("entity", pattern=r"[A-Za-z0-9_-]{1,20}")
    base = f.text("base_currency", pattern=r"[A-Z]{3}")
    rates = books_chart.currencies(f, base)
    year_end = Fields(f.raw.get("financial_year_end", {"day": 31, "month": 3}), "financial_year_end", f.problems)
    year_end.only(("day", "month"))
    end_day, end_month = int(year_end.number("day")), int(year_end.number("month"))
    try:
        date(2001, end_month, end_day)
    except ValueError:
        year_end.problem("", f"day {end_day} of month {end_month} is not a date (29 February is not allowed)")
    tax_rates = books_chart.tax_rates(f)
    tenant = Tenant(
        tenant_id=f.text(
            "tenant_id", stable_id("tenant", entity), pattern=r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"
        ),
        entity_code=entity,
        name=f.text("name"),
        legal_name=f.text("legal_name", str(f.raw.get("name") or "")),
        short_code=f.text("short_code", f"!{entity[:5]}", longest=20),
        country_code=f.text("country_code", "GB", pattern=r"[A-Z]{2}"),
        version=f.choice("version", VERSIONS, "GLOBAL"),
        base_currency=base,
        timezone=f.text("timezone", "GMTSTANDARDTIME", pattern=r"[A-Z]+"),
        created=_created(f),
        currencies=[base, *rates],
        rates=rates,
        accounts=[],
        tax_rates=tax_rates,
        tracking=books_chart.tracking(f, entity),
        organisation_type=f.choice("organisation_type", ORGANISATION_TYPES, "COMPANY"),
        pays_tax=f.flag("pays_tax", True),
        period_lock_date=f.day("period_lock_date"),
        end_of_year_lock_date=f.day("end_of_year_lock_date"),
        year_end_month=end_month,
        year_end_day=end_day,
    )
    tenant.accounts = books_chart.accounts(f, tenant)
    books_open.add(f, tenant)
    return tenant, _connection(f, tenant)


def _created(f: Fields) -> datetime:
    raw = f.raw.get("created")
    if raw is None:
        return CREATED
    try:
        parsed = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        f.problem("created", f"{raw!r} is not a date and time (2020-04-01T09:00:00Z)")
        return CREATED
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _connection(f: Fields, tenant: Tenant) -> ClientApp:
    item = Fields(f.raw.get("connection") or {}, "connection", f.problems)
    item.only(("client_id", "client_secret", "app_name", "scopes"))
    entity = tenant.entity_code.upper()
    client_id = item.text("client_id", f"SANDBOXCUSTOM{entity}".ljust(32, "0")[:32], pattern=r"[A-Za-z0-9]{8,64}")
    secret = item.text("client_secret", f"sandbox-{tenant.entity_code.lower()}-secret")
    allowed, default = scopes.OLDER_APP - frozenset(scopes.IDENTITY), scopes.DEFAULT_SCOPE
    if item.has("scopes"):
        chosen = item.strings("scopes")
        for scope in scopes.unknown(chosen, allowed):
            item.problem("scopes", f"{scope} is not an accounting scope a custom connection can have")
        allowed, default = frozenset(chosen), " ".join(chosen)
    return ClientApp(
        client_id, secret, item.text("app_name", f"Cynare Link ({entity})"), tenant.tenant_id, (), allowed, default
    )
