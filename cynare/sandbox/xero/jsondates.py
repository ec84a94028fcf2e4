"""Microsoft JSON dates (`/Date(1552404447003+0000)/`), which xero-python requires in responses.

Requests may carry either that form (the SDK sends it) or ISO 8601 (Xero accepts both).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

_MS = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


_EPOCH_DAY = _EPOCH.date().toordinal()


@lru_cache(maxsize=1024)
def ms_datetime(value: datetime) -> str:
    # Integer microseconds, truncated towards zero to milliseconds: no float on the way.
    delta = value.astimezone(UTC) - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    millis = micros // 1000 if micros >= 0 else -(-micros // 1000)
    return f"/Date({millis}+0000)/"


@lru_cache(maxsize=4096)
def ms_date(value: date) -> str:
    # Rendered for every document on every read and write: calendar dates repeat, so they are cached.
    return f"/Date({(value.toordinal() - _EPOCH_DAY) * 86_400_000}+0000)/"


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
    if len(value) == 10 and value[0] != "/":
        try:
            return date.fromisoformat(value)  # the usual "2026-05-01"
        except ValueError:
            pass  # read below as before
    match = _MS.match(value.strip())
    if match:
        return (_EPOCH + timedelta(milliseconds=int(match.group(1)))).date()
    text = value.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
