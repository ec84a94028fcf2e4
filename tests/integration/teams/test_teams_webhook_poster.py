"""TeamsWebhookPoster against the Teams stand-in: delivered, refused for good, refused for now, and the
webhook URL's signature never in a message or a log line."""

from __future__ import annotations

import logging
import re
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import pytest

from cynare.adapters import teams_webhook
from cynare.adapters.teams_webhook import TeamsWebhookPoster, masked_url
from cynare.presentation.reconciliation.card import reconciliation_card
from cynare.service_layer.reconciliation.ports import DeliveryFailed, TeamsPoster
from tests.sandbox_teams.conftest import card, message
from tests.unit.presentation.report_fixtures import busy_report


def _sig(url: str) -> str:
    return urlsplit(url).query.split("sig=")[1]


def _failure(poster: TeamsPoster, sent) -> DeliveryFailed:
    with pytest.raises(DeliveryFailed) as caught:
        poster.post(sent)
    return caught.value


def test_the_reconciliation_card_is_delivered(teams):
    url, admin = teams
    sent = reconciliation_card(busy_report())

    TeamsWebhookPoster(url, timeout=5).post(sent)

    [post] = admin.posts()
    assert post["message"] == sent
    assert admin.cards()[0]["body"][0]["text"].startswith("Reconciliation for Harper & Vale LLP")


def test_a_429_is_retryable_with_the_retry_after_it_carries(teams):
    url, admin = teams
    admin.inject("429", retry_after=7)

    failure = _failure(TeamsWebhookPoster(url, timeout=5), message())

    assert failure.retryable is True
    assert failure.retry_after == 7.0
    assert "429" in str(failure)
    assert "wait 7 s" in str(failure)
    assert admin.posts() == []


def test_going_over_four_posts_a_second_is_retryable_after_a_second(teams):
    url, admin = teams
    poster = TeamsWebhookPoster(url, timeout=5)
    for _ in range(4):
        poster.post(message())

    failure = _failure(poster, message())

    assert (failure.retryable, failure.retry_after) == (True, 1.0)
    assert len(admin.posts()) == 4


@pytest.mark.parametrize("status", ["500", "502", "503", "504"])
def test_a_server_error_is_retryable(teams, status):
    url, admin = teams
    admin.inject(status)

    failure = _failure(TeamsWebhookPoster(url, timeout=5), message())

    assert failure.retryable is True
    assert failure.retry_after is None
    assert f"answered {status}" in str(failure)


def test_a_wrong_signature_is_not_retryable_and_says_what_to_do(teams):
    url, admin = teams
    wrong = url.replace("sig=", "sig=stale")

    failure = _failure(TeamsWebhookPoster(wrong, timeout=5), message())

    assert failure.retryable is False
    text = str(failure)
    assert "answered 401 (DirectApiInvalidAuthorizationSignature" in text
    assert "create the flow again" in text
    assert "CYNARE_TEAMS_WEBHOOK_URL" in text
    assert _sig(wrong) not in text
    assert admin.posts() == []


def test_a_deleted_flow_is_not_retryable_and_says_what_to_do(teams):
    url, _ = teams
    gone = re.sub(r"/workflows/[0-9a-f]+/", "/workflows/0123456789abcdef0123456789abcdef/", url)

    failure = _failure(TeamsWebhookPoster(gone, timeout=5), message())

    assert failure.retryable is False
    assert "answered 404 (WorkflowNotFound" in str(failure)
    assert "turned off or deleted" in str(failure)
    assert _sig(gone) not in str(failure)


def test_a_card_teams_would_not_show_is_not_retryable_and_carries_the_flow_s_words(teams):
    url, _ = teams

    failure = _failure(TeamsWebhookPoster(url, timeout=5), message(card(version="1.6")))

    assert failure.retryable is False
    assert "answered 400 (InvalidAdaptiveCard" in str(failure)
    assert "higher than 1.5" in str(failure)


