"""The reconciliation's small parts: each channel's retries, Xero reads waited out, the report's settings."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from cynare.bootstrap import AppSettings, parse_tolerances
from cynare.errors import SettingsError
from cynare.service_layer.reconciliation.deliver import ATTEMPTS, deliver
from cynare.service_layer.reconciliation.patient import PatientXero
from cynare.service_layer.reconciliation.ports import DeliveryFailed
from cynare.service_layer.xero_port import Problem, Usage, XeroCallFailed, XeroReply


class Flaky:
    def __init__(self, *failures: DeliveryFailed) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)


def test_a_passing_failure_is_tried_again_waiting_what_the_channel_asks() -> None:
    waits: list[float] = []
    send = Flaky(DeliveryFailed("throttled", retryable=True, retry_after=7), DeliveryFailed("503", retryable=True))
    delivery = deliver("email", send, waits.append)
    assert delivery.sent and delivery.attempts == 3 and send.calls == 3
    assert waits == [7, 4.0]  # Retry-After first, then the doubled back-off


def test_a_refusal_is_not_tried_again_and_says_why() -> None:
    send = Flaky(DeliveryFailed("ErrorAccessDenied: grant Mail.Send", retryable=False))
    delivery = deliver("email", send, lambda seconds: None)
    assert not delivery.sent and send.calls == 1
    assert "ErrorAccessDenied" in delivery.problem and "NOT sent after 1 attempt" in str(delivery)


def test_a_channel_that_keeps_failing_stops_after_its_attempts() -> None:
    send = Flaky(*[DeliveryFailed("503", retryable=True)] * (ATTEMPTS + 2))
    delivery = deliver("Teams", send, lambda seconds: None)
    assert not delivery.sent and send.calls == ATTEMPTS == delivery.attempts


class Answers:
    entity, tenant_id = "UK", "t-1"

    def __init__(self, *outcomes: XeroCallFailed | XeroReply) -> None:
        self.outcomes = list(outcomes)
        self.usage = Usage()

    def call(self, method: str, path: str, **options: Any) -> XeroReply:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, XeroCallFailed):
            raise outcome
        return outcome


def test_xero_reads_wait_out_a_429_and_a_5xx_but_not_a_refusal() -> None:
    waits: list[float] = []
    reply = XeroReply(200, {"Invoices": []})
    xero = Answers(XeroCallFailed(Problem.MINUTE_LIMIT, "429", retry_after=3),
                   XeroCallFailed(Problem.SERVER_ERROR, "503"), reply)  # fmt: skip
    assert PatientXero(xero, waits.append).call("GET", "/Invoices") is reply
    assert waits == [3, 4.0]
    refused = Answers(XeroCallFailed(Problem.REFUSED, "bad where"))
    with pytest.raises(XeroCallFailed):
        PatientXero(refused, waits.append).call("GET", "/Invoices")


def settings(**values: str) -> AppSettings:
    environ: Mapping[str, str] = {"CYNARE_STORAGE_CONNECTION": "UseDevelopmentStorage=true", **values}
    return AppSettings.from_env(environ)


def test_the_report_settings_are_read_and_checked() -> None:
    read = settings(CYNARE_REPORT_RECIPIENTS="a@firm.example; b@firm.example", CYNARE_FIRM_NAME="Ash & Co",
                    CYNARE_REPORT_ENTITY_RECIPIENTS='{"IE": ["ie@firm.example"]}',
                    CYNARE_RECONCILE_TOLERANCES="EUR=0.02, USD=0.05", CYNARE_TEAMS_WEBHOOK_URL="https://x/?sig=s3cret")  # fmt: skip
    assert read.report.recipients == ("a@firm.example", "b@firm.example")
    assert read.report.entity_recipients == {"IE": ("ie@firm.example",)}
    assert read.report.tolerances == {"EUR": Decimal("0.02"), "USD": Decimal("0.05")}
    assert read.report.firm == "Ash & Co"
    assert "s3cret" not in repr(read)
    with pytest.raises(SettingsError, match="not an email address"):
        settings(CYNARE_REPORT_RECIPIENTS="finance team")
    with pytest.raises(SettingsError, match="CYNARE_REPORT_ENTITY_RECIPIENTS is not valid"):
        settings(CYNARE_REPORT_ENTITY_RECIPIENTS="IE: ie@firm.example")


@pytest.mark.parametrize("text", ["EUR", "EUR=abc", "XYZ=0.02", "EUR=-1", "EUR=NaN"])
def test_a_tolerance_that_is_not_a_currency_and_an_amount_is_refused(text: str) -> None:
    with pytest.raises(SettingsError, match=r"e\.g\. EUR=0\.02"):
        parse_tolerances(text)


def test_no_tolerance_means_every_cent_counts() -> None:
    assert parse_tolerances("") == {}
