"""BalanceSheet, AgedReceivablesByContact and the cash-basis TrialBalance, all from one ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests
from xero_python.accounting import Account, CurrencyCode, Invoice, Invoices, Payment, Payments
from xero_python.exceptions import AccountingBadRequestException

from tests.sandbox_xero.conftest import UK, invoice

MAY = date(2026, 5, 31)


def _rows(report) -> dict[str, list[str]]:
    """Row title -> cell values, over every section (SDK report)."""
    return {row.cells[0].value: [c.value for c in row.cells] for s in report.rows if s.rows for row in s.rows}


def _pay(api, invoice_id, amount: str, on: date, rate: str | None = None, code: str = "090") -> None:
    payment = Payment(
        invoice=Invoice(invoice_id=invoice_id), account=Account(code=code), amount=Decimal(amount), date=on
    )
    if rate is not None:
        payment.currency_rate = Decimal(rate)
    api.create_payments(UK, Payments(payments=[payment]))


def _put(em, path: str, body: dict) -> dict:
    headers = {"Authorization": f"Bearer {em.token('UK')}", "xero-tenant-id": UK, "Accept": "application/json"}
    reply = requests.put(f"{em.accounting_url}/{path}", json=body, headers=headers, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _get(em, path: str, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {em.token('UK')}", "xero-tenant-id": UK, "Accept": "application/json"}
    return requests.get(f"{em.accounting_url}/{path}", params=params, headers=headers, timeout=10)


def _books(em, api) -> dict[str, str]:
    """Two clients' documents across two financial years, in two currencies, settled every way."""
    made = api.create_invoices(
        UK,
        Invoices(
            invoices=[
                invoice(
                    contact="Alder",
                    amount="500",
                    invoice_number="A-1",
                    date=date(2026, 3, 10),
                    due_date=date(2026, 4, 9),
                ),
                invoice(contact="Alder", amount="100", invoice_number="A-2", date=date(2026, 5, 1)),
                invoice(
                    contact="Birch",
                    amount="200",
                    invoice_number="B-1",
                    date=date(2026, 5, 2),
                    currency_code=CurrencyCode.EUR,
                    currency_rate=Decimal("1.17"),
                ),
                invoice(contact="Birch", amount="50", invoice_number="B-2", date=date(2026, 5, 3)),
            ]
        ),
    ).invoices
    ids = {i.invoice_number: i.invoice_id for i in made}
    _pay(api, ids["A-1"], "100", date(2026, 4, 20))
    _pay(api, ids["B-1"], "120", date(2026, 5, 10), rate="1.20", code="093")  # a realised gain
    note = _put(
        em,
        "CreditNotes",
        {
            "CreditNotes": [
                {
                    "Type": "ACCRECCREDIT",
                    "Contact": {"Name": "Alder"},
                    "Date": "2026-05-05",
                    "Status": "AUTHORISED",
                    "LineItems": [{"Description": "Write-off", "Quantity": 1, "UnitAmount": 50, "AccountCode": "684"}],
                }
            ]
        },
    )["CreditNotes"][0]
    em.allocate_credit("UK", note["CreditNoteID"], ids["A-2"], Decimal("40"), date(2026, 5, 6))
    over = _put(
        em,
        "BankTransactions",
        {
            "BankTransactions": [
                {
                    "Type": "RECEIVE-OVERPAYMENT",
                    "Contact": {"Name": "Birch"},
                    "BankAccount": {"Code": "090"},
                    "Date": "2026-05-12",
                    "LineAmountTypes": "NoTax",
                    "LineItems": [{"Description": "Overpaid", "LineAmount": 30}],
                }
            ]
        },
    )["BankTransactions"][0]
    em.allocate_credit("UK", over["OverpaymentID"], ids["B-2"], Decimal("10"), date(2026, 5, 13))
    return {**ids, "note": note["CreditNoteID"], "over": over["OverpaymentID"]}


