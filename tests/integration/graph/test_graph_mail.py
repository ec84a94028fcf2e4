"""GraphMailSender (msgraph-sdk) against the local Graph stand-in: what arrives, how large files
travel, and every failure as DeliveryFailed, retryable or not, without a secret in it."""

from __future__ import annotations

import asyncio
import base64
import email
import hashlib
import time
from email import policy

import pytest

from cynare.adapters.graph.credentials import LocalStandInCredential
from cynare.adapters.graph_mail import graph_mail_sender
from cynare.service_layer.reconciliation.ports import Attachment, DeliveryFailed, MailMessage
from tests.integration.graph.conftest import secrets_of, sender_for

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX = b"PK\x03\x04" + bytes(range(200)) * 50


def report(*attachments: Attachment, to: tuple[str, ...] = ("finance@harrowvance.example",)) -> MailMessage:
    return MailMessage(
        subject="Debtors reconciliation, 30 November 2026",
        html='<h1>Two differences</h1><p>UK: £1,240.00</p><img src="cid:trend" alt="Trend">',
        to=to,
        cc=("partner@harrowvance.example",),
        attachments=attachments,
    )


def small_report() -> MailMessage:
    return report(
        Attachment("trend.png", "image/png", PNG, content_id="trend"),
        Attachment("reconciliation-2026-11-30.xlsx", XLSX_TYPE, XLSX),
    )


def sendmail_calls(g) -> list[int]:
    return [c.status for c in g.stand_in.calls if c.path.endswith("/sendMail")]


def test_a_small_report_arrives_with_its_inline_chart_and_its_spreadsheet(graph):
    sender_for(graph).send(small_report())

    [sent] = graph.stand_in.sent
    assert sent.route == "sendMail"
    mail = email.message_from_bytes(sent.eml.read_bytes(), policy=policy.default)
    assert mail["From"] == graph.mailbox
    assert mail["To"] == "finance@harrowvance.example"
    assert mail["Cc"] == "partner@harrowvance.example"
    assert mail["Subject"] == "Debtors reconciliation, 30 November 2026"
    related = mail.get_payload()[0]
    html, chart = related.get_payload()
    assert "£1,240.00" in html.get_content()
    assert 'src="cid:trend"' in html.get_content()
    assert chart["Content-ID"] == "<trend>"
    assert chart.get_content() == PNG
    [sheet] = list(mail.iter_attachments())
    assert sheet.get_filename() == "reconciliation-2026-11-30.xlsx"
    assert sheet.get_content_type() == XLSX_TYPE
    assert sheet.get_content() == XLSX
    assert sendmail_calls(graph) == [202]


def test_a_5_mb_attachment_goes_through_an_upload_session(graph, caplog):
    ledger = bytes(range(251)) * 20_000  # 5,020,000 bytes
    message = report(
        Attachment("trend.png", "image/png", PNG, content_id="trend"),
        Attachment("ledger.xlsx", XLSX_TYPE, ledger),
    )
    sender_for(graph).send(message)

    paths = [(c.method, c.path.rsplit("/", 1)[-1], c.status) for c in graph.stand_in.calls]
    assert ("POST", "createUploadSession", 201) in paths
    puts = [status for method, _, status in paths if method == "PUT"]
    assert puts == [200, 201]  # two ranges of at most 4 MB, in order
    assert sendmail_calls(graph) == []
    [sent] = graph.stand_in.sent
    assert sent.route == "draft"
    mail = email.message_from_bytes(sent.eml.read_bytes(), policy=policy.default)
    files = {p.get_filename(): p.get_content() for p in mail.walk() if p.get_filename()}
    assert hashlib.sha256(files["ledger.xlsx"]).hexdigest() == hashlib.sha256(ledger).hexdigest()
    assert files["trend.png"] == PNG
    chart = next(p for p in mail.walk() if p.get_filename() == "trend.png")
    assert chart["Content-ID"] == "<trend>"
    # httpx logged each PUT with its URL: the authtoken in it is hidden (the autouse check looks further).
    assert "authtoken=[hidden]" in caplog.text


def test_several_small_files_over_3_mb_together_go_by_draft_one_request_each(graph):
    parts = [Attachment(f"part{i}.csv", "text/csv", bytes([65 + i]) * 1_100_000) for i in range(3)]
    sender_for(graph).send(report(*parts))

    attach_posts = [c for c in graph.stand_in.calls if c.path.endswith("/attachments") and c.method == "POST"]
    assert [c.status for c in attach_posts] == [201, 201, 201]
    [sent] = graph.stand_in.sent
    assert [len(a.content) for a in sent.message.attachments] == [1_100_000] * 3


