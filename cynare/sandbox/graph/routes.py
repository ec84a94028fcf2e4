"""Graph's mail routes under /v1.0/users/{id}/, and the upload URL of an attachment session.

Graph checks, in order: the bearer token (401 InvalidAuthenticationToken), the mailbox named in the
path (404 ErrorInvalidUser for a name that is no user; 403 ErrorAccessDenied for one outside the
app's Exchange RBAC scope), the app's permission for the call (403 ErrorAccessDenied: Mail.Send to
send, Mail.ReadWrite to make and fill a draft), then the body.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from cynare.sandbox.graph.errors import GraphError, access_denied, bad_request
from cynare.sandbox.graph.identity import MAIL_READ_WRITE, MAIL_SEND, IssuedToken
from cynare.sandbox.graph.message import (
    Composed,
    check_inline_total,
    check_sendable,
    is_address,
    lower_keys,
    read_attachment,
    read_message,
)

if TYPE_CHECKING:
    from cynare.sandbox.graph.stand_in import GraphStandIn

JSON = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
UNREADABLE_JSON = (
    "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
)
_USER_PATH = re.compile(r"^/v1\.0/users/([^/]+)(/.*)?$", re.IGNORECASE)
_UPLOAD_PATH = re.compile(
    r"^/api/v2\.0/Users\('([^']+)'\)/Messages\('([^']+)'\)/AttachmentSessions\('([^']+)'\)$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class GraphCall:
    stand_in: GraphStandIn
    request: Request
    token: IssuedToken
    params: tuple[str, ...]

    @property
    def base(self) -> str:
        return f"http://{self.request.host}"

    def body(self) -> dict[str, Any]:
        raw = self.request.get_data()
        if not raw:
            raise bad_request("Empty Payload. JSON content expected.")
        if (self.request.mimetype or "").lower() != "application/json":
            raise bad_request(UNREADABLE_JSON)
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise bad_request(UNREADABLE_JSON) from None
        if not isinstance(parsed, dict):
            raise bad_request(UNREADABLE_JSON)
        return parsed


Handler = Callable[[GraphCall], Response]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type=JSON)


def _require(call: GraphCall, permission: str) -> None:
    if permission not in call.token.roles:
        raise access_denied()


# --- handlers ----------------------------------------------------------------------------------
def send_mail(call: GraphCall) -> Response:
    _require(call, MAIL_SEND)
    body = lower_keys(call.body(), "The request body")
    unknown = sorted(set(body) - {"message", "savetosentitems"})
    if unknown:
        raise bad_request(
            f"The parameter '{unknown[0]}' in the request payload is not a valid parameter for the operation 'sendMail'."
        )
    if "message" not in body:
        raise bad_request("The parameter 'Message' is required for the operation 'sendMail'.", "ErrorInvalidParameter")
    save = body.get("savetosentitems", True)
    if not isinstance(save, bool):
        raise bad_request("Cannot convert the value of 'SaveToSentItems' to the expected type 'Edm.Boolean'.")
    message = read_message(body["message"])
    _check_sender(call, message)
    call.stand_in.deliver(message, "sendMail", save)
    return Response(b"", status=202)


def create_draft(call: GraphCall) -> Response:
    _require(call, MAIL_READ_WRITE)
    message = read_message(call.body(), draft=True)
    _check_sender(call, message)
    draft = call.stand_in.drafts.create(message)
    return json_response(201, _draft_json(call, draft.id, message))


def add_attachment(call: GraphCall) -> Response:
    _require(call, MAIL_READ_WRITE)
    attachment = read_attachment(call.body())
    check_inline_total([attachment])
    attachment_id = call.stand_in.drafts.attach(call.params[0], attachment)
    return json_response(
        201,
        {
            "@odata.type": "#microsoft.graph.fileAttachment",
            "id": attachment_id,
            "name": attachment.name,
            "contentType": attachment.content_type,
            "size": len(attachment.content),
            "isInline": attachment.is_inline,
            "contentId": attachment.content_id or None,
        },
    )


def create_upload_session(call: GraphCall) -> Response:
    _require(call, MAIL_READ_WRITE)
    message_id = call.params[0]
    session = call.stand_in.drafts.open_session(message_id, call.body(), datetime.now(UTC))
    mailbox = call.stand_in.mailbox
    upload_url = (
        f"{call.base}/api/v2.0/Users('{mailbox}')/Messages('{message_id}')/AttachmentSessions('{session.id}')"
        f"?authtoken={session.token}"
    )
    return json_response(
        201,
        {
            "@odata.context": f"{call.base}/v1.0/$metadata#microsoft.graph.uploadSession",
            "uploadUrl": upload_url,
            "expirationDateTime": _stamp(session.expires_at),
            "nextExpectedRanges": ["0-"],
        },
    )


def delete_draft(call: GraphCall) -> Response:
    _require(call, MAIL_READ_WRITE)
    call.stand_in.drafts.take(call.params[0])
    return Response(b"", status=204)


def send_draft(call: GraphCall) -> Response:
    _require(call, MAIL_SEND)
    message = call.stand_in.drafts.take(call.params[0])
    check_sendable(message)
    call.stand_in.deliver(message, "draft", True)
    return Response(b"", status=202)


_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("POST", re.compile(r"^/sendMail$", re.IGNORECASE), send_mail),
    ("POST", re.compile(r"^/messages$", re.IGNORECASE), create_draft),
    ("POST", re.compile(r"^/messages/([^/]+)/attachments$", re.IGNORECASE), add_attachment),
    ("POST", re.compile(r"^/messages/([^/]+)/attachments/createUploadSession$", re.IGNORECASE), create_upload_session),
    ("POST", re.compile(r"^/messages/([^/]+)/send$", re.IGNORECASE), send_draft),
    ("DELETE", re.compile(r"^/messages/([^/]+)$", re.IGNORECASE), delete_draft),
]


def graph(stand_in: GraphStandIn, request: Request) -> Response:
    """A request under /v1.0/."""
    token = stand_in.identity.authenticate(request.headers.get("Authorization"))
    found = _USER_PATH.match(request.path)
    if found is None:
        segment = request.path.removeprefix("/v1.0/").split("/")[0] or "v1.0"
        raise bad_request(f"Resource not found for the segment '{segment}'.")
    user, rest = found.group(1), found.group(2) or ""
    _check_mailbox(stand_in, user)
    for method, pattern, handler in _ROUTES:
        matched = pattern.match(rest)
        if matched is None:
            continue
        if request.method != method:
            raise GraphError(405, "BadRequest", f"The {request.method} method is not allowed for this resource.")
        return handler(GraphCall(stand_in, request, token, matched.groups()))
    segment = rest.strip("/").split("/")[-1] if rest.strip("/") else user
    raise bad_request(f"Resource not found for the segment '{segment}'.")


def upload(stand_in: GraphStandIn, request: Request) -> Response:
    """PUT (a range of bytes) or DELETE (cancel) on an uploadUrl; no bearer token, the URL's authtoken."""
    found = _UPLOAD_PATH.match(request.path)
    if found is None:
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    _mailbox, message_id, session_id = found.groups()
    token = request.args.get("authtoken")
    if request.method == "DELETE":
        stand_in.drafts.cancel(session_id, token)
        return Response(b"", status=204)
    if request.method != "PUT":
        raise GraphError(405, "BadRequest", f"The {request.method} method is not allowed for an uploadUrl.")
    result = stand_in.drafts.put(
        session_id,
        token,
        request.headers.get("Authorization"),
        request.headers.get("Content-Range"),
        request.get_data(),
    )
    if result.done:
        location = f"http://{request.host}/api/v2.0/Users('{stand_in.mailbox}')/Messages('{message_id}')/Attachments('{result.attachment_id}')"
        return Response(b"", status=201, headers={"Location": location})
    return json_response(
        200, {"expirationDateTime": _stamp(result.expires_at), "nextExpectedRanges": [str(result.next_start)]}
    )


