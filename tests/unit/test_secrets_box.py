"""The secrets box: AES-GCM under CYNARE_TOKEN_KEY, a sealed value bound to its entity and purpose."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from cynare.adapters.secrets_box import SealBroken, SecretsBox
from cynare.errors import CynareError, SettingsError

TOKEN = "eyJhbGciOi.secret-access-token"


@pytest.fixture
def box() -> SecretsBox:
    return SecretsBox.from_setting(SecretsBox.new_key_text())


def test_a_sealed_value_opens_in_its_context(box: SecretsBox) -> None:
    sealed = box.seal(TOKEN, "UK|credentials")
    assert sealed.startswith("v1:")
    assert TOKEN not in sealed
    assert box.open(sealed, "UK|credentials") == TOKEN
    assert box.open(box.seal("", "UK|credentials"), "UK|credentials") == ""
    assert box.open(box.seal("£ ünïcode", "UK|credentials"), "UK|credentials") == "£ ünïcode"


def test_the_same_value_seals_differently_each_time(box: SecretsBox) -> None:
    assert box.seal(TOKEN, "UK|credentials") != box.seal(TOKEN, "UK|credentials")  # a fresh nonce each time


def test_a_value_does_not_open_in_another_context(box: SecretsBox) -> None:
    sealed = box.seal(TOKEN, "UK|credentials")
    with pytest.raises(SealBroken, match="reconnect the entity") as raised:
        box.open(sealed, "IE|credentials")
    assert isinstance(raised.value, CynareError)
    assert TOKEN not in str(raised.value)


def test_a_value_does_not_open_under_another_key(box: SecretsBox) -> None:
    sealed = box.seal(TOKEN, "UK|credentials")
    other = SecretsBox.from_setting(SecretsBox.new_key_text())
    with pytest.raises(SealBroken, match="CYNARE_TOKEN_KEY"):
        other.open(sealed, "UK|credentials")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda text: text[:-4] + ("AAAA" if not text.endswith("AAAA") else "BBBB"),  # altered ciphertext or tag
        lambda text: "v2:" + text[3:],  # an unknown version
        lambda text: "v1:not base64!",
        lambda text: "v1:" + base64.b64encode(b"short").decode(),  # shorter than a nonce and a tag
        lambda text: text.removeprefix("v1:"),  # no version at all
    ],
)
def test_tampered_text_does_not_open(box: SecretsBox, tamper: Callable[[str], str]) -> None:
    sealed = box.seal(TOKEN, "UK|credentials")
    with pytest.raises(SealBroken):
        box.open(tamper(sealed), "UK|credentials")


@pytest.mark.parametrize(
    "value",
    [
        "c2VjcmV0LWJ1dC1zaG9ydA==",  # valid base64 of 16 bytes: too short
        "this is the secret key, not base64",
        base64.b64encode(b"k" * 33).decode(),  # too long
    ],
)
def test_a_malformed_setting_names_the_setting_never_its_value(value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        SecretsBox.from_setting(value)
    message = str(raised.value)
    assert "CYNARE_TOKEN_KEY" in message
    assert value not in message
    assert raised.value.__context__ is None  # no chained decoding error either


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_setting_names_the_setting(value: str | None) -> None:
    with pytest.raises(SettingsError, match="CYNARE_TOKEN_KEY is not set"):
        SecretsBox.from_setting(value)


def test_a_new_key_is_32_random_bytes_and_the_box_hides_it() -> None:
    text = SecretsBox.new_key_text()
    assert len(base64.b64decode(text)) == 32
    assert text != SecretsBox.new_key_text()
    box = SecretsBox.from_setting(f"  {text}\n")  # pasted with spaces and a line break
    assert text not in repr(box)
    with pytest.raises(ValueError, match="32 bytes"):
        SecretsBox(b"short")
