"""The pure rules posting follows: the retry table, idempotency keys, the new lifecycle moves, connection expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cynare.domain.documents import DocKey
from cynare.domain.idempotency import MAX_LENGTH, idempotency_key
from cynare.domain.lifecycle import (
    IllegalTransition,
    State,
    back_to_ready,
    begin_posting,
    posted,
    progressed,
    retried,
    sent_version,
    skipped,
    superseded,
)
from cynare.domain.retry_policy import RULES, Action, rule_for, wait_before
from cynare.service_layer.connection_health import expiry_warning
from cynare.service_layer.xero_port import Binding, ConnectionKind, Credentials, Problem
from tests.unit.domain.test_decisions import STAMP, bill

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def stored_bill():  # type: ignore[no-untyped-def]
    from cynare.domain.lifecycle import arrive

    stored = arrive(None, bill(), (), STAMP, NOW)
    assert stored is not None
    return stored


def test_every_problem_the_adapter_reports_has_exactly_one_rule() -> None:
    assert set(RULES) == {problem.value for problem in Problem}


@pytest.mark.parametrize(
    ("problem", "action", "unknown"),
    [
        ("minute", Action.WAIT_AND_RETRY, False),
        ("day", Action.STOP_UNTIL_TOMORROW, False),
        ("timeout", Action.BACK_OFF_AND_RETRY, True),
        ("dropped", Action.BACK_OFF_AND_RETRY, True),
        ("server error", Action.BACK_OFF_AND_RETRY, True),
        ("forbidden", Action.STOP_ENTITY, False),
        ("refused", Action.RECORD_REFUSAL, False),
    ],
)
def test_the_table_says_what_follows_each_problem(problem: str, action: Action, unknown: bool) -> None:
    rule = rule_for(problem)
    assert rule.action is action
    assert rule.outcome_unknown is unknown


def test_a_minute_429_waits_as_long_as_xero_says_and_back_off_grows_within_the_key_window() -> None:
    assert wait_before("minute", 1, 7.5) == 7.5
    waits = [wait_before("timeout", attempt, None) for attempt in (1, 2, 3)]
    assert waits == sorted(waits) and waits[0] < waits[-1]
    assert sum(waits) < 6 * 60  # every retry inside the 6 minutes Xero keeps an Idempotency-Key


def test_idempotency_keys_follow_the_documents_and_their_versions_not_their_order() -> None:
    a, b = DocKey("bills", "B1"), DocKey("bills", "B2")
    key = idempotency_key("UK", "invoices-create", [(a, "v1", 1), (b, "v1", 1)])
    assert key == idempotency_key("UK", "invoices-create", [(b, "v1", 1), (a, "v1", 1)])
    assert key != idempotency_key("UK", "invoices-create", [(a, "v2", 1), (b, "v1", 1)])  # a new version: a new key
    assert key != idempotency_key("UK", "invoices-create", [(a, "v1", 2), (b, "v1", 1)])  # retried after a refusal
    assert key != idempotency_key("IE", "invoices-create", [(a, "v1", 1), (b, "v1", 1)])
    assert key != idempotency_key("UK", "invoices-update", [(a, "v1", 1), (b, "v1", 1)])
    assert len(key) <= MAX_LENGTH


def test_a_newer_version_arriving_during_an_attempt_keeps_the_xero_id_and_goes_again() -> None:
    sending = begin_posting(stored_bill(), NOW)
    assert sent_version(sending) == sending.document.version
    newer = superseded(sending, "inv-1", "older-version", NOW)
    assert (newer.state, newer.xero_id) == (State.READY, "inv-1")
    assert "older-version" in newer.reason


def test_a_write_off_between_its_two_calls_is_still_posting_with_its_credit_note() -> None:
    sending = begin_posting(stored_bill(), NOW)
    halfway = progressed(sending, "cn-1", "credit note in Xero", NOW)
    assert (halfway.state, halfway.xero_id) == (State.POSTING, "cn-1")
    assert posted(halfway, "cn-1", NOW, "allocated").reason == "in Xero as cn-1; allocated"


def test_retry_and_skip_are_for_refused_documents_and_say_who() -> None:
    from cynare.domain.lifecycle import rejected

    refused = rejected(begin_posting(stored_bill(), NOW), "Xero refused it: lock date", NOW)
    assert retried(refused, "ann", NOW).state is State.READY
    settled = skipped(refused, "ann", "entered in Xero by hand as INV-9", NOW)
    assert settled.state is State.CANCELLED and "ann" in settled.reason and "INV-9" in settled.reason
    with pytest.raises(IllegalTransition):
        retried(posted(begin_posting(stored_bill(), NOW), "x", NOW), "ann", NOW)
    assert back_to_ready(begin_posting(stored_bill(), NOW), "not in Xero", NOW).state is State.READY


def _app_binding() -> Binding:
    return Binding("UK", "tenant", "Harrow & Vance LLP", "GBP", ConnectionKind.APP, "client", NOW)


def test_an_app_connection_is_reported_two_weeks_before_its_refresh_token_lapses() -> None:
    fresh = Credentials(refresh_issued_at=NOW - timedelta(days=10))
    ageing = Credentials(refresh_issued_at=NOW - timedelta(days=50))
    lapsed = Credentials(refresh_issued_at=NOW - timedelta(days=61))
    assert expiry_warning(_app_binding(), fresh, NOW) == ""
    assert "lapses on 2026-12-06" in expiry_warning(_app_binding(), ageing, NOW)
    assert "lapsed" in expiry_warning(_app_binding(), lapsed, NOW)
    custom = Binding("UK", "tenant", "Harrow & Vance LLP", "GBP", ConnectionKind.CUSTOM, "client", NOW)
    assert expiry_warning(custom, lapsed, NOW) == ""  # custom connections have no refresh token
