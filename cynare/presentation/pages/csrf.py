"""Every form carries a token bound to the signed-in person and to when it was issued; a POST without a
valid one is refused. A page on another site cannot make one: it needs the app's key."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from cynare.presentation.pages.signing import Signer

FIELD = "csrf_token"
LIFETIME = timedelta(hours=8)  # a working day with the page left open


class Csrf:
    def __init__(self, signer: Signer) -> None:
        self._signer = signer

    def token(self, user: str, now: datetime) -> str:
        return self._signer.sign(f"{user}|{int(now.timestamp())}|{secrets.token_urlsafe(8)}")

    def valid(self, token: str, user: str, now: datetime) -> bool:
        value = self._signer.unsign(token)
        if value is None:
            return False
        who, issued, _nonce = value.rsplit("|", 2)
        age = now.timestamp() - int(issued) if issued.isdigit() else -1
        return who == user and 0 <= age <= LIFETIME.total_seconds()
