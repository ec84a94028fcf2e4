"""The pieces of failure handling that need no Graph: Retry-After in both its forms, and redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from cynare.adapters.graph.failures import Redactor, retry_after_seconds
from cynare.adapters.graph.upload import HideUploadTokens, hide_upload_token


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"Retry-After": "120"}, 120.0), ({"retry-after": "2.5"}, 2.5), ({"Retry-After": "-3"}, 0.0), ({}, None)],
)
def test_retry_after_in_seconds(headers, seconds):
    assert retry_after_seconds(headers) == seconds


def test_retry_after_as_an_http_date():
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 80 <= (retry_after_seconds({"Retry-After": later}) or 0) <= 90


def test_retry_after_that_cannot_be_read_is_absent():
    assert retry_after_seconds({"Retry-After": "soon"}) is None


def test_the_redactor_hides_each_secret_and_any_upload_token():
    redact = Redactor(["s3cret-value-long", "s3cret", ""])
    text = redact("secret s3cret-value-long and s3cret at https://outlook.example/x?authtoken=eyJabc&y=1")
    assert "s3cret" not in text
    assert "eyJabc" not in text
    assert text == "secret [redacted] and [redacted] at https://outlook.example/x?authtoken=[hidden]&y=1"


def test_the_log_filter_hides_upload_tokens_in_messages_and_arguments():
    import logging

    import httpx

    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        'HTTP Request: %s %s "%s"',
        ("PUT", httpx.URL("http://h/p?authtoken=abc"), "201"),
        None,
    )
    assert HideUploadTokens().filter(record) is True
    assert record.getMessage() == 'HTTP Request: PUT http://h/p?authtoken=[hidden] "201"'
    assert hide_upload_token("?AuthToken=xyz") == "?AuthToken=[hidden]"
