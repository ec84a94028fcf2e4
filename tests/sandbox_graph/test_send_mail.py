"""POST /v1.0/users/{id}/sendMail: what Graph accepts (202, nothing in the body, one .eml written) and
each refusal in Graph's shape, with nothing sent."""

from __future__ import annotations

import base64
import email
import json
from email import policy

import pytest
import requests

from tests.sandbox_graph.conftest import PNG, XLSX_TYPE, error_of, file_attachment, get_token, message, send_mail


def test_a_message_is_accepted_with_202_and_no_body(graph, bearer):
    reply = send_mail(graph, bearer, {"message": message(), "saveToSentItems": False})
    assert reply.status_code == 202, reply.text
    assert reply.content == b""
    [sent] = graph.stand_in.sent
    assert sent.route == "sendMail"
    assert sent.saved_to_sent_items is False
    assert sent.message.to == ("finance@harrowvance.example",)


def test_the_sdks_pascal_case_parameters_are_read_as_graph_reads_them(graph, bearer):
    reply = send_mail(graph, bearer, {"Message": message(), "SaveToSentItems": True})
    assert reply.status_code == 202, reply.text
    assert graph.stand_in.sent[0].saved_to_sent_items is True


def test_the_eml_has_the_headers_the_html_the_inline_image_and_the_attachment(graph, bearer):
    send_mail(graph, bearer, {"message": message()})
    [sent] = graph.stand_in.sent
    assert sent.eml.parent == graph.mail_dir
    assert sent.eml.name.endswith("Z-1.eml")
    mail = email.message_from_bytes(sent.eml.read_bytes(), policy=policy.default)
    assert mail["From"] == graph.mailbox
    assert mail["To"] == "finance@harrowvance.example"
    assert mail["Cc"] == "partner@harrowvance.example"
    assert mail["Subject"] == "Reconciliation 30 Nov 2026"
    assert mail["Date"] is not None
    assert mail.get_content_type() == "multipart/mixed"
    related = mail.get_payload()[0]
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert 'src="cid:trend"' in html.get_content()
    assert image["Content-ID"] == "<trend>"
    assert image.get_content() == PNG
    [sheet] = list(mail.iter_attachments())
    assert sheet.get_filename() == "reconciliation.xlsx"
    assert sheet.get_content_type() == XLSX_TYPE
    assert sheet.get_content() == b"PK\x03\x04 sheet"


def test_each_message_gets_its_own_file(graph, bearer):
    for _ in range(3):
        assert send_mail(graph, bearer, {"message": message()}).status_code == 202
    names = sorted(p.name for p in graph.mail_dir.iterdir())
    assert len(names) == 3
    assert [name.rsplit("-", 1)[1] for name in names] == ["1.eml", "2.eml", "3.eml"]


def test_a_text_body_is_a_plain_part(graph, bearer):
    body = message(body={"contentType": "text", "content": "No differences."}, attachments=[])
    assert send_mail(graph, bearer, {"message": body}).status_code == 202
    mail = email.message_from_bytes(graph.stand_in.sent[0].eml.read_bytes(), policy=policy.default)
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().strip() == "No differences."


def test_the_mailbox_may_be_named_by_its_object_id(graph, bearer):
    reply = send_mail(graph, bearer, {"message": message()}, mailbox=graph.stand_in.mailbox_object_id)
    assert reply.status_code == 202


# --- who may send ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("authorization", "text"),
    [
        (None, "Access token is empty."),
        ("Bearer", "Access token is empty."),
        ("Basic abc", "Access token is empty."),
        ("Bearer not-a-token-the-stand-in-issued", "Access token validation failure. Invalid audience."),
    ],
)
def test_without_a_valid_bearer_token_it_is_401(graph, authorization, text):
    headers = {"Authorization": authorization} if authorization else {}
    reply = send_mail(graph, headers, {"message": message()})
    assert error_of(reply) == (401, "InvalidAuthenticationToken", text)
    assert graph.stand_in.sent == []


