"""Decide each document's holds at import, from the entity's books and what the warehouse holds; judge
held documents again when a mapping or a document arrives (an import, or a mapping set on the pages)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from cynare.domain.cancellations import settle
from cynare.domain.documents import Cancellation, Client, DocKey, Document
from cynare.domain.holds import Hold, HoldKind, MappingBook, Standing, content_holds, dependency_holds, dormant_hold
from cynare.domain.lifecycle import State, StoredDocument, reassess
from cynare.service_layer.unit_of_work import EntityWork

# Mappings set on the firm's pages, kept apart from the PMS's map_* rows so that no import undoes them:
# row "{kind}|{code}" with kind nominal, vat, bank or a tracking dimension, and the Xero value ("" once removed).
OVERRIDES = "map_overrides"
TRACKING_DIMENSIONS = ("office", "department", "fee_earner")


def mapping_book(work: EntityWork) -> MappingBook:
    reference = work.reference
    vat_codes = reference.rows("vat_codes")
    settings = work.settings
    book = MappingBook(
        entity=work.entity,
        nominal={code: row.get("xero_account_code") or "" for code, row in reference.rows("map_nominal").items()},
        vat={code: row.get("xero_tax_type") or "" for code, row in reference.rows("map_vat").items()},
        tracking=_tracking(reference.rows("map_tracking")),
        bank={code: row.get("xero_account_code") or "" for code, row in reference.rows("map_bank").items()},
        vat_relief=frozenset(code for code, row in vat_codes.items() if row.get("bad_debt_relief") == "yes"),
        currencies=settings.currencies if settings is not None else frozenset(),
    )
    return with_overrides(book, reference.rows(OVERRIDES))


def with_overrides(book: MappingBook, overrides: Mapping[str, Mapping[str, Any]]) -> MappingBook:
    """The book with the pages' mappings over the PMS's: an override wins; a removed one ("") leaves the PMS's."""
    nominal, vat, bank = dict(book.nominal), dict(book.vat), dict(book.bank)
    tracking = dict(book.tracking)
    for row in overrides.values():
        kind, code, value = str(row.get("kind", "")), str(row.get("code", "")), str(row.get("value") or "")
        if not value or not code:
            continue
        if kind == "nominal":
            nominal[code] = value
        elif kind == "vat":
            vat[code] = value
        elif kind == "bank":
            bank[code] = value
        elif kind in TRACKING_DIMENSIONS:
            tracking[(kind, code)] = value  # "Category/Option", as the PMS's rows are kept
    return dataclasses.replace(book, nominal=nominal, vat=vat, tracking=tracking, bank=bank)


def _tracking(rows: Mapping[str, dict[str, str]]) -> dict[tuple[str, str], str]:
    book: dict[tuple[str, str], str] = {}
    for key, row in rows.items():
        dimension, _, value = key.partition("|")
        category, option = row.get("xero_category"), row.get("xero_option")
        book[(dimension, value)] = f"{category}/{option}" if category and option else ""
    return book


class Arrivals:
    """The documents one import brings, by key (the last of a key wins), and what they refer to: worked out
    once per batch, however many slices the batch is placed in."""

    def __init__(self, documents: Iterable[Document]) -> None:
        listed = list(documents)
        self.documents: dict[DocKey, Document] = {document.key: document for document in listed}
        referred: set[DocKey] = set()
        for document in self.documents.values():
            referred.update(document.depends_on)
        # Every client something arriving refers to: an archived client it refers to is needed in Xero.
        self.clients = frozenset(key for key in referred if key.dataset == "clients")
        # ...and every client any row of the batch refers to, a key's replaced versions included.
        self.needed_clients = self.clients
        if len(listed) != len(self.documents):
            self.needed_clients = frozenset(key for document in listed for key in document.depends_on
                                            if key.dataset == "clients")  # fmt: skip
        # What they depend on that is not arriving with them: only the warehouse can say how it stands.
        self.elsewhere = frozenset(key for key in referred if key not in self.documents)


