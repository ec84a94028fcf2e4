"""Who may talk to the served stand-in: its own loopback Host, no cross-site Origin, and for /_sandbox/
the per-run admin token.

As with the local Xero (cynare/sandbox/xero/guard.py): listening on 127.0.0.1 keeps other machines out
but not a web page in the developer's own browser. A request must name the stand-in in Host (a
DNS-rebound page's requests carry the attacker's name) and carry no Origin (requests and http.client
send none; the stand-in has no pages of its own), and the admin surface wants the token a page cannot know.
"""

from __future__ import annotations

import hmac
import re

from cynare.sandbox.teams.errors import WorkflowError

TOKEN_HEADER = "X-Sandbox-Token"  # noqa: S105 (a header name, not a secret)
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
_SIG = re.compile(r"(?i)([?&]sig=)[^&\s\"']*")


def mask_sig(text: str) -> str:
    """`text` with the value of every `sig=` query parameter hidden: the signature is the webhook's secret."""
    return _SIG.sub(r"\1***", text)


def loopback_hosts(port: int) -> frozenset[str]:
    hosts = {f"{name}:{port}" for name in LOOPBACK_NAMES}
    if port == 80:
        hosts.update(LOOPBACK_NAMES)  # clients leave the default port out of Host
    return frozenset(hosts)


def check_origin(host: str | None, origin: str | None, hosts: frozenset[str]) -> None:
    """Raise a 403 unless Host names this stand-in and no Origin is sent."""
    if not host or host.lower() not in hosts:
        raise WorkflowError(
            403, "Forbidden", f"Host {host!r} is not this stand-in: use {' or '.join(sorted(hosts)) or 'a served one'}"
        )
    if origin is not None:
        raise WorkflowError(403, "Forbidden", f"Origin {origin!r}: cross-site requests are refused")


def check_token(given: str | None, expected: str) -> None:
    """Raise a 401 unless `given` is the admin token (compared in constant time)."""
    hint = "send the admin token printed when the stand-in started"
    if not given:
        raise WorkflowError(401, "AdminTokenRequired", f"missing {TOKEN_HEADER}: {hint}")
    if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8")):
        raise WorkflowError(401, "AdminTokenInvalid", f"wrong {TOKEN_HEADER}: {hint}")