def test_a_mailbox_outside_the_apps_rbac_scope_is_403(graph, bearer):
    reply = send_mail(graph, bearer, {"message": message()}, mailbox="managing.partner@harrowvance.example")
    assert error_of(reply) == (403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    assert graph.stand_in.sent == []


def test_a_name_that_is_no_user_is_404(graph, bearer):
    reply = send_mail(graph, bearer, {"message": message()}, mailbox="no-such-user")
    assert error_of(reply)[:2] == (404, "ErrorInvalidUser")


def test_an_app_without_mail_send_is_403(make_graph):
    g = make_graph(permissions=["Mail.ReadWrite"])
    reply = send_mail(g, {"Authorization": f"Bearer {get_token(g)}"}, {"message": message()})
    assert error_of(reply)[:2] == (403, "ErrorAccessDenied")


def test_sending_as_another_address_is_denied(graph, bearer):
    body = message(**{"from": {"emailAddress": {"address": "ceo@harrowvance.example"}}})
    reply = send_mail(graph, bearer, {"message": body})
    assert error_of(reply)[:2] == (403, "ErrorSendAsDenied")


# --- the body, read as Graph reads it ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        (message(toRecipients=[]), 400, "ErrorInvalidRecipients", "contains no recipients"),
        (
            {"subject": "x", "body": {"contentType": "html", "content": "x"}},
            400,
            "ErrorInvalidRecipients",
            "no recipients",
        ),
        (message(toRecipients=[{"emailAddress": {"address": "finance"}}]), 400, "ErrorInvalidRecipients", "'finance'"),
        (message(toRecipients=[{"emailAddress": {}}]), 400, "ErrorInvalidRecipients", "Recipient ''"),
        (message(ccRecipients=[{"emailAddress": {"address": "a b@x.example"}}]), 400, "ErrorInvalidRecipients", "a b@"),
        (message(toRecipients="finance@harrowvance.example"), 400, "RequestBodyRead", "JSON array"),
        (message(body={"contentType": "xml", "content": "<x/>"}), 400, "RequestBodyRead", "bodyType"),
        (message(subject=7), 400, "RequestBodyRead", "Edm.String"),
        (message(colour="blue"), 400, "RequestBodyRead", "'colour' does not exist"),
    ],
)
def test_a_bad_message_is_refused(graph, bearer, body, status, code, says):
    reply = send_mail(graph, bearer, {"message": body})
    got_status, got_code, text = error_of(reply)
    assert (got_status, got_code) == (status, code)
    assert says in text
    assert graph.stand_in.sent == []


@pytest.mark.parametrize(
    ("attachment", "code", "says"),
    [
        (
            {k: v for k, v in file_attachment("a.xlsx", b"x", XLSX_TYPE).items() if k != "@odata.type"},
            "RequestBodyRead",
            "@odata.type",
        ),
        (
            {**file_attachment("a.msg", b"x", "message/rfc822"), "@odata.type": "#microsoft.graph.itemAttachment"},
            "RequestBodyRead",
            "file attachments only",
        ),
        (
            {**file_attachment("a.xlsx", b"x", XLSX_TYPE), "contentBytes": "not base64!"},
            "RequestBodyRead",
            "Edm.Binary",
        ),
        ({**file_attachment("a.xlsx", b"x", XLSX_TYPE), "name": ""}, "ErrorRequiredPropertyMissing", "'name'"),
        (
            {k: v for k, v in file_attachment("a.xlsx", b"x", XLSX_TYPE).items() if k != "contentType"},
            "ErrorRequiredPropertyMissing",
            "'contentType'",
        ),
        (
            {k: v for k, v in file_attachment("a.xlsx", b"x", XLSX_TYPE).items() if k != "contentBytes"},
            "ErrorRequiredPropertyMissing",
            "'contentBytes'",
        ),
        (file_attachment("chart.png", PNG, "image/png", isInline=True), "ErrorInvalidProperty", "no contentId"),
        ({**file_attachment("a.xlsx", b"x", XLSX_TYPE), "isInline": "yes"}, "RequestBodyRead", "Edm.Boolean"),
        ({**file_attachment("a.xlsx", b"x", XLSX_TYPE), "colour": "red"}, "RequestBodyRead", "'colour' does not exist"),
    ],
)
def test_a_bad_attachment_is_refused(graph, bearer, attachment, code, says):
    reply = send_mail(graph, bearer, {"message": message(attachments=[attachment])})
    got_status, got_code, text = error_of(reply)
    assert (got_status, got_code) == (400, code)
    assert says in text
    assert graph.stand_in.sent == []


