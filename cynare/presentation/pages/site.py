"""One request through the pages: who is asking, which page, may they, is the form genuine; then the page,
with the security headers. A failure shows a page that says what to do, never a stack trace or a secret."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from datetime import datetime
from importlib.resources import files
from typing import TYPE_CHECKING

from cynare.presentation.pages import dev_sign_in
from cynare.presentation.pages.context import PageContext, Route
from cynare.presentation.pages.csrf import FIELD as CSRF_FIELD
from cynare.presentation.pages.csrf import Csrf
from cynare.presentation.pages.principal import SignInRefused, User, platform_user
from cynare.presentation.pages.routes import ROUTES
from cynare.presentation.pages.security import HEADERS
from cynare.presentation.pages.signing import Signer
from cynare.presentation.pages.templating import render
from cynare.presentation.pages.web import PageRequest, PageResponse, redirect
from cynare.service_layer.audit import AuditLog

if TYPE_CHECKING:
    from cynare.bootstrap import App

log = logging.getLogger(__name__)
STATIC = {"/static/site.css": ("site.css", "text/css; charset=utf-8")}


def handle(request: PageRequest, app: App, audit: AuditLog, environ: Mapping[str, str], now: datetime) -> PageResponse:
    response = _handle(request, app, audit, environ, now)
    own = {name.lower() for name, _ in response.headers}  # a page may set its own policy (connect: Xero's origin)
    response.headers.extend(header for header in HEADERS if header[0].lower() not in own)
    return response


def _handle(request: PageRequest, app: App, audit: AuditLog, environ: Mapping[str, str], now: datetime) -> PageResponse:
    if request.method == "GET" and request.path in STATIC:
        name, content_type = STATIC[request.path]
        return PageResponse(200, files("cynare.presentation.pages").joinpath("static", name).read_bytes(), content_type)
    root_key = _root_key(app.settings.token_key)
    if root_key is None:
        return _problem(503, "The pages cannot start", "CYNARE_TOKEN_KEY is not set or not a key: set it (Key Vault "
                        "in Azure, `cynare token-key` makes one) and restart the app.")  # fmt: skip
    try:
        developing = dev_sign_in.enabled(environ)
        user = platform_user(request.headers, environ)
    except SignInRefused as refused:
        return _problem(403, "You cannot use these pages yet", str(refused))
    dev_signer = Signer(root_key, "dev-sign-in")
    if user is None and developing:
        if request.path == "/dev-sign-in":
            return dev_sign_in.page(request, dev_signer)
        user = dev_sign_in.user_from_cookie(request, dev_signer)
        if user is None:
            return redirect("/dev-sign-in")
    if user is None:
        return _problem(401, "Sign in first", "These pages are for the firm's finance team and IT: they sit behind "
                        "App Service Authentication with Entra ID. If you see this in Azure, turn it on (docs/deploy.md).")  # fmt: skip
    csrf = Csrf(Signer(root_key, "csrf"))
    route, params = _route(request)
    if route is None:
        return _problem(404, "No such page", "Check the address, or start from the status page.", user)
    if request.method == "POST" and not csrf.valid(request.form.get(CSRF_FIELD, ""), user.name, now):
        return _problem(403, "This form could not be accepted", "It has expired or did not come from these pages. "
                        "Go back, reload the page and try again.", user)  # fmt: skip
    if route.changes and not user.may_change:
        return _problem(403, "Only an administrator can do this", f"{user.name} may look but not change; ask someone "
                        "with the Cynare.Admin role.", user)  # fmt: skip
    context = PageContext(request, user, app, audit, now, csrf.token(user.name, now), params, environ)
    try:
        return route.handler(context)
    except Exception:
        log.exception("page %s %s failed", request.method, request.path)
        return _problem(500, "Something went wrong", "The page could not be shown. The error is in the app's log "
                        "(Application Insights); try again, and tell IT if it stays.", user)  # fmt: skip


def _route(request: PageRequest) -> tuple[Route | None, dict[str, str]]:
    for route in ROUTES:
        params = route.match(request.method, request.path)
        if params is not None:
            return route, params
    return None, {}


def _root_key(token_key: str) -> bytes | None:
    try:
        key = base64.b64decode(token_key, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) >= 32 else None


def _problem(status: int, title: str, message: str, user: User | None = None) -> PageResponse:
    body = render("problem.html.j2", title=title, message=message, user=user, entities=[], current="", notice="",
                  csrf_field=CSRF_FIELD, csrf_token="")  # fmt: skip
    return PageResponse(status, body)
