"""The storage credentials, read and checked in one place, before any library sees them.

A container is reached with, safest first: a container SAS (a URL, or a token with
`storage.account_url`), a service principal (`account_url` with an Entra credential), or a
connection string (the local emulator). A value that does not have the expected shape is refused
with a ConfigError naming the setting and the shape expected, never quoting any part of the value:
a SAS or connection string that is only slightly wrong is still mostly a secret.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from cynare.agent.config import AgentConfig, ConfigError, require_env

Container = Literal["inbound", "writeback"]

# No example below spells a secret's marker ("sig" or "AccountKey" followed by "="): tests scan every
# message for them.
_SAS_SHAPE = (
    "expected the container's SAS URL as the Azure portal's Generate SAS page gives it "
    "(https://<account>.blob.core.windows.net/<container>?sv…), or the SAS token alone (?sv…) with "
    "storage.account_url set to https://<account>.blob.core.windows.net"
)
_CONNECTION_SHAPE = (
    "expected the storage account's connection string as its Access keys page gives it (Name=value parts "
    "separated by ';', with AccountName and AccountKey), or UseDevelopmentStorage=true for the local emulator"
)
_ACCOUNT_URL_SHAPE = "expected the storage account's blob address, https://<account>.blob.core.windows.net"


@dataclass(frozen=True, slots=True)
class SasCredential:
    """A container reached by its SAS URL (the token already joined to the container's address)."""

    container_url: str = field(repr=False)
    setting: str


@dataclass(frozen=True, slots=True)
class ConnectionStringCredential:
    value: str = field(repr=False)
    setting: str


@dataclass(frozen=True, slots=True)
class IdentityCredential:
    """The account's address; the token comes from azure-identity (a service principal)."""

    account_url: str
    setting: str = "storage.account_url"


ContainerCredential = SasCredential | ConnectionStringCredential | IdentityCredential


def container_credential(config: AgentConfig, which: Container) -> ContainerCredential:
    """How to reach `which`: the credential its settings give, checked; ConfigError when none is usable."""
    storage = config.storage
    name = storage.inbound_container if which == "inbound" else storage.writeback_container
    sas_setting = _setting(f"{which}_sas_url", getattr(storage, f"{which}_sas_url_env"))
    sas = _value(getattr(storage, f"{which}_sas_url"), getattr(storage, f"{which}_sas_url_env"), f"the {which} SAS")
    if sas is not None:
        return SasCredential(container_sas_url(sas, sas_setting, storage.account_url, name), sas_setting)
    connection_setting = _setting("connection_string", storage.connection_string_env)
    connection = _value(storage.connection_string, storage.connection_string_env, "the storage connection string")
    if connection is not None:
        return ConnectionStringCredential(connection_string(connection, connection_setting), connection_setting)
    if storage.account_url:
        return IdentityCredential(account_url(storage.account_url))
    raise ConfigError(
        f"no storage credential for the {which} container: set storage.{which}_sas_url_env (the name of an "
        "environment variable holding the container's SAS URL), or storage.account_url with tenant_id, client_id "
        "and certificate_path (see docs/agent.md)"
    )


def uses_connection_string(config: AgentConfig, which: Container) -> bool:
    """True when `which` is reached by connection string (the local emulator, which may need the container made)."""
    storage = config.storage
    sas = getattr(storage, f"{which}_sas_url") or getattr(storage, f"{which}_sas_url_env")
    return not sas and bool(storage.connection_string or storage.connection_string_env)


def container_sas_url(value: str, setting: str, account: str | None, container: str) -> str:
    """The container's SAS URL from a SAS URL, or from a token and the account's address.

    An account SAS URL (no container in its path) is joined to the configured container's name.
    """
    text = value.strip()
    if any(part in text.lower() for part in ("accountname=", "accountkey=", "defaultendpointsprotocol=")):
        raise ConfigError(
            f"{setting}: this is a storage connection string, not a SAS; give the container's SAS URL here "
            "(or put a connection string in storage.connection_string_env, for the local emulator)"
        )
    if "://" not in text and (text.startswith("?") or "/" not in text):
        # a token alone, as the portal's "SAS token" box gives it (with or without its "?")
        token = text.removeprefix("?")
        if not account:
            raise ConfigError(
                f"{setting}: this is a SAS token without the storage address; give the whole SAS URL, or set "
                f"storage.account_url; {_SAS_SHAPE}"
            )
        base = account_url(account).rstrip("/")
        _require_signature(token, setting)
        return f"{base}/{container}?{token}"
    try:
        parts = urlsplit(text)
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        raise ConfigError(f"{setting}: not a SAS URL (its address cannot be read); {_SAS_SHAPE}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"{setting}: not a SAS URL (it does not start with https:// and an address); {_SAS_SHAPE}")
    if parts.fragment:
        raise ConfigError(f"{setting}: not a SAS URL (it has a # part); {_SAS_SHAPE}")
    _require_signature(parts.query, setting)
    path = parts.path.strip("/")
    if not path:  # an account SAS URL: the container comes from the configuration
        return f"{parts.scheme}://{parts.netloc}/{container}?{parts.query}"
    return text


def _require_signature(token: str, setting: str) -> None:
    try:
        fields = parse_qs(token, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        fields = {}
    if not fields.get("sig", [""])[0] or not fields.get("sv", [""])[0]:
        raise ConfigError(f"{setting}: the SAS has no signature (sig) or no version (sv); {_SAS_SHAPE}")


def connection_string(value: str, setting: str) -> str:
    """The connection string, once it has the parts a storage connection string needs."""
    parts: dict[str, str] = {}
    for piece in value.strip().split(";"):
        if not piece.strip():
            continue
        name, equals, content = piece.partition("=")
        if not equals or not name.strip():
            raise ConfigError(f"{setting}: not a connection string (a part is not Name=value); {_CONNECTION_SHAPE}")
        parts[name.strip().lower()] = content.strip()
    if parts.get("usedevelopmentstorage", "").lower() == "true":
        return value.strip()
    if not parts.get("accountname") and not parts.get("blobendpoint"):
        raise ConfigError(f"{setting}: the connection string has no AccountName or BlobEndpoint; {_CONNECTION_SHAPE}")
    key, signature = parts.get("accountkey"), parts.get("sharedaccesssignature")
    if not key and not signature:
        raise ConfigError(
            f"{setting}: the connection string has no AccountKey or SharedAccessSignature; {_CONNECTION_SHAPE}"
        )
    if key:
        try:
            base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(
                f"{setting}: the connection string's AccountKey is not an account key (base64), perhaps cut short "
                f"when copied; {_CONNECTION_SHAPE}"
            ) from None
    if signature:
        _require_signature(signature.removeprefix("?"), setting)
    protocol = parts.get("defaultendpointsprotocol", "https").lower()
    if protocol not in ("http", "https"):
        raise ConfigError(f"{setting}: DefaultEndpointsProtocol must be https (or http for the emulator)")
    return value.strip()


def account_url(value: str) -> str:
    """storage.account_url, checked (an address, not a secret; still never quoted)."""
    try:
        parts = urlsplit(value.strip())
        _ = parts.port
    except ValueError:
        raise ConfigError(f"storage.account_url: not an address; {_ACCOUNT_URL_SHAPE}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"storage.account_url: not an address; {_ACCOUNT_URL_SHAPE}")
    return value.strip()


def _setting(option: str, env: str | None) -> str:
    """How a message names the setting: the option, and the environment variable it names."""
    if env:
        return f"storage.{option}_env (the environment variable {env})"
    return f"storage.{option}"


def _value(plain: str | None, env: str | None, what: str) -> str | None:
    if env:
        return require_env(env, what)
    return plain
