"""Short signed values (a CSRF token, the development sign-in's cookie, the OAuth state): an HMAC-SHA256
under a key derived from the app's token key, so no new secret has to be kept."""

from __future__ import annotations

import base64
import hashlib
import hmac


class Signer:
    def __init__(self, root_key: bytes, purpose: str) -> None:
        # One key per purpose: a value signed for one use is never accepted for another.
        self._key = hmac.new(root_key, f"cynare-pages|{purpose}".encode(), hashlib.sha256).digest()

    def sign(self, value: str) -> str:
        mac = hmac.new(self._key, value.encode(), hashlib.sha256).digest()
        return f"{value}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def unsign(self, signed: str) -> str | None:
        """The value, or None when the signature does not match (tampered, or signed for another purpose)."""
        value, _, _ = signed.rpartition(".")
        if not value or not hmac.compare_digest(self.sign(value), signed):
            return None
        return value
