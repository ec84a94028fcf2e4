"""Every way a send can fail, as DeliveryFailed: retryable or not, with what a person should do.

Retryable: Graph throttling (429, with its Retry-After), Graph's 5xx, timeouts and connections that
fail or drop, and a token endpoint that cannot be reached or answers 5xx. Not retryable: Graph's 4xx
(the message, the permissions or the mailbox must change first) and a credential that is refused.
Every message passes through `Redactor`, so that no secret the adapter knows reaches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError

from cynare.adapters.graph.upload import UploadRefused, hide_upload_token
from cynare.service_layer.reconciliation.ports import DeliveryFailed

SETTINGS = "CYNARE_GRAPH_TENANT_ID, CYNARE_GRAPH_CLIENT_ID and CYNARE_GRAPH_CLIENT_SECRET"


class Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so that a secret containing another is hidden whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return hide_upload_token(text)


@dataclass(frozen=True, slots=True)
class Step:
    """What the adapter was doing, for the message: e.g. "sending the message (sendMail)"."""

    doing: str
    mailbox: str
    via_draft: bool = False


@dataclass(frozen=True, slots=True)
class GraphRefusal:
    status: int
    code: str
    message: str
    headers: Mapping[str, str]


def delivery_failed(exc: BaseException, step: Step, redact: Redactor) -> DeliveryFailed:
    """The DeliveryFailed for an exception raised while doing `step`."""
    refusal = _refusal(exc)
    if refusal is not None:
        text, retryable, retry_after = _explain(refusal, step)
    elif isinstance(exc, httpx.TimeoutException):
        text, retryable, retry_after = f"Graph did not answer in time while {step.doing}; try again later", True, None
    elif isinstance(exc, httpx.TransportError):
        text = f"could not reach Graph while {step.doing} ({type(exc).__name__}); try again later"
        retryable, retry_after = True, None
    elif isinstance(exc, ServiceRequestError | ServiceResponseError):
        text = f"could not get a token for Graph just now: {exc.message}"
        retryable, retry_after = True, None
    elif isinstance(exc, ClientAuthenticationError):
        text, retryable = _credential_refused(exc)
        retry_after = None
    else:
        text = f"sending the report mail failed while {step.doing}: {type(exc).__name__}: {exc}"
        retryable, retry_after = False, None
    return DeliveryFailed(redact(text), retryable=retryable, retry_after=retry_after)


def _refusal(exc: BaseException) -> GraphRefusal | None:
    if isinstance(exc, UploadRefused):
        return GraphRefusal(exc.status, exc.code, exc.message, exc.headers)
    from kiota_abstractions.api_error import APIError

    if not isinstance(exc, APIError) or exc.response_status_code is None:
        return None
    code, message = "", exc.message or ""
    error = getattr(exc, "error", None)  # an ODataError: Graph's {"error": {"code", "message"}}
    if error is not None:
        code, message = error.code or "", error.message or ""
    headers = {str(k): str(v) for k, v in (exc.response_headers or {}).items()}
    return GraphRefusal(exc.response_status_code, code, message, headers)


def _explain(refusal: GraphRefusal, step: Step) -> tuple[str, bool, float | None]:
    status, mailbox = refusal.status, step.mailbox
    said = f"{status} {refusal.code}: {refusal.message}".strip().rstrip(":")
    if status == 429:
        retry_after = retry_after_seconds(refusal.headers)
        wait = f"after {retry_after:g} s" if retry_after is not None else "later"
        return f"Graph is throttling the app ({said}) while {step.doing}; try again {wait}", True, retry_after
    if status >= 500:
        retry_after = retry_after_seconds(refusal.headers)
        return (
            f"Graph could not take the message just now ({said}) while {step.doing}; try again later",
            True,
            retry_after,
        )
    if status == 401:
        return (
            f"Graph refused the app's token ({said}) while {step.doing}: check that {SETTINGS} name the app "
            "registration that holds Mail.Send (or the Function app's managed identity does)",
            False,
            None,
        )
    if status == 403:
        extra = (
            "; attachments of 3 MB or more go through a draft, which also needs the Mail.ReadWrite application "
            "permission in the same scope"
            if step.via_draft
            else ""
        )
        return (
            f"Graph refused ({said}) while {step.doing}: the app may not send as {mailbox}: grant it the Mail.Send "
            "application permission and add the mailbox to its Exchange application access policy / "
            f"RBAC for Applications scope{extra}",
            False,
            None,
        )
    if status == 404 and refusal.code in ("ErrorInvalidUser", "MailboxNotEnabledForRESTAPI", "ResourceNotFound"):
        return (
            f"Graph does not know the mailbox {mailbox} ({said}): set CYNARE_REPORT_MAILBOX to a licensed Exchange "
            "Online mailbox",
            False,
            None,
        )
    if status == 413:
        return (
            f"Graph refused a request as too large ({said}) while {step.doing}: make the report's HTML smaller",
            False,
            None,
        )
    if refusal.code == "ErrorInvalidRecipients":
        return f"Graph refused the recipients ({said}): check the report's recipient addresses", False, None
    return f"Graph refused ({said}) while {step.doing}: the message must change before it is sent again", False, None


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds (Graph sends a number; an HTTP date is read too); None when absent."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _credential_refused(exc: ClientAuthenticationError) -> tuple[str, bool]:
    from azure.identity import CredentialUnavailableError

    status = getattr(exc.response, "status_code", None)
    if isinstance(exc, CredentialUnavailableError):
        return (
            f"could not get a token for Graph: no credential is available ({exc.message}): in Azure give the "
            f"Function app a managed identity; elsewhere set {SETTINGS}",
            False,
        )
    if isinstance(status, int) and (status == 429 or status >= 500):
        return f"could not get a token for Graph just now ({exc.message}); try again later", True
    return f"could not get a token for Graph ({exc.message}): check {SETTINGS}", False
