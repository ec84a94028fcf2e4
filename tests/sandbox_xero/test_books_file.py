"""Organisations from a books file: the samples are one, any firm's books can be another."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner
from xero_python.accounting import Invoices
from xero_python.exceptions import AccountingBadRequestException

from cynare.entrypoints.cli import app as cynare_cli
from cynare.sandbox.xero import books_file, cli, messages, seed
from cynare.sandbox.xero.books_file import SAMPLE, BooksError
from cynare.sandbox.xero.emulator import Emulator
from cynare.sandbox.xero.testing import sdk_client
from tests.sandbox_xero.conftest import invoice

FIRM = Path(__file__).with_name("data") / "firm_books.json"


def _rows(report) -> dict[str, list[str]]:
    return {row.cells[0].value: [c.value for c in row.cells] for s in report.rows if s.rows for row in s.rows}


def test_the_sample_organisations_are_a_books_file_in_the_package():
    assert SAMPLE.is_file() and SAMPLE.parent.name == "books"
    tenants, clients = books_file.load().build()
    assert {t.entity_code: t.tenant_id for t in tenants.values()} == seed.TENANT_IDS
    for code, client in seed.ENTITY_CLIENTS.items():
        assert clients[client.client_id].custom_tenant_id == seed.TENANT_IDS[code]
    assert {seed.WEB_CLIENT_ID, seed.WEB_2026_CLIENT_ID} <= set(clients)
    assert tenants == seed.fresh_tenants()  # each build is a fresh, equal copy


def test_a_firms_books_make_its_organisations(make_xero_emulator):
    em = make_xero_emulator(books=str(FIRM))
    assert sorted(t.entity_code for t in em.tenants.values()) == ["AL", "ALIE"]
    api, tenant = sdk_client(em, "AL"), em.tenant("AL").tenant_id
    org = api.get_organisations(tenant).organisations[0]
    assert (org.name, str(org.base_currency.value), org.financial_year_end_month) == ("Ashdown Legal LLP", "GBP", 12)
    assert org.period_lock_date == date(2026, 3, 31)
    assert {c.code.value for c in api.get_currencies(tenant).currencies} == {"GBP", "EUR"}
    assert {r.tax_type for r in api.get_tax_rates(tenant).tax_rates} == {"OUTPUT2", "NONE"}
    accounts = {a.code: a for a in api.get_accounts(tenant).accounts}
    assert accounts["093"].currency_code.value == "EUR" and accounts["970"].name == "Partners' Capital"
    [category] = api.get_tracking_categories(tenant).tracking_categories
    assert [o.name for o in category.options] == ["Conveyancing", "Family", "Probate"]
    assert [c.name for c in api.get_contacts(tenant, order="Name").contacts] == [
        "Marsh & Daughters",
        "Okafor Holdings BV",
    ]
    assert len(api.get_contacts(tenant, include_archived=True).contacts) == 3
    open_items = {i.invoice_number: i for i in api.get_invoices(tenant).invoices}
    assert open_items["AL-1001"].amount_due == Decimal("800.00") and len(open_items["AL-1001"].payments) == 1
    assert open_items["AL-1002"].currency_code.value == "EUR" and open_items["AL-1002"].amount_due == Decimal("1150.00")
    assert open_items["AL-1001"].line_items[0].tracking[0].option == "Conveyancing"
    # The debtors control account holds the open items: 800 + EUR 1,150 at 1.15.
    rows = _rows(api.get_report_trial_balance(tenant, date=date(2026, 4, 30)).reports[0])
    assert rows["Debtors (610)"][1] == "1800.00" and rows["Total"][1] == rows["Total"][2]
    # The lock date holds for new documents.
    with pytest.raises(AccountingBadRequestException) as caught:
        api.create_invoices(tenant, Invoices(invoices=[invoice(date=date(2026, 3, 1), line_items=[])]))
    assert messages.locked(date(2026, 3, 31)).encode() in caught.value.body
    # The second organisation has its own connection; reset goes back to the file's books.
    assert (
        sdk_client(em, "ALIE").get_organisations(em.tenant("ALIE").tenant_id).organisations[0].base_currency.value
        == "EUR"
    )
    made = api.create_invoices(tenant, Invoices(invoices=[invoice(contact="Marsh & Daughters")])).invoices[0]
    # createdByMyApp: the invoice this app made, not those the firm already had.
    assert [i.invoice_id for i in api.get_invoices(tenant, created_by_my_app=True).invoices] == [made.invoice_id]
    assert len(api.get_invoices(tenant, created_by_my_app=False).invoices) == 3
    em.reset()
    assert len(em.tenant("AL").invoices) == 2 and len(em.tenant("AL").contacts) == 3


def test_problems_name_the_organisation_and_the_field(tmp_path):
    raw = json.loads(FIRM.read_text(encoding="utf-8"))
    firm = raw["organisations"][0]
    firm["accounts"][2]["type"] = "SALEZ"
    firm["currencies"] = {"EUR": "0"}
    firm["invoices"][0]["lines"][0]["account_code"] = "999"
    firm["invoices"][1]["contact"] = "Nobody"
    firm["contacts"][0]["emial"] = "typo@x.y"
    raw["organisations"][1]["entity"] = "al"
    path = tmp_path / "books.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(BooksError) as caught:
        Emulator(books=path)
    problems = caught.value.problems
    expected = [
        "organisation AL (Ashdown Legal LLP): currencies.EUR: must be greater than zero",
        "organisation AL (Ashdown Legal LLP): accounts[2].type: 'SALEZ' is not one of BANK, CURRENT",
        "organisation AL (Ashdown Legal LLP): contacts[0].emial: unknown field",
        "organisation AL (Ashdown Legal LLP): invoices[0].lines[0]: Account code '999' is not a valid code",
        "organisation AL (Ashdown Legal LLP): invoices[1].contact: 'Nobody' is neither the name nor the contact_number",
        "organisation al (Ashdown Legal Ireland Limited): entity and tenant_id must be unique across organisations",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert str(path) in str(caught.value)
    with pytest.raises(BooksError, match="is not valid JSON"):
        books_file.load(_write(tmp_path / "broken.json", "{"))
    with pytest.raises(BooksError, match='format: must be "cynare-xero-books/1"'):
        books_file.load({"organisations": []})


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_command_takes_a_books_file(monkeypatch, tmp_path, capsys):
    seen: dict[str, object] = {}
    serve = cli.serve
    monkeypatch.setattr(cli, "serve", lambda **options: seen.update(options))
    result = CliRunner().invoke(cynare_cli, ["sandbox", "xero", "--port", "0", "--books", str(FIRM)])
    assert result.exit_code == 0, result.output
    assert seen["books"] == str(FIRM)
    em = cli.start(0, None, 1.0, tmp_path, books=FIRM)
    try:
        printed = capsys.readouterr().out
        assert "AL: Ashdown Legal LLP" in printed and "ASHDOWNCUSTOMAL000000000000000001" in printed
        assert em.tenant("ALIE").name == "Ashdown Legal Ireland Limited"
    finally:
        em.stop()
    with pytest.raises(SystemExit, match="cannot be used"):
        serve(0, None, 1.0, tmp_path, books=_write(tmp_path / "bad.json", '{"format": "x"}'))