def test_a_429_is_retryable_after_graphs_retry_after_and_the_sdk_does_not_retry_it(graph):
    graph.admin.fault(429, path="sendMail", retry_after=7)
    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph).send(small_report())
    assert time.monotonic() - started < 5  # the SDK would have slept 7 s before its own retry
    assert caught.value.retryable is True
    assert caught.value.retry_after == 7.0
    assert "429" in str(caught.value)
    assert sendmail_calls(graph) == [429]
    assert graph.stand_in.sent == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_graphs_5xx_is_retryable_once_tried(graph, status):
    graph.admin.fault(status, path="sendMail", retry_after=3)
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph).send(small_report())
    assert caught.value.retryable is True
    assert caught.value.retry_after == 3.0
    assert sendmail_calls(graph) == [status]


def test_a_dropped_connection_is_retryable(graph):
    graph.admin.fault(0, path="sendMail")
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph).send(small_report())
    assert caught.value.retryable is True
    assert caught.value.retry_after is None
    assert "could not reach Graph" in str(caught.value)


def test_a_timeout_is_retryable(graph):
    graph.admin.fault(503, path="sendMail", seconds=1.5)  # answers only after 1.5 s
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph, timeout=0.5).send(small_report())
    assert caught.value.retryable is True
    assert "did not answer in time" in str(caught.value)


def test_a_token_endpoint_that_fails_for_now_is_retryable(graph):
    graph.admin.fault(503, path="oauth2")
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph).send(small_report())
    assert caught.value.retryable is True
    assert "token" in str(caught.value)
    assert sendmail_calls(graph) == []


def test_a_stand_in_that_is_not_running_is_retryable_and_named(graph):
    url = graph.url
    graph.stand_in.stop()
    sender = graph_mail_sender(
        graph.mailbox, graph_url=url, tenant_id=graph.tenant_id, client_id=graph.client_id, client_secret="x-secret-1"
    )
    with pytest.raises(DeliveryFailed) as caught:
        sender.send(small_report())
    assert caught.value.retryable is True
    assert "cynare sandbox graph" in str(caught.value)
    assert "x-secret-1" not in str(caught.value)


def test_a_failed_upload_range_is_retryable(graph):
    graph.admin.fault(503, path="AttachmentSessions")
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph).send(report(Attachment("ledger.xlsx", XLSX_TYPE, b"x" * 3_500_000)))
    assert caught.value.retryable is True
    assert "uploading ledger.xlsx" in str(caught.value)
    assert graph.stand_in.sent == []
    # The half-made draft is deleted, so that the retry leaves no stray draft in the mailbox.
    assert graph.stand_in.drafts.ids() == []
    assert [(c.method, c.status) for c in graph.stand_in.calls][-1] == ("DELETE", 204)


def test_a_mailbox_outside_the_apps_scope_is_not_retryable_and_says_what_to_do(graph):
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph, mailbox="managing.partner@harrowvance.example").send(small_report())
    failure = caught.value
    assert failure.retryable is False
    text = str(failure)
    assert "403 ErrorAccessDenied" in text
    assert "may not send as managing.partner@harrowvance.example" in text
    assert "Mail.Send" in text
    assert "RBAC for Applications" in text
    assert graph.stand_in.sent == []


def test_a_large_report_without_mail_readwrite_says_the_draft_needs_it(made):
    g = made(permissions=["Mail.Send"])
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(g).send(report(Attachment("ledger.xlsx", XLSX_TYPE, b"x" * 3_500_000)))
    assert caught.value.retryable is False
    assert "creating the draft" in str(caught.value)
    assert "Mail.ReadWrite" in str(caught.value)


def test_graphs_refused_recipients_are_not_retryable(graph):
    graph.admin.fault(400, path="sendMail", code="ErrorInvalidRecipients", message="Recipient 'x' isn't resolved.")
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph).send(small_report())
    assert caught.value.retryable is False
    assert "ErrorInvalidRecipients" in str(caught.value)
    assert "recipient addresses" in str(caught.value)


def test_an_unknown_mailbox_is_not_retryable(graph):
    graph.admin.fault(404, path="sendMail", code="ErrorInvalidUser", message="The requested user is invalid.")
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph).send(small_report())
    assert caught.value.retryable is False
    assert "CYNARE_REPORT_MAILBOX" in str(caught.value)


def test_a_refused_token_is_not_retryable(graph):
    graph.admin.fault(401, path="sendMail", code="InvalidAuthenticationToken", message="Access token has expired.")
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph).send(small_report())
    assert caught.value.retryable is False
    assert "CYNARE_GRAPH_CLIENT_ID" in str(caught.value)


