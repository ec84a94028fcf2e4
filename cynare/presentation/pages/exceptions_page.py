"""The exceptions page: what a person must act on, across the entities (documents Xero rejected, documents
held too long, entities that stopped), each with what to do; an administrator retries, skips with a note,
runs a stopped entity again, or goes to the mapping a held document waits on."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from cynare.domain.documents import DocKey
from cynare.extract.datasets import DOCUMENT_DATASETS
from cynare.presentation.pages.context import PageContext, Route
from cynare.presentation.pages.web import PageResponse, redirect, url
from cynare.service_layer.exception_items import (
    AGES,
    CAUSE_WORDS,
    HELD_TOO_LONG,
    Cause,
    ExceptionFilter,
    ExceptionItem,
    exceptions_page,
    known_cause,
)
from cynare.service_layer.exceptions import RUN_AGAIN, NoSuchException, retry, run_again, skip
from cynare.service_layer.xero_port import IssueKind

NOTE_MAX = 500  # a sentence or two: the note goes into the document's reason and the reconciliation
_CONNECT_ISSUES = frozenset({IssueKind.NOT_CONNECTED, IssueKind.CONNECTION_BROKEN, IssueKind.CONNECTION_EXPIRING})


def exceptions(context: PageContext) -> PageResponse:
    chosen, page = _filter(context, context.request.query)
    return _render(context, chosen, page)


def retry_document(context: PageContext) -> PageResponse:
    entity, key = _entity(context), _key(context)
    if entity is None or key is None:
        return _not_found(context)
    back = _back(context)
    try:
        retry(context.app.uow, context.app.queue, entity, key, context.user.name, lambda: context.now)
    except NoSuchException as refused:
        return redirect("/exceptions", **back, notice=f"Nothing was retried: {refused}.")
    context.record("retry", entity, str(key))
    return redirect("/exceptions", **back, notice=f"{entity} {key} is queued and goes to Xero on the next run.")


def skip_document(context: PageContext) -> PageResponse:
    entity, key = _entity(context), _key(context)
    if entity is None or key is None:
        return _not_found(context)
    back = _back(context)
    written = context.request.form.get("note", "")
    note = " ".join(written.split())  # one line: it becomes part of the document's reason
    error = ""
    if not note:
        error = "Write why it is skipped, for example: entered in Xero by hand as INV-0042."
    elif len(note) > NOTE_MAX:
        error = f"Keep the note to {NOTE_MAX} characters; it has {len(note)}."
    if error:
        chosen, page = _filter(context, back)
        ident = f"{entity}|{key}"
        return _render(context, chosen, page, errors={ident: error}, notes={ident: written}, status=400)
    try:
        skip(context.app.uow, entity, key, context.user.name, note, lambda: context.now)
    except NoSuchException as refused:
        return redirect("/exceptions", **back, notice=f"Nothing was skipped: {refused}.")
    context.record("skip", entity, f"{key}: {note}")
    return redirect("/exceptions", **back, notice=f"{entity} {key} is skipped and will not be sent to Xero.")


def run_entity_again(context: PageContext) -> PageResponse:
    entity = _entity(context)
    kind = next((k for k in RUN_AGAIN if k.value == context.request.form.get("kind", "")), None)
    if entity is None or kind is None:
        return _not_found(context)
    back = _back(context)
    try:
        run_again(context.app.uow, context.app.queue, entity, kind, context.user.name)
    except NoSuchException as refused:
        return redirect("/exceptions", **back, notice=f"Nothing was queued: {refused}.")
    context.record("run again", entity, f"after {kind}")
    return redirect("/exceptions", **back, notice=f"{entity} is queued: its posting runs again now.")


ROUTES = [
    Route("GET", "/exceptions", exceptions),
    Route("POST", "/exceptions/{entity}/retry", retry_document, changes=True),
    Route("POST", "/exceptions/{entity}/skip", skip_document, changes=True),
    Route("POST", "/exceptions/{entity}/run-again", run_entity_again, changes=True),
]


def _render(
    context: PageContext,
    chosen: ExceptionFilter,
    page: int,
    errors: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
    status: int = 200,
) -> PageResponse:
    found = exceptions_page(context.app.uow, chosen, page, context.now)
    query = _query(chosen)
    pages = {
        "previous": _list_url(query, found.page - 1) if found.page > 1 else "",
        "next": _list_url(query, found.page + 1) if found.page < found.pages else "",
    }
    return context.page(
        "exceptions.html.j2", "Exceptions", status=status, found=found, chosen=chosen, pages=pages,
        back=urlencode({**query, "page": str(found.page)}), errors=errors or {}, notes=notes or {},
        ages=[(days, f"Over {days} day{'s' if days > 1 else ''}" if days else "Any age") for days in AGES],
        held_days=HELD_TOO_LONG.days, cause_words=CAUSE_WORDS, causes=Cause, run_again=RUN_AGAIN,
        connect_issues=_CONNECT_ISSUES, ident=_ident, dom_id=_dom_id, when=_when, note_max=NOTE_MAX,
        age=lambda item: _age(item.age(context.now)),
    )  # fmt: skip


def _filter(context: PageContext, query: Mapping[str, str]) -> tuple[ExceptionFilter, int]:
    """The list's filter from a query, every value checked: what is not one of the choices means "any"."""
    entity = query.get("entity", "")
    cause = query.get("cause", "")
    age = query.get("age", "")
    page = query.get("page", "")
    return (
        ExceptionFilter(
            entity if entity in context.app.uow.entities() else "",
            cause if known_cause(cause) else "",
            int(age) if age.isdigit() and int(age) in AGES else 0,
        ),
        int(page) if page.isdigit() and len(page) < 7 else 1,
    )


def _query(chosen: ExceptionFilter) -> dict[str, str]:
    return {"entity": chosen.entity, "cause": chosen.cause, "age": str(chosen.older_than_days or "")}


def _list_url(query: dict[str, str], page: int) -> str:
    return url("/exceptions", **query, page=str(page))


def _back(context: PageContext) -> dict[str, str]:
    """Where an action returns: the list as it was (filter and page), rebuilt from checked values only."""
    chosen, page = _filter(context, dict(parse_qsl(context.request.form.get("back", ""))))
    return {**_query(chosen), "page": str(page) if page > 1 else ""}


def _entity(context: PageContext) -> str | None:
    entity = context.params.get("entity", "")
    return entity if entity in context.app.uow.entities() else None


def _key(context: PageContext) -> DocKey | None:
    text = context.request.form.get("key", "")
    key = DocKey.parse(text)
    return key if key.dataset in DOCUMENT_DATASETS and key.firm_id and len(text) <= 300 else None


def _not_found(context: PageContext) -> PageResponse:
    return context.page("problem.html.j2", "No such exception", status=404,
                        message="The entity or document named is not one of the firm's: go back to the exceptions "
                        "page and choose it from the list.")  # fmt: skip


def _ident(item: ExceptionItem) -> str:
    return f"{item.entity}|{item.key}" if item.key else f"{item.entity}|issue|{item.kind}"


def _dom_id(item: ExceptionItem) -> str:
    """An id for the page's elements of one item: PMS ids may hold anything, an id only letters and digits."""
    return "x" + hashlib.sha256(_ident(item).encode()).hexdigest()[:12]


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _age(age: timedelta) -> str:
    if age.days >= 1:
        return f"{age.days} day{'s' if age.days > 1 else ''}"
    hours = age.seconds // 3600
    return f"{hours} hour{'s' if hours > 1 else ''}" if hours else "under an hour"