# --- helpers -----------------------------------------------------------------------------------
def _check_mailbox(stand_in: GraphStandIn, user: str) -> None:
    if user.lower() in (stand_in.mailbox.lower(), stand_in.mailbox_object_id.lower()):
        return
    if is_address(user) or _is_guid(user):
        # A mailbox that exists but lies outside the app's Exchange RBAC for Applications scope.
        raise access_denied()
    raise GraphError(404, "ErrorInvalidUser", f"The requested user '{user}' is invalid.")


def _check_sender(call: GraphCall, message: Composed) -> None:
    if message.sender and message.sender.lower() != call.stand_in.mailbox.lower():
        raise GraphError(
            403,
            "ErrorSendAsDenied",
            "The user account which was used to submit this request does not have the right to send mail on behalf "
            "of the specified sending account., Cannot submit message.",
        )


def _is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _draft_json(call: GraphCall, draft_id: str, message: Composed) -> dict[str, Any]:
    def recipients(addresses: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{"emailAddress": {"name": a, "address": a}} for a in addresses]

    mailbox = call.stand_in.mailbox
    return {
        "@odata.context": f"{call.base}/v1.0/$metadata#users('{mailbox}')/messages/$entity",
        "@odata.type": "#microsoft.graph.message",
        "id": draft_id,
        "createdDateTime": _stamp(datetime.now(UTC)),
        "subject": message.subject,
        "isDraft": True,
        "hasAttachments": bool(message.attachments),
        "body": {"contentType": message.body_type, "content": message.body},
        "from": {"emailAddress": {"name": mailbox, "address": mailbox}},
        "toRecipients": recipients(message.to),
        "ccRecipients": recipients(message.cc),
        "bccRecipients": recipients(message.bcc),
    }


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