class HoldJudge:
    """Holds for documents of one import: `known` is what the warehouse holds, by key; `arriving` what the batch brings.

    `known` needs only the documents judged and what they depend on that is not arriving: an arriving
    document always stands as received, whatever the warehouse holds of it.
    """

    def __init__(
        self,
        book: MappingBook,
        known: Mapping[DocKey, StoredDocument],
        arriving: Iterable[Document] | Arrivals,
        needed: Iterable[DocKey] = (),
    ) -> None:
        self.book = book
        self.known = known
        arrivals = arriving if isinstance(arriving, Arrivals) else Arrivals(arriving)
        self.arriving = arrivals.documents
        self.needed = arrivals.clients.union(needed)

    def holds(self, document: Document) -> tuple[Hold, ...]:
        body = document.body
        found = content_holds(body, self.book, self._clients(document))
        if isinstance(body, Cancellation):
            # Only its target's arrival is a hold here; what its state means is settled in domain.cancellations.
            if body.target not in self.known and body.target not in self.arriving:
                found += dependency_holds((body.target,), {})
        else:
            found += dependency_holds(document.depends_on, self._standings(document.depends_on))
        if isinstance(body, Client):
            current = self.known.get(document.key)
            was_dormant = current is None or any(hold.kind is HoldKind.DORMANT for hold in current.holds)
            found += dormant_hold(body, document.key in self.needed, was_dormant)
        return tuple(sorted(set(found)))

    def _standings(self, keys: Iterable[DocKey]) -> dict[DocKey, Standing]:
        standings: dict[DocKey, Standing] = {}
        for key in keys:
            if key in self.arriving:
                standings[key] = Standing(State.RECEIVED.value)
            elif key in self.known:
                stored = self.known[key]
                standings[key] = Standing(stored.state.value, stored.reason)
        return standings

    def _clients(self, document: Document) -> dict[str, Client]:
        clients: dict[str, Client] = {}
        for key in document.depends_on:
            if key.dataset != "clients":
                continue
            arriving = self.arriving.get(key)
            body = arriving.body if arriving else (self.known[key].document.body if key in self.known else None)
            if isinstance(body, Client):
                clients[key.firm_id] = body
        return clients


def related_keys(documents: Iterable[Document]) -> set[DocKey]:
    """The keys a judgement must read: the documents and what they depend on."""
    return {key for document in documents for key in (document.key, *document.depends_on)}


def reassess_waiting(work: EntityWork, book: MappingBook, now: Callable[[], datetime]) -> tuple[int, int]:
    """Held documents are judged again (a mapping or a document may have arrived); cancellations are settled.
    Answers how many were released and how many cancelled."""
    waiting = list(work.documents.in_state(State.WAITING))
    cancellations = list(work.documents.in_state(State.READY, "cancellations"))
    if not waiting and not cancellations:
        return 0, 0
    known = work.documents.get_many(related_keys(stored.document for stored in (*waiting, *cancellations)))
    judge = HoldJudge(book, known, [])
    writes: dict[DocKey, StoredDocument] = {}
    for stored in waiting:
        decided = reassess(stored, judge.holds(stored.document), now())
        if decided is not None:
            writes[decided.document.key] = decided
    released = sum(1 for decided in writes.values() if decided.state is State.READY)
    cancelled = 0
    for stored in (*waiting, *cancellations):
        body = stored.document.body
        if not isinstance(body, Cancellation):
            continue
        current = writes.get(stored.document.key, stored)
        target = writes.get(body.target, known.get(body.target))
        new_cancellation, new_target = settle(current, target, now())
        for decided in (new_cancellation, new_target):
            if decided is not None:
                writes[decided.document.key] = decided
        cancelled += new_target is not None
    work.documents.save(list(writes.values()))  # lost writes are decided again on the next reassessment
    return released, cancelled