def test_balance_sheet_as_xero_lays_it_out(xero_api):
    inv = xero_api.create_invoices(UK, Invoices(invoices=[invoice(amount="100")])).invoices[0]  # 1 May, 120 gross
    _pay(xero_api, inv.invoice_id, "20", date(2026, 5, 2))
    report = xero_api.get_report_balance_sheet(UK, date=MAY, periods=2, timeframe="MONTH").reports[0]
    assert (report.report_type, report.report_titles) == (
        "BalanceSheet",
        ["Balance Sheet", "Harrow & Vance LLP", "As at 31 May 2026"],
    )
    assert [c.value for c in report.rows[0].cells] == ["", "31 May 2026", "30 Apr 2026", "31 Mar 2026"]
    assert [s.title for s in report.rows[1:] if s.row_type.value == "Section"] == [
        "Assets",
        "Bank",
        "Current Assets",
        "",
        "Liabilities",
        "Current Liabilities",
        "",
        "",
        "Equity",
    ]
    rows = _rows(report)
    assert rows["Business Bank Account"] == ["Business Bank Account", "20.00", "0.00", "0.00"]
    assert rows["Accounts Receivable"][1] == "100.00" and rows["Total Assets"][1] == "120.00"
    assert rows["VAT"][1] == "20.00" and rows["Total Liabilities"][1] == "20.00"
    assert rows["Net Assets"][1] == rows["Total Equity"][1] == rows["Current Year Earnings"][1] == "100.00"
    assert rows["Retained Earnings"][1:] == ["0.00", "0.00", "0.00"]
    assert report.rows[2].rows[0].cells[0].attributes[0].id == "account"


def test_balance_sheet_balances_on_any_books_and_rolls_earlier_years_into_retained_earnings(xero_emulator, xero_api):
    _books(xero_emulator, xero_api)
    for when in (date(2026, 3, 31), date(2026, 4, 30), MAY):
        for cash in (False, True):
            rows = _rows(xero_api.get_report_balance_sheet(UK, date=when, payments_only=cash).reports[0])
            assert rows["Net Assets"][1] == rows["Total Equity"][1], (when, cash)
    rows = _rows(xero_api.get_report_balance_sheet(UK, date=MAY, periods=1, timeframe="QUARTER").reports[0])
    # A-1 (500 net, dated 10 March) belongs to the year that ended on 31 March.
    assert rows["Retained Earnings"][1:] == ["500.00", "0.00"]  # the second column is 28 February
    trial = _rows(xero_api.get_report_trial_balance(UK, date=MAY).reports[0])
    assert rows["Accounts Receivable"][1] == trial["Accounts Receivable (610)"][1]


def test_balance_sheet_refuses_what_it_does_not_do(xero_api):
    with pytest.raises(AccountingBadRequestException) as caught:
        xero_api.get_report_balance_sheet(UK, tracking_option_id1="0f0e0d0c-0000-4000-8000-000000000001")
    assert b"does not filter the BalanceSheet by tracking option" in caught.value.body
    with pytest.raises(AccountingBadRequestException):
        xero_api.get_report_balance_sheet(UK, periods=12)
    assert xero_api.get_report_balance_sheet(UK, standard_layout=True).reports[0].report_type == "BalanceSheet"


def test_trial_balance_on_a_cash_basis(xero_api):
    inv = xero_api.create_invoices(UK, Invoices(invoices=[invoice(amount="100")])).invoices[0]
    _pay(xero_api, inv.invoice_id, "60", date(2026, 5, 2))
    accrual = _rows(xero_api.get_report_trial_balance(UK, date=MAY).reports[0])
    cash = _rows(xero_api.get_report_trial_balance(UK, date=MAY, payments_only=True).reports[0])
    assert accrual["Sales (200)"][2] == "100.00" and accrual["Accounts Receivable (610)"][1] == "60.00"
    # Half the invoice is paid: half its income and half its tax.
    assert cash["Business Bank Account (090)"][1] == "60.00"
    assert (cash["Sales (200)"][2], cash["VAT (820)"][2]) == ("50.00", "10.00")
    assert "Accounts Receivable (610)" not in cash and cash["Total"][1] == cash["Total"][2] == "60.00"


