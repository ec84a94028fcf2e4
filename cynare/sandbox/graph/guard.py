"""Who may talk to a served stand-in: its own loopback Host, no foreign Origin, and the admin token.

Listening on 127.0.0.1 keeps other machines out but not the developer's own browser: a web page can
make the browser POST to 127.0.0.1:PORT, and a page whose name is re-pointed at 127.0.0.1 (DNS
rebinding) can read the answers. So every request must name the stand-in itself in Host, a request
carrying an Origin is refused (msgraph-sdk, httpx and requests send none), and /_sandbox/ also wants
the per-run admin token, which a page cannot know (the same rules as the local Xero, guard.py there).
"""

from __future__ import annotations

import hmac

from cynare.sandbox.graph.errors import GraphError

TOKEN_HEADER = "X-Sandbox-Token"  # noqa: S105 (a header name, not a secret)
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


class Guard:
    """The Host values one served stand-in accepts; none until `bind(port)`."""

    def __init__(self) -> None:
        self.hosts: frozenset[str] = frozenset()

    def bind(self, port: int | None) -> None:
        if port is None:
            self.hosts = frozenset()
            return
        hosts = {f"{name}:{port}" for name in LOOPBACK_NAMES}
        if port == 80:
            # Clients leave the default port out of Host.
            hosts.update(LOOPBACK_NAMES)
        self.hosts = frozenset(hosts)

    def check(self, host: str | None, origin: str | None) -> None:
        """Raise a 403 unless Host names this stand-in and no Origin is sent."""
        if not host or host.lower() not in self.hosts:
            allowed = " or ".join(sorted(self.hosts)) or "a served stand-in"
            raise GraphError(403, "Forbidden", f"Host {host!r} is not this stand-in: use {allowed}")
        if origin is not None:
            raise GraphError(403, "Forbidden", f"Origin {origin!r}: cross-site requests are refused")


def check_admin_token(given: str | None, expected: str) -> None:
    """Raise a 401 unless `given` is the admin token (compared in constant time)."""
    hint = "send the admin token printed when the stand-in started"
    if not given:
        raise _unauthorized(f"missing {TOKEN_HEADER}: {hint}")
    # Header values arrive as latin-1-decoded text; compare bytes so that any value is comparable.
    if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8")):
        raise _unauthorized(f"wrong {TOKEN_HEADER}: {hint}")


def _unauthorized(message: str) -> GraphError:
    return GraphError(
        401, "Unauthorized", message, {"WWW-Authenticate": f'{TOKEN_HEADER} realm="graph-stand-in-admin"'}
    )
