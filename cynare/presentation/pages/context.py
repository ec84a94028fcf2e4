"""What a page handler is given: the request, the signed-in person, the app's use cases and a renderer
that fills in what every page shows (the person, the CSRF token, the development sign-in banner)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cynare.presentation.pages.csrf import FIELD as CSRF_FIELD
from cynare.presentation.pages.principal import User
from cynare.presentation.pages.templating import render
from cynare.presentation.pages.web import PageRequest, PageResponse
from cynare.service_layer.audit import AuditEntry, AuditLog

if TYPE_CHECKING:
    from cynare.bootstrap import App


@dataclass
class PageContext:
    request: PageRequest
    user: User
    app: App
    audit: AuditLog
    now: datetime
    csrf_token: str
    params: Mapping[str, str] = field(default_factory=dict)  # the route's {placeholders}
    environ: Mapping[str, str] = field(default_factory=dict)

    def page(self, template: str, title: str, status: int = 200, **context: Any) -> PageResponse:
        """A whole page: `title` is its <title> and <h1>; `notice` in the query is said once (role=status)."""
        body = render(
            template, title=title, user=self.user, csrf_field=CSRF_FIELD, csrf_token=self.csrf_token,
            entities=self.app.uow.entities(), notice=self.request.query.get("notice", ""),
            current=self.request.path, **context,
        )  # fmt: skip
        return PageResponse(status, body)

    def record(self, action: str, entity: str = "", detail: str = "") -> None:
        """Every change made from the pages is in the audit log: who, when, what."""
        self.audit.record(AuditEntry(self.now, self.user.name, action, entity, detail))


Handler = Callable[[PageContext], PageResponse]


@dataclass(frozen=True, slots=True)
class Route:
    method: str  # GET or POST
    pattern: str  # "/exceptions" or "/exceptions/{entity}/retry"
    handler: Handler
    changes: bool = False  # only an admin may call it (every POST that changes something)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        want, have = self.pattern.strip("/").split("/"), path.strip("/").split("/")
        if len(want) != len(have):
            return None
        params: dict[str, str] = {}
        for part, value in zip(want, have, strict=True):
            if part.startswith("{") and part.endswith("}"):
                if not value:
                    return None
                params[part[1:-1]] = value
            elif part != value:
                return None
        return params
