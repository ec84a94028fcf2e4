"""Who is asking: in Azure only App Service Authentication's principal header is trusted; locally a
development sign-in, marked on every page, that refuses to work in Azure.

App Service Authentication (Easy Auth) signs the person in with Entra ID and passes who they are in
`X-MS-CLIENT-PRINCIPAL` (base64 JSON of the token's claims); the platform strips that header from what
a browser sends, so it can be trusted when, and only when, the platform's authentication is on
(`WEBSITE_AUTH_ENABLED=True`, set by App Service). The app role claim says what a person may do:
`Cynare.Admin` may change, `Cynare.Viewer` may look.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

ADMIN_ROLE = "Cynare.Admin"
VIEWER_ROLE = "Cynare.Viewer"
PRINCIPAL_HEADER = "x-ms-client-principal"


class Role(StrEnum):
    ADMIN = "admin"  # may change: connect, retry, skip, map
    VIEWER = "viewer"  # may look


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    development: bool = False  # the local sign-in: every page says so

    @property
    def may_change(self) -> bool:
        return self.role is Role.ADMIN


class SignInRefused(Exception):
    """Why nobody is signed in, for the error page (never a secret)."""


def in_azure(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("WEBSITE_SITE_NAME") or environ.get("WEBSITE_INSTANCE_ID"))


def platform_user(headers: Mapping[str, str], environ: Mapping[str, str]) -> User | None:
    """The person App Service Authentication signed in, or None when there is none or it is not on."""
    if environ.get("WEBSITE_AUTH_ENABLED", "").lower() != "true":
        return None
    encoded = headers.get(PRINCIPAL_HEADER, "")
    if not encoded:
        return None
    try:
        principal = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        raise SignInRefused("the sign-in header from App Service Authentication could not be read") from None
    role_type = str(principal.get("role_typ") or "roles")
    name_type = str(principal.get("name_typ") or "name")
    claims = [
        (str(c.get("typ", "")), str(c.get("val", ""))) for c in principal.get("claims", []) if isinstance(c, dict)
    ]
    roles = {value for kind, value in claims if kind in (role_type, "roles")}
    name = next((value for kind, value in claims if kind in (name_type, "preferred_username", "name")), "")
    name = name or headers.get("x-ms-client-principal-name", "") or "unknown person"
    if ADMIN_ROLE in roles:
        return User(name, Role.ADMIN)
    if VIEWER_ROLE in roles:
        return User(name, Role.VIEWER)
    raise SignInRefused(
        f"{name} is signed in but has neither app role {ADMIN_ROLE} nor {VIEWER_ROLE}: an Entra ID administrator "
        "assigns one in Enterprise applications > Cynare Link > Users and groups"
    )
