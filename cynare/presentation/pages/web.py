"""A page request and response, free of the Functions runtime: the entrypoint translates both ways."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote


@dataclass(frozen=True, slots=True)
class PageRequest:
    method: str  # GET or POST
    path: str  # under /pages, without it: "/", "/status", "/exceptions/UK"
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)  # a POST's url-encoded fields
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case
    cookies: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict)  # a multipart POST's files (a CSV of mappings)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass(slots=True)
class PageResponse:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


ROOT = "/api/pages"  # where the Functions host serves the pages (the HTTP route prefix, then the route)


def url(path: str, **query: str) -> str:
    """The address of a page, e.g. url("/exceptions", entity="UK")."""
    address = f"{ROOT}{path if path.startswith('/') else '/' + path}"
    if query:
        address += "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items() if v != "")
    return address


def redirect(path: str, **query: str) -> PageResponse:
    """After a change, back to a page with GET (post/redirect/get), so a reload never repeats the change."""
    return PageResponse(303, headers=[("Location", url(path, **query))])
