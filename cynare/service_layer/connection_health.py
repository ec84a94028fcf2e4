"""When an app connection will lapse: Xero's refresh tokens expire after 60 days unused.

Posting and sync refresh the token every run, so a connection only ages when nothing runs for
weeks (the app stopped, an entity with no activity). It is reported two weeks ahead, on the
status and in the daily report, so that a person reconnects before the nightly run fails.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cynare.service_layer.xero_port import Binding, ConnectionKind, Credentials

REFRESH_LIFETIME = timedelta(days=60)
WARN_BEFORE = timedelta(days=14)


def expiry_warning(binding: Binding | None, credentials: Credentials | None, now: datetime) -> str:
    """A sentence for a person when the connection lapses within two weeks; "" otherwise."""
    if binding is None or binding.kind is not ConnectionKind.APP or credentials is None:
        return ""
    if credentials.refresh_issued_at is None:
        return ""
    lapses = credentials.refresh_issued_at + REFRESH_LIFETIME
    if lapses - now > WARN_BEFORE:
        return ""
    if lapses <= now:
        return (f"{binding.entity}'s Xero connection lapsed on {lapses:%Y-%m-%d} (60 days unused): reconnect "
                f"{binding.organisation_name} from the connect page")  # fmt: skip
    return (f"{binding.entity}'s Xero connection lapses on {lapses:%Y-%m-%d} unless it is used: let the nightly "
            f"run post or sync before then, or reconnect {binding.organisation_name}")  # fmt: skip
