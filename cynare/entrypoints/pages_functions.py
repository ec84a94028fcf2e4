"""The firm's pages: one HTTP function serving every page under /api/pages/.

In Azure, App Service Authentication (Entra ID) stands in front of it: the function is anonymous to the
Functions host and trusts only the platform's principal header (cynare.presentation.pages.principal).
It only turns the Functions request into a page request and back.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from functools import cache
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import azure.functions as func

from cynare.presentation.pages.web import PageRequest, PageResponse

if TYPE_CHECKING:
    from cynare.bootstrap import App

bp = func.Blueprint()
MAX_BODY = 5_000_000  # a CSV of mappings is far smaller


@cache
def _app() -> App:
    """One bound app per worker process: the pages are asked often, and binding opens every table."""
    from cynare.bootstrap import AppSettings, bootstrap

    return bootstrap(AppSettings.from_env())


@bp.route(route="pages/{*path}", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS,
          trigger_arg_name="request")  # fmt: skip
def pages(request: func.HttpRequest) -> func.HttpResponse:
    from cynare.presentation.pages.site import handle

    app = _app()
    response = handle(page_request(request), app, app.audit, os.environ, datetime.now(UTC))
    return as_http_response(response)


def page_request(request: func.HttpRequest) -> PageRequest:
    headers = {name.lower(): value for name, value in request.headers.items()}
    cookies = SimpleCookie()
    cookies.load(headers.get("cookie", ""))
    form: dict[str, str] = {}
    files: dict[str, bytes] = {}
    body = request.get_body()[:MAX_BODY] if request.method.upper() == "POST" else b""
    content_type = headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    elif content_type.startswith("multipart/form-data"):
        form, files = _multipart(content_type, body)
    path = "/" + (request.route_params.get("path") or "").strip("/")
    return PageRequest(request.method.upper(), path, dict(request.params), form, headers,
                       {key: morsel.value for key, morsel in cookies.items()}, files)  # fmt: skip


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    form: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            files[name] = content
        else:
            form[name] = content.decode("utf-8", errors="replace")
    return form, files


def as_http_response(response: PageResponse) -> func.HttpResponse:
    headers = dict(response.headers)  # one value per name is all the pages set
    return func.HttpResponse(body=response.body, status_code=response.status, headers=headers,
                             mimetype=response.content_type.split(";")[0], charset="utf-8")  # fmt: skip
