"""Contacts through the SDK: create, duplicates, update, archive and paged reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from xero_python.accounting import Contact, Contacts
from xero_python.exceptions import AccountingBadRequestException

from cynare.sandbox.xero import messages
from tests.sandbox_xero.conftest import UK, errors


def _create(api, *contacts: Contact, **kwargs):
    return api.create_contacts(UK, Contacts(contacts=list(contacts)), **kwargs).contacts


def test_create_and_read(xero_api):
    made = _create(
        xero_api, Contact(name="Client One", contact_number="PMS-1", tax_number="GB123", email_address="a@b.c")
    )[0]
    assert made.contact_status == "ACTIVE" and made.contact_number == "PMS-1"
    got = xero_api.get_contact(UK, made.contact_id).contacts[0]
    assert (got.name, got.tax_number, got.email_address) == ("Client One", "GB123", "a@b.c")


def test_duplicate_name_and_number_are_refused(xero_api):
    _create(xero_api, Contact(name="Client Two", contact_number="PMS-2"))
    with pytest.raises(AccountingBadRequestException) as caught:
        _create(xero_api, Contact(name="client two"))
    assert errors(caught.value) == [messages.contact_name_taken("client two")]
    assert (
        "is already assigned to another contact. The contact name must be unique across all active contacts."
        in errors(caught.value)[0]
    )
    with pytest.raises(AccountingBadRequestException) as caught:
        _create(xero_api, Contact(name="Client Three", contact_number="PMS-2"))
    assert errors(caught.value) == [messages.contact_number_taken("PMS-2")]


def test_update_and_archive(xero_api):
    made = _create(xero_api, Contact(name="Client Four", contact_number="PMS-4"))[0]
    renamed = xero_api.update_contact(
        UK, made.contact_id, Contacts(contacts=[Contact(name="Client Four Ltd")])
    ).contacts[0]
    assert renamed.name == "Client Four Ltd"
    archived = xero_api.update_contact(
        UK, made.contact_id, Contacts(contacts=[Contact(contact_status="ARCHIVED")])
    ).contacts[0]
    assert archived.contact_status == "ARCHIVED"
    assert xero_api.get_contacts(UK).contacts == []
    assert [c.name for c in xero_api.get_contacts(UK, include_archived=True).contacts] == ["Client Four Ltd"]
    # An archived contact frees its name for a new one.
    assert _create(xero_api, Contact(name="Client Four Ltd"))[0].contact_status == "ACTIVE"


def test_update_or_create_by_contact_number(xero_api):
    _create(xero_api, Contact(name="Client Five", contact_number="PMS-5"))
    result = xero_api.update_or_create_contacts(
        UK, Contacts(contacts=[Contact(contact_number="PMS-5", email_address="five@x.y"), Contact(name="Client Six")])
    ).contacts
    assert [c.name for c in result] == ["Client Five", "Client Six"]
    assert result[0].email_address == "five@x.y"


def test_paged_reads_with_filters(xero_api):
    made = _create(xero_api, *[Contact(name=f"Paged {n}", contact_number=f"P-{n}") for n in range(5)])
    page = xero_api.get_contacts(UK, page=1, page_size=2)
    assert len(page.contacts) == 2 and page.pagination.page_count == 3
    by_ids = xero_api.get_contacts(UK, i_ds=[made[1].contact_id, made[3].contact_id]).contacts
    assert {c.name for c in by_ids} == {"Paged 1", "Paged 3"}
    assert [c.name for c in xero_api.get_contacts(UK, where='ContactNumber=="P-4"').contacts] == ["Paged 4"]
    assert [c.name for c in xero_api.get_contacts(UK, search_term="paged 2").contacts] == ["Paged 2"]
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert xero_api.get_contacts(UK, if_modified_since=later).contacts == []


def test_summarize_errors_false_on_contacts(xero_api):
    _create(xero_api, Contact(name="Taken"))
    ok, bad = _create(xero_api, Contact(name="Fresh"), Contact(name="Taken"), summarize_errors=False)
    assert ok.status_attribute_string == "OK" and ok.contact_id
    assert bad.status_attribute_string == "ERROR" and bad.has_validation_errors is True
    assert bad.validation_errors[0].message == messages.contact_name_taken("Taken")