def test_attachments_of_3_mb_in_one_request_are_too_large(graph, bearer):
    parts = [file_attachment(f"part{i}.bin", b"\0" * 1_000_000, "application/octet-stream") for i in range(3)]
    reply = send_mail(graph, bearer, {"message": message(attachments=parts)})
    assert error_of(reply) == (413, "BadRequest", "The maximum request length supported is 4MB.")
    assert graph.stand_in.sent == []


def test_just_under_3_mb_is_accepted(graph, bearer):
    parts = [file_attachment("part.bin", b"\0" * 2_999_999, "application/octet-stream")]
    assert send_mail(graph, bearer, {"message": message(attachments=parts)}).status_code == 202


def test_a_request_over_4_mb_is_too_large_whatever_it_holds(graph, bearer):
    body = message(body={"contentType": "html", "content": "<p>" + "x" * (4 * 1024 * 1024) + "</p>"}, attachments=[])
    reply = send_mail(graph, bearer, {"message": body})
    assert error_of(reply)[:2] == (413, "BadRequest")


@pytest.mark.parametrize(
    ("raw", "content_type", "code", "says"),
    [
        (b"{not json", "application/json", "BadRequest", "Unable to read JSON request payload"),
        (b"", "application/json", "BadRequest", "Empty Payload"),
        (json.dumps({"message": message()}).encode(), "text/plain", "BadRequest", "Unable to read JSON"),
        (json.dumps({"message": message(), "urgent": True}).encode(), "application/json", "BadRequest", "'urgent'"),
        (json.dumps({"subject": "no message parameter"}).encode(), "application/json", "BadRequest", "'subject'"),
        (json.dumps({}).encode(), "application/json", "ErrorInvalidParameter", "'Message' is required"),
        (
            json.dumps({"message": message(), "saveToSentItems": "no"}).encode(),
            "application/json",
            "BadRequest",
            "Boolean",
        ),
    ],
)
def test_a_body_graph_cannot_read_is_refused(graph, bearer, raw, content_type, code, says):
    reply = requests.post(
        f"{graph.url}/v1.0/users/{graph.mailbox}/sendMail",
        data=raw,
        headers={**bearer, "Content-Type": content_type},
        timeout=5,
    )
    got_status, got_code, text = error_of(reply)
    assert (got_status, got_code) == (400, code)
    assert says in text


def test_the_client_request_id_is_echoed_in_errors(graph, bearer):
    reply = requests.post(
        f"{graph.url}/v1.0/users/{graph.mailbox}/sendMail",
        json={"message": message(toRecipients=[])},
        headers={**bearer, "client-request-id": "c0ffee00-0000-4000-8000-000000000001"},
        timeout=5,
    )
    assert reply.json()["error"]["innerError"]["client-request-id"] == "c0ffee00-0000-4000-8000-000000000001"
    assert reply.headers["client-request-id"] == "c0ffee00-0000-4000-8000-000000000001"


def test_an_unknown_segment_and_a_wrong_method_are_refused(graph, bearer):
    reply = requests.post(f"{graph.url}/v1.0/users/{graph.mailbox}/calendar", json={}, headers=bearer, timeout=5)
    assert error_of(reply)[:2] == (400, "BadRequest")
    assert "'calendar'" in reply.json()["error"]["message"]
    reply = requests.get(f"{graph.url}/v1.0/users/{graph.mailbox}/sendMail", headers=bearer, timeout=5)
    assert error_of(reply)[0] == 405


def test_contentbytes_round_trip_exactly(graph, bearer):
    content = bytes(range(256)) * 40
    body = message(attachments=[file_attachment("all-bytes.bin", content, "application/octet-stream")])
    assert send_mail(graph, bearer, {"message": body}).status_code == 202
    [attachment] = graph.stand_in.sent[0].message.attachments
    assert attachment.content == content
    assert base64.b64encode(attachment.content).decode() == body["attachments"][0]["contentBytes"]
