"""Large attachments the Graph way: a draft, an upload session per large file, ranges PUT in order to
its pre-authenticated uploadUrl (no bearer token), then send."""

from __future__ import annotations

import email
import hashlib
from email import policy

import pytest
import requests

from tests.sandbox_graph.conftest import XLSX_TYPE, error_of, file_attachment, get_token, message

BIG = bytes(range(251)) * 20_000  # 5,020,000 bytes, no repeating 4 MB window
BIG_SIZE = len(BIG)
MB4 = 4 * 1024 * 1024


def _draft(graph, bearer, **changes):
    reply = requests.post(
        f"{graph.url}/v1.0/users/{graph.mailbox}/messages",
        json=message(attachments=[], **changes),
        headers=bearer,
        timeout=5,
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def _session(graph, bearer, draft_id, size=BIG_SIZE, **item):
    body = {
        "AttachmentItem": {
            "attachmentType": "file",
            "name": "ledger.xlsx",
            "size": size,
            "contentType": XLSX_TYPE,
            **item,
        }
    }
    return requests.post(
        f"{graph.url}/v1.0/users/{graph.mailbox}/messages/{draft_id}/attachments/createUploadSession",
        json=body,
        headers=bearer,
        timeout=5,
    )


def _put(url, content, start, total=BIG_SIZE, headers=None):
    end = start + len(content) - 1
    return requests.put(
        url,
        data=content,
        headers={
            "Content-Range": f"bytes {start}-{end}/{total}",
            "Content-Type": "application/octet-stream",
            **(headers or {}),
        },
        timeout=10,
    )


def _send(graph, bearer, draft_id):
    return requests.post(f"{graph.url}/v1.0/users/{graph.mailbox}/messages/{draft_id}/send", headers=bearer, timeout=5)


def test_a_large_file_goes_up_in_ranges_and_arrives_whole(graph, bearer):
    draft_id = _draft(graph, bearer)
    reply = _session(graph, bearer, draft_id)
    assert reply.status_code == 201, reply.text
    session = reply.json()
    assert session["nextExpectedRanges"] == ["0-"]
    assert session["expirationDateTime"].endswith("Z")
    url = session["uploadUrl"]
    assert "authtoken=" in url

    first = _put(url, BIG[:3_000_000], 0)
    assert first.status_code == 200, first.text
    assert first.json()["nextExpectedRanges"] == ["3000000"]
    last = _put(url, BIG[3_000_000:], 3_000_000)
    assert last.status_code == 201, last.text
    assert last.content == b""
    assert "/Attachments('" in last.headers["Location"]

    small = requests.post(
        f"{graph.url}/v1.0/users/{graph.mailbox}/messages/{draft_id}/attachments",
        json=file_attachment("notes.txt", b"two differences", "text/plain"),
        headers=bearer,
        timeout=5,
    )
    assert small.status_code == 201
    assert small.json()["size"] == len(b"two differences")

    sent_reply = _send(graph, bearer, draft_id)
    assert sent_reply.status_code == 202
    assert sent_reply.content == b""
    [sent] = graph.stand_in.sent
    assert sent.route == "draft"
    mail = email.message_from_bytes(sent.eml.read_bytes(), policy=policy.default)
    parts = {p.get_filename(): p.get_content() for p in mail.iter_attachments()}
    assert hashlib.sha256(parts["ledger.xlsx"]).digest() == hashlib.sha256(BIG).digest()
    assert parts["notes.txt"] == "two differences"


def test_a_sent_draft_is_gone(graph, bearer):
    draft_id = _draft(graph, bearer)
    assert _send(graph, bearer, draft_id).status_code == 202
    assert error_of(_send(graph, bearer, draft_id))[:2] == (404, "ErrorItemNotFound")


def test_a_draft_can_be_discarded(graph, bearer):
    draft_id = _draft(graph, bearer)
    url = f"{graph.url}/v1.0/users/{graph.mailbox}/messages/{draft_id}"
    assert requests.delete(url, headers=bearer, timeout=5).status_code == 204
    assert graph.stand_in.drafts.ids() == []
    assert error_of(_send(graph, bearer, draft_id))[:2] == (404, "ErrorItemNotFound")


def test_a_draft_without_recipients_cannot_be_sent(graph, bearer):
    draft_id = _draft(graph, bearer, toRecipients=[], ccRecipients=[])
    assert error_of(_send(graph, bearer, draft_id))[:2] == (400, "ErrorInvalidRecipients")
    assert graph.stand_in.sent == []


def test_an_upload_session_is_for_3_mb_or_more(graph, bearer):
    draft_id = _draft(graph, bearer)
    reply = _session(graph, bearer, draft_id, size=2_999_999)
    assert error_of(reply)[:2] == (400, "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize")


def test_a_message_over_exchanges_size_limit_is_refused_before_any_upload(graph, bearer):
    draft_id = _draft(graph, bearer)
    reply = _session(graph, bearer, draft_id, size=36 * 1024 * 1024)
    assert error_of(reply) == (400, "ErrorMessageSizeExceeded", "The message exceeds the maximum supported size.")


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"attachmentType": "reference"}, "ErrorInvalidParameter"),
        ({"name": ""}, "ErrorRequiredPropertyMissing"),
        ({"contentType": None}, "ErrorRequiredPropertyMissing"),
        ({"isInline": True}, "ErrorInvalidProperty"),
        ({"size": "big"}, "RequestBodyRead"),
    ],
)
def test_a_bad_attachment_item_is_refused(graph, bearer, item, code):
    draft_id = _draft(graph, bearer)
    assert error_of(_session(graph, bearer, draft_id, **item))[:2] == (400, code)


