"""Secrets sealed at rest: AES-GCM under the key in CYNARE_TOKEN_KEY, each bound to where it belongs.

A sealed value is `v1:` and the base64 of a fresh 12-byte nonce followed by the ciphertext and its
tag. The caller's `context` (e.g. "UK|credentials") is the associated data: a value copied to another
entity's row, or to another purpose, does not open there. The version prefix lets a later format
(or a rotated key) sit beside this one.

Neither the key nor a plaintext ever appears in a message or a repr.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cynare.errors import CynareError, SettingsError

SETTING = "CYNARE_TOKEN_KEY"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce; random per seal, so one key may seal billions of values
TAG_BYTES = 16
VERSION = "v1"


class SealBroken(CynareError):
    """A sealed secret did not open: the token key changed, or the row was copied from elsewhere."""


class SecretsBox:
    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the token key must be {KEY_BYTES} bytes")  # its length only, never its bytes
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "SecretsBox(key hidden)"

    @classmethod
    def from_setting(cls, text: str | None) -> SecretsBox:
        """The box for the setting's value: base64 of 32 random bytes (`new_key_text` makes one)."""
        if text is None or not text.strip():
            raise SettingsError(
                f"{SETTING} is not set: it must be the base64 of 32 random bytes (`cynare` can print a fresh one)"
            )
        try:
            key = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            # The value is a secret: the message says what is wrong with it, never what it is.
            raise SettingsError(f"{SETTING} is not valid: it must be the base64 of exactly {KEY_BYTES} random bytes")
        return cls(key)

    @staticmethod
    def new_key_text() -> str:
        """A fresh key as the setting's text."""
        return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")

    def seal(self, plaintext: str, context: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return f"{VERSION}:" + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str, context: str) -> str:
        version, _, body = sealed.partition(":")
        if version != VERSION:
            raise SealBroken(
                f"a secret for {context} is not sealed in a format Cynare Link reads: reconnect the entity"
            )
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        try:
            if len(raw) < NONCE_BYTES + TAG_BYTES:
                raise InvalidTag
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode("utf-8"))
        except InvalidTag:
            # GCM cannot tell a changed key from a moved or altered row: both mean the secret is unusable.
            raise SealBroken(
                f"a secret for {context} did not open: the token key ({SETTING}) changed, or the row was copied "
                "from another entity or altered; reconnect the entity"
            ) from None
        return plain.decode("utf-8")
