"""Settings, the TrialBalance report and History notes through the SDK."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from xero_python.accounting import Account, HistoryRecord, HistoryRecords, Invoice, Invoices, Payment, Payments
from xero_python.exceptions import AccountingBadRequestException

from tests.sandbox_xero.conftest import UK, invoice


def _v(value):
    """The SDK gives some enums as Enum members and others as plain strings."""
    return getattr(value, "value", value)


def test_three_tenants_with_their_settings(xero_accounting, xero_tenant_ids):
    expected = {"UK": ("GBP", {"GBP", "EUR", "USD"}), "IE": ("EUR", {"EUR", "GBP"}), "US": ("USD", {"USD"})}
    for entity, (base, currencies) in expected.items():
        api, tenant = xero_accounting(entity), xero_tenant_ids[entity]
        org = api.get_organisations(tenant).organisations[0]
        assert _v(org.base_currency) == base and str(org.organisation_id) == tenant
        assert {_v(c.code) for c in api.get_currencies(tenant).currencies} == currencies
        codes = {a.code: a for a in api.get_accounts(tenant).accounts}
        assert _v(codes["610"].system_account) == "DEBTORS" and _v(codes["090"].type) == "BANK"
        assert codes["200"].name == "Sales" and codes["684"].name == "Bad Debts"
        categories = {
            c.name: [o.name for o in c.options] for c in api.get_tracking_categories(tenant).tracking_categories
        }
        assert set(categories) == {"Office", "Department"} and categories["Department"]
    uk_rates = {r.tax_type: r.effective_rate for r in xero_accounting("UK").get_tax_rates(UK).tax_rates}
    assert uk_rates["OUTPUT2"] == Decimal(20) and uk_rates["RROUTPUT"] == Decimal(5)
    assert {"ZERORATEDOUTPUT", "EXEMPTOUTPUT", "NONE"} <= set(uk_rates)
    ie_rates = {
        r.tax_type: r.effective_rate for r in xero_accounting("IE").get_tax_rates(xero_tenant_ids["IE"]).tax_rates
    }
    assert ie_rates["OUTPUT"] == Decimal(23) and ie_rates["TAX001"] == Decimal("13.5")


def test_trial_balance_shows_the_debtors_control_account(xero_api):
    inv = xero_api.create_invoices(UK, Invoices(invoices=[invoice(amount="100")])).invoices[0]  # 120 gross
    payment = Payment(
        invoice=Invoice(invoice_id=inv.invoice_id),
        account=Account(code="090"),
        amount=Decimal("20"),
        date=date(2026, 5, 2),
    )
    xero_api.create_payments(UK, Payments(payments=[payment]))
    report = xero_api.get_report_trial_balance(UK, date=date(2026, 5, 31)).reports[0]
    rows = {row.cells[0].value: row.cells for section in report.rows if section.rows for row in section.rows}
    assert rows["Accounts Receivable (610)"][1].value == "100.00"
    assert rows["Business Bank Account (090)"][1].value == "20.00"
    assert rows["Sales (200)"][2].value == "100.00"
    assert rows["VAT (820)"][2].value == "20.00"
    total = rows["Total"]
    assert total[1].value == total[2].value == "120.00"
    before = xero_api.get_report_trial_balance(UK, date=date(2026, 4, 30)).reports[0]
    assert all(not section.rows for section in before.rows if section.title)


def test_history_records_and_notes(xero_api):
    inv = xero_api.create_invoices(UK, Invoices(invoices=[invoice()])).invoices[0]
    note = HistoryRecords(history_records=[HistoryRecord(details="Posted by Cynare Link from PMS bill 42")])
    added = xero_api.create_invoice_history(UK, inv.invoice_id, note).history_records[0]
    assert added.details == "Posted by Cynare Link from PMS bill 42"
    history = xero_api.get_invoice_history(UK, inv.invoice_id).history_records
    assert [h.changes for h in history] == ["Created", "Note"]
    with pytest.raises(AccountingBadRequestException):
        xero_api.create_invoice_history(
            UK, inv.invoice_id, HistoryRecords(history_records=[HistoryRecord(details="x" * 2501)])
        )
    contact_history = xero_api.get_contact_history(UK, inv.contact.contact_id).history_records
    assert contact_history == [] or contact_history[0].changes == "Created"
