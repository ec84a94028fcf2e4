"""What an organisation in a books file already holds: its contacts and open invoices (with any part payments).

These are the firm's books as they stand when the emulator starts, so no lock date applies to them;
lines are read and totalled by the same rules as the API's (documents.read_lines), and each problem
names the record and field.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from cynare.sandbox.xero import documents
from cynare.sandbox.xero.books_fields import Fields, stable_id
from cynare.sandbox.xero.money import cents, places
from cynare.sandbox.xero.settlement import settle_invoice
from cynare.sandbox.xero.state import Contact, Invoice, Payment, Tenant

_CONTACT_FIELDS = [
    "contact_id",
    "name",
    "contact_number",
    "account_number",
    "first_name",
    "last_name",
    "email",
    "tax_number",
    "default_currency",
    "status",
    "is_customer",
    "is_supplier",
]
_INVOICE_FIELDS = [
    "invoice_id",
    "number",
    "type",
    "contact",
    "status",
    "date",
    "due_date",
    "reference",
    "currency",
    "rate",
    "line_amount_types",
    "lines",
    "payments",
]
_LINE_FIELDS = ["description", "quantity", "unit_amount", "account_code", "tax_type", "discount_rate", "tracking"]
_UUID = r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"


def add(f: Fields, tenant: Tenant) -> None:
    """Put the organisation's contacts and invoices (`f` is the organisation's object) into `tenant`."""
    for item in f.objects("contacts"):
        _contact(item, tenant)
    for item in f.objects("invoices"):
        _invoice(item, tenant)


def _contact(f: Fields, tenant: Tenant) -> None:
    f.only(_CONTACT_FIELDS)
    name = f.text("name")
    contact = Contact(
        f.text("contact_id", stable_id(tenant.entity_code, "contact", name.casefold()), pattern=_UUID),
        name,
        tenant.created,
        status=f.choice("status", ("ACTIVE", "ARCHIVED"), "ACTIVE"),
        contact_number=f.optional("contact_number", longest=50),
        account_number=f.optional("account_number", longest=50),
        first_name=f.optional("first_name"),
        last_name=f.optional("last_name"),
        email=f.optional("email"),
        tax_number=f.optional("tax_number", longest=50),
        default_currency=f.optional("default_currency"),
        is_customer=f.flag("is_customer", True),
        is_supplier=f.flag("is_supplier", False),
    )
    if contact.default_currency and contact.default_currency not in tenant.currencies:
        f.problem("default_currency", f"{contact.default_currency} is not a subscribed currency")
    if contact.status == "ACTIVE" and any(c.status == "ACTIVE" for c in tenant.contacts_named(name)):
        f.problem("name", f"{name} is already the name of another active contact")
    if contact.contact_number and any(c.contact_number == contact.contact_number for c in tenant.contacts.values()):
        f.problem("contact_number", f"{contact.contact_number} is already another contact's number")
    if f.has("contact_id") and contact.contact_id in tenant.contacts:
        f.problem("contact_id", f"{contact.contact_id} is given twice")
    tenant.contacts[contact.contact_id] = contact


def _find_contact(tenant: Tenant, key: str) -> Contact | None:
    by_number = next((c for c in tenant.contacts.values() if c.contact_number == key), None)
    return by_number or next(iter(tenant.contacts_named(key)), None)


def _invoice(f: Fields, tenant: Tenant) -> None:
    f.only(_INVOICE_FIELDS)
    number = f.text("number", longest=255)
    kind = f.choice("type", ("ACCREC", "ACCPAY"), "ACCREC")
    status = f.choice("status", ("DRAFT", "SUBMITTED", "AUTHORISED"), "AUTHORISED")
    contact = _find_contact(tenant, f.text("contact"))
    if contact is None and f.has("contact"):
        f.problem("contact", f"{f.raw['contact']!r} is neither the name nor the contact_number of a contact above")
    when = f.day("date", required=True) or tenant.created.date()
    currency = f.text("currency", tenant.base_currency)
    if currency not in tenant.currencies:
        f.problem("currency", f"{currency} is not a subscribed currency")
    rate = places(f.number("rate", positive=True), 6) if f.has("rate") else tenant.rates.get(currency)
    line_types = f.choice("line_amount_types", documents.LINE_AMOUNT_TYPES, "Exclusive")
    lines = []
    for item in f.objects("lines"):
        errors: list[str] = []
        lines += documents.read_lines(tenant, [_line(item)], line_types, 4, errors)
        for error in errors:
            item.problem("", error)
    if status == "AUTHORISED" and not lines:
        f.problem("lines", "an AUTHORISED invoice needs at least one line")
    if kind == "ACCREC" and number in tenant.invoice_numbers:
        f.problem("number", f"{number} is given twice (ACCREC numbers are unique)")
    if contact is None:
        return
    stamp = datetime.combine(when, time(9), tzinfo=UTC)
    fields = documents.document_fields(
        contact,
        when,
        status,
        line_types,
        currency,
        rate or places(documents.ONE, 6),
        lines,
        stamp,
        f.optional("reference"),
    )
    invoice = Invoice(
        **fields,
        invoice_id=f.text("invoice_id", stable_id(tenant.entity_code, "invoice", number), pattern=_UUID),
        type=kind,
        number=number,
        due_date=f.day("due_date"),
    )
    if kind == "ACCREC":
        tenant.invoice_numbers.add(number)
    tenant.invoices[invoice.invoice_id] = invoice
    tenant.note(invoice.invoice_id, "Created", f"INV {number} to {contact.name} for {invoice.total}.", stamp)
    for index, item in enumerate(f.objects("payments")):
        _payment(item, tenant, invoice, index)


def _line(f: Fields) -> dict[str, object]:
    """A books-file line in the API's spelling, for documents.read_lines."""
    f.only(_LINE_FIELDS)
    tracking = [{"Name": t.text("name"), "Option": t.text("option")} for t in f.objects("tracking")]
    line: dict[str, object] = {
        "Description": f.text("description", ""),
        "Quantity": f.number("quantity", documents.ONE),
        "UnitAmount": f.number("unit_amount"),
        "AccountCode": f.text("account_code"),
        "Tracking": tracking,
    }
    if f.has("tax_type"):
        line["TaxType"] = f.text("tax_type")
    if f.has("discount_rate"):
        line["DiscountRate"] = f.number("discount_rate")
    return line


