"""Reading lists the way Xero does: ID and status filters, a small `where`, If-Modified-Since, pages.

Filters run on the rendered JSON so that they see exactly the field names a client writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.errors import bad_request
from cynare.sandbox.xero.jsondates import parse_datetime

_CLAUSE = re.compile(
    r'^\s*([A-Za-z][\w.]*)\s*(==|!=)\s*(?:"([^"]*)"|Guid\("([^"]*)"\)|(true|false|True|False)|(-?[\d.]+))\s*$'
)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def csv(call: Call, name: str) -> list[str] | None:
    raw = call.query.get(name)
    if not raw:
        return None
    return [part.strip().strip('"') for part in raw.split(",") if part.strip()]


def modified_since(call: Call) -> datetime | None:
    raw = call.headers.get("If-Modified-Since")
    if not raw:
        return None
    try:
        return parse_datetime(raw).replace(microsecond=0)
    except ValueError as exc:
        raise bad_request("If-Modified-Since is not a valid date") from exc


def _lookup(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def where_filter(call: Call) -> Callable[[dict[str, Any]], bool]:
    """A predicate for `where`: clauses `Field=="text"`, `Field==Guid("...")`, `Field==true` joined by AND."""
    raw = call.query.get("where")
    if not raw:
        return lambda _item: True
    clauses = []
    for text in re.split(r"\s+(?:AND|&&)\s+", raw.strip()):
        match = _CLAUSE.match(text)
        if match is None:
            raise bad_request(f"The where clause is not supported by the emulator: {text}")
        path, op, text_value, guid, boolean, number = match.groups()
        if guid is not None:
            expected: Any = guid.lower()
        elif boolean is not None:
            expected = boolean.lower() == "true"
        elif number is not None:
            expected = number
        else:
            expected = text_value
        clauses.append((path, op == "==", expected))

    def matches(item: dict[str, Any]) -> bool:
        for path, equal, expected in clauses:
            actual = _lookup(item, path)
            if isinstance(actual, str) and isinstance(expected, str):
                same = actual.lower() == expected.lower()
            else:
                same = str(actual) == str(expected)
            if same != equal:
                return False
        return True

    return matches


def page(call: Call, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int] | None]:
    raw_page = call.query.get("page")
    if not raw_page:
        return items, None
    try:
        number = max(1, int(raw_page))
        size = int(call.query.get("pageSize") or DEFAULT_PAGE_SIZE)
    except ValueError as exc:
        raise bad_request("page and pageSize must be whole numbers") from exc
    size = max(1, min(size, MAX_PAGE_SIZE))
    count = len(items)
    chosen = items[(number - 1) * size : number * size]
    return chosen, {"page": number, "pageSize": size, "pageCount": (count + size - 1) // size, "itemCount": count}


def listing(
    call: Call,
    key: str,
    records: Iterable[Any],
    updated: Callable[[Any], datetime],
    render: Callable[[Any], dict[str, Any]],
    keep: Callable[[Any], bool] = lambda _r: True,
) -> dict[str, Any]:
    since = modified_since(call)
    chosen = [r for r in records if keep(r) and (since is None or updated(r).replace(microsecond=0) >= since)]
    match = where_filter(call)
    rendered = [item for item in (render(r) for r in chosen) if match(item)]
    items, pagination = page(call, rendered)
    body: dict[str, Any] = {key: items}
    if pagination is not None:
        body["pagination"] = pagination
    return body
