"""Use case: every item a person must act on, across the firm's entities, filtered and a page at a time.

Three causes: a document Xero rejected (its words and the action), a document held longer than
`HELD_TOO_LONG` (what it waits on and what releases it), and an entity that stopped (an open issue:
poisoned, connection broken, not connected, day limit). The pages and `cynare exceptions` act on them
through cynare.service_layer.exceptions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from cynare.domain.documents import Body, DocKey
from cynare.domain.exception_advice import (
    MissingMapping,
    RefusalKind,
    hold_fix,
    missing_mapping,
    refusal_kind,
    split_refusal,
)
from cynare.domain.holds import HoldKind
from cynare.domain.lifecycle import State, StoredDocument
from cynare.domain.money import Money
from cynare.service_layer.unit_of_work import EntityWork, UnitOfWork
from cynare.service_layer.xero_port import EntityIssue, IssueKind

HELD_TOO_LONG = timedelta(days=3)  # a night or two of waiting is normal; longer, a person should look
PER_PAGE = 25
AGES = (0, 1, 7)  # the age filter's choices, in days: any, over a day, over a week
_QUIET_HOLDS = frozenset({HoldKind.DORMANT})  # waiting by design, not for a person


class Cause(StrEnum):
    STOPPED = "stopped"
    REJECTED = "rejected"
    HELD = "held"


CAUSE_WORDS = {Cause.STOPPED: "Entity stopped", Cause.REJECTED: "Rejected by Xero", Cause.HELD: "Held too long"}

_ISSUE_FIXES = {
    IssueKind.NOT_CONNECTED: "connect the entity to its Xero organisation on the Connect page; it posts on the "
    "next run",
    IssueKind.CONNECTION_BROKEN: "reconnect the entity on the Connect page (or correct its binding), then run it again",
    IssueKind.DAY_LIMIT: "nothing: posting goes on by itself when Xero's day resets",
    IssueKind.POISONED: "read the error in the app's log (Application Insights), fix its cause, then run the entity "
    "again",
    IssueKind.CONNECTION_EXPIRING: "reconnect the entity on the Connect page before the connection lapses",
}


@dataclass(frozen=True, slots=True)
class ExceptionItem:
    entity: str
    cause: Cause
    kind: str  # the refusal's kind, the first hold's kind, or the issue's kind: what the cause filter narrows to
    message: str  # Xero's words, what the document waits on, or what stopped the entity
    fix: str
    since: datetime | None
    key: DocKey | None = None  # None for an entity issue
    source_id: str = ""  # the PMS's own id of the document
    what: str = ""  # "bill INV-B1, GBP 120.00"
    client: str = ""  # the client's name as the PMS gives it
    mappings: tuple[MissingMapping, ...] = ()  # codes to map before a held document can go
    issue: IssueKind | None = None
    until: datetime | None = None  # a day limit: when posting goes on

    def age(self, now: datetime) -> timedelta:
        return max(now - self.since, timedelta(0)) if self.since else timedelta(0)


@dataclass(frozen=True, slots=True)
class ExceptionFilter:
    entity: str = ""  # "" = every entity
    cause: str = ""  # "", a Cause ("rejected"), or a cause and a kind ("rejected:lock date")
    older_than_days: int = 0

    def matches(self, item: ExceptionItem, now: datetime) -> bool:
        return (
            (not self.entity or item.entity == self.entity)
            and (not self.cause or self.cause in (item.cause.value, f"{item.cause.value}:{item.kind}"))
            and item.age(now) >= timedelta(days=self.older_than_days)
        )


@dataclass(frozen=True, slots=True)
class CauseChoice:
    value: str  # as ExceptionFilter.cause takes it
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class ExceptionPage:
    items: list[ExceptionItem]
    total: int  # matching the filter, on every page
    page: int
    pages: int
    first: int  # the position of the page's first item among them all, from 1 (0 when there is none)
    choices: list[tuple[str, list[CauseChoice]]]  # the cause filter's, by cause, counted within the entity and age


def open_exceptions(
    uow: UnitOfWork, now: datetime, entities: list[str] | None = None, held_after: timedelta = HELD_TOO_LONG
) -> list[ExceptionItem]:
    """Every entity's items: stopped entities first (nothing of theirs posts), then refusals, then holds;
    within each, the oldest first."""
    items: list[ExceptionItem] = []
    for entity in entities if entities is not None else uow.entities():
        with uow.for_entity(entity) as work:
            items += [_issue_item(issue) for issue in work.issues.open()]
            documents = list(work.documents.in_state(State.REJECTED))
            documents += [s for s in work.documents.in_state(State.WAITING) if _held_too_long(s, now, held_after)]
            names = _client_names(work, documents)
            items += [_document_item(entity, stored, names) for stored in documents]
    order = list(Cause)
    return sorted(items, key=lambda i: (order.index(i.cause), i.since or now, i.entity, str(i.key or i.kind)))


def exceptions_page(
    uow: UnitOfWork, chosen: ExceptionFilter, page: int, now: datetime, per_page: int = PER_PAGE
) -> ExceptionPage:
    everything = open_exceptions(uow, now, [chosen.entity] if chosen.entity else None)
    around = [i for i in everything if ExceptionFilter(chosen.entity, "", chosen.older_than_days).matches(i, now)]
    matching = [i for i in around if chosen.matches(i, now)]
    pages = max(1, -(-len(matching) // per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    shown = matching[start : start + per_page]
    return ExceptionPage(shown, len(matching), page, pages, start + 1 if shown else 0, _choices(around, chosen.cause))


def known_cause(text: str) -> bool:
    """A cause filter this page can mean: a cause, or a cause and one of its kinds."""
    cause, colon, kind = text.partition(":")
    kinds = {Cause.STOPPED.value: {k.value for k in IssueKind}, Cause.REJECTED.value: {k.value for k in RefusalKind},
             Cause.HELD.value: {k.value for k in HoldKind} | {"waiting"}}  # fmt: skip
    return cause in kinds and (not colon or kind in kinds[cause])


def _choices(items: list[ExceptionItem], selected: str) -> list[tuple[str, list[CauseChoice]]]:
    by_cause = Counter(i.cause for i in items)
    by_kind = Counter((i.cause, i.kind) for i in items)
    groups = []
    for cause in Cause:
        kinds = sorted({k for c, k in by_kind if c is cause} | _selected_kind(selected, cause))
        choices = [CauseChoice(cause.value, f"{CAUSE_WORDS[cause]}: any", by_cause[cause])]
        choices += [CauseChoice(f"{cause.value}:{k}", f"{CAUSE_WORDS[cause]}: {k}", by_kind[(cause, k)]) for k in kinds]
        groups.append((CAUSE_WORDS[cause], choices))
    return groups


def _selected_kind(selected: str, cause: Cause) -> set[str]:
    chosen_cause, _, kind = selected.partition(":")
    return {kind} if kind and chosen_cause == cause.value else set()


def _issue_item(issue: EntityIssue) -> ExceptionItem:
    return ExceptionItem(issue.entity, Cause.STOPPED, issue.kind.value, issue.message, _ISSUE_FIXES[issue.kind],
                         issue.at, issue=issue.kind, until=issue.until)  # fmt: skip


def _document_item(entity: str, stored: StoredDocument, names: dict[str, str]) -> ExceptionItem:
    document = stored.document
    item = ExceptionItem(entity, Cause.REJECTED, "", "", "", None, key=document.key, source_id=document.source_id,
                         what=describe(document.key, document.body),
                         client=names.get(str(getattr(document.body, "client_id", "")), ""))  # fmt: skip
    if stored.state is State.REJECTED:
        message, fix = split_refusal(stored.reason)
        since = stored.history[-1].at if stored.history else None
        return replace(item, kind=refusal_kind(stored.reason).value, message=message, fix=fix, since=since)
    holds = [h for h in stored.holds if h.kind not in _QUIET_HOLDS]
    return replace(
        item,
        cause=Cause.HELD,
        kind=holds[0].kind.value if holds else "waiting",
        message=stored.reason,
        fix="; ".join(dict.fromkeys(hold_fix(h) for h in holds)) or "look at what it waits on",
        since=waiting_since(stored),
        mappings=tuple(m for h in holds if (m := missing_mapping(h)) is not None),
    )


def waiting_since(stored: StoredDocument) -> datetime | None:
    """When the document began its present wait: a new version or a new hold does not start it again."""
    since = None
    for transition in reversed(stored.history):
        if transition.state not in (State.WAITING, State.RECEIVED):
            break
        since = transition.at
    return since


def _held_too_long(stored: StoredDocument, now: datetime, held_after: timedelta) -> bool:
    since = waiting_since(stored)
    quiet = bool(stored.holds) and all(h.kind in _QUIET_HOLDS for h in stored.holds)
    return since is not None and now - since > held_after and not quiet


def _client_names(work: EntityWork, documents: list[StoredDocument]) -> dict[str, str]:
    ids = {str(getattr(s.document.body, "client_id", "")) for s in documents} - {""}
    found = work.documents.get_many([DocKey("clients", client_id) for client_id in sorted(ids)])
    names = {key.firm_id: str(getattr(stored.document.body, "name", "")) for key, stored in found.items()}
    for stored in documents:  # a client that is itself the exception
        if stored.document.key.dataset == "clients":
            names[stored.document.key.firm_id] = str(getattr(stored.document.body, "name", ""))
    return names


def describe(key: DocKey, body: Body) -> str:
    """A document as a person finds it in the PMS: its kind, its number and its amount."""
    words = key.dataset.rstrip("s").replace("_", " ")
    number = getattr(body, "number", "")
    amount = getattr(body, "total", None) or getattr(body, "amount", None)
    parts = [f"{words} {number}".strip()]
    if isinstance(amount, Money):
        parts.append(str(amount))
    return ", ".join(parts)
