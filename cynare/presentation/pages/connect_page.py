"""The connect pages: each entity's Xero organisation, and connecting the firm's Xero app to organisations
(Xero's authorization code flow with state and PKCE), binding each to an entity, disconnecting, reconnecting.

GET /connect/callback is where Xero sends the person back: a GET, so no CSRF token; the signed, single-use
state is the check. The use cases are in cynare.service_layer.connect_pages; this module reads the
settings, composes the adapters and renders.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cynare.adapters.secrets_box import SecretsBox
from cynare.adapters.storage import StorageSettings
from cynare.adapters.tables.connect_attempts import TableConnectAttempts
from cynare.adapters.tables.connection import table_service
from cynare.adapters.xero.app_connect import XeroAppConnection
from cynare.presentation.pages.context import PageContext, Route
from cynare.presentation.pages.security import content_security_policy
from cynare.presentation.pages.signing import Signer
from cynare.presentation.pages.web import PageResponse, redirect, url
from cynare.presentation.reconciliation.formatting import moment_text
from cynare.service_layer.connect_pages import (
    Attempt,
    ChoicesRefused,
    ConnectProblem,
    XeroApp,
    attempt_id,
    bind,
    consented,
    disconnect,
    finish,
    overview,
    proposed_choices,
    start,
)
from cynare.service_layer.xero_port import ConnectionKind

if TYPE_CHECKING:
    from cynare.bootstrap import App

CLIENT_ID = "CYNARE_XERO_CLIENT_ID"
CLIENT_SECRET = "CYNARE_XERO_CLIENT_SECRET"  # noqa: S105 (the setting's name, not a secret)
PAGES_URL = "CYNARE_PAGES_URL"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def xero_app(environ: Mapping[str, str]) -> tuple[XeroApp | None, str]:
    """The firm's Xero web app from the settings, or None and what to set."""
    client_id = environ.get(CLIENT_ID, "").strip()
    secret = environ.get(CLIENT_SECRET, "").strip()
    base = environ.get(PAGES_URL, "").strip().rstrip("/")
    missing = [name for name, value in ((CLIENT_ID, client_id), (CLIENT_SECRET, secret), (PAGES_URL, base))
               if not value]  # fmt: skip
    if missing:
        return None, (f"Connecting from these pages needs the setting{'s' if len(missing) > 1 else ''} "
                      f"{', '.join(missing)}: set {'them' if len(missing) > 1 else 'it'} in the app's settings (the "
                      "client secret from Key Vault) and restart the app; see docs/xero-connections.md.")  # fmt: skip
    address = urlsplit(base)
    local = address.scheme == "http" and address.hostname in _LOOPBACK
    if not (address.scheme == "https" or local) or not address.hostname or address.query or address.fragment:
        return None, (f"{PAGES_URL} must be the pages' public address, e.g. https://<app>.azurewebsites.net "
                      "(http only on this machine's loopback address): correct it and restart the app.")  # fmt: skip
    return XeroApp(client_id, secret, base + url("/connect/callback")), ""


# --- the pages ---------------------------------------------------------------------------------------------


def connect(context: PageContext) -> PageResponse:
    app, setup = xero_app(context.environ)
    rows = overview(context.app.uow, context.now)
    response = context.page("connect.html.j2", "Connect Xero", rows=rows, ready=app is not None, setup=setup,
                            when=moment_text, custom=ConnectionKind.CUSTOM)  # fmt: skip
    # The connect and reconnect forms lead to Xero's consent page: a browser holds that redirect to form-action.
    xero_origin = _origin(_door(context.app).identity.authorize_endpoint)
    response.headers.append(("Content-Security-Policy", content_security_policy((xero_origin,))))
    return response


def start_connect(context: PageContext) -> PageResponse:
    return _to_xero(context, "")


def reconnect(context: PageContext) -> PageResponse:
    entity = context.params["entity"]
    if entity not in context.app.uow.entities():
        return _refused_page(context, f"{entity!r} is not one of the firm's entities: choose one on the connect page.",
                             status=404)  # fmt: skip
    return _to_xero(context, entity)


def callback(context: PageContext) -> PageResponse:
    if not context.user.may_change:
        return _refused_page(context, _ADMIN_ONLY.format(name=context.user.name), status=403)
    app, setup = xero_app(context.environ)
    if app is None:
        return _refused_page(context, setup, status=503)
    try:
        attempt = finish(attempt_store(context.app), _door(context.app), app, _signer(context, "connect-state"),
                         context.user.name, context.now, context.request.query)  # fmt: skip
    except ConnectProblem as refused:
        context.record("connect refused", "", f"{refused.why.value}: {refused}")
        return _refused_page(context, str(refused))
    reached = "; ".join(f"{o.name} ({o.base_currency}, tenant {o.tenant_id})" for o in attempt.organisations)
    context.record("connect consent", attempt.entity, f"Xero gave access to {reached}")
    return redirect("/connect/choose", attempt=attempt_id(_signer(context, "connect-attempt"), attempt))


def choose(context: PageContext) -> PageResponse:
    if not context.user.may_change:
        return _refused_page(context, _ADMIN_ONLY.format(name=context.user.name), status=403)
    try:
        attempt = consented(attempt_store(context.app), _signer(context, "connect-attempt"), context.user.name,
                            context.now, context.request.query.get("attempt", ""))  # fmt: skip
    except ConnectProblem as refused:
        return _refused_page(context, str(refused))
    return _choose_page(context, attempt, proposed_choices(context.app.uow, attempt), {})


