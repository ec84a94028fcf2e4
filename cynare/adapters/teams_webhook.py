"""Teams through a Power Automate Workflows webhook: one POST of an Adaptive Card message per call.

The webhook URL carries its own credential in the query (`sig=`): whoever holds the URL can post to the
channel. So the query never appears in a message, a log line or a chained exception: people see the
host and path only. urllib3 writes each request line, query included, to its DEBUG log; a filter on
its loggers hides the signature there too.

No retries here: the caller (cynare.service_layer.reconciliation.deliver) decides, from `retryable`
and `retry_after`.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from cynare.service_layer.reconciliation.ports import DeliveryFailed

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 28 * 1024  # bytes: Teams refuses a larger message ("Request Entity too large")
_SIG = re.compile(r"(?i)([?&]sig=)[^&\s\"']*")
_RETIRED_HOSTS = ("webhook.office.com", "outlook.office.com")  # Office 365 connectors, shut down in May 2026
_WRONG_URL = (
    "the Workflows webhook URL is wrong or the flow was turned off or deleted: create the flow again in Teams "
    '(Workflows > "Post to a channel when a webhook request is received") and set CYNARE_TEAMS_WEBHOOK_URL '
    "to its URL (in Key Vault in Azure)"
)


def masked_url(url: str) -> str:
    """The URL for a person to recognise, without its query (which holds the signature)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}" + ("?…" if parts.query else "")


def encoded_message(message: dict[str, Any]) -> bytes:
    """The body as sent: compact UTF-8 JSON, which is what Teams' size limit counts."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _HideSignature(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "sig=" in text.lower():
            record.msg, record.args = _SIG.sub(r"\1***", text), None
        return True


def _hide_signature_in_urllib3_logs() -> None:
    for name in ("urllib3.connectionpool", "urllib3.util.retry"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _HideSignature) for f in logger.filters):
            logger.addFilter(_HideSignature())


class TeamsWebhookPoster:
    """Posts a Teams message (`{"type": "message", "attachments": [...]}`) to a Workflows webhook."""

    def __init__(self, url: str, timeout: float = 30, session: requests.Session | None = None) -> None:
        self.where = masked_url(url)
        # Told when posting, not raised here: a wrong Teams URL must not stop the email going out.
        self._url_problem = _url_problem(url, self.where)
        self._url = url
        self.timeout = timeout
        self._session = session or requests.Session()
        _hide_signature_in_urllib3_logs()

    def __repr__(self) -> str:
        return f"TeamsWebhookPoster({self.where!r})"

    def post(self, card: dict[str, Any]) -> None:
        if self._url_problem:
            raise DeliveryFailed(self._url_problem, retryable=False)
        body = encoded_message(card)
        if len(body) > MESSAGE_LIMIT:
            raise DeliveryFailed(
                f"the Teams message is {len(body):,} bytes, over Teams' limit of {MESSAGE_LIMIT:,} (28 KB), "
                "so it was not sent: shorten the card",
                retryable=False,
            )
        sent = self._send(body)
        if isinstance(sent, DeliveryFailed):
            # Raised here, outside the except clause, so that requests' exception (whose text holds the
            # whole URL, signature included) is not even kept as the failure's context.
            raise sent
        self._judge(sent)

    def _send(self, body: bytes) -> requests.Response | DeliveryFailed:
        try:
            return self._session.post(
                self._url,
                data=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.ConnectTimeout:
            return DeliveryFailed(
                f"Teams (the Workflows webhook at {self.where}) could not be reached within {self.timeout:g} s",
                retryable=True,
            )
        except requests.Timeout:
            return DeliveryFailed(
                f"Teams (the Workflows webhook at {self.where}) did not answer within {self.timeout:g} s; "
                "whether the card was posted is unknown",
                retryable=True,
            )
        except requests.ConnectionError:
            return DeliveryFailed(
                f"Teams (the Workflows webhook at {self.where}) could not be reached: check the network and the URL",
                retryable=True,
            )
        except requests.RequestException as exc:
            return DeliveryFailed(
                f"the post to Teams at {self.where} could not be made ({type(exc).__name__}): check "
                "CYNARE_TEAMS_WEBHOOK_URL",
                retryable=False,
            )

    def _judge(self, response: requests.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            log.info("the Teams card was posted to %s (HTTP %d)", self.where, status)
            return
        said = _their_words(response)
        refused = f"Teams (the Workflows webhook at {self.where}) answered {status}{said}"
        if status == 429 or status == 408 or status >= 500:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            wait = f"; it asks to wait {retry_after:g} s" if retry_after is not None else ""
            raise DeliveryFailed(
                f"{refused}: busy or unavailable, try again later{wait}", retryable=True, retry_after=retry_after
            )
        if status in (401, 403, 404):
            raise DeliveryFailed(f"{refused}: {_WRONG_URL}", retryable=False)
        if status == 413:
            raise DeliveryFailed(
                f"{refused}: the message is over Teams' limit of 28 KB; shorten the card", retryable=False
            )
        if 300 <= status < 400:
            raise DeliveryFailed(f"{refused}, a redirect: {_WRONG_URL}", retryable=False)
        raise DeliveryFailed(
            f'{refused}: the flow refused the message; check that the flow is the template "Post to a channel '
            'when a webhook request is received" and that the card is an Adaptive Card of version 1.5 or lower',
            retryable=False,
        )


def _url_problem(url: str, where: str) -> str | None:
    """What is wrong with the configured webhook URL, for a person, or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return f"CYNARE_TEAMS_WEBHOOK_URL is not a web address ({where}): copy the flow's URL from Teams"
    if host.endswith(_RETIRED_HOSTS):
        return (
            f"CYNARE_TEAMS_WEBHOOK_URL is an Office 365 connector webhook ({where}); Microsoft shut those down "
            "in May 2026: create a Workflows flow instead (see docs/report-delivery.md)"
        )
    if parts.scheme == "http" and host not in ("127.0.0.1", "localhost", "::1"):
        return (
            f"CYNARE_TEAMS_WEBHOOK_URL must use https ({where}): over http its signature would cross the network "
            "in the clear"
        )
    if "sig=" not in parts.query.lower():
        return (
            f"CYNARE_TEAMS_WEBHOOK_URL has no signature (sig=) in its query ({where}): copy the whole URL from the "
            'flow, and let "Anyone" trigger it (a flow for users of the tenant only wants a sign-in Cynare does not do)'
        )
    return None


def _their_words(response: requests.Response) -> str:
    """The code and message of a Logic Apps error body, short and with any signature hidden."""
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        return ""
    if not isinstance(error, dict):
        return ""
    words = " ".join(str(error.get(key, "")) for key in ("code", "message")).strip()
    words = _SIG.sub(r"\1***", words)
    if len(words) > 300:
        words = words[:299] + "…"
    return f" ({words})" if words else ""


def _retry_after(raw: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0)
