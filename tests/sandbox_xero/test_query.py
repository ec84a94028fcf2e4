"""Reading lists as Xero does: `order`, `where`, `searchTerm` and `summaryOnly`, through the SDK and plain HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests
import yaml
from xero_python.accounting import Account, Contact, Contacts, Invoice, Invoices, Payment, Payments
from xero_python.exceptions import AccountingBadRequestException

from cynare.sandbox.xero import fields
from cynare.sandbox.xero.contract import spec_path
from tests.sandbox_xero.conftest import UK, invoice


def _get(em, path: str, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {em.token('UK')}", "xero-tenant-id": UK, "Accept": "application/json"}
    return requests.get(f"{em.accounting_url}/{path}", params=params, headers=headers, timeout=10)


def _invoices(api) -> list:
    made = [
        invoice(
            contact="Charlie & Co", amount="300", invoice_number="Q-3", reference="Matter 9", date=date(2026, 5, 3)
        ),
        invoice(contact="alpha Ltd", amount="100", invoice_number="Q-1", reference="Matter 7", date=date(2026, 5, 1)),
        invoice(contact="Bravo LLP", amount="200", invoice_number="Q-2", reference="Retainer", date=date(2026, 5, 2)),
    ]
    return api.create_invoices(UK, Invoices(invoices=made)).invoices


def test_order_sorts_by_any_field_and_direction(xero_api):
    _invoices(xero_api)
    names = [c.name for c in xero_api.get_contacts(UK, order="Name").contacts]
    assert names == ["alpha Ltd", "Bravo LLP", "Charlie & Co"]  # text sorts without regard to case
    assert [c.name for c in xero_api.get_contacts(UK, order="Name DESC").contacts] == names[::-1]
    by_total = xero_api.get_invoices(UK, order="Total DESC").invoices
    assert [i.invoice_number for i in by_total] == ["Q-3", "Q-2", "Q-1"]
    by_date = xero_api.get_invoices(UK, order="Date").invoices
    assert [i.invoice_number for i in by_date] == ["Q-1", "Q-2", "Q-3"]
    by_contact = xero_api.get_invoices(UK, order="contact.name desc, InvoiceNumber").invoices
    assert [i.contact.name for i in by_contact] == ["Charlie & Co", "Bravo LLP", "alpha Ltd"]
    # order comes before the page: page 1 of the sorted list.
    first = xero_api.get_invoices(UK, order="Total DESC", page=1, page_size=1).invoices
    assert [i.invoice_number for i in first] == ["Q-3"]


@pytest.mark.parametrize(
    ("path", "key", "field"),
    [
        ("Accounts", "Accounts", "Code"),
        ("TaxRates", "TaxRates", "Name"),
        ("Currencies", "Currencies", "Code"),
        ("TrackingCategories", "TrackingCategories", "Name"),
        ("Payments", "Payments", "Amount"),
        ("CreditNotes", "CreditNotes", "CreditNoteNumber"),
        ("BankTransactions", "BankTransactions", "Total"),
        ("Overpayments", "Overpayments", "Total"),
    ],
)
def test_order_on_every_list_the_spec_gives_it(xero_emulator, xero_api, path, key, field):
    made = _invoices(xero_api)
    for inv, amount in zip(made[:2], ("30", "10"), strict=True):
        payment = Payment(
            invoice=Invoice(invoice_id=inv.invoice_id), account=Account(code="090"), amount=Decimal(amount)
        )
        xero_api.create_payments(UK, Payments(payments=[payment]))
    for number, amount in (("CN-B", 20), ("CN-A", 10)):
        body = {
            "Type": "ACCRECCREDIT",
            "CreditNoteNumber": number,
            "Contact": {"Name": "alpha Ltd"},
            "Status": "AUTHORISED",
        }
        body["LineItems"] = [{"Description": "x", "Quantity": 1, "UnitAmount": amount, "AccountCode": "200"}]
        xero_emulator_put(xero_emulator, "CreditNotes", {"CreditNotes": [body]})
    for amount in (50, 70):
        line = {"Description": "Cash", "LineAmount": amount}
        body = {"Type": "RECEIVE-OVERPAYMENT", "Contact": {"Name": "alpha Ltd"}, "BankAccount": {"Code": "090"}}
        xero_emulator_put(
            xero_emulator,
            "BankTransactions",
            {"BankTransactions": [{**body, "LineAmountTypes": "NoTax", "LineItems": [line]}]},
        )
    up = [item[field] for item in _get(xero_emulator, path, order=field).json()[key]]
    down = [item[field] for item in _get(xero_emulator, path, order=f"{field} DESC").json()[key]]
    assert len(up) >= 2 and up == sorted(up, key=lambda v: v.casefold() if isinstance(v, str) else v)
    assert down == up[::-1]


def xero_emulator_put(em, path: str, body: dict) -> None:
    headers = {"Authorization": f"Bearer {em.token('UK')}", "xero-tenant-id": UK, "Accept": "application/json"}
    reply = requests.put(f"{em.accounting_url}/{path}", json=body, headers=headers, timeout=10)
    assert reply.status_code == 200, reply.text


def test_unknown_fields_are_xeros_query_parse_error(xero_emulator, xero_api):
    reply = _get(xero_emulator, "Contacts", order="Nmae")
    assert reply.status_code == 400
    assert reply.json() == {
        "ErrorNumber": 16,
        "Type": "QueryParseException",
        "Message": "No property or field 'Nmae' exists in type 'Contact'",
    }
    reply = _get(xero_emulator, "Invoices", where='Contact.Nmae=="x"')
    assert reply.json()["Message"] == "No property or field 'Nmae' exists in type 'Contact'"
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.get_accounts(UK, where='Colour=="red"')
    assert b"No property or field 'Colour' exists in type 'Account'" in caught.value.body


def test_where_reads_xeros_operators(xero_api):
    made = _invoices(xero_api)

    def numbers(clause: str) -> list[str]:
        return sorted(i.invoice_number for i in xero_api.get_invoices(UK, where=clause).invoices)

    assert numbers("Total > 200") == ["Q-2", "Q-3"]  # 200 + 20% VAT = 240
    assert numbers("Total >= 240 AND Total < 360.00") == ["Q-2"]
    assert numbers("Date >= DateTime(2026, 05, 02)") == ["Q-2", "Q-3"]
    assert numbers('Reference.StartsWith("matter")') == ["Q-1", "Q-3"]
    assert numbers('Contact.Name.Contains("LL") || InvoiceNumber == "Q-1"') == ["Q-1", "Q-2"]
    assert numbers('NOT (Reference.EndsWith("7") OR Reference == "Retainer")') == ["Q-3"]
    assert numbers(f'Contact.ContactID = Guid("{made[0].contact.contact_id}")') == ["Q-3"]
    assert numbers('DueDate != null && Status <> "DRAFT"') == ["Q-1", "Q-2", "Q-3"]
    assert numbers('Reference.ToLower() == "retainer"') == ["Q-2"]
    assert [c.name for c in xero_api.get_contacts(UK, where='IsCustomer AND Name.EndsWith("co")').contacts] == [
        "Charlie & Co"
    ]


def test_where_that_cannot_be_read_is_a_clear_400(xero_emulator, xero_api):
    _invoices(xero_api)
    for clause in ('Name.Substring(1) == "x"', 'Name == "a" ^ Name == "b"', "Total >", "LineItems.Count > 0"):
        reply = _get(xero_emulator, "Invoices", where=clause.replace("Name", "Reference"))
        assert reply.status_code == 400, clause
        assert reply.json()["Message"].startswith("The where clause is not supported by the emulator: ")
    reply = _get(xero_emulator, "Invoices", where='Total > "lots"')
    assert reply.status_code == 400
    assert reply.json() == {
        "ErrorNumber": 16,
        "Type": "QueryParseException",
        "Message": "Operator '>' incompatible with operand types 'Decimal' and 'String'",
    }


def test_search_term_on_invoices_and_contacts(xero_api):
    _invoices(xero_api)
    found = xero_api.get_invoices(UK, search_term="matter").invoices
    assert sorted(i.invoice_number for i in found) == ["Q-1", "Q-3"]
    assert [i.invoice_number for i in xero_api.get_invoices(UK, search_term="q-2").invoices] == ["Q-2"]
    assert xero_api.get_invoices(UK, search_term="Bravo").invoices == []  # not a field searchTerm reads
    xero_api.create_contacts(UK, Contacts(contacts=[Contact(name="Delta", email_address="ap@bravo.example")]))
    assert sorted(c.name for c in xero_api.get_contacts(UK, search_term="BRAVO").contacts) == ["Bravo LLP", "Delta"]


def test_summary_only_returns_the_lightweight_records(xero_emulator, xero_api):
    made = _invoices(xero_api)
    payment = Payment(invoice=Invoice(invoice_id=made[0].invoice_id), account=Account(code="090"), amount=Decimal(5))
    xero_api.create_payments(UK, Payments(payments=[payment]))
    full = _get(xero_emulator, "Invoices").json()["Invoices"]
    light = _get(xero_emulator, "Invoices", summaryOnly="true").json()["Invoices"]
    assert {"LineItems", "Payments", "CreditNotes"} <= set(full[0])
    assert not fields.SUMMARY_HIDES["Invoices"] & set(light[0])
    assert [(i["InvoiceNumber"], i["AmountDue"], i["Total"]) for i in light] == [
        (i["InvoiceNumber"], i["AmountDue"], i["Total"]) for i in full
    ]
    contacts = xero_api.get_contacts(UK, summary_only=True).contacts
    assert contacts and all(c.balances is None and c.addresses is None and c.phones is None for c in contacts)
    assert all(c.balances is not None for c in xero_api.get_contacts(UK).contacts)


def test_summary_only_refuses_what_it_leaves_out(xero_emulator):
    reply = _get(xero_emulator, "Contacts", summaryOnly="true", order="Balances")
    assert reply.status_code == 400 and reply.json()["Type"] == "QueryParseException"
    assert "'Balances' is not returned with summaryOnly=true" in reply.json()["Message"]
    reply = _get(xero_emulator, "Invoices", summaryOnly="True", where="LineItems != null")
    assert reply.status_code == 400 and "'LineItems' is not returned" in reply.json()["Message"]
    assert _get(xero_emulator, "Contacts", summaryOnly="true", order="Name DESC").status_code == 200


def test_field_table_is_the_specs():
    path = spec_path()
    if not path.is_file():
        pytest.skip("Xero's spec is missing")
    schemas = yaml.safe_load(path.read_text(encoding="utf-8"))["components"]["schemas"]
    for name, table in fields.SCHEMAS.items():
        assert list(table) == list(schemas[name]["properties"]), name
        for field in table.values():
            if field.record:
                assert field.record in fields.SCHEMAS, (name, field)


def test_overpayments_by_reference_and_accounts_since(xero_emulator, xero_api):
    for reference in ("Cheque 1", "Cheque 2", "Cheque 3"):
        line = {"Description": "Cash", "LineAmount": 10}
        body = {"Type": "RECEIVE-OVERPAYMENT", "Contact": {"Name": "alpha Ltd"}, "BankAccount": {"Code": "090"}}
        body.update({"Reference": reference, "LineAmountTypes": "NoTax", "LineItems": [line]})
        xero_emulator_put(xero_emulator, "BankTransactions", {"BankTransactions": [body]})
    found = _get(xero_emulator, "Overpayments", References="Cheque 1,Cheque 3").json()["Overpayments"]
    assert sorted(o["Reference"] for o in found) == ["Cheque 1", "Cheque 3"]
    assert xero_api.get_accounts(UK, if_modified_since=datetime(2020, 1, 1, tzinfo=UTC)).accounts
    assert xero_api.get_accounts(UK, if_modified_since=datetime(2026, 1, 1, tzinfo=UTC)).accounts == []