def test_a_wrong_client_secret_is_not_retryable_and_never_shown(graph, caplog):
    wrong = "Wr0ng~Secret.Value-" + graph.client_secret[:6]
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph, secret=wrong).send(small_report())
    failure = caught.value
    assert failure.retryable is False
    assert "AADSTS7000215" in str(failure)
    assert "CYNARE_GRAPH_CLIENT_SECRET" in str(failure)
    shown = str(failure) + repr(failure) + "".join(str(e) for e in _chain(failure))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (wrong, *secrets_of(graph)):
        assert secret not in shown
        assert secret not in logged


def test_the_secret_never_appears_in_any_failure_or_log_record(graph, caplog):
    sender = sender_for(graph)
    failures: list[DeliveryFailed] = []
    for fault in ({"status": 429, "retry_after": 1}, {"status": 503}, {"status": 400}, {"status": 0}):
        graph.admin.fault(path="sendMail", **fault)
        with pytest.raises(DeliveryFailed) as caught:
            sender.send(small_report())
        failures.append(caught.value)
    sender.send(small_report())
    texts = [str(f) + repr(f) + "".join(str(e) for e in _chain(f)) for f in failures]
    texts.append(repr(sender))
    texts.extend(r.getMessage() for r in caplog.records)
    for secret in secrets_of(graph):
        assert not any(secret in text for text in texts)
    assert len(graph.stand_in.sent) == 1


def test_the_token_is_fetched_once_for_several_sends(graph):
    sender = sender_for(graph)
    sender.send(small_report())
    sender.send(small_report())
    assert [c.path.endswith("/token") for c in graph.stand_in.calls].count(True) == 1
    assert len(graph.stand_in.sent) == 2


def test_a_message_without_recipients_is_refused_before_graph_is_called(graph):
    with pytest.raises(DeliveryFailed) as caught:
        sender_for(graph).send(report(to=()))
    assert caught.value.retryable is False
    assert graph.stand_in.calls == []


def test_send_works_from_inside_a_running_event_loop(graph):
    async def from_async_code() -> None:
        sender_for(graph).send(small_report())

    asyncio.run(from_async_code())
    assert len(graph.stand_in.sent) == 1


# --- picking the credential ---------------------------------------------------------------------
def test_a_loopback_url_signs_in_at_the_stand_in(graph):
    sender = sender_for(graph)
    assert isinstance(sender.credential, LocalStandInCredential)
    assert sender.endpoint.api == f"{graph.url}/v1.0"


def test_graph_itself_with_a_secret_uses_the_client_secret_credential():
    from azure.identity import ClientSecretCredential

    sender = graph_mail_sender(
        "reports@firm.example", graph_url="", tenant_id="t-1", client_id="c-1", client_secret="s3cret-value"
    )
    assert isinstance(sender.credential, ClientSecretCredential)
    assert sender.endpoint.api == "https://graph.microsoft.com/v1.0"
    assert "s3cret-value" not in repr(sender)


@pytest.mark.parametrize("client_id", [None, "2f1e0000-0000-4000-8000-000000000001"])
def test_graph_itself_without_a_secret_uses_the_managed_identity(client_id):
    from azure.identity import ManagedIdentityCredential

    sender = graph_mail_sender(
        "reports@firm.example", graph_url=None, tenant_id=None, client_id=client_id, client_secret=None
    )
    assert isinstance(sender.credential, ManagedIdentityCredential)


@pytest.mark.parametrize(
    ("mailbox", "settings", "names"),
    [
        ("", {}, "CYNARE_REPORT_MAILBOX"),
        ("reports@firm.example", {"graph_url": "http://graph.example.net"}, "CYNARE_GRAPH_URL"),
        ("reports@firm.example", {"graph_url": "http://127.0.0.1:8766/v1.0"}, "CYNARE_GRAPH_URL"),
        (
            "reports@firm.example",
            {"graph_url": "http://127.0.0.1:8766", "client_secret": "s3cret-value"},
            "CYNARE_GRAPH_TENANT_ID",
        ),
        ("reports@firm.example", {"client_secret": "s3cret-value", "tenant_id": "t"}, "CYNARE_GRAPH_CLIENT_ID"),
    ],
)
def test_settings_that_cannot_work_are_refused_by_name(mailbox, settings, names):
    options = {"graph_url": None, "tenant_id": None, "client_id": None, "client_secret": None, **settings}
    with pytest.raises(ValueError, match=names) as caught:
        graph_mail_sender(mailbox, **options)
    assert "s3cret-value" not in str(caught.value)


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc.__cause__ or exc.__context__
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found
