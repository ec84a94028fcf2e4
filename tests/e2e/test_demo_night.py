"""`cynare demo` for one entity and one night: the Functions app on the local host, the local Xero, the agent.

The whole demo (three entities, two nights) takes minutes; US alone, one night, is the same path in
under a minute: the import timer, posting through the queue, a bank-feed receipt and a void in Xero
by hand, the sync timer, the agent's write-back, and night.json's counts checked in Xero's books.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from rich.console import Console

from cynare.entrypoints.demo import run_demo
from cynare.sandbox.xero.contract import WHERE_TO_GET, spec_path

pytestmark = [
    pytest.mark.slow,
    pytest.mark.azurite,
    pytest.mark.skipif(not spec_path().exists(), reason=WHERE_TO_GET),
]


def test_a_night_of_one_entity_posts_each_document_once_and_writes_back(tmp_path: Path) -> None:
    before = dict(os.environ)
    output = io.StringIO()

    code = run_demo(str(tmp_path), entities=["US"], second_night=False, console=Console(file=output, width=140))

    printed = output.getvalue()
    assert code == 0, printed[-4000:]
    night = json.loads((tmp_path / "night.json").read_text(encoding="utf-8"))
    assert night["passed"] and all(night["checks"].values()), night["checks"]
    us = night["entities"]["US"]
    counted = {name: found for name, found in us["datasets"].items() if "xero_documents_per_pms_document" in found}
    assert set(counted) == {"clients", "bills", "credit_notes", "write_offs", "receipts", "unallocated_receipts"}
    for name, found in counted.items():
        per_document = found["xero_documents_per_pms_document"]
        assert set(per_document) <= {"0", "1"}, (name, per_document)
        assert per_document.get("1", 0) == found["documents_by_state"].get("posted", 0), name
        assert found["not_as_expected"] == 0, found["examples_not_as_expected"]
    assert us["datasets"]["receipts"]["xero_documents_not_from_the_pms"] == 1  # the bank-feed receipt
    assert us["datasets"]["bills"]["of_which_voided_deleted_or_archived_in_xero"] == 1  # the invoice voided by hand
    assert us["written_back"]["posted"] > 0 and us["written_back"]["xero_receipt"] == 1
    assert us["xero_calls"] > 0 and not us["open_issues"]
    assert night["xero"]["contract_violations"] == []
    # The morning's reconciliation: the void and the bank-feed receipt explain the whole difference.
    reconciliation = night["reconciliation"]
    [us_result] = reconciliation["summary"]["entities"]
    [usd] = us_result["currencies"]
    assert usd["unexplained"] == "0.00" and usd["explained"] == usd["difference"], usd
    assert set(usd["causes"]) == {"voided or deleted in Xero only", "receipt in Xero not yet in the PMS"}, usd
    assert us_result["control"]["status"] == "balanced"
    assert [d["sent"] for d in reconciliation["deliveries"]] == [True, True]
    for name in ("reconciliation.html", "email", "Teams card", "summary.json"):
        assert Path(reconciliation["files"][name]).is_file(), name
    assert "XLSX workbook" in printed and "captured email" in printed
    assert "what `cynare connect ENTITY --client-id ID` does" in printed

    # The agent applied the write-back: the PMS has Xero's ids and the receipt taken in Xero.
    with closing(sqlite3.connect(tmp_path / "pms" / "demo-pms.sqlite")) as pms:
        linked = pms.execute("SELECT COUNT(*) FROM xero_links WHERE entity = 'US' AND status = 'posted'").fetchone()[0]
        from_xero = pms.execute("SELECT COUNT(*) FROM receipts WHERE entity = 'US' AND origin = 'xero'").fetchone()[0]
    assert linked == us["written_back"]["posted"]
    assert from_xero == 1
    # The settings it put in the environment are gone with it.
    assert dict(os.environ) == before