def _payment(f: Fields, tenant: Tenant, invoice: Invoice, index: int) -> None:
    f.only(("amount", "date", "account_code", "reference", "rate"))
    amount = cents(f.number("amount", positive=True))
    when = f.day("date", required=True) or invoice.date
    code = f.text("account_code")
    account = tenant.account_by_code(code)
    if account is None or not (account.type == "BANK" or account.enable_payments):
        f.problem("account_code", f"{code} is not a bank account (or an account with payments enabled)")
    if invoice.status != "AUTHORISED":
        f.problem("", "payments can only be made against AUTHORISED invoices")
    elif amount > invoice.amount_due:
        f.problem("amount", f"{amount} is more than the {invoice.amount_due} still due on {invoice.number}")
    if account is None or invoice.status != "AUTHORISED" or amount > invoice.amount_due:
        return
    stamp = datetime.combine(when, time(9), tzinfo=UTC)
    payment = Payment(
        payment_id=stable_id(tenant.entity_code, "payment", invoice.number, str(index)),
        invoice_id=invoice.invoice_id,
        account_code=code,
        date=when,
        amount=amount,
        currency_rate=places(f.number("rate", positive=True), 6) if f.has("rate") else invoice.currency_rate,
        updated=stamp,
        reference=f.optional("reference"),
        payment_type="ACCRECPAYMENT" if invoice.type == "ACCREC" else "ACCPAYPAYMENT",
    )
    tenant.payments[payment.payment_id] = payment
    invoice.amount_paid += amount
    invoice.payment_ids.append(payment.payment_id)
    settle_invoice(invoice, when, max(stamp, invoice.updated))
