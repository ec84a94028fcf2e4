"""Nightly runs in the firm's local time, although Azure timers fire in UTC.

The timer fires at both UTC times that can be the local run time (for London: 00:30 and 01:30
UTC), and the code goes ahead only at the one that is the local time today, so summer time
needs no change of schedule.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo


def is_local_run_time(utc_now: datetime, local_time: time, zone: str, tolerance_minutes: int = 20) -> bool:
    if utc_now.tzinfo is None:
        raise ValueError("utc_now must be timezone-aware")
    local = utc_now.astimezone(ZoneInfo(zone))
    minutes_now = local.hour * 60 + local.minute
    minutes_due = local_time.hour * 60 + local_time.minute
    return abs(minutes_now - minutes_due) <= tolerance_minutes