def test_a_message_over_28_kb_is_refused_before_it_is_sent(teams):
    url, admin = teams
    huge = message(card(body=[{"type": "TextBlock", "text": "é" * 15_000}]))

    failure = _failure(TeamsWebhookPoster(url, timeout=5), huge)

    assert failure.retryable is False
    assert re.search(r"the Teams message is 30,\d{3} bytes, over Teams' limit of 28,672 \(28 KB\)", str(failure))
    assert admin.posts() == []
    assert admin.faults() == []


def test_no_answer_within_the_timeout_is_retryable(teams):
    url, admin = teams
    admin.inject("slow", seconds=1.0)

    failure = _failure(TeamsWebhookPoster(url, timeout=0.2), message())

    assert failure.retryable is True
    assert "did not answer within 0.2 s" in str(failure)
    assert failure.__context__ is None  # requests' exception, which names the URL, is not kept


def test_a_dropped_connection_is_retryable(teams):
    url, admin = teams
    admin.inject("drop")

    failure = _failure(TeamsWebhookPoster(url, timeout=5), message())

    assert failure.retryable is True
    assert "could not be reached" in str(failure)


def test_nobody_listening_is_retryable():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    url = f"http://127.0.0.1:{port}/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SECRETSIG"

    failure = _failure(TeamsWebhookPoster(url, timeout=2), message())

    assert failure.retryable is True
    assert "SECRETSIG" not in str(failure)


def test_the_signature_never_appears_in_an_error_or_the_log(teams, clock, caplog):
    url, admin = teams
    sig = _sig(url)
    caplog.set_level(logging.DEBUG)
    poster = TeamsWebhookPoster(url, timeout=0.3)
    failures = []
    poster.post(message())
    for kind in ("429", "503", "drop"):
        clock.now += 1.0  # each in a second of its own: the rate limit is not what is tested
        admin.inject(kind)
        failures.append(_failure(poster, message()))
    clock.now += 1.0
    admin.inject("slow", seconds=1.0)
    failures.append(_failure(poster, message()))
    failures.append(_failure(TeamsWebhookPoster(url.replace("sig=", "sig=x"), timeout=5), message()))

    assert [failure.retryable for failure in failures] == [True, True, True, True, False]
    assert admin.posts()[0]["n"] == 1
    assert "/triggers/manual/paths/invoke" in caplog.text  # urllib3's request lines are there...
    assert sig not in caplog.text  # ...with the signature hidden
    for failure in failures:
        assert sig not in str(failure)
        assert failure.__context__ is None and failure.__cause__ is None
        assert "/triggers/manual/paths/invoke?…" in str(failure)
    assert sig not in repr(poster)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (
            "https://contoso.webhook.office.com/webhookb2/a/IncomingWebhook/b/c?sig=SECRET",
            "Office 365 connector webhook",
        ),
        (
            "http://prod-01.westeurope.logic.azure.com/workflows/a/triggers/manual/paths/invoke?sig=SECRET",
            "must use https",
        ),
        ("https://prod-01.westeurope.logic.azure.com/workflows/a/triggers/manual/paths/invoke", "no signature (sig=)"),
        ("prod-01.westeurope.logic.azure.com/workflows/a?sig=SECRET", "not a web address"),
    ],
)
def test_a_wrong_url_is_told_when_posting_and_nothing_is_sent(url, words):
    poster = TeamsWebhookPoster(url)  # made without complaint: the email channel must still be built

    failure = _failure(poster, message())

    assert failure.retryable is False
    assert words in str(failure)
    assert "CYNARE_TEAMS_WEBHOOK_URL" in str(failure)
    assert "SECRET" not in str(failure)


def test_masked_url_keeps_host_and_path_only():
    url = "https://prod-28.westeurope.logic.azure.com:443/workflows/0a1c/triggers/manual/paths/invoke?api-version=2016-06-01&sig=abc"
    assert (
        masked_url(url)
        == "https://prod-28.westeurope.logic.azure.com:443/workflows/0a1c/triggers/manual/paths/invoke?…"
    )


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert teams_webhook._retry_after("12") == 12.0
    assert teams_webhook._retry_after("-3") == 0.0
    assert teams_webhook._retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (teams_webhook._retry_after(later) or 0) <= 30
