"""The development sign-in: on a developer's machine only, a person picks a name and a role. Every page
then says it is a development sign-in; in Azure it refuses to work at all."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from cynare.presentation.pages.principal import Role, SignInRefused, User, in_azure
from cynare.presentation.pages.signing import Signer
from cynare.presentation.pages.templating import render
from cynare.presentation.pages.web import ROOT, PageRequest, PageResponse, redirect

SETTING = "CYNARE_PAGES_DEV_SIGN_IN"  # "on" lets a developer sign in locally
COOKIE = "cynare_dev_user"


def enabled(environ: Mapping[str, str]) -> bool:
    if environ.get(SETTING, "").lower() not in ("on", "1", "true"):
        return False
    if in_azure(environ):
        raise SignInRefused(
            f"{SETTING} is set in Azure: the development sign-in never works there; remove the setting and turn "
            "on App Service Authentication (docs/deploy.md)"
        )
    return True


def user_from_cookie(request: PageRequest, signer: Signer) -> User | None:
    value = signer.unsign(request.cookies.get(COOKIE, ""))
    if value is None:
        return None
    try:
        role, _, name = base64.urlsafe_b64decode(value.encode()).decode().partition("|")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if role not in (Role.ADMIN.value, Role.VIEWER.value) or not name:
        return None
    return User(name, Role(role), development=True)


def page(request: PageRequest, signer: Signer) -> PageResponse:
    """GET shows the form; POST signs in (name and role) and goes to the status page."""
    if request.method == "POST":
        name = request.form.get("name", "").strip()[:80]
        role = request.form.get("role", "")
        if name and role in (Role.ADMIN.value, Role.VIEWER.value):
            response = redirect("/")
            who = base64.urlsafe_b64encode(f"{role}|{name}".encode()).decode()  # a cookie value holds no spaces
            cookie = f"{COOKIE}={signer.sign(who)}; Path={ROOT}; HttpOnly; SameSite=Strict"
            response.headers.append(("Set-Cookie", cookie))
            return response
        error = "Give a name and choose a role."
    else:
        error = ""
    # Nobody is signed in yet: the layout shows no navigation and no person.
    body = render("dev_sign_in.html.j2", title="Development sign-in", error=error,
                  name=request.form.get("name", ""), user=None, entities=[], current="/dev-sign-in", notice="",
                  csrf_field="", csrf_token="")  # fmt: skip
    return PageResponse(400 if error else 200, body)
