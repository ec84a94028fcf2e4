"""Documents read whole (no watermark): only new and changed ones are sent, whole; deletions become cancellations."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from cynare.agent.errors import ExtractInputError
from cynare.extract.batch import FolderBatch, validate_batch
from tests.agent.small_pms import AS_AT, BILLS_WITH_WATERMARK, CANCELLATIONS, SmallPms, small_pms


@pytest.fixture
def pms(tmp_path: Path) -> SmallPms:
    return small_pms(tmp_path)


def _ids(rows: list[dict[str, str]], column: str) -> list[str]:
    return [row[column] for row in rows]


def test_first_run_sends_every_bill_then_a_changed_line_sends_that_bill_with_all_its_lines(pms: SmallPms) -> None:
    extractor = pms.extractor()
    first = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    assert first.sequence == 1
    assert _ids(pms.rows(first, "bills"), "bill_id") == ["B1", "B2", "B3"]
    assert len(pms.rows(first, "bill_lines")) == 4
    assert validate_batch(FolderBatch(pms.batches / "UK" / str(first.batch_id))).rejections == []

    assert extractor.extract_entity("UK", as_at=AS_AT, full=False).note == "no changes since the last batch"

    pms.sql("UPDATE bill_lines SET narrative = 'Drafting' WHERE bill_id = 'B2' AND line_no = 2")
    second = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    assert second.sequence == 2 and second.note == "new batch"
    assert _ids(pms.rows(second, "bills"), "bill_id") == ["B2"]
    lines = pms.rows(second, "bill_lines")
    assert [(line["bill_id"], line["line_no"], line["description"]) for line in lines] == [
        ("B2", "1", "Work 1"), ("B2", "2", "Drafting"),
    ]  # fmt: skip
    assert pms.rows(second, "clients") == [] and pms.rows(second, "map_nominal") == []
    assert not (pms.batches / "UK" / str(second.batch_id) / "map_nominal.csv").exists()  # unchanged: left out
    assert len(pms.rows(second, "debtors")) == 1  # the snapshot goes in every batch
    assert validate_batch(FolderBatch(pms.batches / "UK" / str(second.batch_id))).rejections == []


def test_row_order_does_not_make_a_change(pms: SmallPms) -> None:
    extractor = pms.extractor()
    extractor.extract_entity("UK", as_at=AS_AT, full=False)
    text = pms.queries.joinpath("bill_lines.sql").read_text(encoding="utf-8")
    pms.write_query(
        "bill_lines", text.replace("ORDER BY l.bill_id, l.line_no", "ORDER BY l.bill_id DESC, l.line_no DESC")
    )
    assert extractor.extract_entity("UK", as_at=AS_AT, full=False).batch_id is None


def test_a_deleted_bill_is_cancelled_once_and_forgotten(pms: SmallPms, caplog: pytest.LogCaptureFixture) -> None:
    extractor = pms.extractor()
    extractor.extract_entity("UK", as_at=AS_AT, full=False)
    pms.delete_bill("B3")
    caplog.set_level(logging.WARNING)
    later = date(2026, 11, 26)
    outcome = extractor.extract_entity("UK", as_at=later, full=False)
    assert pms.rows(outcome, "cancellations") == [
        {"kind": "bill", "document_id": "B3", "date": "2026-11-26", "reason": "deleted in the PMS"}
    ]
    assert pms.rows(outcome, "bills") == [] and pms.rows(outcome, "bill_lines") == []
    assert (
        "entity UK, dataset bills, key B3: deleted in the PMS since it was sent; cancelled by cancellations.csv row 2"
        in caplog.text
    )
    assert validate_batch(FolderBatch(pms.batches / "UK" / str(outcome.batch_id))).rejections == []
    assert "B3" not in dict(extractor.state.sent_fingerprints("UK", "bills"))

    assert extractor.extract_entity("UK", as_at=later, full=False).batch_id is None  # cancelled once
    pms.add_bill("B3", ("25.00", "5.00"))  # the same id used again: a new bill
    again = extractor.extract_entity("UK", as_at=later, full=False)
    assert _ids(pms.rows(again, "bills"), "bill_id") == ["B3"] and pms.rows(again, "cancellations") == []


def test_an_explicit_cancellation_is_not_duplicated_by_the_deletion_it_explains(pms: SmallPms) -> None:
    pms.write_query("cancellations", CANCELLATIONS)
    extractor = pms.extractor()
    extractor.extract_entity("UK", as_at=AS_AT, full=False)
    pms.delete_bill("B1")
    pms.delete_bill("B2")
    pms.sql("INSERT INTO voids VALUES ('UK', 'bill', 'B1', '2026-11-24', 'voided: billed to the wrong client')")
    outcome = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    assert pms.rows(outcome, "cancellations") == [
        {"kind": "bill", "document_id": "B1", "date": "2026-11-24", "reason": "voided: billed to the wrong client"},
        {"kind": "bill", "document_id": "B2", "date": "2026-11-25", "reason": "deleted in the PMS"},
    ]
    assert extractor.extract_entity("UK", as_at=AS_AT, full=False).batch_id is None  # each sent once


def test_a_deletion_the_pms_cancelled_in_an_earlier_batch_sends_nothing(pms: SmallPms) -> None:
    pms.write_query("cancellations", CANCELLATIONS)
    extractor = pms.extractor()
    extractor.extract_entity("UK", as_at=AS_AT, full=False)
    pms.sql("INSERT INTO voids VALUES ('UK', 'bill', 'B1', '2026-11-24', 'voided')")
    voided = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    assert _ids(pms.rows(voided, "cancellations"), "document_id") == ["B1"]
    pms.delete_bill("B1")  # purged after it was voided
    assert extractor.extract_entity("UK", as_at=AS_AT, full=False).batch_id is None
    assert "B1" not in dict(extractor.state.sent_fingerprints("UK", "bills"))


def test_a_vanished_client_is_a_warning_not_a_cancellation(pms: SmallPms, caplog: pytest.LogCaptureFixture) -> None:
    extractor = pms.extractor()
    extractor.extract_entity("UK", as_at=AS_AT, full=False)
    pms.sql("DELETE FROM clients WHERE client_id = 'C2'")
    caplog.set_level(logging.WARNING)
    assert extractor.extract_entity("UK", as_at=AS_AT, full=False).batch_id is None
    assert (
        "entity UK, dataset clients, key C2: sent before and no longer in the PMS; not cancelled in Xero" in caplog.text
    )
    caplog.clear()
    assert extractor.extract_entity("UK", as_at=AS_AT, full=False).batch_id is None
    assert "C2" not in caplog.text  # said once


def test_a_watermark_read_never_guesses_a_deletion(pms: SmallPms) -> None:
    pms.write_query("bills", BILLS_WITH_WATERMARK)
    extractor = pms.extractor()
    first = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    assert _ids(pms.rows(first, "bills"), "bill_id") == ["B1", "B2", "B3"]
    pms.delete_bill("B3")
    pms.add_bill("B4", ("10.00", "2.00"), modified_at="2")
    outcome = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    assert _ids(pms.rows(outcome, "bills"), "bill_id") == ["B4"]
    assert _ids(pms.rows(outcome, "bill_lines"), "bill_id") == ["B4"]  # lines read whole follow their bill
    assert pms.rows(outcome, "cancellations") == []


def test_debtors_alone_changing_is_still_a_batch(pms: SmallPms) -> None:
    extractor = pms.extractor()
    extractor.extract_entity("UK", as_at=AS_AT, full=False)
    pms.sql("UPDATE balances SET balance = '120.00'")
    outcome = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    assert outcome.batch_id is not None
    sent = {name: len(pms.rows(outcome, name)) for name in ("clients", "bills", "bill_lines", "debtors", "map_nominal")}
    assert sent == {"clients": 0, "bills": 0, "bill_lines": 0, "debtors": 1, "map_nominal": 0}
    assert not (pms.batches / "UK" / outcome.batch_id / "map_nominal.csv").exists()  # unchanged reference data


def test_fingerprints_are_kept_only_when_the_batch_is_committed(pms: SmallPms) -> None:
    extractor = pms.extractor()
    pms.write_query("map_nominal", "SELECT nominal_code FROM no_such_table")
    with pytest.raises(ExtractInputError, match="dataset map_nominal"):
        extractor.extract_entity("UK", as_at=AS_AT, full=False)  # after bills were compared and written
    assert list(extractor.state.sent_fingerprints("UK", "bills")) == []
    pms.write_query("map_nominal", "SELECT code AS nominal_code, account AS xero_account_code FROM nominals")
    outcome = extractor.extract_entity("UK", as_at=AS_AT, full=False)
    assert _ids(pms.rows(outcome, "bills"), "bill_id") == ["B1", "B2", "B3"]  # sent, as nothing was before


def test_lines_without_their_bill_are_not_sent_and_named(pms: SmallPms, caplog: pytest.LogCaptureFixture) -> None:
    pms.sql("INSERT INTO bills VALUES ('IE', 'B9', 'C1', '2026-11-20', '1.00', '1')")
    pms.sql("INSERT INTO bill_lines VALUES ('B9', 1, 'Orphan', '1.00', '0.00')")
    pms.write_query("bill_lines", "SELECT bill_id, line_no, narrative AS description, '4000' AS nominal_code, "
                    "'S' AS vat_code, net, vat FROM bill_lines ORDER BY bill_id, line_no")  # fmt: skip
    caplog.set_level(logging.WARNING)
    outcome = pms.extractor().extract_entity("UK", as_at=AS_AT, full=False)
    assert "B9" not in _ids(pms.rows(outcome, "bill_lines"), "bill_id")
    assert "entity UK, dataset bill_lines, row 6, key B9|1 (" in caplog.text
    assert "its bill_id is not in bills, so it is not sent" in caplog.text
