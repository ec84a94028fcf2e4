"""The message a Workflows flow's "Post card in a chat or channel" takes from the webhook, checked as
Teams would take it: JSON, the Teams message envelope holding Adaptive Cards, at most 28 KB.

Workflows itself answers 202 to almost anything and fails later, inside the flow's run, where nobody
looks; the stand-in refuses at once with what Teams would have said, so that a test sees it.
"""

from __future__ import annotations

import json
from typing import Any

from cynare.sandbox.teams.card_schema import card_problems
from cynare.sandbox.teams.errors import WorkflowError, schema_mismatch

MESSAGE_LIMIT = 28 * 1024  # bytes: Teams' limit on a posted message ("approximately 28 KB")
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def checked_message(content_type: str, raw: bytes) -> dict[str, Any]:
    """The posted message when Teams would post it; raises WorkflowError saying why it would not."""
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise schema_mismatch(f"send the message as JSON with Content-Type: application/json, not {content_type!r}")
    if len(raw) > MESSAGE_LIMIT:
        raise WorkflowError(
            413,
            "RequestEntityTooLarge",
            f"Request Entity too large: the message is {len(raw):,} bytes and Teams takes at most "
            f"{MESSAGE_LIMIT:,} (28 KB): shorten the card",
        )
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise schema_mismatch(f"the body is not JSON ({exc})") from exc
    message = _envelope(parsed)
    for n, attachment in enumerate(message["attachments"], 1):
        problems = card_problems(_the_card(attachment))
        if problems:
            where = f"attachment {n}: " if len(message["attachments"]) > 1 else ""
            raise WorkflowError(400, "InvalidAdaptiveCard", where + "; ".join(problems))
    return message


def _envelope(parsed: Any) -> dict[str, Any]:
    """The template's flow posts each attachment as a card of its own, so one or more are taken."""
    if not isinstance(parsed, dict) or parsed.get("type") != "message":
        raise schema_mismatch('the body must be a Teams message: {"type": "message", "attachments": [...]}')
    attachments = parsed.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        raise schema_mismatch('"attachments" must be a list of Adaptive Card attachments, at least one')
    return parsed


def _the_card(attachment: Any) -> Any:
    if not isinstance(attachment, dict) or attachment.get("contentType") != CARD_CONTENT_TYPE:
        raise schema_mismatch(f'each attachment\'s "contentType" must be "{CARD_CONTENT_TYPE}"')
    if attachment.get("contentUrl") is not None:
        raise schema_mismatch('an attachment\'s "contentUrl" must be null: the card goes in "content"')
    if "content" not in attachment:
        raise schema_mismatch('an attachment has no "content": put the Adaptive Card there')
    return attachment["content"]
