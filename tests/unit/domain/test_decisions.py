"""Lifecycle and hold decisions are pure functions: stored value in, value to store out."""

from __future__ import annotations

import ast
import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cynare.domain import documents as doc
from cynare.domain.cancellations import settle
from cynare.domain.holds import Hold, HoldKind, MappingBook, content_holds
from cynare.domain.lifecycle import (
    IllegalTransition,
    Stamp,
    State,
    arrive,
    begin_posting,
    expire_posting,
    posted,
    reassess,
    rejected,
)
from cynare.domain.money import Money

AT = datetime(2026, 11, 26, 1, 30, tzinfo=UTC)
GBP = "GBP"


def money(amount: str, currency: str = GBP) -> Money:
    return Money(Decimal(amount), currency)


def bill(
    total: str = "120.00", nominal: str = "4000", day: date = date(2026, 11, 2), currency: str = GBP
) -> doc.Document:
    line = doc.Line(1, "Fees", nominal, "S", money("100.00", currency), money(str(Decimal(total) - 100), currency),
                    tracking=(doc.Tracking("office", "LON"),))  # fmt: skip
    body = doc.Bill("B1", "INV-1", "C1", day, date(2026, 12, 2), Decimal(1), money(total, currency), (line,))
    return doc.Document("UK", doc.DocKey("bills", "B1"), "pms", "B1", body, rows=2)


BOOK = MappingBook("UK", nominal={"4000": "200", "4010": ""}, vat={"S": "OUTPUT2"},
                   tracking={("office", "LON"): "Office/London"}, bank={}, currencies=frozenset({GBP, "EUR"}))  # fmt: skip
STAMP = Stamp("b1", "pms", 1)


def test_a_new_document_is_ready_or_waiting_with_its_reasons() -> None:
    ready = arrive(None, bill(), (), STAMP, AT)
    assert ready is not None and ready.state is State.READY
    assert [t.state for t in ready.history] == [State.RECEIVED, State.READY]
    hold = Hold(HoldKind.MAPPING, "nominal 4010 (UK)", "its mapping has no Xero code")
    waiting = arrive(None, bill(), (hold,), STAMP, AT)
    assert waiting is not None and waiting.state is State.WAITING
    assert waiting.reason == "waiting on mapping: nominal 4010 (UK) (its mapping has no Xero code)"


def test_the_same_version_or_an_older_batch_writes_nothing() -> None:
    stored = arrive(None, bill("120.00"), (), Stamp("b2", "pms", 2), AT)
    assert stored is not None
    assert arrive(stored, bill("120.00"), (), Stamp("b3", "pms", 3), AT) is None
    assert arrive(stored, bill("240.00"), (), Stamp("b1", "pms", 1), AT) is None, "older never overwrites newer"
    newer = arrive(stored, bill("240.00"), (), Stamp("b3", "pms", 3), AT)
    assert newer is not None and newer.stamp.sequence == 3 and newer.etag == stored.etag


def test_a_new_version_during_an_attempt_stays_posting() -> None:
    stored = arrive(None, bill(), (), STAMP, AT)
    assert stored is not None
    changed = arrive(begin_posting(stored, AT), bill("240.00"), (), Stamp("b2", "pms", 2), AT)
    assert changed is not None and changed.state is State.POSTING


def test_posted_carries_the_xero_id_and_a_stuck_posting_expires() -> None:
    stored = arrive(None, bill(), (), STAMP, AT)
    assert stored is not None
    attempt = begin_posting(stored, AT)
    assert expire_posting(attempt, AT + timedelta(minutes=5), timedelta(minutes=30)) is None
    expired = expire_posting(attempt, AT + timedelta(hours=1), timedelta(minutes=30))
    assert expired is not None and expired.state is State.READY
    done = posted(attempt, "inv-1", AT)
    assert (done.state, done.xero_id) == (State.POSTED, "inv-1")
    with pytest.raises(IllegalTransition):
        posted(stored, "inv-1", AT)


def test_reassess_releases_or_keeps_holding() -> None:
    hold = Hold(HoldKind.NOT_RECEIVED, "clients|C1")
    waiting = arrive(None, bill(), (hold,), STAMP, AT)
    assert waiting is not None
    assert reassess(waiting, (hold,), AT) is None
    released = reassess(waiting, (), AT)
    assert released is not None and released.state is State.READY and released.holds == ()
    assert reassess(rejected(waiting, "no", AT), (), AT) is None


def test_content_holds_name_each_missing_mapping_currency_and_archive_date() -> None:
    assert content_holds(bill().body, BOOK, {}) == []
    holds = [str(h) for h in content_holds(bill(nominal="4010", currency="CHF").body, BOOK, {})]
    assert holds == [
        "waiting on currency: CHF (UK) (the organisation does not have this currency; add it in Xero and in "
        "CYNARE_ENTITIES)",
        "waiting on mapping: nominal 4010 (UK) (its mapping has no Xero code)",
    ]
    archived = doc.Client("C1", "Old Co", GBP, archived=True, archived_on=date(2026, 10, 31))
    (late,) = content_holds(bill().body, BOOK, {"C1": archived})
    assert late.kind is HoldKind.ARCHIVED_CLIENT and "dated 2026-11-02" in late.detail


def test_write_off_vat_relief_needs_a_code_that_allows_it() -> None:
    body = doc.WriteOff("W1", "C1", "B1", date(2026, 11, 2), Decimal("0.85"), "4000", money("100.00", "EUR"),
                        money("20.00", "EUR"), money("120.00", "EUR"), "gone", vat_code="S")  # fmt: skip
    assert [h.kind for h in content_holds(body, BOOK, {})] == [HoldKind.VAT_RELIEF]
    assert content_holds(body, dataclasses.replace(BOOK, vat_relief=frozenset({"S"})), {}) == []


def test_a_cancellation_withdraws_a_target_that_never_reached_xero() -> None:
    target = arrive(None, bill(), (), STAMP, AT)
    body = doc.Cancellation(doc.DocKey("bills", "B1"), date(2026, 11, 24), "voided")
    cancellation = arrive(None, doc.Document("UK", doc.DocKey("cancellations", "bills|B1"), "pms", "bill|B1", body),
                          (), STAMP, AT)  # fmt: skip
    assert target is not None and cancellation is not None
    new_cancellation, new_target = settle(cancellation, target, AT)
    assert new_target is not None and new_target.state is State.CANCELLED
    assert new_cancellation is not None and new_cancellation.state is State.CANCELLED
    in_xero = posted(begin_posting(target, AT), "inv-1", AT)
    to_void, untouched = settle(cancellation, in_xero, AT)
    assert untouched is None and to_void is None, "already ready: it goes to Xero to void the invoice"
    in_flight, _ = settle(cancellation, begin_posting(target, AT), AT)
    assert in_flight is not None and in_flight.state is State.WAITING


def test_the_domain_imports_no_pydantic_and_nothing_from_the_extract() -> None:
    domain = Path(__file__).resolve().parents[3] / "cynare" / "domain"
    for module in domain.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("pydantic", "cynare.extract", "cynare.adapters", "azure")), (
                    f"{module.name} imports {name}"
                )
