"""What invoices, credit notes and bank transactions share: contact, currency, lock date and lines.

Each reader appends Xero's messages to `errors` instead of raising, so that one element can report
all its faults at once, as Xero does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cynare.sandbox.xero import fx, messages
from cynare.sandbox.xero.jsondates import parse_date
from cynare.sandbox.xero.money import CENT, HUNDRED, ZERO_CENTS, cents, line_tax, quantum, to_decimal
from cynare.sandbox.xero.state import Contact, Line, Tenant, Tracking

LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
ONE = Decimal("1")
ZERO = Decimal("0")


# Version 4 and the RFC 4122 variant, set as uuid.UUID(int=..., version=4) sets them.
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_id() -> str:
    """A version-4 UUID from the process's PRNG, the same text as str(uuid.UUID(int=bits, version=4)).

    uuid4() reads the OS entropy pool on every call and uuid.UUID is slow to build; a batch of 50
    invoices needs 150 ids. These ids need no secrecy.
    """
    h = "%032x" % ((random.getrandbits(128) & _V4_CLEAR) | _V4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def read_date(raw: Any, field: str, errors: list[str]) -> date | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        errors.append(f"{field} is not a valid date")
        return None
    try:
        return parse_date(raw)
    except ValueError:
        errors.append(f"{field} is not a valid date")
        return None


def check_lock(tenant: Tenant, when: date, errors: list[str]) -> None:
    lock = tenant.lock_date()
    if lock is not None and when <= lock:
        errors.append(messages.locked(lock))


def find_contact(tenant: Tenant, raw: Any) -> Contact | None:
    if not isinstance(raw, dict):
        return None
    if raw.get("ContactID"):
        return tenant.contacts.get(str(raw["ContactID"]).lower())
    if raw.get("ContactNumber"):
        number = str(raw["ContactNumber"])
        return next((c for c in tenant.contacts.values() if c.contact_number == number), None)
    if raw.get("Name"):
        found = tenant.contacts_named(str(raw["Name"]))
        return next((c for c in found if c.status == "ACTIVE"), found[0] if found else None)
    return None


def resolve_contact(tenant: Tenant, raw: Any, now: datetime, errors: list[str]) -> Contact | None:
    """The document's contact; as in Xero, a new name creates the contact."""
    if not isinstance(raw, dict) or not (raw.get("ContactID") or raw.get("ContactNumber") or raw.get("Name")):
        errors.append("A Contact must be specified for this type of transaction")
        return None
    contact = find_contact(tenant, raw)
    if contact is None:
        if raw.get("ContactID") or not raw.get("Name"):
            errors.append(messages.not_found("Contact", str(raw.get("ContactID") or raw.get("ContactNumber"))))
            return None
        contact = Contact(new_id(), str(raw["Name"]).strip(), now, contact_number=raw.get("ContactNumber"))
        contact.is_customer = True
        return contact  # the caller adds it to the books only if the document is saved
    if contact.status != "ACTIVE":
        errors.append(messages.CONTACT_ARCHIVED)
    return contact


def resolve_currency(tenant: Tenant, raw: dict[str, Any], errors: list[str]) -> tuple[str, Decimal]:
    code = str(raw.get("CurrencyCode") or tenant.base_currency).upper()
    if code not in tenant.currencies:
        errors.append(messages.not_subscribed(code))
        return code, Decimal("1")
    if code == tenant.base_currency:
        return code, Decimal("1.000000")
    # A rate that is given must be greater than zero (else the element is refused); none is the day rate.
    return code, fx.given_rate(raw.get("CurrencyRate"), errors) or fx.day_rate(tenant, code)


def read_line_amount_types(raw: dict[str, Any], errors: list[str], default: str = "Exclusive") -> str:
    value = raw.get("LineAmountTypes") or default
    if value not in LINE_AMOUNT_TYPES:
        errors.append(f"LineAmountTypes '{value}' is not valid")
        return default
    return str(value)


