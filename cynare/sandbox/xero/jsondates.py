"""Microsoft JSON dates (`/Date(1552404447003+0000)/`), which xero-python requires in responses.

Requests may carry either that form (the SDK sends it) or ISO 8601 (Xero accepts both).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

_MS = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms_datetime(value: datetime) -> str:
    millis = int((value.astimezone(UTC) - _EPOCH) / timedelta(milliseconds=1))
    return f"/Date({millis}+0000)/"


def ms_date(value: date) -> str:
    return ms_datetime(datetime.combine(value, time(), tzinfo=UTC))


def parse_datetime(value: str) -> datetime:
    """A UTC datetime from a Microsoft JSON date or an ISO 8601 string; ValueError if neither."""
    match = _MS.match(value.strip())
    if match:
        # The milliseconds are UTC; the offset only says which wall time the sender had in mind.
        return _EPOCH + timedelta(milliseconds=int(match.group(1)))
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(value: str) -> date:
    """A calendar date from a Microsoft JSON date or an ISO date or datetime."""
    match = _MS.match(value.strip())
    if match:
        return (_EPOCH + timedelta(milliseconds=int(match.group(1)))).date()
    text = value.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
