"""Contract validation really bites, including inside the spec's cyclic schemas."""

from __future__ import annotations

import json

import requests
from werkzeug.datastructures import Headers

from cynare.sandbox.xero.contract import ContractChecker
from cynare.sandbox.xero.seed import UK_TENANT_ID

HEADERS = Headers({"xero-tenant-id": UK_TENANT_ID, "Content-Type": "application/json"})


def test_wrong_type_in_an_invoice_response_is_caught(xero_spec):
    checker = ContractChecker(xero_spec)
    good = {
        "Invoices": [{"InvoiceID": "d4956132-ed94-4dd7-9eaa-aa22dfdf06f2", "Total": 1.5, "Payments": [{"Amount": 1.5}]}]
    }
    assert checker.check_response("GET", "/Invoices", {}, HEADERS, 200, json.dumps(good).encode()) == []
    wrong_total = {"Invoices": [{"Total": "one"}]}
    found = checker.check_response("GET", "/Invoices", {}, HEADERS, 200, json.dumps(wrong_total).encode())
    assert found and "'one' is not of type 'number'" in found[0]
    # Invoice -> Payment -> Invoice is a cycle in the spec; the check follows it.
    deep = {"Invoices": [{"Payments": [{"Invoice": {"AmountDue": "lots"}}]}]}
    found = checker.check_response("GET", "/Invoices", {}, HEADERS, 200, json.dumps(deep).encode())
    assert found and "'lots' is not of type 'number'" in found[0]


def test_wrong_type_in_a_payment_request_is_caught(xero_spec):
    checker = ContractChecker(xero_spec)
    body = {"Payments": [{"Invoice": {"InvoiceID": "d4956132-ed94-4dd7-9eaa-aa22dfdf06f2"}, "Amount": "ten"}]}
    found = checker.check_request("PUT", "/Payments", {}, HEADERS, json.dumps(body).encode())
    assert found and "'ten' is not of type 'number'" in found[0]
    nested = {
        "Payments": [{"Invoice": {"InvoiceID": "d4956132-ed94-4dd7-9eaa-aa22dfdf06f2", "Total": "x"}, "Amount": 1}]
    }
    assert checker.check_request("PUT", "/Payments", {}, HEADERS, json.dumps(nested).encode())


def test_the_sdk_spelling_of_query_booleans_is_accepted(xero_spec):
    checker = ContractChecker(xero_spec)
    body = json.dumps({"Contacts": [{"Name": "A"}]}).encode()
    assert checker.check_request("PUT", "/Contacts", {"summarizeErrors": "False"}, HEADERS, body) == []
    assert checker.check_request("PUT", "/Contacts", {"summarizeErrors": "maybe"}, HEADERS, body)


def test_a_live_call_that_breaks_the_spec_is_recorded(xero_emulator):
    token = xero_emulator.token("UK")
    reply = requests.put(
        f"{xero_emulator.accounting_url}/Payments",
        headers={"Authorization": f"Bearer {token}", "xero-tenant-id": UK_TENANT_ID},
        json={"Payments": [{"Invoice": {"InvoiceID": "d4956132-ed94-4dd7-9eaa-aa22dfdf06f2"}, "Amount": "ten"}]},
        timeout=5,
    )
    assert reply.status_code == 400
    assert any("'ten' is not of type 'number'" in v for v in xero_emulator.violations)
    xero_emulator.violations.clear()  # broken on purpose; the fixture would fail the test otherwise