def test_cash_basis_balances_with_credits_overpayments_and_currencies(xero_emulator, xero_api):
    _books(xero_emulator, xero_api)
    for when in (date(2026, 4, 30), MAY):
        rows = _rows(xero_api.get_report_trial_balance(UK, date=when, payments_only=True).reports[0])
        assert rows["Total"][1] == rows["Total"][2], when


def test_aged_receivables_by_contact(xero_emulator, xero_api):
    ids = _books(xero_emulator, xero_api)
    alder = xero_api.get_invoices(UK, where='Contact.Name=="Alder"').invoices[0].contact.contact_id
    report = xero_api.get_report_aged_receivables_by_contact(UK, alder, date=MAY).reports[0]
    assert report.report_titles == [
        "Invoices",
        "Alder",
        "From 10 March 2026 to 31 May 2026",
        "Showing payments to 31 May 2026",
    ]
    assert [c.value for c in report.rows[0].cells] == [
        "Date",
        "Number",
        "Due Date",
        "",
        "Total",
        "Paid",
        "Credited",
        "Due",
    ]
    opening, items, closing = (section.rows for section in report.rows[1:])
    assert [c.value for c in opening[0].cells][1::6] == ["Opening Balance", "0.00"]
    table = {row.cells[1].value: [c.value for c in row.cells] for row in items}
    assert table["A-1"] == [
        "2026-03-10 00:00:00",
        "A-1",
        "2026-04-09 00:00:00",
        "52 days overdue",
        "600.00",
        "100.00",
        "0.00",
        "500.00",
    ]
    assert table["A-2"][4:] == ["120.00", "0.00", "40.00", "80.00"]
    assert table["CN-0001"][4:] == ["-50.00", "0.00", "-40.00", "-10.00"]  # 684 Bad Debts carries no VAT
    assert items[0].cells[0].attributes[0].id == "invoiceID" and items[0].cells[0].attributes[0].value == ids["A-1"]
    assert [c.value for c in items[-1].cells][4:] == ["670.00", "100.00", "0.00", "570.00"]
    assert [c.value for c in closing[0].cells][0::7] == ["Closing Balance", "570.00"]
    # From 1 May: A-1 moves into the opening balance.
    later = xero_api.get_report_aged_receivables_by_contact(UK, alder, date=MAY, from_date=date(2026, 5, 1)).reports[0]
    opening, items, closing = (section.rows for section in later.rows[1:])
    assert opening[0].cells[-1].value == "500.00" and closing[0].cells[-1].value == "570.00"
    assert [row.cells[1].value for row in items[:-1]] == ["A-2", "CN-0001"]


def test_aged_receivables_add_up_to_the_debtors_control_account(xero_emulator, xero_api):
    _books(xero_emulator, xero_api)
    tenant = xero_emulator.tenant("UK")
    for when in (date(2026, 4, 30), date(2026, 5, 11), MAY):
        closing = Decimal(0)
        for contact_id in tenant.contacts:
            report = xero_api.get_report_aged_receivables_by_contact(UK, contact_id, date=when).reports[0]
            closing += Decimal(report.rows[-1].rows[0].cells[-1].value)
        trial = _rows(xero_api.get_report_trial_balance(UK, date=when).reports[0])
        debtors = trial.get("Accounts Receivable (610)", ["", "0.00", "0.00"])
        assert closing == Decimal(debtors[1] or 0) - Decimal(debtors[2] or 0), when


def test_aged_receivables_needs_a_known_contact(xero_emulator):
    reply = _get(xero_emulator, "Reports/AgedReceivablesByContact", contactId="0f0e0d0c-0000-4000-8000-000000000001")
    assert reply.status_code == 404
    reply = _get(xero_emulator, "Reports/AgedReceivablesByContact")
    assert reply.status_code == 400 and "contactId is required" in reply.json()["Message"]
    # The spec makes contactId required: that request broke the contract on purpose.
    assert any("contactId" in v for v in xero_emulator.violations)
    xero_emulator.violations.clear()
