"""Who may talk to a served emulator: its own loopback Host, its own Origin, and the admin token.

Listening on 127.0.0.1 keeps other machines out but not the developer's own browser: any web page
they have open can make the browser send a request to 127.0.0.1:PORT (a cross-site form POST needs
no permission), and a page whose name the attacker re-points at 127.0.0.1 (DNS rebinding) can even
read the answers. So every request must name the emulator itself in Host (a rebound page's requests
carry the attacker's name), a request carrying an Origin must come from the emulator's own pages
(the consent form; the SDK, requests and http.client send no Origin), and the /_sandbox/ admin
surface also wants the per-run token, which a page cannot know and cannot send cross-site without a
CORS preflight the emulator never grants.
"""

from __future__ import annotations

import hmac

from cynare.sandbox.xero.errors import XeroError, forbidden, problem

TOKEN_HEADER = "X-Sandbox-Token"  # noqa: S105 (a header name, not a secret)
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


class Guard:
    """The Host and Origin values one served emulator accepts; none until `bind(port)`."""

    def __init__(self) -> None:
        self.hosts: frozenset[str] = frozenset()
        self.origins: frozenset[str] = frozenset()

    def bind(self, port: int | None) -> None:
        if port is None:
            self.hosts = self.origins = frozenset()
            return
        hosts = {f"{name}:{port}" for name in LOOPBACK_NAMES}
        if port == 80:
            # Clients leave the default port out of Host and Origin.
            hosts.update(LOOPBACK_NAMES)
        self.hosts = frozenset(hosts)
        self.origins = frozenset(f"http://{host}" for host in hosts)

    def check(self, host: str | None, origin: str | None) -> None:
        """Raise a 403 unless Host names this emulator and any Origin is one of its own."""
        if not host or host.lower() not in self.hosts:
            raise forbidden(
                f"Host {host!r} is not this emulator: use {' or '.join(sorted(self.hosts)) or 'a served emulator'}"
            )
        if origin is not None and origin.lower() not in self.origins:
            raise forbidden(f"Origin {origin!r} is not this emulator's own: cross-site requests are refused")


def check_token(given: str | None, expected: str) -> None:
    """Raise a 401 unless `given` is the admin token (compared in constant time)."""
    if not given:
        raise _unauthorized(f"missing {TOKEN_HEADER}: send the admin token printed when the emulator started")
    # Header values arrive as latin-1-decoded text; compare bytes so that any value is comparable.
    if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8")):
        raise _unauthorized(f"wrong {TOKEN_HEADER}: send the admin token printed when the emulator started")


def _unauthorized(detail: str) -> XeroError:
    error = problem(401, "Unauthorized", detail)
    error.headers["WWW-Authenticate"] = f'{TOKEN_HEADER} realm="xero-emulator-admin"'
    return error