def test_a_draft_needs_mail_readwrite(make_graph):
    g = make_graph(permissions=["Mail.Send"])
    reply = requests.post(
        f"{g.url}/v1.0/users/{g.mailbox}/messages",
        json=message(),
        headers={"Authorization": f"Bearer {get_token(g)}"},
        timeout=5,
    )
    assert error_of(reply)[:2] == (403, "ErrorAccessDenied")


# --- the uploadUrl's rules ------------------------------------------------------------------------
@pytest.fixture
def upload_url(graph, bearer):
    reply = _session(graph, bearer, _draft(graph, bearer))
    assert reply.status_code == 201
    return reply.json()["uploadUrl"]


def test_a_bearer_token_must_not_be_sent_to_the_upload_url(upload_url, bearer):
    reply = _put(upload_url, BIG[:1000], 0, headers=bearer)
    assert error_of(reply)[:2] == (401, "InvalidAuthenticationToken")


def test_ranges_must_follow_on(upload_url):
    assert _put(upload_url, BIG[:1000], 0).status_code == 200
    gap = _put(upload_url, BIG[2000:3000], 2000)
    assert error_of(gap)[:2] == (416, "ErrorInvalidRange")
    assert "starts at 1000" in gap.json()["error"]["message"]
    again = _put(upload_url, BIG[:1000], 0)
    assert error_of(again)[0] == 416
    assert _put(upload_url, BIG[1000:2000], 1000).json()["nextExpectedRanges"] == ["2000"]


def test_a_range_over_4_mb_is_too_large(upload_url):
    assert error_of(_put(upload_url, BIG[: MB4 + 1], 0))[:2] == (413, "BadRequest")


def test_exactly_4_mb_is_taken(upload_url):
    assert _put(upload_url, BIG[:MB4], 0).json()["nextExpectedRanges"] == [str(MB4)]


@pytest.mark.parametrize(
    "content_range",
    [None, "0-999/5020000", "bytes 0-999", "bytes 999-0/5020000", "bytes 0-998/5020000", "bytes 0-999/5020001"],
)
def test_the_content_range_must_describe_the_bytes_sent(upload_url, content_range):
    headers = {"Content-Type": "application/octet-stream"}
    if content_range is not None:
        headers["Content-Range"] = content_range
    reply = requests.put(upload_url, data=BIG[:1000], headers=headers, timeout=5)
    assert error_of(reply)[:2] == (400, "ErrorInvalidRequest")


def test_the_upload_url_is_only_good_with_its_authtoken(upload_url):
    wrong = upload_url.split("authtoken=")[0] + "authtoken=guessed"
    assert error_of(_put(wrong, BIG[:1000], 0))[:2] == (401, "InvalidAuthenticationToken")
    bare = upload_url.split("?")[0]
    assert error_of(_put(bare, BIG[:1000], 0))[0] == 401


def test_a_cancelled_session_takes_nothing_more(upload_url):
    assert requests.delete(upload_url, timeout=5).status_code == 204
    assert error_of(_put(upload_url, BIG[:1000], 0))[:2] == (404, "ErrorItemNotFound")


def test_the_authtoken_stays_out_of_the_call_log(graph, upload_url):
    _put(upload_url, BIG[:1000], 0)
    token = upload_url.split("authtoken=")[1]
    logged = [call.path for call in graph.stand_in.calls]
    assert any("AttachmentSessions" in path for path in logged)
    assert not any(token in path for path in logged)
