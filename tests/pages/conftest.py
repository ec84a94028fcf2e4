"""Fixtures of the page tests: a firm on Azurite with its own local Xero, one request through the pages as
a signed-in person (`visit`), and axe-core over a rendered page (`axe`).

`visit` signs the person in as App Service Authentication does in Azure (WEBSITE_AUTH_ENABLED and the
X-MS-CLIENT-PRINCIPAL header with the app role), and gives a POST a valid CSRF token unless told not to.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import pytest

from cynare.adapters.report_blobs import BlobReportStore
from cynare.bootstrap import App
from cynare.presentation.pages.csrf import FIELD as CSRF_FIELD
from cynare.presentation.pages.csrf import Csrf
from cynare.presentation.pages.principal import ADMIN_ROLE, VIEWER_ROLE
from cynare.presentation.pages.signing import Signer
from cynare.presentation.pages.site import handle
from cynare.presentation.pages.web import ROOT, PageRequest, PageResponse
from cynare.sandbox.xero.emulator import Emulator
from tests.a11y import A11yReport, assert_accessible
from tests.e2e.test_posting_night import Firm, make_firm

ROLES = {"admin": ADMIN_ROLE, "viewer": VIEWER_ROLE}
AZURE_AUTH = {"WEBSITE_AUTH_ENABLED": "true"}


def principal_header(name: str, role: str) -> str:
    """X-MS-CLIENT-PRINCIPAL as App Service Authentication sends it: base64 JSON of the token's claims."""
    claims = [{"typ": "name", "val": name}, {"typ": "roles", "val": ROLES.get(role, role)}]
    return base64.b64encode(json.dumps({"auth_typ": "aad", "claims": claims}).encode()).decode()


def csrf_token(app: App, name: str, now: datetime) -> str:
    return Csrf(Signer(base64.b64decode(app.settings.token_key), "csrf")).token(name, now)


@pytest.fixture
def page_firm(tmp_path: Path, storage_connection: str, unique_name: str,
              make_xero_emulator: Callable[..., Emulator]) -> Firm:  # fmt: skip
    """A firm (tests/e2e/test_posting_night.py make_firm) with its own report container: tests share one Azurite."""
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator)
    reports = BlobReportStore(firm.app.settings.storage, container=f"{unique_name}-reports")
    firm.app = dataclasses.replace(firm.app, reports=reports)
    return firm


Visit = Callable[..., PageResponse]


@pytest.fixture
def visit() -> Visit:
    """`visit(app, "/status", query={...}, role="admin"|"viewer", method="POST", form={...}, csrf=True)`;
    `environ` adds settings the pages read (the platform's sign-in is always on)."""

    def visit_(
        app: App,
        path: str,
        *,
        role: str = "admin",
        name: str = "",
        method: str = "GET",
        query: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        files: Mapping[str, bytes] | None = None,
        csrf: bool = True,
        now: datetime | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> PageResponse:
        now = now or datetime.now(UTC)
        name = name or ("Alex Admin" if role == "admin" else "Vic Viewer")
        fields = dict(form or {})
        if method == "POST" and csrf and CSRF_FIELD not in fields:
            fields[CSRF_FIELD] = csrf_token(app, name, now)
        request = PageRequest(method, path, dict(query or {}), fields,
                              {"x-ms-client-principal": principal_header(name, role)}, {}, dict(files or {}))  # fmt: skip
        return handle(request, app, app.audit, {**(environ or {}), **AZURE_AUTH}, now)

    return visit_


@pytest.fixture
def axe() -> Callable[..., A11yReport]:
    """`axe(response_or_html, name=...)`: WCAG 2.2 AA with axe-core in Chromium; fails the test on a finding.

    The page is loaded from a file, so its one stylesheet is put inline: contrast is checked with it.
    """
    css = files("cynare.presentation.pages").joinpath("static", "site.css").read_text(encoding="utf-8")
    link = f'<link rel="stylesheet" href="{ROOT}/static/site.css">'

    def axe_(page: PageResponse | str, *, name: str) -> A11yReport:
        html = page if isinstance(page, str) else page.body.decode("utf-8")
        assert link in html, "the page does not link the stylesheet as base.html.j2 does"
        return assert_accessible(html.replace(link, f"<style>{css}</style>"), name=name)

    return axe_