def _tracking(tenant: Tenant, raw: Any, errors: list[str]) -> list[Tracking]:
    if not raw:
        return []
    if not isinstance(raw, list) or len(raw) > 2:
        errors.append("A line item can have at most two tracking categories")
        return []
    found: list[Tracking] = []
    for item in raw:
        name = str(item.get("Name") or "")
        option = str(item.get("Option") or "")
        category = next(
            (c for c in tenant.tracking if c.name == name or c.category_id == item.get("TrackingCategoryID")), None
        )
        chosen = None
        if category is not None:
            chosen = next(
                (o for o in category.options if o.name == option or o.option_id == item.get("TrackingOptionID")), None
            )
        if category is None or chosen is None or chosen.status != "ACTIVE":
            errors.append(messages.bad_tracking(name, option))
            continue
        found.append(Tracking(category.category_id, chosen.option_id, category.name, chosen.name))
    return found


def read_lines(
    tenant: Tenant, raw: Any, line_amount_types: str, unitdp: int, errors: list[str], need_account: bool = True
) -> list[Line]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.append("LineItems must be a list")
        return []
    lines: list[Line] = []
    no_tax = line_amount_types == "NoTax"
    unit_quantum = quantum(unitdp)
    for item in raw:
        if not isinstance(item, dict):
            errors.append("A line item must be an object")
            continue
        get = item.get
        quantity = to_decimal(get("Quantity"))
        if quantity is None:
            quantity = ONE
        unit = to_decimal(get("UnitAmount"))
        if unit is None:
            given_line = to_decimal(get("LineAmount"))
            unit = given_line / quantity if given_line is not None and quantity else ZERO
        unit = unit.quantize(unit_quantum, rounding=ROUND_HALF_UP)  # money.places, inlined
        discount = to_decimal(get("DiscountRate"))
        gross = quantity * unit
        if discount:
            gross = gross * (HUNDRED - discount) / HUNDRED
        line_amount = gross.quantize(CENT, rounding=ROUND_HALF_UP)  # money.cents, inlined
        code = str(get("AccountCode") or "")
        account = tenant.account_by_code(code) if code else None
        if account is None and get("AccountID"):
            account = tenant.account_by_id(str(item["AccountID"]))
        if (account is None or account.status != "ACTIVE") and (need_account or code):
            errors.append(messages.bad_account(code or str(get("AccountID") or "")))
        tax_type = "NONE" if no_tax else str(get("TaxType") or (account.tax_type if account else "NONE"))
        rate = tenant.tax_rate(tax_type)
        if rate is None:
            errors.append(messages.bad_tax_type(tax_type))
        tax = line_tax(line_amount, rate.rate if rate else ZERO, line_amount_types)
        tracking = get("Tracking")
        lines.append(
            Line(
                line_item_id=str(get("LineItemID") or new_id()),
                description=str(get("Description") or ""),
                quantity=quantity,
                unit_amount=unit,
                account_code=account.code if account else code,
                tax_type=tax_type,
                line_amount=line_amount,
                tax_amount=tax,
                discount_rate=discount,
                tracking=_tracking(tenant, tracking, errors) if tracking else [],
            )
        )
    return lines


@dataclass(frozen=True)
class Totals:
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal


def totals(lines: list[Line], line_amount_types: str) -> Totals:
    amounts = tax = ZERO_CENTS
    for line in lines:
        amounts += line.line_amount
        tax += line.tax_amount
    sub_total = amounts - tax if line_amount_types == "Inclusive" else amounts
    return Totals(cents(sub_total), cents(tax), cents(sub_total + tax))


def document_fields(
    contact: Contact,
    when: date,
    status: str,
    line_amount_types: str,
    currency: str,
    rate: Decimal,
    lines: list[Line],
    updated: datetime,
    reference: str | None,
) -> dict[str, Any]:
    """The fields every kind of document shares, its totals computed from its lines."""
    sums = totals(lines, line_amount_types)
    return {
        "contact_id": contact.contact_id,
        "date": when,
        "status": status,
        "line_amount_types": line_amount_types,
        "currency_code": currency,
        "currency_rate": rate,
        "lines": lines,
        "sub_total": sums.sub_total,
        "total_tax": sums.total_tax,
        "total": sums.total,
        "updated": updated,
        "reference": reference,
    }
