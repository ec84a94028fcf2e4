"""Reading lists the way Xero does: ID and status filters, `where`, `order`, If-Modified-Since, pages.

`where` and `order` run on the rendered JSON so that they see exactly the field names a client writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from cynare.sandbox.xero import fields, ordering, where
from cynare.sandbox.xero.call import Call
from cynare.sandbox.xero.errors import bad_request
from cynare.sandbox.xero.jsondates import parse_datetime

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# Comma-separated filters the spec gives one list, read on its rendered records: (list, parameter) -> field.
_LIST_FILTERS = {("Overpayments", "References"): "Reference"}


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


def select(
    call: Call, schema: str | None, items: list[dict[str, Any]], hidden: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """The rendered records that pass `where`, in the order `order` asks for.

    `schema` is the record type (fields.SCHEMAS) whose fields both may name; `hidden` the fields a
    summaryOnly read leaves out, which neither may name (see where.py and ordering.py).
    """
    keys = ordering.keys(call.query.get("order"), schema, hidden)
    match = where.predicate(call.query.get("where"), schema, hidden)
    chosen = items if match is None else [item for item in items if match(item)]
    return ordering.apply(chosen, keys) if keys else chosen


def where_filter(call: Call, schema: str | None = None) -> Callable[[dict[str, Any]], bool]:
    """A predicate for `where` alone (see where.py)."""
    match = where.predicate(call.query.get("where"), schema)
    return match if match is not None else (lambda _item: True)


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
    hidden: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A paged list: filters on the records, If-Modified-Since, then `where` and `order` on the rendered
    records (the schema is the one fields.LISTS names for `key`), then the page."""
    since = modified_since(call)
    chosen = [r for r in records if keep(r) and (since is None or updated(r).replace(microsecond=0) >= since)]
    items = [render(r) for r in chosen]
    for (name, parameter), field in _LIST_FILTERS.items():
        wanted = csv(call, parameter) if name == key else None
        if wanted:
            items = [item for item in items if item.get(field) in wanted]
    rendered = select(call, fields.LISTS.get(key), items, hidden)
    items, pagination = page(call, rendered)
    body: dict[str, Any] = {key: items}
    if pagination is not None:
        body["pagination"] = pagination
    return body