def bind_chosen(context: PageContext) -> PageResponse:
    app, setup = xero_app(context.environ)
    if app is None:
        return _refused_page(context, setup, status=503)
    form = context.request.form
    store = attempt_store(context.app)
    try:
        attempt = consented(store, _signer(context, "connect-attempt"), context.user.name, context.now,
                            form.get("attempt", ""))  # fmt: skip
    except ConnectProblem as refused:
        context.record("connect refused", "", f"{refused.why.value}: {refused}")
        return _refused_page(context, str(refused))
    choices = {index: form.get(f"org-{index}", "").strip() for index in range(len(attempt.organisations))}
    try:
        bound = bind(store, _door(context.app), context.app.uow, app, attempt, choices, context.app.clock)
    except ChoicesRefused as refused:
        context.record("connect refused", "", "; ".join(refused.errors.values()))
        return _choose_page(context, attempt, choices, refused.errors, status=400)
    except ConnectProblem as refused:
        context.record("connect refused", "", f"{refused.why.value}: {refused}")
        return _refused_page(context, str(refused))
    for binding in bound:
        context.record("connect", binding.entity, f"bound to {binding.organisation_name} (tenant {binding.tenant_id}, "
                       f"base currency {binding.base_currency}), app connection {binding.client_id}")  # fmt: skip
    said = "; ".join(f"{b.entity} posts to {b.organisation_name}" for b in bound)
    return redirect("/connect", notice=f"Connected: {said}.")


def disconnect_entity(context: PageContext) -> PageResponse:
    entity = context.params["entity"]
    try:
        done = disconnect(context.app.uow, _door(context.app), entity)
    except ConnectProblem as refused:
        return redirect("/connect", notice=f"Nothing was disconnected: {refused}")
    binding = done.binding
    detail = f"{binding.organisation_name} (tenant {binding.tenant_id}), {binding.kind.value} connection"
    notice = f"{entity} is disconnected from {binding.organisation_name} and posts nowhere until it is connected again."
    if done.xero_problem:
        detail += f"; Xero could not be told: {done.xero_problem}"
        notice += (f" Xero could not be told ({done.xero_problem}): remove Cynare Link from the organisation in "
                   "Xero (Settings, Connected apps).")  # fmt: skip
    elif done.told_xero:
        detail += "; Xero was told"
        notice += " Xero no longer lets the app reach it."
    elif binding.kind is ConnectionKind.CUSTOM:
        notice += " Its custom connection still exists in Xero's developer portal: delete it there if nothing uses it."
    context.record("disconnect", entity, detail)
    return redirect("/connect", notice=notice)


# --- shared ---------------------------------------------------------------------------------------------

_ADMIN_ONLY = "{name} may look but not connect: ask someone with the Cynare.Admin role to connect the organisations."


def _to_xero(context: PageContext, entity: str) -> PageResponse:
    app, setup = xero_app(context.environ)
    if app is None:
        return redirect("/connect", notice=setup)
    target = start(attempt_store(context.app), _door(context.app), app, _signer(context, "connect-state"),
                   context.user.name, context.now, entity)  # fmt: skip
    context.record("reconnect started" if entity else "connect started", entity, "sent to Xero's consent page")
    return PageResponse(303, headers=[("Location", target)])


def _choose_page(
    context: PageContext, attempt: Attempt, choices: Mapping[int, str], errors: Mapping[int, str], status: int = 200
) -> PageResponse:
    return context.page("connect_choose.html.j2", "Choose each organisation's entity", status,
                        organisations=list(enumerate(attempt.organisations)), choices=choices, errors=errors,
                        attempt=attempt_id(_signer(context, "connect-attempt"), attempt),
                        settings=_entity_settings(context.app))  # fmt: skip


def _refused_page(context: PageContext, message: str, status: int = 400) -> PageResponse:
    return context.page("connect_refused.html.j2", "This connection could not be made", status, message=message)


def _entity_settings(app: App) -> dict[str, str]:
    """Each entity's base currency, to show beside it in the choice."""
    return {code: settings.base_currency for code, settings in app.settings.entities.items()}


def _signer(context: PageContext, purpose: str) -> Signer:
    # The site refuses every page when the token key is not a key, so it decodes here.
    return Signer(base64.b64decode(context.app.settings.token_key), purpose)


def _door(app: App) -> XeroAppConnection:
    return XeroAppConnection(app.connector, app.clock)


def attempt_store(app: App) -> TableConnectAttempts:
    return _attempt_store(app.settings.storage, app.settings.token_key)


@lru_cache(maxsize=8)
def _attempt_store(storage: StorageSettings, token_key: str) -> TableConnectAttempts:
    table = table_service(storage).get_table_client(f"{storage.table_prefix}ConnectAttempts")
    return TableConnectAttempts(table, SecretsBox.from_setting(token_key))


def _origin(address: str) -> str:
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc}"


ROUTES = [
    Route("GET", "/connect", connect),
    Route("POST", "/connect/start", start_connect, changes=True),
    Route("GET", "/connect/callback", callback),
    Route("GET", "/connect/choose", choose),
    Route("POST", "/connect/bind", bind_chosen, changes=True),
    Route("POST", "/connect/{entity}/reconnect", reconnect, changes=True),
    Route("POST", "/connect/{entity}/disconnect", disconnect_entity, changes=True),
]
